"""Checks for notebook 04: the parameters, forward and backward pass of the whole network.

The network is Linear, ReLU, Linear, ReLU, Linear and the loss. ``forward(params, X, y)`` returns
``(loss, caches)`` with caches in this order (the one ``backward(caches)`` unpacks):
``((X, W0), z0, (h0, W1), z1, (h1, W2), (logits, y))``.
"""

import itertools

import numpy as np

from ..layers import Sigmoid
from ..losses import SoftmaxCrossEntropy
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
from .fixtures import sin_times_square
from .language import N_, _
from .registry import check

SIZES = (6, 5, 4, 3)  # a small network: 6 inputs, hidden 5 and 4, 3 classes
NAMES = ("W0", "b0", "W1", "b1", "W2", "b2")
FROM_THE_LOSS = ("W2", "b2", "W1", "b1", "W0", "b0")  # the order backpropagation computes them
RELUS = (True, True, False)  # a ReLU after the first and second linear layers, none on the logits


def _small_problem(seed=0):
    """Random parameters (non-zero biases), a batch of 4 images and their labels."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        params[f"W{i}"] = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        params[f"b{i}"] = rng.normal(0.0, 0.1, size=n_out)
    X = rng.standard_normal((4, SIZES[0]))
    y = np.array([0, 2, 1, 2])
    return params, X, y


def reference_forward(params, X, y, relus=RELUS):
    """The loss and caches of the network.

    ``relus`` says after which of the three linear layers a ReLU comes: the network has them
    after the first two; other patterns (a ReLU missing, or one on the logits) spot those bugs.
    """
    z0 = X @ params["W0"] + params["b0"]
    h0 = np.maximum(z0, 0) if relus[0] else z0
    z1 = h0 @ params["W1"] + params["b1"]
    h1 = np.maximum(z1, 0) if relus[1] else z1
    logits = h1 @ params["W2"] + params["b2"]
    if relus[2]:  # not in the network: a bug to recognise
        logits = np.maximum(logits, 0)
    caches = ((X, params["W0"]), z0, (h0, params["W1"]), z1, (h1, params["W2"]), (logits, y))
    return float(SoftmaxCrossEntropy().forward(logits, y)), caches


def reference_backward(caches, relu_steps=(True, True)):
    """Every gradient from the caches (optionally skipping a ReLU's backward step, the classic bug)."""
    (X, W0), z0, (h0, W1), z1, (h1, W2), (logits, y) = caches
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, y)
    dlogits = loss.backward()
    dh1 = dlogits @ W2.T
    dz1 = dh1 * (z1 > 0) if relu_steps[1] else dh1
    dh0 = dz1 @ W1.T
    dz0 = dh0 * (z0 > 0) if relu_steps[0] else dh0
    return {
        "W0": X.T @ dz0,
        "b0": dz0.sum(axis=0),
        "W1": h0.T @ dz1,
        "b1": dz1.sum(axis=0),
        "W2": h1.T @ dlogits,
        "b2": dlogits.sum(axis=0),
    }


@check("init_params", notebook="04", points=1)
def check_init_params(init_params):
    """``init_params(layer_sizes, rng) -> {"W0": ..., "b0": ..., ...}``: He weights, zero biases."""
    sizes = (300, 200, 100, 10)  # enough weights per layer to measure their spread
    params = call(init_params, sizes, np.random.default_rng(0))
    if not isinstance(params, dict):
        raise Mistake(
            _("it returned {value}; return a dict of arrays named W0, b0, W1, ...").format(
                value=describe(params)
            )
        )
    if sorted(params) != sorted(NAMES):
        raise Mistake(
            _(
                "the names are {names}; use W0, b0, W1, b1, W2, b2 for three layers, the "
                "names mlp_lib.MLP.parameters() uses"
            ).format(names=sorted(params)),
            "names",
        )
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = params[f"W{i}"]
        if np.shape(W) == (n_out, n_in):
            raise Mistake(
                _(
                    "W{i} has shape {shape}: transposed; store it as (n_in, n_out) = "
                    "({n_in}, {n_out})"
                ).format(i=i, shape=np.shape(W), n_in=n_in, n_out=n_out),
                "W-transposed",
            )
        W = expect_array(W, f"W{i}", (n_in, n_out))
        b = expect_array(params[f"b{i}"], f"b{i}", (n_out,))
        if np.any(b != 0):
            raise Mistake(
                _(
                    "b{i} is not zero: biases start at 0 (the random weights already break the "
                    "symmetry)"
                ).format(i=i),
                "random-biases",
            )
        want = np.sqrt(2.0 / n_in)
        if abs(W.std() / want - 1) > 0.1:
            cause = (
                _("2 / n_in is the variance; use its square root")
                if abs(W.std() / (2.0 / n_in) - 1) < 0.1
                else _("He uses N(0, 2 / n_in)")
            )
            raise Mistake(
                _("W{i} has standard deviation {std:.4f}, expected {want:.4f}: {cause}").format(
                    i=i, std=W.std(), want=want, cause=cause
                ),
                "wrong-scale",
            )
    return _("W0..W2 He-initialised with shape (n_in, n_out), biases b0..b2 zero")


