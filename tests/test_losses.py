import numpy as np
import pytest

from mlp_lib.gradcheck import numerical_gradient, relative_error
from mlp_lib.losses import SoftmaxCrossEntropy, log_softmax, softmax


def test_softmax_rows_sum_to_one_and_match_the_definition():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], np.exp(z[0]) / np.exp(z[0]).sum())
    np.testing.assert_allclose(p[1], [1 / 3, 1 / 3, 1 / 3])


def test_cross_entropy_worked_example_by_hand():
    # Two classes with equal logits: p = 1/2 each, so the loss is -log(1/2) = log 2.
    loss = SoftmaxCrossEntropy().forward(np.zeros((1, 2)), np.array([1]))
    assert loss == pytest.approx(np.log(2))


@pytest.mark.parametrize("scale", [1e4, -1e4, 1e300])
def test_softmax_and_loss_are_stable_for_huge_logits(scale):
    logits = np.array([[scale, 0.0, -scale], [0.0, scale, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow or nan would raise
        p = softmax(logits)
        log_p = log_softmax(logits)
        loss_fn = SoftmaxCrossEntropy()
        loss = loss_fn.forward(logits, np.array([2, 0]))
        dlogits = loss_fn.backward()
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(log_p))
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))


def test_loss_of_a_confident_wrong_answer_is_large_but_finite():
    loss = SoftmaxCrossEntropy().forward(np.array([[1e4, -1e4]]), np.array([1]))
    assert loss == pytest.approx(2e4)


@pytest.mark.parametrize("n, c", [(1, 2), (5, 10), (32, 3)])
def test_cross_entropy_gradient_matches_numerical_gradient(n, c):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, c)) * 3
    y = rng.integers(0, c, size=n)
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(logits, y)
    analytic = loss_fn.backward()
    numeric = numerical_gradient(lambda: float(loss_fn.forward(logits, y)), logits)
    assert relative_error(analytic, numeric) < 1e-6


def test_cross_entropy_gradient_is_p_minus_onehot_over_n():
    logits = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = np.array([2, 0])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(logits, y)
    expected = (softmax(logits) - np.eye(3)[y]) / 2
    np.testing.assert_allclose(loss_fn.backward(), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_and_gradient_keep_the_dtype(dtype):
    logits = np.ones((4, 10), dtype=dtype)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(logits, np.arange(4))
    assert loss.dtype == dtype
    assert loss_fn.backward().dtype == dtype
    assert softmax(logits).dtype == log_softmax(logits).dtype == dtype


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward called before forward"):
        SoftmaxCrossEntropy().backward()


def test_labels_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"labels y must lie in 0..9, got values from 0 to 10"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 10)), np.array([0, 10]))


def test_labels_of_the_wrong_shape_are_refused():
    with pytest.raises(
        ValueError, match=r"expected labels y of shape \(3,\) to match 3 samples, got \(3, 1\)"
    ):
        SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.zeros((3, 1), dtype=int))


def test_float_labels_are_refused_with_a_fix():
    with pytest.raises(
        TypeError, match=r"labels y must be integers 0..9, got dtype float64; use y.astype\(int\)"
    ):
        SoftmaxCrossEntropy().forward(np.zeros((2, 10)), np.array([1.0, 2.0]))


def test_forget_drops_what_backward_needs_and_config_is_empty():
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(np.zeros((3, 4)), np.array([0, 1, 2]))
    loss_fn.forget()
    assert loss_fn.probs is None and loss_fn._y is None  # nothing of the batch is kept
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward called before forward"):
        loss_fn.backward()
    assert loss_fn.config() == {}
