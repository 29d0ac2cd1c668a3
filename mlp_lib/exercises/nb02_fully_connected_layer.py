"""Checks for notebook 02: the fully connected layer, its initialisation, and gradient checking."""

import numpy as np

from ..gradcheck import relative_error
from .feedback import (
    Mistake,
    call,
    close,
    describe,
    expect_array,
    expect_number,
    expect_tuple,
    expect_unchanged,
    number_text,
)
from .fixtures import sin_times_square
from .language import N_, _
from .registry import check

N, D, H = 3, 5, 4  # batch, inputs, units: all different, so a transposed array has the wrong shape


def _layer_inputs(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)).astype(dtype)
    W = rng.standard_normal((D, H)).astype(dtype)
    b = rng.standard_normal(H).astype(dtype)  # non-zero, so a forgotten bias shows
    return x, W, b


@check("linear_forward", notebook="02", points=1)
def check_linear_forward(linear_forward):
    """``linear_forward(x, W, b) -> (out, cache)`` with out = x @ W + b and cache = (x, W)."""
    x, W, b = _layer_inputs()
    copies = x.copy(), W.copy(), b.copy()
    result = call(linear_forward, x, W, b)
    if isinstance(result, np.ndarray):
        raise Mistake(
            _("it returned only the output; return the pair (out, cache), cache = (x, W)"),
            "no-cache",
        )
    out, cache = expect_tuple(result, "linear_forward", 2, "(out, cache)")
    out = expect_array(
        out,
        _("out for x {x_shape} and W {W_shape}").format(x_shape=x.shape, W_shape=W.shape),
        (N, H),
    )
    for before, after, name in zip(copies, (x, W, b), ("x", "W", "b")):
        expect_unchanged(before, after, name)
    if close(out, x @ W):
        raise Mistake(_("out equals x @ W: the bias b is missing, out = x @ W + b"), "no-bias")
    if not close(out, x @ W + b):
        raise Mistake(_("out has the right shape but the wrong values: out = x @ W + b"))
    if not (isinstance(cache, tuple | list) and len(cache) == 2):
        raise Mistake(
            _("cache should be the pair (x, W) that linear_backward unpacks; got {cache}").format(
                cache=describe(cache)
            )
        )
    if not (close(cache[0], x) and close(cache[1], W)):
        raise Mistake(
            _("cache should be (x, W), in that order: linear_backward unpacks x, W = cache")
        )
    x32, W32, b32 = (a.astype(np.float32) for a in (x, W, b))
    out32, _cache32 = call(linear_forward, x32, W32, b32)
    expect_array(out32, "out", (N, H), dtype=np.float32)
    return _(
        "out = x @ W + b, shape ({N}, {H}) for x ({N}, {D}), W ({D}, {H}); cache = (x, W)"
    ).format(N=N, H=H, D=D)


STD_SIZES = (50, 800)  # n_in, n_out: 40,000 weights estimate a standard deviation to about 0.4%
EXPECTED_STD = {
    "normal": lambda n_in, n_out: 0.01,
    "he": lambda n_in, n_out: np.sqrt(2.0 / n_in),
    "xavier": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
}
WRONG_STD = {  # (standard deviation, mistake, likely cause)
    "he": [
        (
            lambda i, o: 2.0 / i,
            "variance-as-std",
            N_("2 / n_in is the variance; the std is its square root"),
        ),
        (
            lambda i, o: np.sqrt(2.0 / o),
            "fan-out",
            N_("He divides by n_in, the number of inputs, not n_out"),
        ),
        (
            lambda i, o: np.sqrt(1.0 / i),
            "no-factor-2",
            N_("He uses 2 / n_in: the 2 makes up for ReLU"),
        ),
        (
            lambda i, o: np.sqrt(2.0) / i,
            "sqrt-misplaced",
            N_("take the square root of 2 / n_in as a whole"),
        ),
    ],
    "xavier": [
        (
            lambda i, o: 2.0 / (i + o),
            "variance-as-std",
            N_("2 / (n_in + n_out) is the variance; take its square root"),
        ),
        (
            lambda i, o: np.sqrt(2.0 / i),
            "he-not-xavier",
            N_("that is He's scale; Xavier uses 2 / (n_in + n_out)"),
        ),
    ],
}


