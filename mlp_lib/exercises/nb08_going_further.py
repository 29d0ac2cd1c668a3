"""Checks for notebook 08: momentum, Nesterov and Adam built by hand, dropout and random shifts,
evaluating a network with dropout switched off, and the digits at the edge.

The optimizer checks run ``mlp_lib.optim``'s own class for a few steps on a small array, give the
student's function the state before each step (p, g and what the optimizer keeps) and compare what
it returns with the state after the step. A wrong answer is then compared, at every step, with the
classic mistakes computed from the same inputs.
"""

import numpy as np

from ..model import MLP
from ..optim import Adam, Momentum, Nesterov
from .feedback import (
    Mistake,
    call,
    close,
    describe,
    expect_array,
    expect_number,
    expect_tuple,
    expect_unchanged,
)
from .registry import check

# ---- momentum, Nesterov and Adam, built by hand ------------------------------------------------

LR, MU = 0.1, 0.9  # momentum and Nesterov
ADAM_LR, BETA1, BETA2 = 0.01, 0.9, 0.99  # beta2 below 0.999: the correction of v changes faster
EPS = 1e-2  # far above Adam's usual 1e-8, so that where eps goes changes the step visibly
STEP_SHAPE, N_STEPS = (3, 4), 4


def _start():
    """The starting parameters and the gradient of each of the N_STEPS steps."""
    rng = np.random.default_rng(0)
    p = rng.standard_normal(STEP_SHAPE)
    return p, [0.1 * rng.standard_normal(STEP_SHAPE) for _ in range(N_STEPS)]


def _velocity_steps(optimizer):
    """[(inputs, outputs)] of every step of mlp_lib's Momentum or Nesterov: inputs (p, g,
    velocity) before the step, outputs (p, velocity) after it."""
    p, gradients = _start()
    params, velocity, steps = {"p": p}, np.zeros(STEP_SHAPE), []
    for g in gradients:
        before = (params["p"].copy(), g, velocity)
        optimizer.step(params, {"p": g})
        velocity = optimizer.state["p"]["velocity"].copy()
        steps.append((before, (params["p"].copy(), velocity)))
    return steps


def _adam_steps():
    """[(inputs, outputs)] of every step of mlp_lib's Adam: inputs (p, g, m, v, t) before the
    step, outputs (p, m, v) after it."""
    p, gradients = _start()
    optimizer = Adam(ADAM_LR, beta1=BETA1, beta2=BETA2, eps=EPS)
    params, m, v, steps = {"p": p}, np.zeros(STEP_SHAPE), np.zeros(STEP_SHAPE), []
    for g in gradients:
        before = (params["p"].copy(), g, m, v, optimizer.t + 1)
        optimizer.step(params, {"p": g})
        m, v = optimizer.state["p"]["m"].copy(), optimizer.state["p"]["v"].copy()
        steps.append((before, (params["p"].copy(), m, v)))
    return steps


def _answers(step, steps, inputs, outputs, constants, warn_ok=False):
    """The student's outputs for the inputs of every step: arrays of STEP_SHAPE (nan allowed,
    so that a mistake which makes nan can still be recognised), the inputs left unchanged."""
    answers = []
    for before, _ in steps:
        given = [value.copy() if isinstance(value, np.ndarray) else value for value in before]
        result = call(step, *given, *constants, warn_ok=warn_ok)
        for name, original, after in zip(inputs, before, given):
            if isinstance(original, np.ndarray):
                expect_unchanged(original, after, name)
        result = expect_tuple(result, step.__name__, len(outputs), f"({', '.join(outputs)})")
        for value, name in zip(result, outputs):
            if value is None or np.shape(value) != STEP_SHAPE:
                expect_array(value, name, STEP_SHAPE)  # raises, saying what it got instead
        answers.append([np.asarray(value, dtype=float) for value in result])
    return answers


def _matches(answers, steps, formula):
    """True if the answers equal formula(*inputs) at every step (an output given as None in
    the formula's result is not compared)."""
    for answer, (before, _) in zip(answers, steps):
        with np.errstate(all="ignore"):
            expected = formula(*before)
        for got, want in zip(answer, expected):
            if want is not None and not np.allclose(got, want, equal_nan=True):
                return False
    return True


