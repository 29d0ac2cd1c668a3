"""Checks for notebook 03: ReLU, softmax, log-softmax, cross-entropy and its gradient."""

import numpy as np

from ..losses import log_softmax, softmax
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
from .language import N_, _
from .registry import check

# Logits of four images, three classes (N != C, so a wrong axis shows), with an exact 0 for
# ReLU's kink; and the images' labels.
Z = np.array([[-2.0, 0.0, 1.5], [0.5, -0.5, 0.0], [3.0, 1.0, -1.0], [0.0, 2.0, 0.25]])  # (4, 3)
Z_LABELS = np.array([2, 0, 1, 1])  # (4,)
BIG = np.array([[1000.0, 999.0, 998.0], [1001.0, 1000.0, 990.0]])  # exp() overflows
MIXED = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]])  # rows far apart
FAR_APART = np.array([[0.0, -800.0, -5.0]])  # softmax underflows to exactly 0


@check("relu_forward", notebook="03", points=1)
def check_relu_forward(relu_forward):
    """``relu_forward(z) -> (out, cache)`` with out = max(z, 0) element-wise and cache = z."""
    z = Z.copy()
    result = call(relu_forward, z)
    if isinstance(result, np.ndarray):
        raise Mistake(
            _("it returned only the output; return the pair (out, cache), cache = z"), "no-cache"
        )
    out, cache = expect_tuple(result, "relu_forward", 2, "(out, cache)")
    if np.shape(out) == (Z.shape[1],):
        raise Mistake(
            _(
                "out has shape {shape}: np.max(z, 0) is the largest value of each column. "
                "ReLU is element-wise: np.maximum(z, 0)"
            ).format(shape=np.shape(out)),
            "np-max",
        )
    expect_unchanged(Z, z, "z")
    out = expect_array(out, "out", Z.shape)
    if not np.array_equal(out, np.maximum(Z, 0)):
        raise Mistake(_("out should be z where z > 0 and 0 elsewhere: np.maximum(z, 0)"))
    if not (close(cache, Z) or close(cache, np.maximum(Z, 0))):
        raise Mistake(
            _("cache should be z, which relu_backward needs; got {cache}").format(
                cache=describe(cache)
            )
        )
    out32, _cache32 = call(relu_forward, Z.astype(np.float32))
    expect_array(out32, "out", Z.shape, dtype=np.float32)
    return _("out = max(z, 0) element-wise, z unchanged, cache = z")


@check("relu_backward", notebook="03", points=1)
def check_relu_backward(relu_backward):
    """``relu_backward(dout, cache) -> dz``: dout where z > 0 (cache = z), 0 elsewhere, 0 at z = 0."""
    dout = np.random.default_rng(0).standard_normal(Z.shape)
    dout_before = dout.copy()
    got = call(relu_backward, dout, Z.copy())
    expect_unchanged(dout_before, dout, "dout")
    got = expect_array(got, "dz", Z.shape)
    expected = dout * (Z > 0)
    if np.array_equal(got, expected):
        return _(
            "lets dout through where z > 0 and blocks it where z <= 0, including the kink z = 0"
        )
    if np.array_equal(got, dout * (Z >= 0)):
        raise Mistake(
            _(
                "at z = 0 the gradient is let through (z >= 0). Both 0 and 1 are valid slopes at "
                "the kink, but this series and mlp_lib use 0, so that results agree: use z > 0"
            ),
            "relu-grad-at-zero",
        )
    if np.array_equal(got, (Z > 0).astype(got.dtype)) or np.array_equal(
        got, (Z >= 0).astype(got.dtype)
    ):
        raise Mistake(
            _(
                "it returned ReLU's derivative (0 or 1) itself; the chain rule multiplies it by "
                "the gradient from above: dout * (z > 0)"
            ),
            "returned-mask",
        )
    if np.array_equal(got, dout * (dout > 0)):
        raise Mistake(
            _(
                "the mask was taken from dout; it must come from the forward input z (the "
                "cache): dout * (z > 0)"
            ),
            "mask-from-dout",
        )
    if np.array_equal(got, dout):
        raise Mistake(
            _("dout came back unchanged: block it where z <= 0, dout * (z > 0)"), "no-mask"
        )
    raise Mistake(_("wrong values: dz = dout * (z > 0)"))