@check("init_weights", notebook="02", points=2)  # graded twice: normal and He, then Xavier too
def check_init_weights(init_weights, inits=("normal", "he")):
    """``init_weights(n_in, n_out, init, rng) -> W (n_in, n_out)`` for each name in ``inits``."""
    inits, (n_in, n_out) = tuple(inits), STD_SIZES
    for init in inits:
        W = call(init_weights, n_in, n_out, init, np.random.default_rng(0))
        if np.shape(W) == (n_out, n_in):
            raise Mistake(
                _(
                    "W has shape {shape} for n_in={n_in}, n_out={n_out}: it is transposed. "
                    "We store W as (n_in, n_out) so that x @ W works"
                ).format(shape=np.shape(W), n_in=n_in, n_out=n_out),
                "W-transposed",
            )
        W = expect_array(W, _('W for init="{init}"').format(init=init), (n_in, n_out))
        again = call(init_weights, n_in, n_out, init, np.random.default_rng(0))
        if not np.array_equal(W, again):
            raise Mistake(
                _(
                    "two calls with generators in the same state gave different weights: draw "
                    "from the rng argument (rng.normal(...)), not from np.random"
                ),
                "ignores-rng",
            )
        want = EXPECTED_STD[init](n_in, n_out)
        std, mean = W.std(), W.mean()
        if abs(mean) > 0.05 * want:
            raise Mistake(
                _(
                    'init="{init}": the mean of W is {mean:.4g}; weights should be centred on 0'
                ).format(init=init, mean=mean)
            )
        if abs(std / want - 1) > 0.03:
            for wrong, mistake, cause in WRONG_STD.get(init, []):
                if abs(std / wrong(n_in, n_out) - 1) < 0.03:
                    raise Mistake(
                        _(
                            'init="{init}": std of W is {std:.4g}, expected {want:.4g}: {cause}'
                        ).format(init=init, std=std, want=want, cause=_(cause)),
                        mistake,
                    )
            raise Mistake(
                _(
                    'init="{init}": the standard deviation of W is {std:.4g}, expected {want:.4g}'
                ).format(init=init, std=std, want=want)
            )
    return _("draws W of shape (n_in, n_out) with the right scale for {inits}").format(
        inits=", ".join(inits)
    )


@check("linear_backward", notebook="02", points=2)
def check_linear_backward(linear_backward):
    """``linear_backward(dout, cache) -> (dx, dW, db)`` for out = x @ W + b, cache = (x, W)."""
    x, W, _b = _layer_inputs()
    dout = np.random.default_rng(1).standard_normal((N, H))
    expected = {"dx": dout @ W.T, "dW": x.T @ dout, "db": dout.sum(axis=0)}
    dout_before = dout.copy()
    result = call(linear_backward, dout, (x, W))
    result = expect_tuple(result, "linear_backward", 3, "(dx, dW, db)")
    expect_unchanged(dout_before, dout, "dout")
    shapes = [np.shape(r) for r in result]
    wanted = [e.shape for e in expected.values()]
    if sorted(shapes) == sorted(wanted) and shapes != wanted:
        order = ", ".join(_name_of_shape(s, expected) for s in shapes)
        raise Mistake(
            _("it returned ({order}); return them in the order (dx, dW, db)").format(order=order),
            "order",
        )
    dx, dW, db = result
    if np.shape(dW) == (H, D) and close(dW, expected["dW"].T):
        raise Mistake(
            _(
                "dW has shape {shape}: it is transposed. A gradient has the shape of its "
                "variable, W is ({D}, {H}): use dW = x.T @ dout, not dout.T @ x"
            ).format(shape=np.shape(dW), D=D, H=H),
            "dW-transposed",
        )
    if close(dW, expected["dW"] / N):
        raise Mistake(
            _(
                "dW is N times too small: it was divided by the batch size. dout already carries "
                "the 1/N of the mean loss; here dW = x.T @ dout, a plain sum over the batch"
            ),
            "dW-divided-by-N",
        )
    if np.shape(db) == (N,):
        raise Mistake(
            _(
                "db has shape ({N},), one number per image: it was summed over the wrong axis. "
                "Sum over the batch, dout.sum(axis=0), to get one number per unit"
            ).format(N=N),
            "db-wrong-axis",
        )
    if close(db, expected["db"] / N):
        raise Mistake(
            _(
                "db is the mean of dout over the batch, N times too small: the bias was added to "
                "every row, so its gradient is the sum over the rows, dout.sum(axis=0)"
            ),
            "db-mean",
        )
    if np.shape(dx) == (D, N) and close(dx, expected["dx"].T):
        raise Mistake(
            _(
                "dx has shape ({D}, {N}): it is transposed. It must have x's shape ({N}, {D}): "
                "dx = dout @ W.T"
            ).format(D=D, N=N),
            "dx-transposed",
        )
    for name, got in zip(expected, (dx, dW, db)):
        got = expect_array(got, name, expected[name].shape)
        if not close(got, expected[name]):
            formula = {"dx": "dout @ W.T", "dW": "x.T @ dout", "db": "dout.sum(axis=0)"}[name]
            raise Mistake(
                _("{name} has the right shape but the wrong values: {name} = {formula}").format(
                    name=name, formula=formula
                )
            )
    return _(
        "dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0), each with its variable's shape"
    )


