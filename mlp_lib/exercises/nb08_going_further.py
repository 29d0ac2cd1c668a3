"""Checks for notebook 08: momentum, Nesterov and Adam built by hand, dropout and random shifts,
evaluating a network with dropout switched off, and the digits at the edge.

The optimizer checks give the student's function the state of ``mlp_lib.optim``'s own optimizer
before each of a few steps and compare what it returns with the state after it; how, and the
classic mistakes they recognise, are in optimizer_steps.py.
"""

import numpy as np

from ..model import MLP
from ..optim import Momentum, Nesterov
from .feedback import (
    Mistake,
    call,
    describe,
    expect_array,
    expect_number,
    expect_tuple,
    expect_unchanged,
)
from .language import N_, _
from .optimizer_steps import (
    ADAM_LR,
    ADAM_MISTAKES,
    BETA1,
    BETA2,
    EPS,
    LR,
    MOMENTUM_MISTAKES,
    MU,
    N_STEPS,
    NESTEROV_MISTAKES,
    adam_steps,
    check_steps,
    velocity_steps,
)
from .registry import check

# ---- momentum, Nesterov and Adam, built by hand (compared in optimizer_steps.py) --------------


def _check_velocity_step(step, optimizer_class, mistakes, rule):
    """Momentum's and Nesterov's check: ``step(p, g, velocity, lr, mu) -> (p, velocity)``."""
    steps = velocity_steps(optimizer_class(LR, momentum=MU))
    inputs, outputs = ("p", "g", "velocity"), ("p", "velocity")
    check_steps(step, steps, inputs, outputs, (LR, MU), mistakes, rule)
    return _(
        "the same p and velocity as mlp_lib.optim.{optimizer}, step after step ({steps} steps)"
    ).format(optimizer=optimizer_class.__name__, steps=N_STEPS)


@check("momentum_step", notebook="08", points=1)
def check_momentum_step(momentum_step):
    """``momentum_step(p, g, velocity, lr, mu) -> (p, velocity)``: one step of SGD with momentum."""
    rule = _("velocity <- mu * velocity - lr * g, then p <- p + velocity")
    return _check_velocity_step(momentum_step, Momentum, MOMENTUM_MISTAKES, rule)


@check("nesterov_step", notebook="08", points=1)
def check_nesterov_step(nesterov_step):
    """``nesterov_step(p, g, velocity, lr, mu) -> (p, velocity)``: one step of Nesterov momentum."""
    rule = _("velocity <- mu * velocity - lr * g, then p <- p + mu * velocity - lr * g")
    return _check_velocity_step(nesterov_step, Nesterov, NESTEROV_MISTAKES, rule)


@check("adam_step", notebook="08", points=1)
def check_adam_step(adam_step):
    """``adam_step(p, g, m, v, t, lr, beta1, beta2, eps) -> (p, m, v)``: one step of Adam."""
    inputs, outputs = ("p", "g", "m", "v", "t"), ("p", "m", "v")
    constants = (ADAM_LR, BETA1, BETA2, EPS)
    rule = _(
        "m <- beta1 * m + (1 - beta1) * g, v <- beta2 * v + (1 - beta2) * g**2, then "
        "p <- p - lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - beta1**t) and "
        "v_hat = v / (1 - beta2**t)"
    )
    check_steps(adam_step, adam_steps(), inputs, outputs, constants, ADAM_MISTAKES, rule, True)
    return _("the same p, m and v as mlp_lib.optim.Adam, step after step ({steps} steps)").format(
        steps=N_STEPS
    )


# ---- dropout, shifts, evaluation ---------------------------------------------------------------

P_DROP = 0.25
SHAPE = (400, 250)  # 100,000 units: the fraction dropped is measured to about 0.3%


