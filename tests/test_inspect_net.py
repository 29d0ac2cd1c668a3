import numpy as np
import pytest

from mlp_lib import MLP
from mlp_lib.gradcheck import numerical_gradient
from mlp_lib.inspect_net import (
    calibration,
    fgsm,
    hidden_activations,
    loss_gradient,
    pca,
    score_gradient,
    top_activating,
)
from mlp_lib.layers import Linear, ReLU, Tanh


@pytest.fixture
def model():
    return MLP((12, 7, 5, 3), init="he", seed=0, dtype=np.float64, dropout=0.2)


@pytest.fixture
def X():
    return np.random.default_rng(1).random((4, 12))


def test_hidden_activations_are_the_relu_outputs_of_each_hidden_layer(model, X):
    acts = hidden_activations(model, X)
    assert [a.shape for a in acts] == [(4, 7), (4, 5)]
    W0, b0 = model.parameters()["W0"], model.parameters()["b0"]
    np.testing.assert_allclose(acts[0], np.maximum(X @ W0 + b0, 0))
    W1, b1 = model.parameters()["W1"], model.parameters()["b1"]
    np.testing.assert_allclose(acts[1], np.maximum(acts[0] @ W1 + b1, 0))  # no dropout


@pytest.mark.parametrize(
    "activation, f", [("tanh", np.tanh), ("sigmoid", lambda z: 1 / (1 + np.exp(-z)))]
)
def test_hidden_activations_are_the_outputs_of_any_activation(X, activation, f):
    model = MLP((12, 7, 5, 3), seed=0, dtype=np.float64, dropout=0.5, activation=activation)
    acts = hidden_activations(model, X)
    params = model.parameters()
    np.testing.assert_allclose(acts[0], f(X @ params["W0"] + params["b0"]))
    np.testing.assert_allclose(acts[1], f(acts[0] @ params["W1"] + params["b1"]))  # no dropout
    assert all(layer._x is None for layer in model.linear_layers)  # nothing kept for backward


def test_hidden_activations_are_what_each_linear_layer_after_the_first_receives(X):
    def linear(n_in, n_out):
        return Linear(n_in, n_out, rng=np.random.default_rng(n_in), dtype=np.float64)

    model = MLP.from_layers(
        [linear(12, 7), Tanh(), linear(7, 6), linear(6, 5), ReLU(), linear(5, 3)]
    )
    acts = hidden_activations(model, X)
    W = [layer.params["W"] for layer in model.linear_layers]
    np.testing.assert_allclose(acts[0], np.tanh(X @ W[0]))
    np.testing.assert_allclose(acts[1], acts[0] @ W[1])  # a hidden layer without an activation
    np.testing.assert_allclose(acts[2], np.maximum(acts[1] @ W[2], 0))
    assert hidden_activations(MLP((12, 3), dtype=np.float64), X) == []


def test_top_activating_sorts_by_one_unit_highest_first():
    acts = np.array([[0.0, 1], [3, 0], [2, 5], [3, 2]])
    np.testing.assert_array_equal(top_activating(acts, 0, k=3), [1, 3, 2])
    np.testing.assert_array_equal(top_activating(acts, 1, k=2), [2, 3])


def test_pca_matches_the_eigenvectors_of_the_covariance_matrix():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    coords, components, explained = pca(A, k=2)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(A, rowvar=False))
    for i in range(2):  # eigh sorts ascending; the signs may differ
        top = eigenvectors[:, -1 - i]
        assert abs(components[i] @ top) == pytest.approx(1)
    assert explained == pytest.approx(eigenvalues[::-1][:2] / eigenvalues.sum())
    np.testing.assert_allclose(coords, (A - A.mean(axis=0)) @ components.T)
    assert np.all(np.abs(components).argmax(axis=1) == components.argmax(axis=1))  # sign fixed


def test_score_gradient_matches_a_central_difference(model, X):
    classes = np.array([0, 2, 1, 2])
    grad = score_gradient(model, X, classes)
    for i in range(len(X)):
        x = X[i].copy()  # numerical_gradient nudges it in place

        def score(x=x, i=i):
            return model.forward(x[None, :])[0, classes[i]]

        np.testing.assert_allclose(grad[i], numerical_gradient(score, x), atol=1e-7)


def test_loss_gradient_matches_a_central_difference(model, X):
    y = np.array([2, 0, 1, 1])
    grad = loss_gradient(model, X, y)
    for i in range(len(X)):
        x = X[i].copy()

        def loss(x=x, i=i):
            return float(model.loss(x[None, :], y[i : i + 1]))

        np.testing.assert_allclose(grad[i], numerical_gradient(loss, x), atol=1e-7)


def test_fgsm_moves_every_pixel_by_epsilon_within_0_1_and_raises_the_loss(model, X):
    y = model.predict(X)
    adversarial = fgsm(model, X, y, 0.05)
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    inside = (X > 0.05) & (X < 0.95)
    np.testing.assert_allclose(np.abs(adversarial - X)[inside], 0.05)
    losses = [float(model.loss(a[None], y[i : i + 1])) for i, a in enumerate(adversarial)]
    before = [float(model.loss(x[None], y[i : i + 1])) for i, x in enumerate(X)]
    assert all(after > b for after, b in zip(losses, before))
    np.testing.assert_array_equal(fgsm(model, X, y, 0.0), X)
    with pytest.raises(ValueError, match=r"epsilon .* must be >= 0, got -0.1"):
        fgsm(model, X, y, -0.1)


def test_calibration_of_a_small_example_worked_by_hand():
    confidence = np.array([0.05, 0.95, 0.95, 1.0, 0.55, 0.6])
    correct = np.array([False, True, False, True, True, False])
    cal = calibration(confidence, correct, n_bins=2)  # bins [0, 0.5], (0.5, 1]
    np.testing.assert_array_equal(cal.counts, [1, 5])
    np.testing.assert_allclose(cal.confidence, [0.05, (0.95 + 0.95 + 1 + 0.55 + 0.6) / 5])
    np.testing.assert_allclose(cal.accuracy, [0, 3 / 5])
    assert cal.ece == pytest.approx((1 * 0.05 + 5 * abs(0.6 - 0.81)) / 6)


def test_calibration_leaves_empty_bins_as_nan_and_checks_its_input():
    cal = calibration(np.array([0.91, 0.99]), np.array([True, True]), n_bins=10)
    assert cal.counts.sum() == 2 and cal.counts[9] == 2
    assert np.isnan(cal.accuracy[0]) and cal.accuracy[9] == 1
    with pytest.raises(ValueError, match=r"same length, got shapes \(2,\) and \(3,\)"):
        calibration(np.array([0.5, 0.5]), np.array([True, True, False]))
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        calibration(np.array([1.5]), np.array([True]))
