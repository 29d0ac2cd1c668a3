"""Checks for notebook 10: preparing a drawing another way, for exercises 1 and 3.

Both functions take a drawing (H, W) with ink in [0, 1] and return the (784,) vector the network
reads, like ``mlp_lib.preprocess_drawing``, with one step done differently: exercise 1 puts the
middle of the 20-pixel box in the middle of the image instead of the centre of mass; exercise 3
shrinks by keeping one pixel in each step (the notebook's ``keep_every_kth``) instead of averaging.
The checks draw their own digits with ``draw_strokes`` and compare with references built from
``mlp_lib.drawing``; each of the classic slips (no crop, the aspect ratio lost, the wrong
placement, a 28 x 28 image instead of the vector) gives a different result, which names it.
"""

import numpy as np

from ..drawing import (
    BOX,
    SIZE,
    crop_to_ink,
    draw_strokes,
    fit_in_box,
    place_by_centre_of_mass,
    preprocess_drawing,
    resize_area,
)
from .feedback import Mistake, call, close, describe, expect_unchanged
from .language import N_, _
from .registry import check


def _drawings(width):
    """Two digits drawn off-centre on a 150 x 150 canvas with a brush of ``width`` pixels.

    A 7, heavier at the top (its centre of mass and the middle of its box are pixels apart),
    whose 20-pixel box is 15 wide; and a wide cross, 7 tall once in the box. 28 - 15 and 28 - 7
    are odd, so placing the box half a pixel off shows too. Returns (name, image) pairs.
    """
    seven = [[(30, 25), (100, 25), (55, 125)]]
    cross = [[(20, 100), (120, 90)], [(60, 80), (70, 110)]]
    return [
        (name, draw_strokes(strokes, shape=(150, 150), width=width))
        for name, strokes in ((N_("a 7"), seven), (N_("a wide cross"), cross))
    ]