@check("dropout_forward", notebook="08", points=1)
def check_dropout_forward(dropout_forward):
    """``dropout_forward(x, p, rng) -> (out, scaled_mask)``: inverted dropout while training."""
    x = np.ones(SHAPE)
    result = call(dropout_forward, x, P_DROP, np.random.default_rng(0))
    if isinstance(result, np.ndarray):
        raise Mistake(
            _("it returned only the output; return (out, scaled_mask), the mask backward needs"),
            "no-mask",
        )
    out, scaled_mask = expect_tuple(result, "dropout_forward", 2, "(out, scaled_mask)")
    expect_unchanged(np.ones(SHAPE), x, "x")
    out = expect_array(out, "out", SHAPE)
    if np.all(out == out[:1]):
        raise Mistake(
            _(
                "every image got the same mask: draw one random number per unit, "
                "rng.random(x.shape)"
            ),
            "same-mask-every-row",
        )
    dropped, mean, keep = float(np.mean(out == 0)), float(out.mean()), 1 - P_DROP
    if abs(dropped - keep) < 0.01:
        raise Mistake(
            _(
                "{dropped:.1%} of the units were switched off with p = {p}: that is 1 - p. A "
                "unit is kept when rng.random(...) >= p, so it is dropped with probability p"
            ).format(dropped=dropped, p=P_DROP),
            "keep-drop-swapped",
        )
    if abs(dropped - P_DROP) > 0.01:
        raise Mistake(
            _("{dropped:.1%} of the units were switched off, expected about p = {p:.0%}").format(
                dropped=dropped, p=P_DROP
            )
        )
    if abs(mean - keep) < 0.01:
        raise Mistake(
            _(
                "the mean of the units fell from 1 to {mean:.3f}: inverted dropout divides the "
                "kept units by 1 - p = {keep}, so that the expected value stays the same"
            ).format(mean=mean, keep=keep),
            "not-scaled",
        )
    if abs(mean - keep**2) < 0.01:
        raise Mistake(
            _(
                "the kept units were multiplied by 1 - p; divide by it instead (mean {mean:.3f}, "
                "expected 1)"
            ).format(mean=mean),
            "multiplied-by-keep",
        )
    if abs(mean - 1) > 0.02 or not np.allclose(out[out != 0], 1 / keep):
        raise Mistake(
            _(
                "the kept units should be x / (1 - p) = {scale:.4f}; the mean is {mean:.3f}, "
                "expected 1"
            ).format(scale=1 / keep, mean=mean)
        )
    if not np.allclose(np.broadcast_to(scaled_mask, SHAPE) * x, out):
        raise Mistake(_("out should equal x * scaled_mask: return the mask that was applied"))
    again, _mask = call(dropout_forward, x, P_DROP, np.random.default_rng(0))
    if not np.array_equal(again, out):
        raise Mistake(
            _(
                "the same generator state gave a different mask: draw from the rng argument, not "
                "np.random"
            ),
            "ignores-rng",
        )
    return _(
        "drops about {p:.0%} of the units, scales the rest by 1 / (1 - p), mean kept at 1"
    ).format(p=P_DROP)


@check("dropout_backward", notebook="08", points=1)
def check_dropout_backward(dropout_backward):
    """``dropout_backward(dout, scaled_mask) -> dx``: the same mask applied to the gradient."""
    rng = np.random.default_rng(0)
    scaled_mask = (rng.random((4, 6)) >= P_DROP) / (1 - P_DROP)
    dout = rng.standard_normal((4, 6))
    got = expect_array(call(dropout_backward, dout.copy(), scaled_mask.copy()), "dx", dout.shape)
    if np.allclose(got, dout * scaled_mask):
        return _("dx = dout * scaled_mask: switched-off units pass no gradient back")
    if np.allclose(got, dout):
        raise Mistake(
            _(
                "the gradient came back unchanged: a unit that was switched off passes no "
                "gradient, dout * scaled_mask"
            ),
            "no-mask",
        )
    if np.allclose(got, dout * (scaled_mask > 0)):
        raise Mistake(
            _(
                "the forward pass multiplied the kept units by 1 / (1 - p), so the backward pass "
                "must too: dout * scaled_mask"
            ),
            "unscaled-mask",
        )
    if np.allclose(got, dout * scaled_mask / (1 - P_DROP)):
        raise Mistake(
            _(
                "1 / (1 - p) is applied twice: scaled_mask already holds it; return "
                "dout * scaled_mask"
            ),
            "scaled-twice",
        )
    raise Mistake(_("wrong values: dx = dout * scaled_mask"))