@check("forward", notebook="04", points=2)
def check_forward(forward):
    """``forward(params, X, y) -> (loss, caches)`` for Linear, ReLU, Linear, ReLU, Linear, loss."""
    params, X, y = _small_problem()
    want, want_caches = reference_forward(params, X, y)
    result = expect_tuple(call(forward, params, X, y), "forward", 2, "(loss, caches)")
    loss, caches = result
    loss = expect_number(loss, _("the loss"))
    if not np.isclose(loss, want):
        for relus in itertools.product((True, False), repeat=3):
            if relus != RELUS and np.isclose(loss, reference_forward(params, X, y, relus)[0]):
                raise Mistake(*_relu_mistake(relus))
        raise Mistake(
            _("the loss is {loss:.4f}, expected {want:.4f} for the same parameters").format(
                loss=loss, want=want
            )
        )
    names = "(X, W0), z0, (h0, W1), z1, (h1, W2), (logits, y)"
    if not (isinstance(caches, tuple | list) and len(caches) == 6):
        raise Mistake(
            _("caches should be the 6 caches {names}; got {value}").format(
                names=names, value=describe(caches)
            ),
            "caches",
        )
    for k, (got, expected) in enumerate(zip(caches, want_caches)):
        if not _same_cache(got, expected):
            raise Mistake(
                _("caches[{k}] is not what backward expects; the order is {names}").format(
                    k=k, names=names
                ),
                "caches",
            )
    return _(
        "loss {want:.4f} on a small network, and the 6 caches in the order backward unpacks"
    ).format(want=want)


# The ReLUs a forward pass left out, by (ReLU after the first, after the second linear layer),
# as the messages of _relu_mistake name them; (True, True) is missing none.
MISSING_RELU = {
    (False, True): N_("first"),
    (True, False): N_("second"),
    (False, False): N_("first and the second"),
}


def _relu_mistake(relus):
    """(message, mistake) for a forward pass with a ReLU after the linear layers marked in ``relus``."""
    missing = MISSING_RELU.get(tuple(relus[:2]))
    if relus[2]:
        message = _(
            "a ReLU after the last layer: the logits must stay as they are. A negative score is "
            "information softmax needs (that class is unlikely), and a ReLU turns every negative "
            "score into 0: the last Linear goes straight into the loss"
        )
        if missing:
            message += _("; the ReLU after the {missing} linear layer is missing too").format(
                missing=_(missing)
            )
        return message, "relu-on-logits"
    return (
        _(
            "the loss is that of a network without the {missing} ReLU: apply relu_forward after "
            "the first and the second linear layer"
        ).format(missing=_(missing)),
        "missing-relu",
    )


def _same_cache(got, expected):
    if isinstance(expected, tuple):
        return (
            isinstance(got, tuple | list)
            and len(got) == 2
            and all(_same_cache(g, e) for g, e in zip(got, expected))
        )
    return close(got, expected)


@check("backward", notebook="04", points=2)
def check_backward(backward):
    """``backward(caches) -> grads``: dL/d(every parameter) by the chain rule, from the caches."""
    params, X, y = _small_problem()
    _loss, caches = reference_forward(params, X, y)
    want = reference_backward(caches)
    grads = call(backward, caches)
    if not isinstance(grads, dict):
        raise Mistake(
            _("return a dict of gradients named {names}; got {value}").format(
                names=", ".join(NAMES), value=describe(grads)
            )
        )
    if sorted(grads) != sorted(NAMES):
        raise Mistake(
            _("the gradients are named {got}; return {names}").format(
                got=sorted(grads), names=", ".join(NAMES)
            ),
            "names",
        )
    for steps, which in (
        ((True, False), N_("second ReLU")),
        ((False, True), N_("first ReLU")),
        ((False, False), N_("first and the second ReLU")),
    ):
        bug = reference_backward(caches, steps)
        if all(close(grads[name], bug[name]) for name in NAMES):
            raise Mistake(
                _(
                    "the gradient went back through the {which} as it came, as if every unit had "
                    "been on: a unit that was off in the forward pass (z <= 0) passes no gradient "
                    "back. Send the gradient through relu_backward, with the ReLU's own cache"
                ).format(which=_(which)),
                "skipped-relu-backward",
            )
    for name in FROM_THE_LOSS:  # the first wrong gradient, counted from the loss, points at the bug
        got = grads[name]
        if np.ndim(got) == 2 and np.shape(got) == want[name].shape[::-1]:
            raise Mistake(
                _(
                    "d{name} has shape {shape}: transposed; it must have {name}'s shape {expected}"
                ).format(name=name, shape=np.shape(got), expected=want[name].shape),
                "transposed",
            )
        got = expect_array(got, f"d{name}", want[name].shape)
        if not close(got, want[name]):
            right = FROM_THE_LOSS[: FROM_THE_LOSS.index(name)]
            if right:
                message = _(
                    "d{name} is wrong ({right} are right): the bug is in the step that computes "
                    "it from the gradient above"
                )
            else:
                message = _(
                    "d{name} is wrong: the bug is in the step that computes it from the gradient "
                    "above"
                )
            raise Mistake(message.format(name=name, right=", ".join(right)))
    return _("all six gradients match, from dW2 back to db0")