def _check_probabilities(fn, name, reference, want_log):
    """The checks softmax and log_softmax share; returns nothing or raises a Mistake."""
    z = Z.copy()
    got = _call_quietly(fn, z)
    expect_unchanged(Z, z, "z")
    got = expect_array(
        got, _("{name}(z) for z of shape {shape}").format(name=name, shape=Z.shape), Z.shape
    )
    total = np.exp(got) if want_log else got
    if np.allclose(total.sum(axis=0), 1) and not np.allclose(total.sum(axis=1), 1):
        raise Mistake(
            _(
                "each column sums to 1 instead of each row: sum over the classes, axis=1 (with "
                "keepdims=True)"
            ),
            "wrong-axis",
        )
    if not close(got, reference(Z)):
        raise Mistake(
            _("wrong values on small logits: expected {expected} for the first row").format(
                expected=np.round(reference(Z[:1]), 4)
            )
        )
    for logits, mistake, cause in (
        (
            BIG,
            "no-max-subtraction",
            N_(
                "exp() overflowed to inf for logits near 1000: subtract each row's maximum "
                "first, z - z.max(axis=1, keepdims=True)"
            ),
        ),
        (
            MIXED,
            "global-max",
            N_(
                "one row is near 1000 and another near -1000: subtract each row's own maximum, "
                "z.max(axis=1, keepdims=True), not the maximum of the whole array"
            ),
        ),
    ):
        got = _call_quietly(fn, logits.copy())
        if not (np.shape(got) == logits.shape and np.all(np.isfinite(got))):
            raise Mistake(_("it gave inf or nan: {cause}").format(cause=_(cause)), mistake)
        if not close(got, reference(logits)):
            raise Mistake(
                _("wrong values for large logits {logits}: {cause}").format(
                    logits=logits[0].tolist(), cause=_(cause)
                ),
                mistake,
            )
    got32 = _call_quietly(fn, Z.astype(np.float32))
    expect_array(got32, _("{name} of float32 logits").format(name=name), Z.shape, dtype=np.float32)


def _call_quietly(fn, *args):
    """Call the student's function, letting overflow happen: we look at the result instead."""
    try:
        return call(fn, *args, warn_ok=True)
    except Mistake as found:
        if "broadcast" in found.message:
            raise Mistake(
                found.message
                + _(
                    ". A row's sum (or max) of shape (N,) does not line up with (N, C): "
                    "keep the summed axis with keepdims=True, shape (N, 1)"
                ),
                "no-keepdims",
            ) from None
        raise


@check("softmax", notebook="03", points=1, named_after_answer=True)  # 03 says stable_softmax
def check_softmax(softmax_fn):
    """``softmax(z) -> p``: each row of p sums to 1, computed without overflow."""
    _check_probabilities(softmax_fn, softmax_fn.__name__, softmax, want_log=False)
    return _("rows sum to 1, no overflow for logits near 1000 (each row's maximum subtracted)")


@check("log_softmax", notebook="03", points=1, named_after_answer=True)
def check_log_softmax(log_softmax_fn):
    """``log_softmax(z) -> log p``: finite even where p underflows to 0 (log-sum-exp)."""
    _check_probabilities(log_softmax_fn, log_softmax_fn.__name__, log_softmax, want_log=True)
    got = _call_quietly(log_softmax_fn, FAR_APART.copy())
    if not (np.shape(got) == FAR_APART.shape and np.all(np.isfinite(got))):
        raise Mistake(
            _(
                "log p is -inf for logits 800 apart: the probability underflowed to 0 before the "
                "log. Write the log directly: (z - m) - log(sum(exp(z - m)))"
            ),
            "log-of-softmax",
        )
    if not close(got, log_softmax(FAR_APART)):
        raise Mistake(
            _("wrong values for logits {logits}: expected {expected}").format(
                logits=FAR_APART[0].tolist(), expected=log_softmax(FAR_APART)[0].tolist()
            )
        )
    return _("log p = (z - m) - log(sum(exp(z - m))): finite even for logits 800 apart")


