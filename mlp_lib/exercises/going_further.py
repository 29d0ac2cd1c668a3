"""Checks for notebook 08: dropout and random shifts, built by hand."""

import numpy as np

from .feedback import (
    Mistake,
    call,
    describe,
    expect_array,
    expect_tuple,
    expect_unchanged,
    run_check,
)

P_DROP = 0.25
SHAPE = (400, 250)  # 100,000 units: the fraction dropped is measured to about 0.3%


def check_dropout_forward(dropout_forward):
    """``dropout_forward(x, p, rng) -> (out, scaled_mask)``: inverted dropout while training."""
    return run_check("dropout_forward", _diagnose_dropout_forward, dropout_forward)


def _diagnose_dropout_forward(dropout_forward):
    x = np.ones(SHAPE)
    result = call(dropout_forward, x, P_DROP, np.random.default_rng(0))
    if isinstance(result, np.ndarray):
        raise Mistake(
            "it returned only the output; return (out, scaled_mask), the mask backward needs",
            "no-mask",
        )
    out, scaled_mask = expect_tuple(result, "dropout_forward", 2, "(out, scaled_mask)")
    expect_unchanged(np.ones(SHAPE), x, "x")
    out = expect_array(out, "out", SHAPE)
    if np.all(out == out[:1]):
        raise Mistake(
            "every image got the same mask: draw one random number per unit, rng.random(x.shape)",
            "same-mask-every-row",
        )
    dropped, mean, keep = float(np.mean(out == 0)), float(out.mean()), 1 - P_DROP
    if abs(dropped - keep) < 0.01:
        raise Mistake(
            f"{dropped:.1%} of the units were switched off with p = {P_DROP}: that is 1 - p. A unit "
            "is kept when rng.random(...) >= p, so it is dropped with probability p",
            "keep-drop-swapped",
        )
    if abs(dropped - P_DROP) > 0.01:
        raise Mistake(
            f"{dropped:.1%} of the units were switched off, expected about p = {P_DROP:.0%}"
        )
    if abs(mean - keep) < 0.01:
        raise Mistake(
            f"the mean of the units fell from 1 to {mean:.3f}: inverted dropout divides the kept "
            f"units by 1 - p = {keep}, so that the expected value stays the same",
            "not-scaled",
        )
    if abs(mean - keep**2) < 0.01:
        raise Mistake(
            f"the kept units were multiplied by 1 - p; divide by it instead (mean {mean:.3f}, expected 1)",
            "multiplied-by-keep",
        )
    if abs(mean - 1) > 0.02 or not np.allclose(out[out != 0], 1 / keep):
        raise Mistake(
            f"the kept units should be x / (1 - p) = {1 / keep:.4f}; the mean is {mean:.3f}, expected 1"
        )
    if not np.allclose(np.broadcast_to(scaled_mask, SHAPE) * x, out):
        raise Mistake("out should equal x * scaled_mask: return the mask that was applied")
    again, _ = call(dropout_forward, x, P_DROP, np.random.default_rng(0))
    if not np.array_equal(again, out):
        raise Mistake(
            "the same generator state gave a different mask: draw from the rng argument, not np.random",
            "ignores-rng",
        )
    return f"drops about {P_DROP:.0%} of the units, scales the rest by 1 / (1 - p), mean kept at 1"


def check_dropout_backward(dropout_backward):
    """``dropout_backward(dout, scaled_mask) -> dx``: the same mask applied to the gradient."""
    return run_check("dropout_backward", _diagnose_dropout_backward, dropout_backward)


def _diagnose_dropout_backward(dropout_backward):
    rng = np.random.default_rng(0)
    scaled_mask = (rng.random((4, 6)) >= P_DROP) / (1 - P_DROP)
    dout = rng.standard_normal((4, 6))
    got = expect_array(call(dropout_backward, dout.copy(), scaled_mask.copy()), "dx", dout.shape)
    if np.allclose(got, dout * scaled_mask):
        return "dx = dout * scaled_mask: switched-off units pass no gradient back"
    if np.allclose(got, dout):
        raise Mistake(
            "the gradient came back unchanged: a unit that was switched off passes no gradient, dout * scaled_mask",
            "no-mask",
        )
    if np.allclose(got, dout * (scaled_mask > 0)):
        raise Mistake(
            "the forward pass multiplied the kept units by 1 / (1 - p), so the backward pass must too: dout * scaled_mask",
            "unscaled-mask",
        )
    if np.allclose(got, dout * scaled_mask / (1 - P_DROP)):
        raise Mistake(
            "1 / (1 - p) is applied twice: scaled_mask already holds it; return dout * scaled_mask",
            "scaled-twice",
        )
    raise Mistake("wrong values: dx = dout * scaled_mask")


def _reference_shift(image, dy, dx, max_shift):
    padded = np.pad(image, max_shift)
    top, left = max_shift - dy, max_shift - dx
    return padded[top : top + image.shape[0], left : left + image.shape[1]]


def check_shift_one(shift_one):
    """``shift_one(image, dy, dx, max_shift) -> image`` moved dy down and dx right, zeros filling in."""
    return run_check("shift_one", _diagnose_shift_one, shift_one)


def _diagnose_shift_one(shift_one):
    image = np.zeros((28, 28))
    image[10, 12], image[20, 5], image[27, 3], image[4, 27] = 1.0, 0.5, 0.8, 0.6  # two at the edge
    for dy, dx, max_shift in ((1, 0, 1), (0, -1, 1), (-1, 1, 1), (2, -2, 2)):
        before = image.copy()
        got = call(shift_one, image, dy, dx, max_shift)
        expect_unchanged(before, image, "image")
        if np.shape(got) != image.shape:
            raise Mistake(
                f"the result is {describe(got)}: cut a 28 x 28 window out of the padded image",
                "shape",
            )
        want = _reference_shift(image, dy, dx, max_shift)
        if np.array_equal(got, want):
            continue
        wrong = [
            (
                _reference_shift(image, -dy, -dx, max_shift),
                "direction",
                "it moved the other way: positive dy moves the image down, positive dx to the right",
            ),
            (
                _reference_shift(image, dx, dy, max_shift),
                "axes-swapped",
                "dy and dx are swapped: dy counts rows (down), dx columns (right)",
            ),
            (
                np.roll(image, (dy, dx), axis=(0, 1)),
                "wrap-around",
                "pixels pushed out on one side came back on the other (np.roll): the uncovered border must be zeros",
            ),
        ]
        for candidate, mistake, cause in wrong:
            if np.array_equal(got, candidate):
                raise Mistake(f"for dy={dy}, dx={dx}: {cause}", mistake)
        raise Mistake(
            f"for dy={dy}, dx={dx} the result is not the image moved {dy} down and {dx} right"
        )
    return "moves the image down and right by (dy, dx), zeros filling the uncovered border"
