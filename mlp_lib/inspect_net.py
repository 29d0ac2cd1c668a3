"""Look inside a trained network, with nothing but NumPy and the layers' own forward and backward.

- ``hidden_activations``: what every hidden layer outputs for a batch of images;
- ``top_activating``: the images that excite one hidden unit most;
- ``pca``: project representations to 2-D with the singular value decomposition;
- ``input_gradient`` / ``score_gradient`` / ``loss_gradient``: the gradient with respect to the
  input pixels (the backward pass carried one layer further, to dL/dX), e.g. saliency maps;
- ``fgsm``: an adversarial image, one step along the sign of the loss gradient;
- ``calibration``: is the network right 90% of the time when it says 90%?
"""

from dataclasses import dataclass

import numpy as np

from .layers import Linear
from .losses import softmax


def hidden_activations(model, X):
    """The output of every hidden layer (after its activation, ReLU or another) for the images X.

    A hidden layer is a Linear layer and the layers after it up to the next Linear layer: its
    output is what the next Linear layer receives. Dropout is off (predicting, not training).
    Shapes: X (N, D) -> a list with one (N, H_l) array per hidden layer, e.g. [(N, 32), (N, 16)]
    for a 784-32-16-10 network.
    """
    out = np.asarray(X, dtype=model.dtype)
    linear_inputs = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            linear_inputs.append(out)  # the first one receives the images themselves
        layer.training = False
        out = layer.forward(out)
    model.forget()  # nothing is kept for a backward pass
    return linear_inputs[1:]


def top_activating(activations, unit, k=9):
    """Indices of the ``k`` rows (images) with the highest activation of ``unit``, highest first.

    Shapes: activations (N, H) -> (k,) integers. Ties keep the lower index first.
    """
    return np.argsort(-activations[:, unit], kind="stable")[:k]


def pca(A, k=2):
    """Principal component analysis with NumPy's SVD.

    The rows of A are centred; A_c = U S V^T; the first k rows of V^T are the directions of
    largest variance, and A_c @ V[:, :k] = U[:, :k] S[:k] are the coordinates along them. Each
    direction's sign is fixed so that its largest entry is positive (an SVD may return either sign).

    Shapes: A (N, H) -> coordinates (N, k), components (k, H), explained (k,): the share of the
    total variance along each direction.
    """
    A = np.asarray(A, dtype=np.float64)
    centred = A - A.mean(axis=0)  # (N, H)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)  # s (min(N, H),), vt (min(N, H), H)
    components = vt[:k]  # (k, H)
    largest = np.abs(components).argmax(axis=1)
    components = components * np.sign(components[np.arange(k), largest])[:, None]
    explained = s[:k] ** 2 / np.sum(s**2)
    return centred @ components.T, components, explained


def input_gradient(model, X, dlogits):
    """The gradient with respect to the input pixels, given the gradient at the logits.

    Runs the forward pass, then each layer's backward from the last to the second, and finally
    the first layer's dX = dout @ W0^T, the step that training skips (the data has no weights to
    update). Each layer's ``grads`` are overwritten on the way, as in training.
    Shapes: X (N, D), dlogits (N, C) -> (N, D).
    """
    model.forward(X)  # keeps what backward needs in every layer
    dout = np.asarray(dlogits, dtype=model.dtype)
    for layer in reversed(model.layers[1:]):
        dout = layer.backward(dout)  # (N, H) at each step
    first = model.layers[0]
    if not isinstance(first, Linear):
        raise TypeError(f"expected the network to start with a Linear layer, got {first!r}")
    return dout @ first.params["W"].T  # (N, D)


def score_gradient(model, X, classes):
    """d logit[classes[i]] / d X[i] for each image: how each pixel moves the class's score.

    The absolute value of this gradient, drawn as an image, is a *saliency map*.
    Shapes: X (N, D), classes (N,) integers -> (N, D).
    """
    classes = np.asarray(classes)
    dlogits = np.zeros((len(X), model.layer_sizes[-1]))  # (N, C)
    dlogits[np.arange(len(X)), classes] = 1
    return input_gradient(model, X, dlogits)


def loss_gradient(model, X, y):
    """d loss_i / d X[i], the gradient of each image's own cross-entropy loss.

    The loss of one image is -log p[y]; its gradient at the logits is p - onehot(y).
    Shapes: X (N, D), y (N,) -> (N, D).
    """
    y = np.asarray(y)
    dlogits = softmax(model.forward(X)).astype(np.float64)  # (N, C): p
    dlogits[np.arange(len(X)), y] -= 1  # p - onehot(y)
    return input_gradient(model, X, dlogits)


def fgsm(model, X, y, epsilon):
    """The fast gradient sign method: X + epsilon * sign(d loss / d X), clipped to [0, 1].

    Each pixel moves by at most ``epsilon``, in the direction that increases the loss of the
    true label y the fastest (to first order). Shapes: X (N, D), y (N,) -> (N, D).
    """
    if not epsilon >= 0:
        raise ValueError(
            f"epsilon is the largest change of a pixel and must be >= 0, got {epsilon}"
        )
    X = np.asarray(X, dtype=np.float64)
    return np.clip(X + epsilon * np.sign(loss_gradient(model, X, y)), 0, 1)


@dataclass
class Calibration:
    """A reliability diagram's numbers: predictions grouped by confidence into bins.

    For bin b: ``counts[b]`` predictions, their mean confidence ``confidence[b]`` and the
    fraction of them that are right, ``accuracy[b]`` (nan for an empty bin). ``ece``, the
    expected calibration error, is the count-weighted mean of |accuracy - confidence|.
    Shapes: edges (n_bins + 1,), the others (n_bins,).
    """

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    ece: float


def calibration(confidence, correct, n_bins=10):
    """Group predictions into ``n_bins`` equal-width confidence bins over [0, 1].

    Parameters
    ----------
    confidence : (N,) probability of the predicted class, in [0, 1]
    correct : (N,) booleans, True where the prediction is right
    n_bins : number of bins; bin b holds the confidences in (edges[b], edges[b + 1]], the
        first bin also 0.0

    Returns a ``Calibration``.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    if confidence.shape != correct.shape or confidence.ndim != 1:
        raise ValueError(
            f"confidence and correct must be 1-D arrays of the same length, got shapes "
            f"{confidence.shape} and {correct.shape}"
        )
    if len(confidence) and (confidence.min() < 0 or confidence.max() > 1):
        raise ValueError("confidence values are probabilities and must be in [0, 1]")
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)  # (N,)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, weights=confidence, minlength=n_bins) / counts
        accuracy = np.bincount(bins, weights=correct, minlength=n_bins) / counts
    gaps = np.abs(accuracy - mean_confidence)
    ece = float(np.sum(counts[counts > 0] * gaps[counts > 0]) / max(1, counts.sum()))
    return Calibration(edges, counts, mean_confidence, accuracy, ece)