def _first_wrong(answers, steps, outputs):
    """(step number, names of the outputs that are wrong) at the first wrong step, or None."""
    for number, (answer, (_, right)) in enumerate(zip(answers, steps), start=1):
        wrong = [name for name, got, want in zip(outputs, answer, right) if not close(got, want)]
        if wrong:
            return number, wrong
    return None


def _diagnose(answers, steps, outputs, mistakes, rule):
    """Nothing if every answer is right; else the first mistake that matches every step, or
    the first step and output that went wrong."""
    first_wrong = _first_wrong(answers, steps, outputs)
    if first_wrong is None:
        return
    for formula, mistake, message in mistakes:
        if _matches(answers, steps, formula):
            raise Mistake(message, mistake)
    number, wrong = first_wrong
    raise Mistake(
        f"at step {number} of {N_STEPS} (given the p, g and state that mlp_lib.optim had at "
        f"that step), the new {' and the new '.join(wrong)} "
        f"{'is' if len(wrong) == 1 else 'are'} wrong: {rule}"
    )


def _velocity(v, g):
    return MU * v - LR * g


def _return_mistakes(step):
    """The mistakes in what momentum and Nesterov return, for the right step(p, g, v)."""
    return [
        (
            lambda p, g, v: step(p, g, v)[::-1],
            "order",
            "it returned (velocity, p): return (p, velocity), in that order",
        ),
        (
            lambda p, g, v: (step(p, g, v)[0], v),
            "old-velocity-returned",
            "p is right, but the velocity returned is the one it was given: return the new "
            "velocity, mu * velocity - lr * g, which the next step starts from",
        ),
    ]


def _momentum(p, g, v):
    v = _velocity(v, g)
    return p + v, v


MOMENTUM_MISTAKES = [
    (
        lambda p, g, v: (p + v, _velocity(v, g)),
        "velocity-after-step",
        "p moved by the old velocity, and the velocity was updated after the step: update it "
        "first, velocity <- mu * velocity - lr * g, then move by the new one, p <- p + velocity",
    ),
    (
        lambda p, g, v: (p + MU * v + LR * g, MU * v + LR * g),
        "sign",
        "the parameters moved uphill: the velocity gathers minus the gradient, "
        "velocity <- mu * velocity - lr * g",
    ),
    (
        lambda p, g, v: (p - _velocity(v, g), _velocity(v, g)),
        "sign",
        "the parameters moved uphill: p <- p + velocity, since the minus sign is in the "
        "velocity already",
    ),
    (
        lambda p, g, v: (p - LR * (MU * v + g), MU * v + g),
        "velocity-of-gradients",
        "this is the form in which the velocity adds up gradients, v <- mu * v + g and "
        "p <- p - lr * v (PyTorch's); here, as in mlp_lib.optim.Momentum, the velocity is a "
        "step: velocity <- mu * velocity - lr * g, then p <- p + velocity",
    ),
    (
        lambda p, g, v: (p - LR * g, None),
        "plain-sgd",
        "p moved by -lr * g alone, as in plain SGD: move it by the new velocity, which "
        "carries the past gradients too, p <- p + velocity",
    ),
    *_return_mistakes(_momentum),
]


@check("momentum_step", notebook="08", points=1)
def check_momentum_step(momentum_step):
    """``momentum_step(p, g, velocity, lr, mu) -> (p, velocity)``: one step of SGD with momentum."""
    steps = _velocity_steps(Momentum(LR, momentum=MU))
    outputs = ("p", "velocity")
    answers = _answers(momentum_step, steps, ("p", "g", "velocity"), outputs, (LR, MU))
    rule = "velocity <- mu * velocity - lr * g, then p <- p + velocity"
    _diagnose(answers, steps, outputs, MOMENTUM_MISTAKES, rule)
    return f"the same p and velocity as mlp_lib.optim.Momentum, step after step ({N_STEPS} steps)"


def _nesterov(p, g, v):
    v = _velocity(v, g)
    return p + MU * v - LR * g, v


