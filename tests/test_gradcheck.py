import numpy as np
import pytest

from mlp_lib.gradcheck import check_layer_gradients, numerical_gradient, relative_error
from mlp_lib.layers import Linear


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])  # x restored after the perturbations


def test_relative_error_is_scale_free():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1e-8], [2e-8]) == pytest.approx(relative_error([1.0], [2.0]))


def test_gradient_check_catches_a_wrong_backward():
    class BrokenLinear(Linear):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["b"] = 2 * self.grads["b"]  # a typical bug: a wrong factor
            return dx

    layer = BrokenLinear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    errors = check_layer_gradients(layer, np.random.default_rng(1).standard_normal((4, 3)))
    assert errors["W"] < 1e-6 and errors["x"] < 1e-6
    assert errors["b"] > 0.1


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="numerical gradients need float64 arrays, got float32"):
        numerical_gradient(lambda: 0.0, np.zeros(2, dtype=np.float32))


def test_relative_error_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"cannot compare gradients of shapes \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