def _name_of_shape(shape, expected):
    return next(name for name, value in expected.items() if value.shape == shape)


@check("numerical_grad", notebook="02", points=1)
def check_numerical_grad(numerical_grad):
    """``numerical_grad(f, a) -> grad``: central differences of f() for every entry of ``a``."""
    f, a, exact = sin_times_square()
    saved = a.copy()
    grad = call(numerical_grad, f, a)
    if not np.array_equal(a, saved):
        raise Mistake(
            _(
                "after the call some entries of a have changed: put each nudged entry back "
                "(a[idx] = saved) before moving on"
            ),
            "not-restored",
        )
    grad = expect_array(grad, _("the gradient"), a.shape)
    if close(grad, 2 * exact, rtol=1e-4):
        raise Mistake(
            _(
                "the gradient is twice too large: the two evaluations are 2 * eps apart, so "
                "divide f(a + eps) - f(a - eps) by 2 * eps"
            ),
            "divided-by-eps",
        )
    if np.all(grad == 0):
        raise Mistake(
            _(
                "every slope is 0: f() gave the same value on both sides of each entry, so the "
                "entry never changed while f ran. f reads a where it is: change the entry itself "
                "(a[idx] = ...) before each call of f, then put it back"
            ),
            "not-nudged",
        )
    error = relative_error(grad, exact)
    if error > 1e-8:
        if 1e-8 < error < 1e-3:
            raise Mistake(
                _(
                    "relative error {error:.1e}, far above the 1e-10 a central difference gives: "
                    "it looks one-sided, (f(a + eps) - f(a)) / eps; evaluate on both sides, "
                    "(f(a + eps) - f(a - eps)) / (2 * eps)"
                ).format(error=error),
                "one-sided",
            )
        raise Mistake(
            _("it differs from the true gradient (relative error {error:.2g})").format(error=error)
        )
    return _(
        "central differences, every entry restored; agrees with the exact gradient of a test "
        "function"
    )


@check("rel_error", notebook="02", points=1)
def check_rel_error(rel_error):
    """``rel_error(a, b) -> float``: max |a - b| / max(|a| + |b|)."""
    cases = [
        (np.array([1.0, 2.0]), np.array([1.0, 3.0])),
        (np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[0.5, -1.5], [1.0, 0.0]])),
        (np.array([3.0, -4.0]), np.array([3.0, -4.0])),
    ]
    for a, b in cases:
        want = relative_error(a, b)
        got = expect_number(call(rel_error, a, b), _("the relative error"))
        if not np.isclose(got, want):
            flipped = expect_number(call(rel_error, b, a), _("the relative error"))
            if np.isclose(flipped, got):
                message = _("for a = {a}, b = {b} expected {want:.4g}, got {got:.4g}.")
            else:
                message = _(
                    "for a = {a}, b = {b} expected {want:.4g}, got {got:.4g}. It is not "
                    "symmetric, rel_error(a, b) != rel_error(b, a): divide by max(|a| + |b|)"
                )
            raise Mistake(message.format(a=a.tolist(), b=b.tolist(), want=want, got=got))
    return _("max |a - b| / max(|a| + |b|): 0 for equal arrays, symmetric, scale-free")


@check("count_parameters", notebook="02", points=1)
def check_count_parameters(count_parameters):
    """``count_parameters(layer_sizes) -> int``: weights and biases of a fully connected network."""
    for sizes in ((784, 32, 16, 10), (3, 4, 2)):
        pairs = list(zip(sizes[:-1], sizes[1:]))
        want = sum(n_in * n_out + n_out for n_in, n_out in pairs)
        got = expect_number(
            call(count_parameters, sizes), _("the count for {sizes}").format(sizes=sizes)
        )
        if got == want:
            continue
        shown = number_text(got)
        if got == sum(n_in * n_out for n_in, n_out in pairs):
            raise Mistake(
                _("{got} for {sizes} counts only the weights: add n_out biases per layer").format(
                    got=shown, sizes=sizes
                ),
                "no-biases",
            )
        if got == sum(n_in * n_out + n_in for n_in, n_out in pairs):
            raise Mistake(
                _(
                    "{got} for {sizes}: a layer has one bias per output unit, n_out, not n_in"
                ).format(got=shown, sizes=sizes),
                "biases-n-in",
            )
        if got == want + sizes[0]:
            raise Mistake(
                _(
                    "{got} for {sizes} includes the {inputs} inputs: they are data, not parameters"
                ).format(got=shown, sizes=sizes, inputs=sizes[0]),
                "counted-inputs",
            )
        raise Mistake(
            _("expected {want:,} for {sizes}, got {got}").format(want=want, sizes=sizes, got=shown)
        )
    return _("784-32-16-10 has 25,818 parameters: n_in * n_out weights + n_out biases per layer")