NESTEROV_MISTAKES = [
    (  # p + mu * (old velocity) - lr * g is p + (new velocity): the same step as plain momentum
        lambda p, g, v: _momentum(p, g, v),
        "look-ahead-old-velocity",
        "p moved as plain momentum moves it, p + velocity, which is also what a look-ahead "
        "with the old velocity gives. Nesterov looks ahead with the velocity just updated: "
        "velocity <- mu * velocity - lr * g first, then p <- p + mu * velocity - lr * g",
    ),
    (
        lambda p, g, v: (p + MU * _velocity(v, g), _velocity(v, g)),
        "no-gradient-term",
        "the step leaves out the fresh gradient: p <- p + mu * velocity - lr * g",
    ),
    (
        lambda p, g, v: (p + MU * (MU * v + LR * g) + LR * g, MU * v + LR * g),
        "sign",
        "the parameters moved uphill: the velocity gathers minus the gradient, "
        "velocity <- mu * velocity - lr * g, and the step subtracts lr * g",
    ),
    *_return_mistakes(_nesterov),
]


@check("nesterov_step", notebook="08", points=1)
def check_nesterov_step(nesterov_step):
    """``nesterov_step(p, g, velocity, lr, mu) -> (p, velocity)``: one step of Nesterov momentum."""
    steps = _velocity_steps(Nesterov(LR, momentum=MU))
    outputs = ("p", "velocity")
    answers = _answers(nesterov_step, steps, ("p", "g", "velocity"), outputs, (LR, MU))
    rule = "velocity <- mu * velocity - lr * g, then p <- p + mu * velocity - lr * g"
    _diagnose(answers, steps, outputs, NESTEROV_MISTAKES, rule)
    return f"the same p and velocity as mlp_lib.optim.Nesterov, step after step ({N_STEPS} steps)"


def _moments(g, m, v):
    return BETA1 * m + (1 - BETA1) * g, BETA2 * v + (1 - BETA2) * g * g


def _adam_p(move):
    """A formula of the inputs, from move(p, m, v, c1, c2) -> p with the right new m and v
    and the bias corrections c1 = 1 - beta1**t, c2 = 1 - beta2**t; m and v not compared."""

    def formula(p, g, m, v, t):
        m, v = _moments(g, m, v)
        return move(p, m, v, 1 - BETA1**t, 1 - BETA2**t), None, None

    return formula


def _corrected_moments(p, g, m, v, t):
    m, v = _moments(g, m, v)
    return None, m / (1 - BETA1**t), v / (1 - BETA2**t)


ADAM_MISTAKES = [
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * m / (np.sqrt(v) + EPS)),
        "no-bias-correction",
        "the step has no bias correction: m and v start at 0, so divide them by "
        "1 - beta1**t and 1 - beta2**t before the step",
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / (np.sqrt(v) + EPS)),
        "half-bias-correction",
        "only m was corrected: v starts at 0 too, so divide it by 1 - beta2**t as well",
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * m / (np.sqrt(v / c2) + EPS)),
        "half-bias-correction",
        "only v was corrected: m starts at 0 too, so divide it by 1 - beta1**t as well",
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / np.sqrt(v / c2 + EPS)),
        "eps-inside-sqrt",
        "eps went inside the square root: it is added after it, sqrt(v_hat) + eps",
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / (v / c2 + EPS)),
        "no-sqrt",
        "the step divides by v_hat itself: divide by its square root, sqrt(v_hat) + eps, "
        "the typical size of the gradient",
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p + ADAM_LR * (m / c1) / (np.sqrt(v / c2) + EPS)),
        "sign",
        "the parameters moved uphill: p <- p - lr * m_hat / (sqrt(v_hat) + eps)",
    ),
    (
        lambda p, g, m, v, t: (None, None, BETA2 * v + (1 - BETA2) * g),
        "not-squared",
        "v averages g itself: it must average the squares, v <- beta2 * v + (1 - beta2) * g**2",
    ),
    (
        lambda p, g, m, v, t: (None, BETA2 * m + (1 - BETA2) * g, BETA1 * v + (1 - BETA1) * g * g),
        "betas-swapped",
        "beta1 and beta2 are swapped: m uses beta1, v uses beta2",
    ),
    (
        _corrected_moments,
        "corrected-moments-returned",
        "it returned the corrected m_hat and v_hat: return m and v themselves, which the "
        "next step goes on averaging (the correction is only for the step)",
    ),
]


