"""Turn a drawing into the kind of image MNIST is made of.

MNIST's digits were prepared in three steps (LeCun, Cortes, Burges): each NIST digit was scaled to
fit a 20 x 20 box keeping its aspect ratio (anti-aliased, so thin strokes turn grey rather than
vanish), then placed in a 28 x 28 image so that its centre of mass sits at the centre. A network
trained on MNIST has only ever seen digits prepared that way, so a digit drawn with the mouse must
be prepared the same way before the network can read it:

    image (H, W) in [0, 1]  --crop_to_ink-->  (h, w)  --fit_in_box-->  (<= 20, <= 20)
                            --place_by_centre_of_mass-->  (28, 28)  --ravel-->  (784,)

``preprocess_drawing`` does all of it; the steps are public so that notebook 10 can build the
pipeline by hand and check each one. ``draw_strokes`` renders strokes (lists of points) the way
the drawing widget's canvas does, for tests and examples without a browser.
"""

import numpy as np

BOX = 20  # MNIST scaled every digit so that its longer side is 20 pixels...
SIZE = 28  # ...and placed it in a 28 x 28 image
# Where MNIST puts the centre of mass, in (row, column) pixel indices. Measured on the 60,000
# training images: mean (13.996, 14.007), standard deviation 0.29 in both directions, which is
# what shifting by whole pixels to put it at (14, 14) gives (rounding spreads it over +-0.5).
CENTRE = (14.0, 14.0)
# Stroke width of MNIST digits, in pixels of the 28 x 28 image, as ``stroke_width`` measures it:
# median 2.5, mean 2.58 over the 60,000 training images. The drawing widget's brush is chosen so
# that a digit drawn across most of its canvas ends up about this thick (see draw_widget.py).
MNIST_STROKE_WIDTH = 2.5


class EmptyDrawingError(ValueError):
    """The drawing has no ink: there is nothing to read."""