@check("numerical_partial", notebook="04", points=1)
def check_numerical_partial(numerical_partial):
    """``numerical_partial(f, a, index) -> float``: the central difference for one entry of ``a``."""
    f, a, gradient = sin_times_square()
    saved, index = a.copy(), (1, 2)
    exact = gradient[index]
    got = call(numerical_partial, f, a, index)
    if not np.array_equal(a, saved):
        raise Mistake(
            _("a[index] was not put back after the nudges: restore it (a[index] = saved)"),
            "not-restored",
        )
    got = expect_number(got, _("the slope for a[index]"))
    if got == 0:
        raise Mistake(
            _(
                "the slope is 0: f() gave the same value both times, so a[index] never changed "
                "while f ran. f reads a where it is: change the entry itself (a[index] = ...) "
                "before each call of f, then put it back"
            ),
            "not-nudged",
        )
    if np.isclose(got, 2 * exact, rtol=1e-4):
        raise Mistake(
            _("twice the slope: f(a + eps) and f(a - eps) are 2 * eps apart, divide by 2 * eps"),
            "divided-by-eps",
        )
    error = abs(got - exact) / abs(exact)
    if 1e-8 < error < 1e-3:
        raise Mistake(
            _(
                "relative error {error:.1e}: it looks one-sided; use "
                "(f(a + eps) - f(a - eps)) / (2 * eps)"
            ).format(error=error),
            "one-sided",
        )
    if error >= 1e-3:
        raise Mistake(
            _("got {got:.6f}, the exact slope is {exact:.6f}").format(got=got, exact=exact)
        )
    return _("central difference for one entry, which is restored afterwards")


@check("predict", notebook="04", points=1)
def check_predict(predict):
    """``predict(params, X) -> (N,) labels``: the class with the largest logit for each image."""
    params, X, y = _small_problem()
    _loss, caches = reference_forward(params, X, y)
    logits = caches[-1][0]  # (4, 3)
    got = call(predict, params, X)
    if np.shape(got) == (logits.shape[1],):
        raise Mistake(
            _("one answer per class: argmax over axis 0 runs down the images; use axis=1"),
            "wrong-axis",
        )
    if np.shape(got) == logits.shape:
        raise Mistake(
            _("it returned the scores; return the class with the largest score, .argmax(axis=1)"),
            "returned-scores",
        )
    got = expect_array(got, _("the predictions"), (len(X),))
    if not np.array_equal(got, logits.argmax(axis=1)):
        raise Mistake(
            _("predicted {got}, expected {expected}").format(
                got=got.tolist(), expected=logits.argmax(axis=1).tolist()
            )
        )
    return _("one class per image, the largest logit")


# Inputs across the sigmoid's range: saturated at both ends, steep in the middle, exactly 0.
SIGMOID_Z = np.array([[-30.0, -6.0, -1.5, -0.25, 0.0], [0.25, 1.5, 6.0, 30.0, 0.75]])


@check("sigmoid_derivative", notebook="04", points=1)
def check_sigmoid_derivative(sigmoid_derivative):
    """``sigmoid_derivative(z) -> σ'(z)``: σ(z)(1 - σ(z)) element-wise, at most 1/4 (at z = 0)."""
    z = SIGMOID_Z.copy()
    got = call(sigmoid_derivative, z)
    expect_unchanged(SIGMOID_Z, z, "z")
    got = expect_array(got, "σ'(z)", SIGMOID_Z.shape)
    sigmoid = Sigmoid()
    sigmoid.forward(SIGMOID_Z)
    expected = sigmoid.backward(np.ones_like(SIGMOID_Z))  # mlp_lib's: dout = 1 gives σ'(z) itself
    if close(got, expected):
        return _("σ'(z) = σ(z)(1 - σ(z)): 1/4 at z = 0, nearly 0 once |z| passes a few units")
    s = 1 / (1 + np.exp(-SIGMOID_Z))
    if close(got, s):
        raise Mistake(
            _("that is σ(z) itself; its derivative is σ(z) * (1 - σ(z))"), "returned-sigmoid"
        )
    if close(got, SIGMOID_Z * (1 - SIGMOID_Z)):
        raise Mistake(
            _("z * (1 - z) uses z where σ(z) belongs: compute s = σ(z) first, then s * (1 - s)"),
            "z-instead-of-sigmoid",
        )
    if close(got, 1 - s**2):
        raise Mistake(
            _(
                "1 - σ(z)² is the pattern of tanh's derivative (1 - tanh²); the sigmoid's is "
                "σ(z) * (1 - σ(z))"
            ),
            "tanh-formula",
        )
    if close(got, -expected):
        raise Mistake(_("the sign is flipped: σ rises everywhere, so σ'(z) > 0"), "sign")
    raise Mistake(_("wrong values: σ'(z) = σ(z) * (1 - σ(z)) with σ(z) = 1 / (1 + np.exp(-z))"))
