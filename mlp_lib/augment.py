"""Data augmentation: new training images made from old ones, here by small random shifts.

A digit moved by a pixel or two is still the same digit, but to a fully connected network it is a
different input (every weight looks at one fixed pixel). Showing it shifted copies teaches it that
position does not matter, which is the one thing it cannot learn from 60,000 centred digits alone.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import check_int


def shift_images(images, dy, dx, max_shift):
    """Move each image by (dy[i], dx[i]) pixels, filling the uncovered border with zeros.

    Positive dy moves down, positive dx moves right; |dy|, |dx| <= max_shift.
    Shapes: images (N, H, W); dy, dx (N,) integers -> (N, H, W), a new array.
    """
    n, height, width = images.shape
    s = max_shift
    padded = np.zeros((n, height + 2 * s, width + 2 * s), dtype=images.dtype)  # (N, H+2s, W+2s)
    padded[:, s : s + height, s : s + width] = images  # a border of s zeros
    # Every H x W window of the padded image, as a view (nothing is copied):
    # windows[i, a, b] is image i moved by (s - a, s - b).
    windows = sliding_window_view(padded, (height, width), axis=(1, 2))  # (N, 2s+1, 2s+1, H, W)
    return windows[np.arange(n), s - dy, s - dx]  # (N, H, W), one gather


class RandomShift:
    """Shift every image of a batch by its own random offset of up to ``max_shift`` pixels.

    Called as ``RandomShift(2)(X_batch, rng)`` on flattened images; ``fit(..., augment=...)``
    calls it on every training batch (never on test data).
    Shapes: X (N, H*W) -> (N, H*W), same dtype; offsets are uniform in -max_shift..max_shift.
    """

    def __init__(self, max_shift=2, image_shape=(28, 28)):
        max_shift = check_int("max_shift", max_shift, low=0, hint="pixels; try 1 or 2")
        height, width = image_shape
        if max_shift >= min(height, width):
            raise ValueError(
                f"max_shift {max_shift} would move a {height}x{width} image out of "
                f"view; use at most {min(height, width) - 1}, typically 1 or 2"
            )
        self.max_shift = max_shift
        self.image_shape = (int(height), int(width))

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"

    def __call__(self, X, rng):
        n, n_pixels = X.shape
        height, width = self.image_shape
        if n_pixels != height * width:
            raise ValueError(
                f"RandomShift expected flattened {height}x{width} images, shape "
                f"(N, {height * width}), got {X.shape}"
            )
        if self.max_shift == 0:
            return X
        dy, dx = rng.integers(-self.max_shift, self.max_shift + 1, size=(2, n))  # (N,) each
        return shift_images(X.reshape(n, height, width), dy, dx, self.max_shift).reshape(
            n, n_pixels
        )
