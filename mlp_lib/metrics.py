"""Metrics: accuracy and the confusion matrix."""

import numpy as np


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the labels. Shapes: (N,), (N,) -> float in [0, 1]."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError("accuracy of zero samples is undefined; pass at least one label")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=10):
    """Counts C[i, j] = number of samples of true class i predicted as class j.

    Shapes: (N,), (N,) -> (n_classes, n_classes) int64; the diagonal holds the correct ones.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(
                f"{name} must lie in 0..{n_classes - 1}, got values from {y.min()} to {y.max()}"
            )
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)