def _reference_shift(image, dy, dx, max_shift):
    padded = np.pad(image, max_shift)
    top, left = max_shift - dy, max_shift - dx
    return padded[top : top + image.shape[0], left : left + image.shape[1]]


@check("shift_one", notebook="08", points=1)
def check_shift_one(shift_one):
    """``shift_one(image, dy, dx, max_shift) -> image`` moved dy down and dx right, zeros filling in."""
    image = np.zeros((28, 28))
    image[10, 12], image[20, 5], image[27, 3], image[4, 27] = 1.0, 0.5, 0.8, 0.6  # two at the edge
    for dy, dx, max_shift in ((1, 0, 1), (0, -1, 1), (-1, 1, 1), (2, -2, 2)):
        before = image.copy()
        got = call(shift_one, image, dy, dx, max_shift)
        expect_unchanged(before, image, "image")
        if np.shape(got) != image.shape:
            raise Mistake(
                _("the result is {value}: cut a 28 x 28 window out of the padded image").format(
                    value=describe(got)
                ),
                "shape",
            )
        want = _reference_shift(image, dy, dx, max_shift)
        if np.array_equal(got, want):
            continue
        wrong = [
            (
                _reference_shift(image, -dy, -dx, max_shift),
                "direction",
                _(
                    "it moved the other way: positive dy moves the image down, positive dx to "
                    "the right"
                ),
            ),
            (
                _reference_shift(image, dx, dy, max_shift),
                "axes-swapped",
                _("dy and dx are swapped: dy counts rows (down), dx columns (right)"),
            ),
            (
                np.roll(image, (dy, dx), axis=(0, 1)),
                "wrap-around",
                _(
                    "pixels pushed out on one side came back on the other (np.roll): the "
                    "uncovered border must be zeros"
                ),
            ),
        ]
        for candidate, mistake, cause in wrong:
            if np.array_equal(got, candidate):
                raise Mistake(
                    _("for dy={dy}, dx={dx}: {cause}").format(dy=dy, dx=dx, cause=cause), mistake
                )
        raise Mistake(
            _(
                "for dy={dy}, dx={dx} the result is not the image moved {dy} down and {dx} right"
            ).format(dy=dy, dx=dx)
        )
    return _("moves the image down and right by (dy, dx), zeros filling the uncovered border")


