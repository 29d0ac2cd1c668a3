"""Shuffled mini-batches: every sample visited exactly once per epoch."""

import numpy as np

from .checks import check_int


def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    """Yield (X_batch, y_batch) pairs covering every sample once, the last batch smaller if needed.

    Shapes: X (N, D), y (N,) -> X_batch (B, D), y_batch (B,) with B <= batch_size.
    ``rng`` (an ``np.random.Generator``) draws a fresh order for each call when ``shuffle``.
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y must have the same length, got {n} and {len(y)}")
    check_int("batch_size", batch_size, low=1)
    if shuffle:
        rng = np.random.default_rng() if rng is None else rng
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def n_batches(n, batch_size):
    """How many mini-batches cover n samples: ceil(n / batch_size)."""
    return -(-n // batch_size)
