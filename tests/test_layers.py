import numpy as np
import pytest

from mlp_lib.gradcheck import check_layer_gradients
from mlp_lib.layers import Dropout, Linear, ReLU, init_weights

SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 9), (2, 784, 3)]


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
def test_linear_backward_matches_numerical_gradient(n, n_in, n_out):
    rng = np.random.default_rng(0)
    layer = Linear(n_in, n_out, init="he", rng=rng, dtype=np.float64)
    layer.params["b"][:] = rng.standard_normal(n_out)  # a non-zero bias tests db properly
    x = rng.standard_normal((n, n_in))
    errors = check_layer_gradients(layer, x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-6, errors


def test_linear_worked_example_by_hand():
    layer = Linear(2, 1, dtype=np.float64)
    layer.params["W"][:] = [[2.0], [-1.0]]
    layer.params["b"][:] = [0.5]
    out = layer.forward(np.array([[1.0, 3.0]]))  # 1*2 + 3*(-1) + 0.5 = -0.5
    np.testing.assert_array_equal(out, [[-0.5]])
    dx = layer.backward(np.array([[2.0]]))
    np.testing.assert_array_equal(dx, [[4.0, -2.0]])  # dout @ W.T
    np.testing.assert_array_equal(layer.grads["W"], [[2.0], [6.0]])  # x.T @ dout
    np.testing.assert_array_equal(layer.grads["b"], [2.0])


def test_linear_backward_twice_gives_the_same_gradients():
    rng = np.random.default_rng(1)
    layer = Linear(5, 3, rng=rng, dtype=np.float64)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    layer.forward(x)
    dx1 = layer.backward(dout)
    grads1 = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(dout)
    np.testing.assert_array_equal(dx1, dx2)
    for key in grads1:
        np.testing.assert_array_equal(grads1[key], layer.grads[key])  # overwritten, not accumulated


def test_linear_params_and_grads_have_matching_keys_and_shapes():
    layer = Linear(6, 4, rng=np.random.default_rng(0))
    layer.forward(np.ones((3, 6), dtype=np.float32))
    layer.backward(np.ones((3, 4), dtype=np.float32))
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    for key in layer.params:
        assert layer.params[key].shape == layer.grads[key].shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_keeps_its_dtype_end_to_end(dtype):
    layer = Linear(4, 3, rng=np.random.default_rng(0), dtype=dtype)
    x = np.ones((2, 4), dtype=dtype)
    out = layer.forward(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == layer.grads["W"].dtype == layer.grads["b"].dtype == dtype


def test_linear_without_compute_dx_still_fills_param_grads():
    layer = Linear(4, 3, rng=np.random.default_rng(0), dtype=np.float64, compute_dx=False)
    layer.forward(np.ones((2, 4)))
    assert layer.backward(np.ones((2, 3))) is None
    np.testing.assert_array_equal(layer.grads["b"], [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "init, expected_std", [("normal", 0.01), ("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 600))]
)
def test_init_weights_have_the_documented_scale(init, expected_std):
    W = init_weights(400, 200, init, np.random.default_rng(0), np.float64)
    assert W.shape == (400, 200)
    assert W.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(W.mean()) < 0.1 * expected_std


def test_linear_biases_start_at_zero():
    assert not Linear(3, 5, rng=np.random.default_rng(0)).params["b"].any()


def test_linear_same_rng_seed_gives_same_weights():
    a = Linear(10, 4, rng=np.random.default_rng(7))
    b = Linear(10, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params["W"], b.params["W"])


def test_linear_rejects_unflattened_images_with_a_hint():
    layer = Linear(784, 32, rng=np.random.default_rng(0))
    with pytest.raises(
        ValueError,
        match=r"expected x of shape \(N, 784\), got \(32, 28, 28\); "
        r"flatten images with X.reshape",
    ):
        layer.forward(np.zeros((32, 28, 28), dtype=np.float32))


def test_linear_rejects_wrong_feature_count():
    with pytest.raises(
        ValueError, match=r"Linear\(n_in=3\) expected x of shape \(N, 3\), got \(2, 4\)$"
    ):
        Linear(3, 2, rng=np.random.default_rng(0)).forward(np.zeros((2, 4)))


@pytest.mark.parametrize(
    "n_in, n_out, bad", [(0, 3, "n_in"), (3, -1, "n_out"), (2.5, 3, "n_in"), (True, 3, "n_in")]
)
def test_linear_rejects_non_positive_sizes(n_in, n_out, bad):
    with pytest.raises(ValueError, match=f"Linear {bad} must be a positive integer"):
        Linear(n_in, n_out)


def test_linear_rejects_unknown_init_and_dtype():
    with pytest.raises(ValueError, match=r"init must be one of normal, he, xavier, got 'zeros'"):
        Linear(3, 2, init="zeros")
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int64"):
        Linear(3, 2, dtype=np.int64)


@pytest.mark.parametrize("layer_cls", [lambda: Linear(2, 2), ReLU])
def test_backward_before_forward_is_a_clear_error(layer_cls):
    layer = layer_cls()
    with pytest.raises(RuntimeError, match=r"\w+\.backward called before forward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (32, 16)])
def test_relu_backward_matches_numerical_gradient(shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where no derivative exists
    errors = check_layer_gradients(ReLU(), x)
    assert errors["x"] < 1e-6


def test_relu_gradient_is_zero_exactly_at_zero():
    relu = ReLU()
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.forward(x), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_relu_keeps_float32():
    x = np.array([[-1.0, 3.0]], dtype=np.float32)
    relu = ReLU()
    assert relu.forward(x).dtype == np.float32
    assert relu.backward(np.ones_like(x)).dtype == np.float32


def test_layers_describe_themselves():
    assert repr(Linear(784, 32, init="normal")) == "Linear(784 -> 32, init='normal')"
    assert repr(ReLU()) == "ReLU()"


# ---- Dropout ----------------------------------------------------------------------------------


class FixedMaskDropout(Dropout):
    """Draws the same mask on every forward call, so the numerical gradient is well defined."""

    def forward(self, x):
        self.rng = np.random.default_rng(0)
        return super().forward(x)


@pytest.mark.parametrize("shape, p", [((1, 1), 0.5), ((5, 7), 0.1), ((32, 16), 0.5)])
def test_dropout_backward_matches_numerical_gradient(shape, p):
    layer = FixedMaskDropout(p)
    layer.training = True
    x = np.random.default_rng(3).standard_normal(shape)
    assert check_layer_gradients(layer, x)["x"] < 1e-6


def test_dropout_zeroes_about_p_of_the_units_and_scales_the_rest():
    layer = Dropout(0.25, rng=np.random.default_rng(0))
    layer.training = True
    out = layer.forward(np.ones((200, 500)))
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert (out == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # the expected value is unchanged


def test_dropout_backward_passes_gradient_only_through_kept_units():
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    layer.training = True
    out = layer.forward(np.ones((4, 6)))
    dx = layer.backward(np.ones((4, 6)))
    np.testing.assert_array_equal(dx, out)  # mask / (1 - p), both times


def test_dropout_is_the_identity_when_not_training():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.arange(6.0).reshape(2, 3)
    assert layer.training is False  # layers start in prediction mode
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_dropout_keeps_float32():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    layer.training = True
    x = np.ones((3, 4), dtype=np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1, 1.5, "0.1", True])
def test_dropout_rejects_probabilities_outside_zero_to_one(p):
    with pytest.raises(
        ValueError, match=r"dropout probability p must be a number in \[0, 1\), got .*; try 0.1"
    ):
        Dropout(p)


def test_dropout_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"Dropout\.backward called before forward"):
        Dropout(0.1).backward(np.ones((1, 2)))


def test_dropout_describes_itself():
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"