@check("evaluate", notebook="08", points=1)
def check_evaluate(evaluate):
    """``evaluate(model, X, y) -> float``: the accuracy of ``model``, with dropout switched off."""
    model = MLP((6, 32, 3), dropout=0.5, seed=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((200, 6))
    y = model.predict(X)  # the labels the network gives when predicting properly: accuracy 1
    results = [expect_number(call(evaluate, model, X, y), _("the accuracy")) for _time in range(2)]
    if np.isclose(results[0], results[1]) and np.isclose(results[0], 100):
        raise Mistake(_("100 is a percentage: return the fraction 1.0"), "percentage")
    if not np.isclose(results[0], results[1]):
        raise Mistake(
            _(
                "the accuracy was {first:.3f}, then {second:.3f}, on 200 images this network "
                "answers right every time: dropout was still on. Predict with training=False "
                "(model.predict does), so that every unit takes part"
            ).format(first=float(results[0]), second=float(results[1])),
            "dropout-on",
        )
    if not np.isclose(results[0], 1.0):
        raise Mistake(
            _(
                "expected accuracy 1.0 on images labelled with the network's own answers, got "
                "{got:.3f}"
            ).format(got=float(results[0]))
        )
    return _("the same answer every time, with every unit taking part (dropout off)")


def _reference_touches_edge(images, border):
    ring = np.ones(images.shape[1:], dtype=bool)  # (28, 28): True in the outer `border` pixels
    ring[border:-border, border:-border] = False
    return (images[:, ring] > 0).any(axis=1)  # (N,)


def _edge_images():
    """Twelve 28 x 28 images, each with ink in one telling place (and one blank)."""
    images = np.zeros((12, 28, 28))
    places = [(0, 14), (27, 9), (13, 0), (20, 27), (1, 14), (14, 26), (14, 14), (0, 0), (2, 5)]
    for image, (row, col) in zip(images, places):
        image[row, col] = 0.5
    images[9, 0, :] = images[9, 27, :] = images[9, :, 0] = images[9, :, 27] = 1.0  # every side
    images[10, 1, 3] = images[10, 26, 20] = 0.2  # top and bottom, 1 pixel in
    return images  # image 11 is blank


AND_NOT_OR = N_(
    "an image counted only with ink near several edges at once: ink near any one edge is "
    "enough; combine the sides with | (or), not & (and)"
)


@check("touches_edge", notebook="08", points=1)
def check_touches_edge(touches_edge):
    """``touches_edge(images, border) -> (N,) booleans``: ink within ``border`` pixels of an edge."""
    images = _edge_images()
    for border in (1, 2, 3):
        before = images.copy()
        got = call(touches_edge, images, border)
        expect_unchanged(before, images, "images")
        want = _reference_touches_edge(images, border)
        if isinstance(got, int | float | np.number) and not isinstance(got, bool):
            raise Mistake(
                _(
                    "it returned one value, {got!s}: return one True or False per image, shape "
                    "({n},); its .sum() is then the count"
                ).format(got=got, n=len(images)),
                "count-not-per-image",
            )
        got = expect_array(got, _("the result"), want.shape)
        if got.dtype != bool:
            raise Mistake(
                _(
                    "the result is {dtype}: return booleans, True where an image has ink "
                    "(a pixel > 0) near the edge, e.g. with (... > 0).any(...)"
                ).format(dtype=got.dtype),
                "not-boolean",
            )
        if np.array_equal(got, want):
            continue

        def ink(part):  # (N,) True where this part of each image has ink
            return (part > 0).any(axis=tuple(range(1, part.ndim)))

        top, bottom = ink(images[:, :border]), ink(images[:, -border:])
        left, right = ink(images[:, :, :border]), ink(images[:, :, -border:])
        rows, columns = top | bottom, left | right
        k = border - 1  # the ring k pixels in, alone: rows k and 27 - k, columns k and 27 - k
        ring_only = ink(images[:, [k, 27 - k]]) | ink(images[:, :, [k, 27 - k]])
        wrong = [
            (
                rows,
                "rows-only",
                _(
                    "it looked at the top and bottom rows only: the left and right "
                    "columns are edges too (images[:, :, :border] and images[:, :, -border:])"
                ),
            ),
            (
                columns,
                "columns-only",
                _(
                    "it looked at the left and right columns only: the top "
                    "and bottom rows are edges too (images[:, :border] and images[:, -border:])"
                ),
            ),
            (
                ring_only if border > 1 else None,
                "ring-only",
                _(
                    "with border={border} it looked only at the ring {border} pixels in; "
                    "'within {border} pixels of the edge' means the outermost {border} rows and "
                    "columns: slices such as images[:, :border]"
                ).format(border=border),
            ),
            (
                np.ones(len(images), dtype=bool),
                "blank-counted",
                _(
                    "every image counts, even a blank one: ink means a pixel > 0 (blank pixels "
                    "are exactly 0)"
                ),
            ),
            (rows & columns, "and-not-or", _(AND_NOT_OR)),
            (top & bottom & left & right, "and-not-or", _(AND_NOT_OR)),
        ]
        for candidate, mistake, cause in wrong:
            if candidate is not None and np.array_equal(got, candidate):
                raise Mistake(cause, mistake)
        raise Mistake(
            _(
                "with border={border}, {wrong} of {n} small test images got the wrong answer: "
                "True exactly when a pixel > 0 lies in the outermost {border} rows or columns"
            ).format(border=border, wrong=int((got != want).sum()), n=len(images))
        )
    return _("True where ink lies within `border` pixels of any of the four edges, one per image")