@check("adam_step", notebook="08", points=1)
def check_adam_step(adam_step):
    """``adam_step(p, g, m, v, t, lr, beta1, beta2, eps) -> (p, m, v)``: one step of Adam."""
    steps = _adam_steps()
    outputs = ("p", "m", "v")
    constants = (ADAM_LR, BETA1, BETA2, EPS)
    inputs = ("p", "g", "m", "v", "t")
    answers = _answers(adam_step, steps, inputs, outputs, constants, warn_ok=True)
    rule = (
        "m <- beta1 * m + (1 - beta1) * g, v <- beta2 * v + (1 - beta2) * g**2, then "
        "p <- p - lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - beta1**t) and "
        "v_hat = v / (1 - beta2**t)"
    )
    _diagnose(answers, steps, outputs, ADAM_MISTAKES, rule)
    return f"the same p, m and v as mlp_lib.optim.Adam, step after step ({N_STEPS} steps)"


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


@check("dropout_backward", notebook="08", points=1)
def check_dropout_backward(dropout_backward):
    """``dropout_backward(dout, scaled_mask) -> dx``: the same mask applied to the gradient."""
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


@check("evaluate", notebook="08", points=1)
def check_evaluate(evaluate):
    """``evaluate(model, X, y) -> float``: the accuracy of ``model``, with dropout switched off."""
    model = MLP((6, 32, 3), dropout=0.5, seed=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((200, 6))
    y = model.predict(X)  # the labels the network gives when predicting properly: accuracy 1
    results = [expect_number(call(evaluate, model, X, y), "the accuracy") for _ in range(2)]
    if np.isclose(results[0], results[1]) and np.isclose(results[0], 100):
        raise Mistake("100 is a percentage: return the fraction 1.0", "percentage")
    if not np.isclose(results[0], results[1]):
        raise Mistake(
            f"the accuracy was {float(results[0]):.3f}, then {float(results[1]):.3f}, on 200 images "
            "this network answers right every time: dropout was still on. Predict with "
            "training=False (model.predict does), so that every unit takes part",
            "dropout-on",
        )
    if not np.isclose(results[0], 1.0):
        raise Mistake(
            f"expected accuracy 1.0 on images labelled with the network's own answers, got {float(results[0]):.3f}"
        )
    return "the same answer every time, with every unit taking part (dropout off)"


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


AND_NOT_OR = (
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
                f"it returned one value, {got!s}: return one True or False per image, shape "
                f"({len(images)},); its .sum() is then the count",
                "count-not-per-image",
            )
        got = expect_array(got, "the result", want.shape)
        if got.dtype != bool:
            raise Mistake(
                f"the result is {got.dtype}: return booleans, True where an image has ink "
                "(a pixel > 0) near the edge, e.g. with (... > 0).any(...)",
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
                "it looked at the top and bottom rows only: the left and right "
                "columns are edges too (images[:, :, :border] and images[:, :, -border:])",
            ),
            (
                columns,
                "columns-only",
                "it looked at the left and right columns only: the top "
                "and bottom rows are edges too (images[:, :border] and images[:, -border:])",
            ),
            (
                ring_only if border > 1 else None,
                "ring-only",
                f"with border={border} it looked "
                f"only at the ring {border} pixels in; 'within {border} pixels of the edge' means "
                f"the outermost {border} rows and columns: slices such as images[:, :border]",
            ),
            (
                np.ones(len(images), dtype=bool),
                "blank-counted",
                "every image counts, even a "
                "blank one: ink means a pixel > 0 (blank pixels are exactly 0)",
            ),
            (rows & columns, "and-not-or", AND_NOT_OR),
            (top & bottom & left & right, "and-not-or", AND_NOT_OR),
        ]
        for candidate, mistake, cause in wrong:
            if candidate is not None and np.array_equal(got, candidate):
                raise Mistake(cause, mistake)
        raise Mistake(
            f"with border={border}, {int((got != want).sum())} of {len(images)} small test "
            "images got the wrong answer: True exactly when a pixel > 0 lies in the outermost "
            f"{border} rows or columns"
        )
    return "True where ink lies within `border` pixels of any of the four edges, one per image"