@check("cross_entropy", notebook="03", points=1)
def check_cross_entropy(cross_entropy):
    """``cross_entropy(logits, y) -> float``: the mean of -log p[n, y[n]] over the batch."""
    n = len(Z_LABELS)
    log_p = log_softmax(Z)
    want = -log_p[np.arange(n), Z_LABELS].mean()
    got = _call_quietly(cross_entropy, Z.copy(), Z_LABELS.copy())
    if np.shape(got) == (n,):
        raise Mistake(
            _("it returned one loss per image, shape ({n},); return their mean, one number").format(
                n=n
            ),
            "not-a-scalar",
        )
    got = expect_number(got, _("the loss"))
    candidates = [
        (
            n * want,
            "sum-not-mean",
            _("the loss is N times too large: take the mean over the batch, not the sum"),
        ),
        (-want, "sign", _("the loss is negative: it is minus the log-probability, -log p")),
        (
            -log_p[:, Z_LABELS].mean(),
            "column-indexing",
            _(
                "log_p[:, y] picks whole columns (an N x N array): pick one entry per row with "
                "log_p[np.arange(N), y]"
            ),
        ),
    ]
    if not np.isclose(got, want):
        for value, mistake, cause in candidates:
            if np.isclose(got, value):
                raise Mistake(
                    _("got {got:.4f}, expected {want:.4f}: {cause}").format(
                        got=got, want=want, cause=cause
                    ),
                    mistake,
                )
        raise Mistake(
            _("got {got:.4f} on a small example, expected {want:.4f}").format(got=got, want=want)
        )
    huge = _call_quietly(cross_entropy, 1000 * Z, Z_LABELS.copy())
    if not np.isfinite(huge):
        raise Mistake(
            _(
                "the loss is inf or nan for logits a thousand times larger: compute it from a "
                "stable log-softmax, not from log(softmax(z))"
            ),
            "unstable",
        )
    return _("mean of -log p[n, y[n]] over the batch, finite for huge logits")


@check("softmax_cross_entropy_backward", notebook="03", points=2)
def check_softmax_cross_entropy_backward(softmax_cross_entropy_backward):
    """``softmax_cross_entropy_backward(logits, y) -> dlogits = (P - Y) / N``."""
    n, n_classes = Z.shape
    onehot = np.eye(n_classes)[Z_LABELS]
    want = (softmax(Z) - onehot) / n
    got = _call_quietly(softmax_cross_entropy_backward, Z.copy(), Z_LABELS.copy())
    got = expect_array(got, "dlogits", Z.shape)
    if close(got, want):
        return _("(P - Y) / N, rows summing to 0, for a batch of {n}").format(n=n)
    if close(got, n * want):
        raise Mistake(
            _(
                "the gradient is {n} times too large: the loss is the mean over the batch, so "
                "divide P - Y by the batch size N = {n}"
            ).format(n=n),
            "not-divided-by-batch",
        )
    if close(got, -want):
        raise Mistake(
            _("the sign is flipped: the gradient is P - Y (prediction minus truth), not Y - P"),
            "sign",
        )
    raise Mistake(_("wrong values: dlogits = (softmax(logits) - onehot(y)) / N"))


@check("largest_safe_logit", notebook="03", points=1)
def check_largest_safe_logit(largest_safe_logit):
    """``largest_safe_logit(dtype) -> float``: the largest z for which np.exp(z) is finite."""
    for dtype in (np.float64, np.float32, np.float16):
        want = float(np.log(np.finfo(dtype).max))
        dtype_name = np.dtype(dtype).name
        got = expect_number(
            call(largest_safe_logit, dtype), _("the limit for {dtype}").format(dtype=dtype_name)
        )
        if np.isclose(got, want, rtol=1e-4):
            continue
        if np.isclose(got, float(np.finfo(dtype).max), rtol=1e-3):
            raise Mistake(
                _(
                    "that is the largest {dtype} number itself; exp(z) overflows as soon as "
                    "z > log(max): return np.log(np.finfo(dtype).max)"
                ).format(dtype=dtype_name),
                "max-not-log",
            )
        if np.isclose(got, np.log(np.finfo(np.float64).max), rtol=1e-4):
            raise Mistake(
                _(
                    "{got:.2f} is float64's limit; for {dtype} it is much smaller: use "
                    "np.finfo(dtype)"
                ).format(got=got, dtype=dtype_name),
                "ignores-dtype",
            )
        raise Mistake(
            _("for {dtype} expected {want:.2f}, got {got!r}").format(
                dtype=dtype_name, want=want, got=got
            )
        )
    return _("709.78 for float64, 88.72 for float32, 11.09 for float16")