def _in_the_middle(boxed, shift=(0, 0)):
    """``boxed`` pasted in a 28 x 28 image with its middle at the middle, rounding down (+ shift)."""
    h, w = boxed.shape
    return _pasted(boxed, (SIZE - h) // 2 + shift[0], (SIZE - w) // 2 + shift[1])


def _pasted(boxed, top, left):
    """``boxed`` pasted in a 28 x 28 image with its top-left corner at (top, left)."""
    out = np.zeros((SIZE, SIZE))
    out[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    return out


def _result(answer, image, name):
    """Call the student's function on a copy of ``image``; return its (28, 28) picture."""
    drawing = image.copy()
    got = call(answer, drawing)
    expect_unchanged(image, drawing, "image")
    if got is None:
        raise Mistake(
            _("{what} returned None: did you forget the `return` line?").format(what=name),
            "returned-none",
        )
    if np.shape(got) == (SIZE, SIZE):
        raise Mistake(
            _(
                "it returned a 28 x 28 image; the network reads the (784,) vector, as "
                "preprocess_drawing returns it: end with .ravel()"
            ),
            "not-flat",
        )
    if not isinstance(got, np.ndarray) or got.shape != (SIZE * SIZE,):
        raise Mistake(
            _("return a (784,) vector, as preprocess_drawing does; got {value}").format(
                value=describe(got)
            )
        )
    return got.reshape(SIZE, SIZE)


def _diagnose(got, wrong):
    """Raise the Mistake of the first (result, mistake, cause) in ``wrong`` that ``got`` equals."""
    for candidate, mistake, cause in wrong:
        if close(got, candidate, rtol=1e-5, atol=1e-6):  # float32 results are fine too
            raise Mistake(cause, mistake)


@check("box_centre_preprocess", notebook="10", points=1)
def check_box_centre_preprocess(box_centre_preprocess):
    """``box_centre_preprocess(image) -> (784,)``: crop, fit in 20 x 20, the box's middle at 28 x 28's."""
    for name, image in _drawings(width=9):
        got = _result(box_centre_preprocess, image, "box_centre_preprocess")
        boxed = fit_in_box(crop_to_ink(image))
        if close(got, _in_the_middle(boxed), rtol=1e-5, atol=1e-6):
            continue
        _diagnose(got, _box_centre_slips(image, boxed))
        raise Mistake(
            _(
                "on {name} drawn on a 150 x 150 canvas the result is not the digit cropped, "
                "fitted in 20 x 20 and placed with the middle of its box at the middle of 28 x 28"
            ).format(name=_(name))
        )
    return _("crops, fits the longer side in 20 pixels and puts the box's middle at the middle")


def _box_centre_slips(image, boxed):
    """(result, mistake, cause) of each classic slip in box_centre_preprocess, for ``image``."""
    h, w = boxed.shape
    slips = [
        (
            place_by_centre_of_mass(boxed),
            "centre-of-mass",
            _(
                "that is preprocess_drawing's placement, by the centre of mass. Here the middle of "
                "the box goes to the middle of the image"
            ),
        ),
        (
            _in_the_middle(fit_in_box(image)),
            "no-crop",
            _(
                "the empty margins of the canvas were scaled with the digit, so it came out too "
                "small: crop to the ink first (crop_to_ink), then fit_in_box"
            ),
        ),
        (
            _in_the_middle(resize_area(crop_to_ink(image), (BOX, BOX))),
            "squashed",
            _(
                "the digit was stretched to 20 x 20 and lost its shape: fit_in_box keeps the aspect "
                "ratio, only the longer side becomes 20"
            ),
        ),
        (
            _pasted(boxed, 0, 0),
            "top-left",
            _(
                "the box sits in the top-left corner: move it so that its middle is at the middle "
                "of the 28 x 28 image"
            ),
        ),
    ]
    if max(h, w) + (SIZE - min(h, w)) // 2 <= SIZE:  # the box still fits with its corner swapped
        slips.append(
            (
                _pasted(boxed, (SIZE - w) // 2, (SIZE - h) // 2),
                "rows-columns-swapped",
                _(
                    "the box is {h} x {w} (rows x columns), but its top edge was computed from "
                    "its width and its left edge from its height: the top comes from the number "
                    "of rows, h = boxed.shape[0]"
                ).format(h=h, w=w),
            )
        )
    one_pixel_off = _(
        "the box is one pixel off: for a box of {h} x {w} the top-left corner is at row "
        "(28 - {h}) // 2 = {top}, column (28 - {w}) // 2 = {left}, "
        "rounding down as the docstring says"
    ).format(h=h, w=w, top=(SIZE - h) // 2, left=(SIZE - w) // 2)
    for shift in ((1, 0), (0, 1), (1, 1), (-1, 0), (0, -1), (-1, -1)):
        slips.append((_in_the_middle(boxed, shift), "one-pixel-off", one_pixel_off))
    return slips


def _keep_every_kth(image, shape):
    """Nearest-pixel shrinking, as notebook 10 writes it: the input pixel at each output's centre."""
    rows = ((np.arange(shape[0]) + 0.5) * image.shape[0] / shape[0]).astype(int)
    cols = ((np.arange(shape[1]) + 0.5) * image.shape[1] / shape[1]).astype(int)
    return image[np.ix_(rows, cols)]


@check("nearest_preprocess", notebook="10", points=1)
def check_nearest_preprocess(nearest_preprocess):
    """``nearest_preprocess(image) -> (784,)``: preprocess_drawing, keeping pixels instead of averaging."""
    for name, image in _drawings(width=5):
        got = _result(nearest_preprocess, image, "nearest_preprocess")
        cropped = crop_to_ink(image)
        picked = _keep_every_kth(cropped, fit_in_box(cropped).shape)
        if close(got, place_by_centre_of_mass(picked), rtol=1e-5, atol=1e-6):
            continue
        _diagnose(got, _nearest_slips(image, picked))
        raise Mistake(
            _(
                "on {name} drawn with a 5-pixel brush the result is not the cropped digit shrunk "
                "with keep_every_kth to fit_in_box's shape and placed by its centre of mass"
            ).format(name=_(name))
        )
    return _("crops, keeps one pixel per step for the 20-pixel box, places by the centre of mass")


def _nearest_slips(image, picked):
    """(result, mistake, cause) of each classic slip in nearest_preprocess, for ``image``."""
    return [
        (
            preprocess_drawing(image).reshape(SIZE, SIZE),
            "area-average",
            _(
                "that is preprocess_drawing itself, which averages: shrink the cropped digit with "
                "keep_every_kth instead of fit_in_box"
            ),
        ),
        (
            place_by_centre_of_mass(_keep_every_kth(image, fit_in_box(image).shape)),
            "no-crop",
            _(
                "the empty margins of the canvas were shrunk with the digit: crop to the ink first "
                "(crop_to_ink)"
            ),
        ),
        (
            place_by_centre_of_mass(_keep_every_kth(crop_to_ink(image), (BOX, BOX))),
            "squashed",
            _(
                "the digit was stretched to 20 x 20 and lost its shape: keep the pixels for the "
                "shape fit_in_box would give, fit_in_box(cropped).shape"
            ),
        ),
        (
            _in_the_middle(picked),
            "not-centred",
            _(
                "the box is in the middle of the image; like preprocess_drawing, place the "
                "shrunk digit by its centre of mass (place_by_centre_of_mass)"
            ),
        ),
        (
            _pasted(picked, 0, 0),
            "not-centred",
            _(
                "the box is in the top-left corner; like preprocess_drawing, place the shrunk "
                "digit by its centre of mass (place_by_centre_of_mass)"
            ),
        ),
    ]
