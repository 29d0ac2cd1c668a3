"""A student's optimizer step, compared step by step with ``mlp_lib.optim``'s own (notebook 08),
and the classic mistakes of each rule, as formulas of the same inputs.

``velocity_steps`` and ``adam_steps`` run Momentum, Nesterov or Adam for N_STEPS steps on a small
array and record the state before and after each step. ``check_steps`` gives the student's function
the state before each step and compares what it returns with the state after it; a wrong answer is
then compared, at every step, with the classic mistakes computed from the same inputs.
"""

import numpy as np

from ..optim import Adam
from .feedback import Mistake, call, close, expect_array, expect_tuple, expect_unchanged
from .language import N_, _

LR, MU = 0.1, 0.9  # momentum and Nesterov
ADAM_LR, BETA1, BETA2 = 0.01, 0.9, 0.99  # beta2 below 0.999: the correction of v changes faster
EPS = 1e-2  # far above Adam's usual 1e-8, so that where eps goes changes the step visibly
STEP_SHAPE, N_STEPS = (3, 4), 4


def _start():
    """The starting parameters and the gradient of each of the N_STEPS steps."""
    rng = np.random.default_rng(0)
    p = rng.standard_normal(STEP_SHAPE)
    return p, [0.1 * rng.standard_normal(STEP_SHAPE) for _ in range(N_STEPS)]


def velocity_steps(optimizer):
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


def adam_steps():
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


def check_steps(step, steps, inputs, outputs, constants, mistakes, rule, warn_ok=False):
    """Nothing if ``step(*inputs, *constants)`` returns ``outputs`` right at every step; else a
    Mistake: the first of ``mistakes`` (formula, mistake, message) that matches every step, or
    the first step and output that went wrong, with ``rule``."""
    answers = _answers(step, steps, inputs, outputs, constants, warn_ok)
    first_wrong = _first_wrong(answers, steps, outputs)
    if first_wrong is None:
        return
    for formula, mistake, message in mistakes:
        if _matches(answers, steps, formula):
            raise Mistake(_(message), mistake)
    number, wrong = first_wrong
    if len(wrong) == 1:
        message = _(
            "at step {number} of {steps} (given the p, g and state that mlp_lib.optim had at "
            "that step), the new {name} is wrong: {rule}"
        )
    else:
        message = _(
            "at step {number} of {steps} (given the p, g and state that mlp_lib.optim had at "
            "that step), the new {name} are wrong: {rule}"
        )
    name = _(" and the new ").join(wrong)
    raise Mistake(message.format(number=number, steps=N_STEPS, name=name, rule=rule))


def _answers(step, steps, inputs, outputs, constants, warn_ok=False):
    """The student's outputs for the inputs of every step: arrays of STEP_SHAPE (nan allowed,
    so that a mistake which makes nan can still be recognised), the inputs left unchanged."""
    answers = []
    for before, _after in steps:
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
    for answer, (before, _after) in zip(answers, steps):
        with np.errstate(all="ignore"):
            expected = formula(*before)
        for got, want in zip(answer, expected):
            if want is not None and not np.allclose(got, want, equal_nan=True):
                return False
    return True


def _first_wrong(answers, steps, outputs):
    """(step number, names of the outputs that are wrong) at the first wrong step, or None."""
    for number, (answer, (_before, right)) in enumerate(zip(answers, steps), start=1):
        wrong = [name for name, got, want in zip(outputs, answer, right) if not close(got, want)]
        if wrong:
            return number, wrong
    return None


# ---- the rules and their classic mistakes: (formula of the inputs, mistake, message) ----------


def _velocity(v, g):
    return MU * v - LR * g


def _return_mistakes(step):
    """The mistakes in what momentum and Nesterov return, for the right step(p, g, v)."""
    return [
        (
            lambda p, g, v: step(p, g, v)[::-1],
            "order",
            N_("it returned (velocity, p): return (p, velocity), in that order"),
        ),
        (
            lambda p, g, v: (step(p, g, v)[0], v),
            "old-velocity-returned",
            N_(
                "p is right, but the velocity returned is the one it was given: return the new "
                "velocity, mu * velocity - lr * g, which the next step starts from"
            ),
        ),
    ]


def _momentum(p, g, v):
    v = _velocity(v, g)
    return p + v, v


