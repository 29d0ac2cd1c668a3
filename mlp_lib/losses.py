"""Softmax and the softmax cross-entropy loss, computed in a numerically stable way."""

import numpy as np


def softmax(logits):
    """p = exp(z - max z) / sum exp(z - max z), row by row.

    Subtracting the row maximum changes nothing mathematically but keeps exp() from
    overflowing: the largest exponent is exp(0) = 1. Shapes: logits (N, C) -> p (N, C).
    """
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    exp = np.exp(shifted)  # (N, C), in (0, 1]
    return exp / exp.sum(axis=1, keepdims=True)  # (N, C), rows sum to 1


def log_softmax(logits):
    """log p = (z - max z) - log sum exp(z - max z)  (the log-sum-exp trick).

    Shapes: logits (N, C) -> log p (N, C). Never takes log(0), so the loss stays finite.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def check_labels(y, n, n_classes):
    """Raise a clear error unless y is n integer labels in 0..n_classes-1."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"expected labels y of shape ({n},) to match {n} samples, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(
            f"labels y must be integers 0..{n_classes - 1}, got dtype {y.dtype}; use y.astype(int)"
        )
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels y must lie in 0..{n_classes - 1}, got values from {y.min()} to {y.max()}"
        )
    return y


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels.

    L = -(1/N) sum_i log p[i, y_i], and dL/dlogits = (p - onehot(y)) / N.
    Shapes: logits (N, C), y (N,) integers -> L scalar; backward() -> (N, C).
    """

    def __init__(self):
        self.probs = None
        self._y = None

    def __repr__(self):
        return "SoftmaxCrossEntropy()"

    def config(self):
        """Nothing to set: like a layer's ``config()``, the arguments that rebuild it."""
        return {}

    def forget(self):
        """Drop the probabilities and labels kept for ``backward`` (a batch's worth of memory)."""
        self.probs = None
        self._y = None

    def forward(self, logits, y):
        n, n_classes = logits.shape
        y = check_labels(y, n, n_classes)
        log_p = log_softmax(logits)  # (N, C)
        self.probs = np.exp(log_p)  # (N, C), kept for backward
        self._y = y
        return -log_p[np.arange(n), y].mean()  # scalar, dtype of logits

    def backward(self):
        if self.probs is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        n = len(self._y)
        dlogits = self.probs.copy()  # (N, C)
        dlogits[np.arange(n), self._y] -= 1  # p - onehot(y)
        return dlogits / dlogits.dtype.type(n)  # (N, C), keeps float32 float32