def check_drawing(image):
    """Return ``image`` as a 2-D float64 array with values in [0, 1], or raise a clear error."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        raise ValueError(
            f"expected a 2-D grey image (H, W) with ink as high values, got a colour image of "
            f"shape {array.shape}; pass one channel, e.g. the alpha channel image[..., 3] / 255"
        )
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"expected a 2-D image (H, W) with ink as high values in [0, 1], got shape "
            f"{array.shape}; a flat MNIST vector becomes an image with x.reshape(28, 28)"
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"expected a numeric image, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError("the image contains nan or inf values; every pixel must be in [0, 1]")
    low, high = array.min(), array.max()
    if low < 0 or high > 1:
        hint = "; for 0..255 pixels divide by 255" if high <= 255 and low >= 0 else ""
        raise ValueError(
            f"pixel values must be in [0, 1] (ink high, paper 0), got values from {low:g} "
            f"to {high:g}{hint}"
        )
    return array


def ink_bounding_box(image, threshold=0.0):
    """The smallest rectangle holding every pixel brighter than ``threshold``.

    Returns ``(top, bottom, left, right)`` with bottom and right exclusive, so that
    ``image[top:bottom, left:right]`` is the crop; None when there is no ink at all.
    Shapes: image (H, W).
    """
    ink = np.asarray(image) > threshold  # (H, W) booleans
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def crop_to_ink(image):
    """Cut away the empty margins. Shapes: (H, W) -> (h, w); raises EmptyDrawingError if blank."""
    box = ink_bounding_box(image)
    if box is None:
        raise EmptyDrawingError(
            "the drawing is empty (no pixel has ink): draw a digit first, then read it"
        )
    top, bottom, left, right = box
    return image[top:bottom, left:right]


def area_weights(n_in, n_out):
    """The (n_out, n_in) matrix that resizes one axis by area averaging.

    Output pixel i covers the interval [i, i + 1) * n_in / n_out of the input axis; its value is
    the average of the input pixels over that interval, each weighted by how much of it lies
    inside. Every row sums to 1, so a uniform image stays uniform and total ink scales with area.
    """
    edges = np.linspace(0, n_in, n_out + 1)  # (n_out + 1,) output pixel edges, input units
    start, stop = edges[:-1, None], edges[1:, None]  # (n_out, 1)
    j = np.arange(n_in)[None, :]  # (1, n_in) input pixel j covers [j, j + 1)
    overlap = np.clip(np.minimum(stop, j + 1) - np.maximum(start, j), 0, None)  # (n_out, n_in)
    return overlap / (stop - start)


def resize_area(image, shape):
    """Resize by area averaging (a box filter), separately along rows and columns.

    out = R @ image @ C.T with R = area_weights(H, h), C = area_weights(W, w). Shrinking a thin
    stroke turns it grey instead of dropping it, which is what MNIST's anti-aliasing did.
    Shapes: image (H, W) -> (h, w).
    """
    image = np.asarray(image, dtype=np.float64)
    rows = area_weights(image.shape[0], shape[0])  # (h, H)
    cols = area_weights(image.shape[1], shape[1])  # (w, W)
    return rows @ image @ cols.T  # (h, w)


def fit_in_box(image, box=BOX):
    """Scale so that the longer side is ``box`` pixels, keeping the aspect ratio.

    Shapes: (h, w) -> (box, round(w * box / h)) if h >= w, else (round(h * box / w), box);
    the shorter side is at least 1 pixel (a straight vertical bar stays a bar).
    """
    h, w = image.shape
    scale = box / max(h, w)
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    return resize_area(image, shape)


def centre_of_mass(image):
    """The ink-weighted mean (row, column) position, in pixel indices. Shapes: (H, W) -> 2 floats."""
    image = np.asarray(image, dtype=np.float64)
    total = image.sum()
    rows = np.arange(image.shape[0]) @ image.sum(axis=1) / total
    cols = np.arange(image.shape[1]) @ image.sum(axis=0) / total
    return float(rows), float(cols)


def place_by_centre_of_mass(image, size=SIZE, centre=CENTRE):
    """Paste ``image`` into a ``size`` x ``size`` canvas with its centre of mass at ``centre``.

    The shift is rounded to whole pixels, as MNIST's was, and clipped so that nothing falls off
    the edge. Shapes: (h, w) with h, w <= size -> (size, size).
    """
    h, w = image.shape
    if h > size or w > size:
        raise ValueError(f"an image of shape {image.shape} does not fit in {size} x {size}")
    row, col = centre_of_mass(image)
    top = int(np.clip(round(centre[0] - row), 0, size - h))
    left = int(np.clip(round(centre[1] - col), 0, size - w))
    out = np.zeros((size, size))
    out[top : top + h, left : left + w] = image
    return out


def preprocess_drawing(image):
    """Prepare a drawing as MNIST prepared its digits; return the network's input vector.

    Crop to the ink, scale the longer side to 20 pixels keeping the aspect ratio (area
    averaging), place in 28 x 28 by the centre of mass. Works for a canvas of any size.

    Parameters
    ----------
    image : (H, W) array, ink as high values in [0, 1] and paper 0 (any float or int dtype).

    Returns
    -------
    (784,) float32 vector in [0, 1], pixels in row-major order, like a row of ``load_mnist``.

    Raises ``EmptyDrawingError`` (a ValueError) if there is no ink, ValueError for anything that
    is not such an image.
    """
    image = check_drawing(image)
    digit = place_by_centre_of_mass(fit_in_box(crop_to_ink(image)))  # (28, 28)
    return np.clip(digit, 0, 1).astype(np.float32).ravel()  # clip: rounding can give 1 + 1e-16


def stroke_width(image, level=0.5):
    """Estimate the average stroke width in pixels: 2 x area / perimeter of the ink.

    A stroke of width w and length L has area w L and a perimeter of about 2 L, so w = 2 A / P.
    The ink is the set of pixels above ``level``; its perimeter is counted as the pixel edges
    between ink and paper, times pi / 4 (a boundary at a random angle crosses on average 4 / pi
    times as many pixel edges as its length). Returns 0.0 for an image without ink.
    Shapes: image (H, W) -> a float.
    """
    ink = np.pad(np.asarray(image) > level, 1)  # (H + 2, W + 2): paper all around
    area = ink.sum()
    edges = (ink[1:] != ink[:-1]).sum() + (ink[:, 1:] != ink[:, :-1]).sum()
    if edges == 0:
        return 0.0
    return float(2 * area / (edges * np.pi / 4))


def draw_strokes(strokes, shape=(280, 280), width=22.0):
    """Render strokes as the drawing widget does: round brush of ``width`` pixels, ink 1.

    ``strokes`` is a list of strokes, each a sequence of (x, y) points in pixels (x to the right,
    y down, like the canvas). Each pixel's ink is the part of it the brush covers, approximated
    with a one-pixel ramp at the edge (anti-aliasing). Shapes: -> (H, W) float64 in [0, 1].
    """
    height, width_px = shape
    ys, xs = np.mgrid[0:height, 0:width_px] + 0.5  # (H, W) pixel centres
    distance = np.full(shape, np.inf)
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        if len(points) == 1:
            points = np.vstack([points, points])  # a dot
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1)
            d = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))  # (H, W) distance to the segment
            np.minimum(distance, d, out=distance)
    return np.clip(width / 2 - distance + 0.5, 0, 1)
