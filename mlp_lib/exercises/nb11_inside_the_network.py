"""Checks for notebook 11: dead units, a targeted attack and the temperature of the softmax.

Each check builds its own inputs (a small matrix of ReLU outputs, a small random network, random
logits with labels drawn from a softer softmax, so that the best temperature is not 1) and
compares with ``mlp_lib.inspect_net`` or a reference written here.
"""

import numpy as np

from ..inspect_net import Calibration, calibration, loss_gradient, score_gradient
from ..losses import softmax
from ..model import MLP
from .feedback import (
    Mistake,
    call,
    close,
    expect_array,
    expect_number,
    expect_unchanged,
    number_text,
)
from .language import _
from .registry import check

# ReLU outputs of 8 images (rows) at 6 units (columns): units 1 and 4 are dead; unit 2 fires on
# one image only; image 5 activates no unit. Each classic slip gives a different count.
ACTS = np.array(
    [
        [1.2, 0.0, 0.0, 0.4, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.1, 0.0, 0.8],
        [0.5, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.7, 0.9, 0.0, 0.0],
        [2.0, 0.0, 0.0, 0.2, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
        [0.3, 0.0, 0.0, 0.6, 0.0, 1.5],
    ]
)


@check("count_dead_units", notebook="11", points=1)
def check_count_dead_units(count_dead_units):
    """``count_dead_units(acts) -> int``: the units (columns) that are 0 for every image (row)."""
    acts = ACTS.copy()
    got = call(count_dead_units, acts)
    expect_unchanged(ACTS, acts, "acts")
    if isinstance(got, np.ndarray) and got.size > 1:
        raise Mistake(
            _(
                "it returned an array of shape {shape}; return one number, how many units are "
                "dead: the .sum() of your True/False per unit"
            ).format(shape=got.shape),
            "not-a-number",
        )
    got = expect_number(got, _("the count"))
    n_images, n_units = ACTS.shape
    want = int((ACTS.max(axis=0) == 0).sum())  # 2
    if got == want:
        return _(
            "counts the units that output 0 for every image ({want} of {n_units} here)"
        ).format(want=want, n_units=n_units)
    slips = [
        (
            n_units - want,
            "counted-alive",
            _(
                "that is the number of units that fire at least once; count the others, those "
                "whose largest output over all images is 0"
            ),
        ),
        (
            int((ACTS.max(axis=1) == 0).sum()),
            "wrong-axis",
            _(
                "that counts images (rows) for which no unit fires; a unit is a column of acts "
                "({n_images} images x {n_units} units): look down each column, axis=0"
            ).format(n_images=n_images, n_units=n_units),
        ),
        (
            int((ACTS == 0).sum()),
            "counted-zeros",
            _(
                "that counts every 0 in acts, (image, unit) pairs; count units, those that are 0 "
                "for every image"
            ),
        ),
        (
            int((ACTS.min(axis=0) == 0).sum()),
            "off-once",
            _(
                "that counts the units that are off for at least one image (their minimum is 0); "
                "a dead unit is off for every image: its maximum is 0"
            ),
        ),
        (
            0,
            "negative",
            _(
                "a ReLU's output is never negative, so nothing is < 0: a dead unit's output is "
                "exactly 0 for every image"
            ),
        ),
    ]
    for value, mistake, cause in slips:
        if got == value:
            raise Mistake(cause, mistake)
    raise Mistake(
        _(
            "got {got} for a small example with {n_images} images and {n_units} units, "
            "{want} of which never fire"
        ).format(got=number_text(got), n_images=n_images, n_units=n_units, want=want)
    )


def _attack_problem():
    """A small network, images x_original (4, 16) with pixels at 0 and 1, and x a step away."""
    model = MLP((16, 12, 5), seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    x_original = rng.random((4, 16))
    x_original[:, :3], x_original[:, 3:6] = 0.0, 1.0  # a step can push these out of [0, 1]
    x = np.clip(x_original + rng.uniform(-0.15, 0.15, size=x_original.shape), 0, 1)
    return model, x, x_original


def _step(x, direction, x_original, radius):
    """x + direction, clipped to [0, 1] and to within ``radius`` of ``x_original``."""
    return np.clip(np.clip(x + direction, 0, 1), x_original - radius, x_original + radius)


@check("targeted_step", notebook="11", points=1)
def check_targeted_step(targeted_step):
    """``targeted_step(model, x, target, x_original, eps, radius)``: one step down target's loss, clipped."""
    model, x, x_original = _attack_problem()
    target, eps, radius = 2, 0.1, 0.2
    before, original = x.copy(), x_original.copy()
    got = call(targeted_step, model, x, target, x_original, eps, radius)
    expect_unchanged(before, x, "x")
    expect_unchanged(original, x_original, "x_original")
    got = expect_array(got, _("the new x"), x.shape)
    labels = np.full(len(x), target)
    g = loss_gradient(model, x, labels)  # (4, 16): d loss(target) / d x
    if close(got, _step(x, -eps * np.sign(g), x_original, radius)):
        return _(
            "eps * sign of the gradient, down the loss of the target, kept in [0, 1] and near "
            "x_original"
        )
    slips = [
        (
            _step(x, eps * np.sign(g), x_original, radius),
            "uphill",
            _(
                "it stepped up the loss of the target, away from it (that is FGSM with the target as "
                "the true label): step downhill, x - eps * sign(gradient)"
            ),
        ),
        (
            _step(x, -eps * g, x_original, radius),
            "no-sign",
            _(
                "the step is eps times the gradient itself; every pixel moves by the same eps, in "
                "the direction of its sign: np.sign(gradient)"
            ),
        ),
        (
            _step(x, eps * np.sign(score_gradient(model, x, labels)), x_original, radius),
            "score-not-loss",
            _(
                "it went up the target's score (score_gradient); the step goes down the target's "
                "loss (loss_gradient), which also pushes the other classes' scores down"
            ),
        ),
        (
            np.clip(x - eps * np.sign(g), x_original - radius, x_original + radius),
            "no-range-clip",
            _("some pixels left [0, 1]: clip the new x to [0, 1] too, np.clip(..., 0, 1)"),
        ),
        (
            np.clip(x - eps * np.sign(g), 0, 1),
            "no-radius",
            _(
                "some pixels are more than radius = {radius} away from x_original: clip to "
                "[x_original - radius, x_original + radius], around the original image (not "
                "around x, which has already moved)"
            ).format(radius=radius),
        ),
    ]
    for candidate, mistake, cause in slips:
        if close(got, candidate):
            raise Mistake(cause, mistake)
    raise Mistake(
        _(
            "wrong values on a small network: x - eps * sign(loss_gradient(model, x, target "
            "labels)), then clipped to [0, 1] and to within radius of x_original"
        )
    )


def _calibration_problem():
    """Logits (400, 5) and labels drawn from softmax(logits / 1.7): the network is overconfident."""
    rng = np.random.default_rng(0)
    logits = 3 * rng.standard_normal((400, 5))
    p = softmax(logits / 1.7)  # (400, 5)
    y = (rng.random((400, 1)) > p.cumsum(axis=1)).sum(axis=1)  # one draw from each row of p
    return logits, y


def _ece(probs, y, confidence=None):
    """The ECE of predictions ``probs`` (N, C), with their largest value as the confidence."""
    confidence = probs.max(axis=1) if confidence is None else confidence
    return calibration(confidence, probs.argmax(axis=1) == y).ece


@check("ece_at_temperature", notebook="11", points=1)
def check_ece_at_temperature(ece_at_temperature):
    """``ece_at_temperature(logits, y, T) -> float``: the ECE of softmax(logits / T), 10 bins."""
    logits, y = _calibration_problem()
    for T in (2.0, 0.5, 1.0):
        before = logits.copy()
        got = call(ece_at_temperature, logits, y, T)
        expect_unchanged(before, logits, "logits")
        if isinstance(got, Calibration):
            raise Mistake(
                _(
                    "it returned the whole Calibration; return its expected calibration error, "
                    "the number .ece"
                ),
                "returned-calibration",
            )
        got = expect_number(got, _("the ECE for T = {T}").format(T=T))
        probs = softmax(logits / T)
        want = _ece(probs, y)
        if np.isclose(got, want):
            continue
        _diagnose_temperature(got, want, logits, y, T)
        raise Mistake(
            _(
                "for T = {T} expected {want:.4f}, got {got:.4f}: divide the logits by T, take "
                "softmax, then calibration(largest probability, argmax == y).ece"
            ).format(T=T, want=want, got=got)
        )
    return _("divides the logits by T before the softmax; the ECE of the largest probability")


def _diagnose_temperature(got, want, logits, y, T):
    """Raise the Mistake of the classic slip whose ECE equals ``got``, if there is one."""
    probs = softmax(logits / T)
    plain = softmax(logits)
    slips = [
        (100 * want, "percentage", _("that is a percentage: return the ECE as a fraction")),
        (
            _ece(softmax(logits * T), y),
            "multiplied",
            _("the logits were multiplied by T = {T}; divide them: softmax(logits / T)").format(
                T=T
            ),
        ),
        (
            _ece(plain, y) if T != 1 else None,
            "ignores-T",
            _(
                "that is the ECE at T = 1, whatever T: divide the logits by T = {T} before softmax"
            ).format(T=T),
        ),
        (
            _ece(plain, y, confidence=plain.max(axis=1) / T) if T > 1 else None,
            "probabilities-divided",
            _(
                "the probabilities were divided by T; the temperature divides the logits, before "
                "softmax, so that the probabilities still sum to 1"
            ),
        ),
        (
            _ece(probs, y, confidence=probs[np.arange(len(y)), y]),
            "true-class",
            _(
                "the confidence is the probability of the predicted class (the largest), not of "
                "the true class: probs.max(axis=1)"
            ),
        ),
    ]
    for value, mistake, cause in slips:
        if value is not None and np.isclose(got, value):
            raise Mistake(cause, mistake)
