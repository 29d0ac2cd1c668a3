"""Checks for notebooks 05 and 07: holding out validation images, and counting the steps of an epoch.

The split is checked on small images whose first pixel is the image's row number, so the check
can tell which images ended up on which side, with which labels, and in which order.
"""

import numpy as np

from ..batches import n_batches
from .feedback import Mistake, call, describe, expect_number, expect_tuple, run_check

N_IMAGES = 10
LABELS = (np.arange(N_IMAGES) * 7 + 3) % 10  # every label differs from its neighbours'


def _images():
    """(10, 3) images whose first pixel is the image's row number."""
    X = np.zeros((N_IMAGES, 3))
    X[:, 0] = np.arange(N_IMAGES)
    return X


def check_hold_out(hold_out):
    """``hold_out(X, y, n_val) -> (X_fit, y_fit, X_val, y_val)``: the last n_val images held out."""
    return run_check("hold_out", _diagnose_hold_out, hold_out)


def _diagnose_hold_out(hold_out):
    for n_val in (3, 0):  # 0: the seed program's setting, nothing held out
        X, y = _images(), LABELS.copy()
        parts = expect_tuple(
            call(hold_out, X, y, n_val), "hold_out", 4, "(X_fit, y_fit, X_val, y_val)"
        )
        _check_split(X, y, n_val, *parts)
    return (
        "the last n_val images and their labels held out, the rest to train on, as views "
        "(nothing copied); with n_val = 0 every image trains"
    )


def _rows(images, what):
    """The row numbers of the images in one part of the split (their first pixel)."""
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != 3:
        raise Mistake(
            f"{what} should hold whole images, shape (n, 3) here; got {describe(images)}", "shape"
        )
    return images[:, 0].astype(int)


def _check_split(X, y, n_val, X_fit, y_fit, X_val, y_val):
    n_fit = N_IMAGES - n_val
    rows_fit, rows_val = _rows(X_fit, "X_fit"), _rows(X_val, "X_val")
    if n_val == 0 and len(rows_fit) == 0:
        raise Mistake(
            "with n_val = 0 nothing should be held out, but X_fit is empty: X[:-0] is X[:0]. "
            "Slice with the number of images to keep, X[:len(X) - n_val]",
            "minus-zero",
        )
    for rows, labels, part in ((rows_fit, y_fit, "fit"), (rows_val, y_val, "val")):
        labels = np.asarray(labels)
        if labels.shape != rows.shape or not np.array_equal(labels, y[rows]):
            raise Mistake(
                f"y_{part} does not hold the labels of the images in X_{part}: cut X and y at "
                "the same place",
                "labels-mismatch",
            )
    if set(rows_fit.tolist()) & set(rows_val.tolist()):
        raise Mistake(
            "some images are both in X_fit and in X_val: a network trained on its validation "
            "images is not tested on new images. Keep the first len(X) - n_val, hold out the rest",
            "overlap",
        )
    if (len(rows_fit), len(rows_val)) != (n_fit, n_val):
        raise Mistake(
            f"with {N_IMAGES} images and n_val = {n_val}, expected {n_fit} to train on and "
            f"{n_val} held out; got {len(rows_fit)} and {len(rows_val)}",
            "sizes",
        )
    if n_val and np.array_equal(np.sort(rows_val), np.arange(n_val)):
        raise Mistake(
            f"it holds out the first {n_val} images; mlp_lib (and the rest of the series) holds "
            "out the last ones, X[len(X) - n_val:]",
            "first-not-last",
        )
    if not (
        np.array_equal(rows_fit, np.arange(n_fit))
        and np.array_equal(rows_val, np.arange(n_fit, N_IMAGES))
    ):
        raise Mistake(
            "the images are split in a different order from mlp_lib.split_training_data: keep "
            "them in file order, the first len(X) - n_val to train on and the last n_val held out",
            "order",
        )
    for part, images in (("X_fit", X_fit), ("X_val", X_val)):
        if len(images) and not np.shares_memory(images, X):
            raise Mistake(
                f"{part} is a copy of the images: with all of MNIST that is up to 188 MB more. "
                "A slice, X[:n] or X[n:], is a view of the same memory: use slices",
                "copied",
            )


def check_steps_per_epoch(steps_per_epoch):
    """``steps_per_epoch(n_images, batch_size) -> int``: mini-batches in one epoch, the last smaller."""
    return run_check("steps_per_epoch", _diagnose_steps_per_epoch, steps_per_epoch)


def _diagnose_steps_per_epoch(steps_per_epoch):
    for n, batch_size in (
        (10_000, 64),
        (10_000, 1000),
        (50, 64),
        (10_000, 8),
        (1, 1),
        (1000, 1024),
    ):
        want = n_batches(n, batch_size)
        got = expect_number(
            call(steps_per_epoch, n, batch_size),
            f"the steps for {n} images in batches of {batch_size}",
        )
        if got == want:
            continue
        if got != int(got):
            raise Mistake(
                f"{got:g} steps for {n:,} images in batches of {batch_size}: a step takes a whole "
                "batch, and the last batch takes what is left. Round up: -(-N // B), or "
                "math.ceil(N / B)",
                "not-whole",
            )
        if got == n // batch_size:
            raise Mistake(
                f"{n:,} // {batch_size} = {n // batch_size} rounds down and forgets the last, "
                f"smaller batch of {n % batch_size} images (notebook 06's bug). Round up: "
                "-(-N // B), or math.ceil(N / B)",
                "last-batch-dropped",
            )
        raise Mistake(
            f"expected {want:,} steps for {n:,} images in batches of {batch_size}, got {got:g}"
        )
    return "ceil(N / B) steps: 157 for 10,000 images in batches of 64, the last batch of 16"