MOMENTUM_MISTAKES = [
    (
        lambda p, g, v: (p + v, _velocity(v, g)),
        "velocity-after-step",
        N_(
            "p moved by the old velocity, and the velocity was updated after the step: update it "
            "first, velocity <- mu * velocity - lr * g, then move by the new one, p <- p + velocity"
        ),
    ),
    (
        lambda p, g, v: (p + MU * v + LR * g, MU * v + LR * g),
        "sign",
        N_(
            "the parameters moved uphill: the velocity gathers minus the gradient, "
            "velocity <- mu * velocity - lr * g"
        ),
    ),
    (
        lambda p, g, v: (p - _velocity(v, g), _velocity(v, g)),
        "sign",
        N_(
            "the parameters moved uphill: p <- p + velocity, since the minus sign is in the "
            "velocity already"
        ),
    ),
    (
        lambda p, g, v: (p - LR * (MU * v + g), MU * v + g),
        "velocity-of-gradients",
        N_(
            "this is the form in which the velocity adds up gradients, v <- mu * v + g and "
            "p <- p - lr * v (PyTorch's); here, as in mlp_lib.optim.Momentum, the velocity is a "
            "step: velocity <- mu * velocity - lr * g, then p <- p + velocity"
        ),
    ),
    (
        lambda p, g, v: (p - LR * g, None),
        "plain-sgd",
        N_(
            "p moved by -lr * g alone, as in plain SGD: move it by the new velocity, which "
            "carries the past gradients too, p <- p + velocity"
        ),
    ),
    *_return_mistakes(_momentum),
]


def _nesterov(p, g, v):
    v = _velocity(v, g)
    return p + MU * v - LR * g, v


NESTEROV_MISTAKES = [
    (  # p + mu * (old velocity) - lr * g is p + (new velocity): the same step as plain momentum
        lambda p, g, v: _momentum(p, g, v),
        "look-ahead-old-velocity",
        N_(
            "p moved as plain momentum moves it, p + velocity, which is also what a look-ahead "
            "with the old velocity gives. Nesterov looks ahead with the velocity just updated: "
            "velocity <- mu * velocity - lr * g first, then p <- p + mu * velocity - lr * g"
        ),
    ),
    (
        lambda p, g, v: (p + MU * _velocity(v, g), _velocity(v, g)),
        "no-gradient-term",
        N_("the step leaves out the fresh gradient: p <- p + mu * velocity - lr * g"),
    ),
    (
        lambda p, g, v: (p + MU * (MU * v + LR * g) + LR * g, MU * v + LR * g),
        "sign",
        N_(
            "the parameters moved uphill: the velocity gathers minus the gradient, "
            "velocity <- mu * velocity - lr * g, and the step subtracts lr * g"
        ),
    ),
    *_return_mistakes(_nesterov),
]


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
        N_(
            "the step has no bias correction: m and v start at 0, so divide them by "
            "1 - beta1**t and 1 - beta2**t before the step"
        ),
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / (np.sqrt(v) + EPS)),
        "half-bias-correction",
        N_("only m was corrected: v starts at 0 too, so divide it by 1 - beta2**t as well"),
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * m / (np.sqrt(v / c2) + EPS)),
        "half-bias-correction",
        N_("only v was corrected: m starts at 0 too, so divide it by 1 - beta1**t as well"),
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / np.sqrt(v / c2 + EPS)),
        "eps-inside-sqrt",
        N_("eps went inside the square root: it is added after it, sqrt(v_hat) + eps"),
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p - ADAM_LR * (m / c1) / (v / c2 + EPS)),
        "no-sqrt",
        N_(
            "the step divides by v_hat itself: divide by its square root, sqrt(v_hat) + eps, "
            "the typical size of the gradient"
        ),
    ),
    (
        _adam_p(lambda p, m, v, c1, c2: p + ADAM_LR * (m / c1) / (np.sqrt(v / c2) + EPS)),
        "sign",
        N_("the parameters moved uphill: p <- p - lr * m_hat / (sqrt(v_hat) + eps)"),
    ),
    (
        lambda p, g, m, v, t: (None, None, BETA2 * v + (1 - BETA2) * g),
        "not-squared",
        N_("v averages g itself: it must average the squares, v <- beta2 * v + (1 - beta2) * g**2"),
    ),
    (
        lambda p, g, m, v, t: (None, BETA2 * m + (1 - BETA2) * g, BETA1 * v + (1 - BETA1) * g * g),
        "betas-swapped",
        N_("beta1 and beta2 are swapped: m uses beta1, v uses beta2"),
    ),
    (
        _corrected_moments,
        "corrected-moments-returned",
        N_(
            "it returned the corrected m_hat and v_hat: return m and v themselves, which the "
            "next step goes on averaging (the correction is only for the step)"
        ),
    ),
]
