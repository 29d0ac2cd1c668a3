"""Data augmentation: new training images made from old ones, by small shifts or elastic distortions.

A digit moved by a pixel or two is still the same digit, but to a fully connected network it is a
different input (every weight looks at one fixed pixel). Showing it shifted copies teaches it that
position does not matter, which is the one thing it cannot learn from 60,000 centred digits alone.
Elastic distortions go further: they bend each digit a little, as another hand would have written it.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import check_int, check_number


def as_images(X, image_shape, who):
    """Flattened images (N, H*W) seen as (N, H, W); a ValueError naming ``who`` for other shapes."""
    height, width = image_shape
    if X.ndim != 2 or X.shape[1] != height * width:
        raise ValueError(
            f"{who} expected flattened {height}x{width} images, shape (N, {height * width}), "
            f"got {X.shape}"
        )
    return X.reshape(len(X), height, width)


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
        images = as_images(X, self.image_shape, "RandomShift")  # (N, H, W), a view
        if self.max_shift == 0:
            return X
        dy, dx = rng.integers(-self.max_shift, self.max_shift + 1, size=(2, len(X)))  # (N,) each
        return shift_images(images, dy, dx, self.max_shift).reshape(X.shape)


# ---- elastic distortions ----------------------------------------------------------------------
#
# Simard, Steinkraus and Platt (2003), "Best practices for convolutional neural networks applied to
# visual document analysis": give every pixel a random displacement, uniform in [-1, 1] in each
# direction, smooth the displacements with a Gaussian of standard deviation sigma (so that nearby
# pixels move together, as the pen's stroke would wobble), scale them by alpha, and read the image
# at the displaced positions with bilinear interpolation. Small random rotations, scalings and
# shears are added to the same displacements. Every step works on a whole batch at once.


def gaussian_matrix(size, sigma, dtype=np.float64):
    """The (size, size) matrix G with G @ v = v smoothed by a Gaussian of std ``sigma`` pixels.

    G[i, j] = k[j - i], with k the Gaussian kernel exp(-m² / 2σ²) for |m| <= round(4σ), scaled
    to sum to 1; values beyond the ends of v count as zero. (This is what
    ``scipy.ndimage.gaussian_filter1d(v, sigma, mode="constant")`` computes, without scipy.)
    An image U (H, W) is smoothed in both directions by G_H @ U @ G_W.T.
    """
    radius = int(4 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)  # (2r+1,)
    total = np.exp(-0.5 * (offsets / sigma) ** 2).sum()  # the kernel's sum, to normalise it
    distance = np.arange(size)[None, :] - np.arange(size)[:, None]  # (size, size): j - i
    weights = np.exp(-0.5 * (distance / sigma) ** 2) / total  # (size, size)
    return np.where(np.abs(distance) <= radius, weights, 0).astype(dtype)


def gaussian_smooth(fields, sigma):
    """Smooth every (H, W) field of a stack with a 2-D Gaussian of std ``sigma``, zeros outside.

    The 2-D Gaussian is a product of two 1-D ones, so smoothing is G_H @ U @ G_W.T for each field
    U, computed as two matrix products over the whole stack.
    Shapes: fields (..., H, W) -> (..., H, W), same dtype.
    """
    *batch, height, width = fields.shape
    g_rows = gaussian_matrix(height, sigma, fields.dtype)  # (H, H)
    g_cols = gaussian_matrix(width, sigma, fields.dtype)  # (W, W)
    along_rows = fields.reshape(-1, width) @ g_cols.T  # (B*H, W): every row smoothed, U @ G_W.T
    # Each field transposed, so that its columns become rows for the same kind of product.
    columns = along_rows.reshape(-1, height, width).transpose(0, 2, 1).reshape(-1, height)
    both = columns @ g_rows.T  # (B*W, H): (G_H @ U @ G_W.T).T, field by field
    return both.reshape(-1, width, height).transpose(0, 2, 1).reshape(*batch, height, width)


def bilinear_sample(images, rows, cols):
    """Read each image at real-valued positions, interpolating its 4 nearest pixels; zero outside.

    out[n, i, j] = the value of images[n] at row rows[n, i, j], column cols[n, i, j]. Pixel
    (r, c) is at the integer position (r, c); a position between pixels mixes the four around
    it, each weighted by how close it is; positions outside the image read zeros.
    Shapes: images, rows, cols (N, H, W) -> (N, H, W), in the dtype of ``images``.
    """
    n, height, width = images.shape
    padded = np.zeros((n, height + 2, width + 2), dtype=images.dtype)  # (N, H+2, W+2)
    padded[:, 1:-1, 1:-1] = images  # a border of zeros: row -1 and row H read zeros
    # Beyond one pixel outside the image all four neighbours are border zeros, so clipping the
    # positions to [-1, H] x [-1, W] changes nothing but keeps every index inside `padded`.
    rows = np.clip(rows, -1, height).astype(images.dtype, copy=False)  # (N, H, W)
    cols = np.clip(cols, -1, width).astype(images.dtype, copy=False)  # (N, H, W)
    top = np.minimum(np.floor(rows), height - 1)  # (N, H, W) the row above; at row H: H-1
    left = np.minimum(np.floor(cols), width - 1)  # (N, H, W) the column to the left
    down, right = rows - top, cols - left  # (N, H, W) weights of the row below, column right
    # Flat index of each top-left neighbour in `padded` (+1: the border shifts every index),
    # computed in floating point (exact for whole numbers below 2**24) and cast once.
    first = np.arange(n, dtype=images.dtype)[:, None, None] * ((height + 2) * (width + 2))
    corner = (first + (top + 1) * (width + 2) + (left + 1)).astype(np.intp)  # (N, H, W)
    flat = padded.reshape(-1)
    # The other three neighbours are 1, W+2 and W+3 places further: read them from shifted views.
    top_left, top_right = np.take(flat, corner), np.take(flat[1:], corner)  # (N, H, W) each
    bottom_left, bottom_right = (
        np.take(flat[width + 2 :], corner),
        np.take(flat[width + 3 :], corner),
    )
    upper = top_left + right * (top_right - top_left)  # (N, H, W) along the upper row
    lower = bottom_left + right * (bottom_right - bottom_left)  # along the lower row
    return upper + down * (lower - upper)  # (N, H, W) between the two rows


def check_distortion_settings(alpha, sigma, rotation, scale, shear):
    """The five settings as floats; a ValueError naming the first one out of its range."""
    return (
        check_number(
            "alpha", alpha, low=0, hint="pixels; try 34, or 0 for no elastic displacement"
        ),
        check_number(
            "sigma", sigma, low=0, low_open=True, hint="pixels; try 4 (larger is smoother)"
        ),
        check_number("rotation", rotation, 0, 180, high_open=True, hint="degrees; try 10, or 0"),
        check_number("scale", scale, 0, 1, high_open=True, hint="a fraction of the size; try 0.1"),
        check_number("shear", shear, 0, 1, high_open=True, hint="a shear factor; try 0.2, or 0"),
    )


def elastic_distort(images, rng, alpha=34.0, sigma=4.0, rotation=0.0, scale=0.0, shear=0.0):
    """Distort every image by its own random elastic displacement and small affine change.

    The output pixel at p = (row, column) shows the input at the position

        c + A (p - c) + alpha * (G * u)(p)

    where c is the image centre, u a displacement field drawn uniformly in [-1, 1) for each
    pixel and each direction, G * u its smoothing by a Gaussian of std ``sigma`` (see
    ``gaussian_smooth``), and A = rotation · shear · scaling, drawn for each image: an angle
    uniform in ±``rotation`` degrees, a shear factor uniform in ±``shear`` (the row's offset
    moves the column), and a magnification 1 + uniform(±``scale``) for each direction
    independently (A divides by it, so 1.1 shows the digit 10% larger). Positions between pixels
    are read by ``bilinear_sample`` (zeros outside the image).

    Parameters
    ----------
    images : (N, H, W) float array
    rng : np.random.Generator; it draws, in order, the fields u (2, N, H, W) (not when alpha is
        0), the angles (N,), the shears (N,) and the magnifications (2, N)
    alpha : float >= 0, pixels; sigma : float > 0, pixels (Simard et al.: alpha 34, sigma 4)
    rotation : degrees in [0, 180); scale, shear : fractions in [0, 1)

    Returns the distorted images, (N, H, W), in the dtype of ``images``.
    """
    check_distortion_settings(alpha, sigma, rotation, scale, shear)
    if images.ndim != 3 or images.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"elastic_distort expected a float32 or float64 array of images of shape (N, H, W), "
            f"got {images.dtype} of shape {images.shape}; for flattened images use "
            f"ElasticDistortion, or images.reshape(N, 28, 28)"
        )
    n, height, width = images.shape
    dtype = images.dtype
    rows, cols = np.indices((height, width), dtype=dtype)  # (H, W) each
    y = rows - (height - 1) / 2  # (H, W) offsets from the centre, down
    x = cols - (width - 1) / 2  # (H, W) offsets from the centre, right
    if alpha:
        fields = rng.random(size=(2, n, height, width), dtype=dtype)  # (2, N, H, W) in [0, 1)
        fields *= 2
        fields -= 1  # uniform in [-1, 1)
        dy, dx = alpha * gaussian_smooth(fields, sigma)  # (N, H, W) each
    else:
        dy = dx = np.zeros((n, height, width), dtype=dtype)
    angle = np.deg2rad(rng.uniform(-rotation, rotation, size=n))  # (N,)
    shears = rng.uniform(-shear, shear, size=n)  # (N,)
    zoom_y, zoom_x = 1 + rng.uniform(-scale, scale, size=(2, n))  # (N,) each
    if rotation or scale or shear:
        cos, sin = np.cos(angle), np.sin(angle)
        # A = [[cos, -sin], [sin, cos]] @ [[1, 0], [shear, 1]] @ [[1 / zoom_y, 0], [0, 1 / zoom_x]]
        a, b, c, d = (  # the entries of A, each (N, 1, 1)
            coefficient.astype(dtype)[:, None, None]
            for coefficient in (
                (cos - sin * shears) / zoom_y,  # A[0, 0]: source row from row
                -sin / zoom_x,  # A[0, 1]: source row from column
                (sin + cos * shears) / zoom_y,  # A[1, 0]: source column from row
                cos / zoom_x,  # A[1, 1]: source column from column
            )
        )
        source_rows = (a * y + b * x) + ((height - 1) / 2 + dy)  # (N, H, W)
        source_cols = (c * y + d * x) + ((width - 1) / 2 + dx)  # (N, H, W)
    else:  # A is the identity: skip its products (the sums are the same, to the last bit)
        source_rows = y + ((height - 1) / 2 + dy)  # (N, H, W)
        source_cols = x + ((width - 1) / 2 + dx)  # (N, H, W)
    return bilinear_sample(images, source_rows, source_cols)


class ElasticDistortion:
    """Distort every image of a batch with ``elastic_distort``, each by its own random field.

    Called as ``ElasticDistortion(alpha=34, sigma=4)(X_batch, rng)`` on flattened images, like
    ``RandomShift``; ``fit(..., augment=...)`` calls it on every training batch.
    Shapes: X (N, H*W) -> (N, H*W), same dtype.
    """

    def __init__(
        self, alpha=34.0, sigma=4.0, rotation=0.0, scale=0.0, shear=0.0, image_shape=(28, 28)
    ):
        settings = check_distortion_settings(alpha, sigma, rotation, scale, shear)
        self.alpha, self.sigma, self.rotation, self.scale, self.shear = settings
        self.image_shape = (int(image_shape[0]), int(image_shape[1]))

    def __repr__(self):
        return (
            f"ElasticDistortion(alpha={self.alpha:g}, sigma={self.sigma:g}, "
            f"rotation={self.rotation:g}, scale={self.scale:g}, shear={self.shear:g})"
        )

    def __call__(self, X, rng):
        images = as_images(X, self.image_shape, "ElasticDistortion")  # (N, H, W), a view
        settings = (self.alpha, self.sigma, self.rotation, self.scale, self.shear)
        return elastic_distort(images, rng, *settings).reshape(X.shape)


class Chain:
    """Several augmentations, one after the other: ``Chain(RandomShift(1), ElasticDistortion())``.

    Shapes: X (N, H*W) -> (N, H*W), as each step.
    """

    def __init__(self, *steps):
        self.steps = steps

    def __repr__(self):
        return f"Chain({', '.join(repr(step) for step in self.steps)})"

    def __call__(self, X, rng):
        for step in self.steps:
            X = step(X, rng)
        return X
