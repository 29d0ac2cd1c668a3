"""mlp_lib.exercises: every check confirms a right answer and names each mistake it knows.

Each wrong function below is a mistake students really make; the test feeds it to the check and
asserts the recognised mistake and the words of the hint. Right answers are written the way the
notebooks write them.
"""

import re
import struct

import numpy as np
import pytest

from mlp_lib import exercises as ex
from mlp_lib import softmax
from mlp_lib.drawing import crop_to_ink, fit_in_box, place_by_centre_of_mass, resize_area
from mlp_lib.inspect_net import calibration, loss_gradient, score_gradient

# ---- right answers, as the notebooks write them -------------------------------------------------


def decode_idx(raw):
    n_dims = raw[3]
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def mean_image_per_class(X, y):
    return np.stack([X[y == d].mean(axis=0) for d in range(10)])


def count_always_blank_pixels(X):
    return int((X.max(axis=0) == 0).sum())


def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def init_weights(n_in, n_out, init, rng):
    if init == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = 0.01 if init == "normal" else np.sqrt(2.0 / n_in)
    return rng.normal(0.0, std, size=(n_in, n_out))


def numerical_grad(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        saved = a[idx]
        a[idx] = saved + eps
        f_plus = f()
        a[idx] = saved - eps
        f_minus = f()
        a[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_error(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b))


def count_parameters(layer_sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def relu_forward(z):
    return np.maximum(z, 0), z


def relu_backward(dout, cache):
    return dout * (cache > 0)


def stable_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def stable_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits, y):
    return -stable_log_softmax(logits)[np.arange(len(y)), y].mean()


def softmax_cross_entropy_backward(logits, y):
    n, n_classes = logits.shape
    return (stable_softmax(logits) - np.eye(n_classes)[y]) / n


def largest_safe_logit(dtype):
    return float(np.log(np.finfo(dtype).max))


def init_params(layer_sizes, rng):
    params = {}
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        params[f"W{i}"] = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        params[f"b{i}"] = np.zeros(n_out)
    return params


def forward(params, X, y, relus=(True, True)):
    z0, c0 = linear_forward(X, params["W0"], params["b0"])
    h0, r0 = relu_forward(z0) if relus[0] else (z0, z0)
    z1, c1 = linear_forward(h0, params["W1"], params["b1"])
    h1, r1 = relu_forward(z1) if relus[1] else (z1, z1)
    logits, c2 = linear_forward(h1, params["W2"], params["b2"])
    return cross_entropy(logits, y), (c0, r0, c1, r1, c2, (logits, y))


def backward(caches, skip_relu=None):
    c0, r0, c1, r1, c2, (logits, y) = caches
    dlogits = softmax_cross_entropy_backward(logits, y)
    dh1, dW2, db2 = linear_backward(dlogits, c2)
    dz1 = dh1 if skip_relu == 1 else relu_backward(dh1, r1)
    dh0, dW1, db1 = linear_backward(dz1, c1)
    dz0 = dh0 if skip_relu == 0 else relu_backward(dh0, r0)
    _, dW0, db0 = linear_backward(dz0, c0)
    return {"W0": dW0, "b0": db0, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def numerical_partial(f, a, index, eps=1e-6):
    saved = a[index]
    a[index] = saved + eps
    f_plus = f()
    a[index] = saved - eps
    f_minus = f()
    a[index] = saved
    return (f_plus - f_minus) / (2 * eps)


def predict(params, X):
    _, caches = forward(params, X, np.zeros(len(X), dtype=int))
    return caches[-1][0].argmax(axis=1)


def hold_out(X, y, n_val):
    n = len(X) - n_val
    return X[:n], y[:n], X[n:], y[n:]


def steps_per_epoch(n_images, batch_size):
    return -(-n_images // batch_size)


def sgd_update(params, grads, lr):
    for name, p in params.items():
        p -= lr * grads[name]


def minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start : start + batch_size]
        yield X[batch], y[batch]


def train_by_hand(model, X, y, *, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            losses.append(float(model.loss(X[batch], y[batch])))
            model.backward()
            sgd_update(model.parameters(), model.gradients(), lr)
    return losses


def count_correct(model, X, y, batch_size):
    correct, seen = 0, 0
    for start in range(0, len(X), batch_size):
        batch = slice(start, start + batch_size)
        correct += int(np.sum(model.predict(X[batch]) == y[batch]))
        seen += len(y[batch])
    return correct, seen


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def precision(cm):
    return np.diag(cm) / cm.sum(axis=0)


def top2_accuracy(probs, y):
    return float(np.mean((np.argsort(probs, axis=1)[:, -2:] == y[:, None]).any(axis=1)))


def evaluate(model, X, y):
    return float(np.mean(model.predict(X) == y))


def momentum_step(p, g, velocity, lr, mu):
    velocity = mu * velocity - lr * g
    return p + velocity, velocity


def nesterov_step(p, g, velocity, lr, mu):
    velocity = mu * velocity - lr * g
    return p + mu * velocity - lr * g, velocity


def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def dropout_forward(x, p, rng):
    scaled_mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * scaled_mask, scaled_mask


def dropout_backward(dout, scaled_mask):
    return dout * scaled_mask


def shift_one(image, dy, dx, max_shift):
    padded = np.pad(image, max_shift)
    top, left = max_shift - dy, max_shift - dx
    return padded[top : top + 28, left : left + 28]


def touches_edge(images, border):
    ink = images > 0
    return (
        ink[:, :border].any(axis=(1, 2))
        | ink[:, -border:].any(axis=(1, 2))
        | ink[:, :, :border].any(axis=(1, 2))
        | ink[:, :, -border:].any(axis=(1, 2))
    )


def group_accuracy(cm, group):
    block = cm[np.ix_(group, group)]
    return float((np.trace(cm) + block.sum() - np.trace(block)) / cm.sum())


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 - s)


def box_centre_preprocess(image):
    boxed = fit_in_box(crop_to_ink(image))
    out = np.zeros((28, 28))
    h, w = boxed.shape
    top, left = (28 - h) // 2, (28 - w) // 2
    out[top : top + h, left : left + w] = boxed
    return out.ravel()


def keep_every_kth(image, shape):  # given code in notebook 10, section 3
    rows = ((np.arange(shape[0]) + 0.5) * image.shape[0] / shape[0]).astype(int)
    cols = ((np.arange(shape[1]) + 0.5) * image.shape[1] / shape[1]).astype(int)
    return image[np.ix_(rows, cols)]


def nearest_preprocess(image):
    cropped = crop_to_ink(image)
    return place_by_centre_of_mass(keep_every_kth(cropped, fit_in_box(cropped).shape)).ravel()


def count_dead_units(acts):
    return int((acts.max(axis=0) == 0).sum())


def targeted_step(model, x, target, x_original, eps, radius):
    g = loss_gradient(model, x, np.full(len(x), target))
    x_new = np.clip(x - eps * np.sign(g), 0, 1)
    return np.clip(x_new, x_original - radius, x_original + radius)


def ece_at_temperature(logits, y, T):
    probs = softmax(logits / T)
    return calibration(probs.max(axis=1), probs.argmax(axis=1) == y).ece


RIGHT = [
    (ex.check_decode_idx, decode_idx),
    (ex.check_mean_image_per_class, mean_image_per_class),
    (ex.check_count_always_blank_pixels, count_always_blank_pixels),
    (ex.check_linear_forward, linear_forward),
    (ex.check_init_weights, init_weights),
    (ex.check_linear_backward, linear_backward),
    (ex.check_numerical_grad, numerical_grad),
    (ex.check_rel_error, rel_error),
    (ex.check_count_parameters, count_parameters),
    (ex.check_relu_forward, relu_forward),
    (ex.check_relu_backward, relu_backward),
    (ex.check_softmax, stable_softmax),
    (ex.check_log_softmax, stable_log_softmax),
    (ex.check_cross_entropy, cross_entropy),
    (ex.check_softmax_cross_entropy_backward, softmax_cross_entropy_backward),
    (ex.check_largest_safe_logit, largest_safe_logit),
    (ex.check_init_params, init_params),
    (ex.check_forward, forward),
    (ex.check_backward, backward),
    (ex.check_numerical_partial, numerical_partial),
    (ex.check_predict, predict),
    (ex.check_sigmoid_derivative, sigmoid_derivative),
    (ex.check_hold_out, hold_out),
    (ex.check_sgd_update, sgd_update),
    (ex.check_minibatches, minibatches),
    (ex.check_train_by_hand, train_by_hand),
    (ex.check_accuracy, accuracy),
    (ex.check_count_correct, count_correct),
    (ex.check_confusion_matrix, confusion_matrix),
    (ex.check_precision, precision),
    (ex.check_top2_accuracy, top2_accuracy),
    (ex.check_steps_per_epoch, steps_per_epoch),
    (ex.check_momentum_step, momentum_step),
    (ex.check_nesterov_step, nesterov_step),
    (ex.check_adam_step, adam_step),
    (ex.check_dropout_forward, dropout_forward),
    (ex.check_dropout_backward, dropout_backward),
    (ex.check_shift_one, shift_one),
    (ex.check_evaluate, evaluate),
    (ex.check_touches_edge, touches_edge),
    (ex.check_group_accuracy, group_accuracy),
    (ex.check_box_centre_preprocess, box_centre_preprocess),
    (ex.check_nearest_preprocess, nearest_preprocess),
    (ex.check_count_dead_units, count_dead_units),
    (ex.check_targeted_step, targeted_step),
    (ex.check_ece_at_temperature, ece_at_temperature),
]


def test_every_check_is_tested_with_a_right_answer():
    checks = {name for name in ex.__all__ if name.startswith("check_")}
    assert checks == {check.__name__ for check, _ in RIGHT}
    assert [check.__name__ for check, _ in RIGHT] == [f"check_{name}" for name in ex.CHECKS]


@pytest.mark.parametrize(("check", "answer"), RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_a_right_answer_gets_a_short_confirmation_on_stdout(check, answer, capsys):
    result = check(answer)
    printed = capsys.readouterr()
    assert result.passed, result.message
    assert result.mistake is None
    assert printed.out.startswith("✓ ") and printed.err == ""
    assert len(printed.out.splitlines()) == 1


def test_init_weights_checks_xavier_when_asked():
    assert ex.check_init_weights(init_weights, inits=("normal", "he", "xavier")).passed

    def no_xavier(n_in, n_out, init, rng):
        return init_weights(n_in, n_out, "he" if init == "xavier" else init, rng)

    result = ex.check_init_weights(no_xavier, inits=("normal", "he", "xavier"))
    assert result.mistake == "he-not-xavier"


# ---- every recognised mistake ------------------------------------------------------------------


def little_endian_decode(raw):
    n_dims = raw[3]
    shape = struct.unpack(f"<{n_dims}I", raw[4 : 4 + 4 * n_dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def fixed_header_decode(raw):
    n_dims = raw[3]
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(shape)


def header_included_decode(raw):
    n_dims = raw[3]
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def flat_decode(raw):
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3])


def unchecked_decode(raw):
    n_dims = raw[3]
    shape = struct.unpack(f">{n_dims}I", raw[4 : 4 + 4 * n_dims])
    values = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims)
    return np.resize(values, shape)  # quietly pads a short file


def wide_decode(raw):
    return decode_idx(raw).astype(np.int64)


def in_place_relu(z):
    z[z < 0] = 0
    return z, z


def no_max_softmax(z):
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def global_max_softmax(z):
    exp = np.exp(z - z.max())
    return exp / exp.sum(axis=1, keepdims=True)


def column_softmax(z):
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=0, keepdims=True)


def no_keepdims_softmax(z):
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1)


def in_place_softmax(z):
    z -= z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def float64_softmax(z):
    return stable_softmax(z.astype(np.float64))


def log_of_softmax(z):
    return np.log(stable_softmax(z))


def mistakes():
    """(check, wrong function, recognised mistake, words the hint must contain)."""
    return [
        # 01
        (ex.check_decode_idx, little_endian_decode, "little-endian", r"big-endian"),
        (ex.check_decode_idx, fixed_header_decode, "fixed-header", r"4 \+ 4 \* 1 = 8 bytes"),
        (ex.check_decode_idx, header_included_decode, "header-included", r"offset=header_size"),
        (ex.check_decode_idx, flat_decode, "no-reshape", r"reshape"),
        (ex.check_decode_idx, unchecked_decode, "no-size-check", r"shorter than its header"),
        (ex.check_decode_idx, wide_decode, "dtype", r"dtype=np.uint8"),
        (ex.check_decode_idx, column_major_decode, "wrong-values", r"row by row"),
        (
            ex.check_mean_image_per_class,
            lambda X, y: np.stack([X[y == d].mean() for d in range(10)]),
            "wrong-axis",
            r"axis=0",
        ),
        (
            ex.check_count_always_blank_pixels,
            lambda X: int((X.max(axis=0) > 0).sum()),
            "counted-inked",
            r"maximum over all images is 0",
        ),
        (
            ex.check_count_always_blank_pixels,
            lambda X: int((X == 0).sum()),
            "counted-all-zeros",
            r"positions",
        ),
        (
            ex.check_count_always_blank_pixels,
            lambda X: X.max(axis=0) == 0,
            "not-a-number",
            r"one number",
        ),
        # 02
        (ex.check_linear_forward, lambda x, W, b: x @ W + b, "no-cache", r"\(out, cache\)"),
        (ex.check_linear_forward, lambda x, W, b: (x @ W, (x, W)), "no-bias", r"bias"),
        (
            ex.check_linear_forward,
            lambda x, W, b: (x.astype(np.float64) @ W + b, (x, W)),
            "dtype",
            r"float64 for float32",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: (dout @ c[1].T, dout.T @ c[0], dout.sum(axis=0)),
            "dW-transposed",
            r"transposed.*x\.T @ dout",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: (dout @ c[1].T, c[0].T @ dout / len(dout), dout.sum(axis=0)),
            "dW-divided-by-N",
            r"batch size",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=1)),
            "db-wrong-axis",
            r"axis=0",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.mean(axis=0)),
            "db-mean",
            r"sum over the rows",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: ((dout @ c[1].T).T, c[0].T @ dout, dout.sum(axis=0)),
            "dx-transposed",
            r"dout @ W\.T",
        ),
        (
            ex.check_linear_backward,
            lambda dout, c: (c[0].T @ dout, dout.sum(axis=0), dout @ c[1].T),
            "order",
            r"\(dx, dW, db\)",
        ),
        (
            ex.check_init_weights,
            lambda n_in, n_out, init, rng: init_weights(n_out, n_in, init, rng),
            "W-transposed",
            r"\(n_in, n_out\)",
        ),
        (
            ex.check_init_weights,
            lambda n_in, n_out, init, rng: rng.normal(
                0, 0.01 if init == "normal" else 2 / n_in, (n_in, n_out)
            ),
            "variance-as-std",
            r"square root",
        ),
        (
            ex.check_init_weights,
            lambda n_in, n_out, init, rng: rng.normal(
                0, 0.01 if init == "normal" else np.sqrt(2 / n_out), (n_in, n_out)
            ),
            "fan-out",
            r"n_in",
        ),
        (
            ex.check_init_weights,
            lambda n_in, n_out, init, rng: rng.normal(
                0, 0.01 if init == "normal" else np.sqrt(1 / n_in), (n_in, n_out)
            ),
            "no-factor-2",
            r"ReLU",
        ),
        (
            ex.check_init_weights,
            lambda n_in, n_out, init, rng: init_weights(n_in, n_out, init, np.random.default_rng()),
            "ignores-rng",
            r"rng argument",
        ),
        (ex.check_numerical_grad, lambda f, a, eps=1e-6: np.ones_like(a), None, r"differs"),
        (ex.check_numerical_grad, unnudged_grad, "not-nudged", r"the entry never changed"),
        (
            ex.check_numerical_grad,
            one_sided_grad,
            "one-sided",
            r"\(f\(a \+ eps\) - f\(a - eps\)\) / \(2 \* eps\)",
        ),
        (
            ex.check_numerical_grad,
            lambda f, a, eps=1e-6: 2 * numerical_grad(f, a, eps),
            "divided-by-eps",
            r"2 \* eps",
        ),
        (ex.check_numerical_grad, unrestored_grad, "not-restored", r"put each nudged entry back"),
        (
            ex.check_rel_error,
            lambda a, b: np.max(np.abs(a - b)) / np.max(np.abs(a)),
            None,
            r"not symmetric",
        ),
        (
            ex.check_count_parameters,
            lambda s: sum(i * o for i, o in zip(s[:-1], s[1:])),
            "no-biases",
            r"only the weights",
        ),
        (
            ex.check_count_parameters,
            lambda s: float(sum(i * o for i, o in zip(s[:-1], s[1:]))),
            "no-biases",
            r"^25,760 for \(784, 32, 16, 10\) counts",  # a whole number, not 25,760.0
        ),
        (
            ex.check_count_parameters,
            lambda s: sum(i * o + i for i, o in zip(s[:-1], s[1:])),
            "biases-n-in",
            r"n_out, not n_in",
        ),
        (
            ex.check_count_parameters,
            lambda s: count_parameters(s) + s[0],
            "counted-inputs",
            r"data, not parameters",
        ),
        # 03
        (ex.check_relu_forward, lambda z: np.maximum(z, 0), "no-cache", r"\(out, cache\)"),
        (ex.check_relu_forward, lambda z: (np.max(z, 0), z), "np-max", r"np\.maximum\(z, 0\)"),
        (ex.check_relu_forward, in_place_relu, "in-place", r"in place"),
        (ex.check_relu_backward, lambda dout, z: dout * (z >= 0), "relu-grad-at-zero", r"z > 0"),
        (
            ex.check_relu_backward,
            lambda dout, z: (z > 0).astype(float),
            "returned-mask",
            r"dout \* \(z > 0\)",
        ),
        (
            ex.check_relu_backward,
            lambda dout, z: dout * (dout > 0),
            "mask-from-dout",
            r"forward input z",
        ),
        (ex.check_relu_backward, lambda dout, z: dout, "no-mask", r"block it"),
        (
            ex.check_relu_backward,
            lambda dout, z: (dout * (z > 0)).tolist(),
            "not-an-array",
            r"NumPy array",
        ),
        (
            ex.check_relu_forward,
            lambda z: (np.where(z > 0, z, np.nan), z),
            "not-finite",
            r"inf or nan",
        ),
        (ex.check_softmax, no_max_softmax, "no-max-subtraction", r"subtract each row's maximum"),
        (ex.check_softmax, global_max_softmax, "global-max", r"each row's own maximum"),
        (ex.check_softmax, column_softmax, "wrong-axis", r"axis=1"),
        (ex.check_softmax, no_keepdims_softmax, "no-keepdims", r"keepdims=True"),
        (ex.check_softmax, in_place_softmax, "in-place", r"in place"),
        (ex.check_softmax, float64_softmax, "dtype", r"float32"),
        (ex.check_log_softmax, log_of_softmax, "log-of-softmax", r"underflowed"),
        (
            ex.check_log_softmax,
            lambda z: np.log(no_max_softmax(z)),
            "no-max-subtraction",
            r"maximum",
        ),
        (
            ex.check_cross_entropy,
            lambda z, y: -stable_log_softmax(z)[np.arange(len(y)), y].sum(),
            "sum-not-mean",
            r"mean over the batch",
        ),
        (
            ex.check_cross_entropy,
            lambda z, y: stable_log_softmax(z)[np.arange(len(y)), y].mean(),
            "sign",
            r"minus the log",
        ),
        (
            ex.check_cross_entropy,
            lambda z, y: -stable_log_softmax(z)[:, y].mean(),
            "column-indexing",
            r"np\.arange\(N\), y",
        ),
        (
            ex.check_cross_entropy,
            lambda z, y: -stable_log_softmax(z)[np.arange(len(y)), y],
            "not-a-scalar",
            r"mean",
        ),
        (
            ex.check_cross_entropy,
            lambda z, y: -np.log(no_max_softmax(z))[np.arange(len(y)), y].mean(),
            "unstable",
            r"stable",
        ),
        (
            ex.check_softmax_cross_entropy_backward,
            lambda z, y: stable_softmax(z) - np.eye(z.shape[1])[y],
            "not-divided-by-batch",
            r"divide",
        ),
        (
            ex.check_softmax_cross_entropy_backward,
            lambda z, y: (np.eye(z.shape[1])[y] - stable_softmax(z)) / len(y),
            "sign",
            r"P - Y",
        ),
        (
            ex.check_largest_safe_logit,
            lambda dtype: float(np.finfo(dtype).max),
            "max-not-log",
            r"np\.log",
        ),
        (
            ex.check_largest_safe_logit,
            lambda dtype: float(np.log(np.finfo(np.float64).max)),
            "ignores-dtype",
            r"np\.finfo\(dtype\)",
        ),
        # 04
        (
            ex.check_init_params,
            lambda s, rng: {k.replace("W", "w"): v for k, v in init_params(s, rng).items()},
            "names",
            r"W0, b0",
        ),
        (
            ex.check_init_params,
            lambda s, rng: {k: (v.T if k[0] == "W" else v) for k, v in init_params(s, rng).items()},
            "W-transposed",
            r"\(n_in, n_out\)",
        ),
        (
            ex.check_init_params,
            lambda s, rng: {
                k: (v if k[0] == "W" else v + 0.1) for k, v in init_params(s, rng).items()
            },
            "random-biases",
            r"start at 0",
        ),
        (
            ex.check_init_params,
            lambda s, rng: {
                k: (v * np.sqrt(2 / v.shape[0]) if k[0] == "W" else v)
                for k, v in init_params(s, rng).items()
            },
            "wrong-scale",
            r"variance",
        ),
        (
            ex.check_forward,
            lambda p, X, y: forward(p, X, y, relus=(False, True)),
            "missing-relu",
            r"first ReLU",
        ),
        (
            ex.check_forward,
            lambda p, X, y: forward(p, X, y, relus=(True, False)),
            "missing-relu",
            r"second ReLU",
        ),
        (
            ex.check_forward,
            lambda p, X, y: forward(p, X, y, relus=(False, False)),
            "missing-relu",
            r"without the first and the second ReLU",
        ),
        (
            ex.check_forward,
            forward_relu_on_logits,
            "relu-on-logits",
            r"^a ReLU after the last layer: the logits must stay as they are",
        ),
        (
            ex.check_forward,
            lambda p, X, y: (forward(p, X, y)[0], forward(p, X, y)[1][::-1]),
            "caches",
            r"order",
        ),
        (
            ex.check_backward,
            lambda caches: backward(caches, skip_relu=1),
            "skipped-relu-backward",
            r"second ReLU",
        ),
        (
            ex.check_backward,
            lambda caches: backward(caches, skip_relu=0),
            "skipped-relu-backward",
            r"first ReLU",
        ),
        (
            ex.check_backward,
            backward_without_relus,
            "skipped-relu-backward",
            r"first and the second ReLU",
        ),
        (
            ex.check_backward,
            lambda caches: {k: (v.T if k == "W1" else v) for k, v in backward(caches).items()},
            "transposed",
            r"dW1",
        ),
        (
            ex.check_backward,
            lambda caches: {k: (v * 2 if k == "b0" else v) for k, v in backward(caches).items()},
            None,
            r"db0 is wrong \(W2, b2, W1, b1, W0 are right\)",
        ),
        (
            ex.check_backward,
            lambda caches: {k: v for k, v in backward(caches).items() if k != "b2"},
            "names",
            r"W0, b0",
        ),
        (
            ex.check_numerical_partial,
            lambda f, a, i, eps=1e-6: (f() - f()) / eps,
            "not-nudged",
            r"a\[index\] never changed",
        ),
        (ex.check_numerical_partial, lambda f, a, i, eps=1e-6: f(), None, r"exact slope"),
        (
            ex.check_predict,
            lambda p, X: forward(p, X, np.zeros(len(X), dtype=int))[1][-1][0].argmax(axis=0),
            "wrong-axis",
            r"axis=1",
        ),
        (
            ex.check_predict,
            lambda p, X: forward(p, X, np.zeros(len(X), dtype=int))[1][-1][0],
            "returned-scores",
            r"argmax",
        ),
        (ex.check_sigmoid_derivative, sigmoid, "returned-sigmoid", r"that is σ\(z\) itself"),
        (
            ex.check_sigmoid_derivative,
            lambda z: z * (1 - z),
            "z-instead-of-sigmoid",
            r"uses z where σ\(z\) belongs",
        ),
        (
            ex.check_sigmoid_derivative,
            lambda z: 1 - sigmoid(z) ** 2,
            "tanh-formula",
            r"tanh's derivative",
        ),
        (ex.check_sigmoid_derivative, lambda z: -sigmoid_derivative(z), "sign", r"sign is flipped"),
        (ex.check_sigmoid_derivative, lambda z: 0.25 * np.ones_like(z), None, r"wrong values"),
        # 05
        (ex.check_hold_out, hold_out_minus_zero, "minus-zero", r"X\[:-0\] is X\[:0\]"),
        (ex.check_hold_out, hold_out_first, "first-not-last", r"holds out the first 3"),
        (ex.check_hold_out, hold_out_overlapping, "overlap", r"both in X_fit and in X_val"),
        (ex.check_hold_out, hold_out_labels_cut_elsewhere, "labels-mismatch", r"same place"),
        (ex.check_hold_out, hold_out_shuffled, "order", r"file order"),
        (ex.check_hold_out, hold_out_copies, "copied", r"slices"),
        (ex.check_hold_out, lambda X, y, n_val: hold_out(X, y, n_val)[:2], None, r"4 things"),
        (ex.check_hold_out, lambda X, y, n_val: hold_out(X, y, 2), "sizes", r"expected 7"),
        (
            ex.check_hold_out,
            lambda X, y, n_val: tuple(a.ravel() for a in hold_out(X, y, n_val)),
            "shape",
            r"whole images",
        ),
        (ex.check_sgd_update, sgd_not_in_place, "not-in-place", r"p -= lr \* g"),
        (ex.check_sgd_update, sgd_replaces_arrays, "replaced-not-in-place", r"in place"),
        (ex.check_sgd_update, sgd_uphill, "sign", r"uphill"),
        (ex.check_sgd_update, sgd_without_lr, "lr-ignored", r"learning rate"),
        (ex.check_sgd_update, sgd_returns_early, "stopped-early", r"return"),
        (ex.check_sgd_update, sgd_scales_grads, "changed-grads", r"gradients"),
        (
            ex.check_minibatches,
            minibatches_shuffled_separately,
            "shuffled-separately",
            r"one permutation",
        ),
        (
            ex.check_minibatches,
            minibatches_dropping_last,
            "last-batch-dropped",
            r"range\(0, N, batch_size\)",
        ),
        (ex.check_minibatches, minibatches_with_replacement, "with-replacement", r"permutation"),
        (ex.check_minibatches, minibatches_in_file_order, "no-shuffle", r"shuffle"),
        (ex.check_minibatches, minibatches_fixed_seed, "same-order", r"every call"),
        (ex.check_minibatches, minibatches_global_rng, "ignores-rng", r"rng argument"),
        (ex.check_train_by_hand, train_shuffling_once, "shuffled-once", r"each epoch"),
        (ex.check_train_by_hand, train_dropping_last, "last-batch-dropped", r"last of 2"),
        (ex.check_train_by_hand, train_shuffling_separately, "shuffled-separately", r"separately"),
        (ex.check_train_by_hand, train_without_update, "no-update", r"never changed"),
        (ex.check_train_by_hand, train_with_other_order, "order-differs-from-fit", r"mlp_lib\.fit"),
        (ex.check_train_by_hand, train_forgetting_losses, "losses", r"list"),
        (ex.check_train_by_hand, train_with_half_steps, "update", r"p -= lr \* g"),
        # 06
        (
            ex.check_count_correct,
            count_correct_seed_style,
            "last-batch-dropped",
            r"range\(0, len\(X\), batch_size\)",
        ),
        (ex.check_accuracy, lambda t, p: 100 * np.mean(t == p), "percentage", r"fraction"),
        (ex.check_accuracy, lambda t, p: int(np.sum(t == p)), "count", r"divide"),
        (
            ex.check_confusion_matrix,
            lambda t, p, n: confusion_matrix(p, t, n),
            "transposed",
            r"rows are the true classes",
        ),
        (
            ex.check_precision,
            lambda cm: np.diag(cm) / cm.sum(axis=1),
            "recall-not-precision",
            r"column sums",
        ),
        (
            ex.check_top2_accuracy,
            lambda probs, y: float(np.mean(probs.argmax(axis=1) == y)),
            "top1",
            r"second",
        ),
        (
            ex.check_top2_accuracy,
            lambda probs, y: float(
                np.mean((np.argsort(probs, axis=1)[:, :2] == y[:, None]).any(axis=1))
            ),
            "least-probable",
            r"\[:, -2:\]",
        ),
        # 07
        (
            ex.check_steps_per_epoch,
            lambda n, b: n // b,
            "last-batch-dropped",
            r"10,000 // 64 = 156 rounds down",
        ),
        (ex.check_steps_per_epoch, lambda n, b: n / b, "not-whole", r"156\.25 steps"),
        (
            ex.check_steps_per_epoch,
            lambda n, b: n // b + 1,
            "plus-one",
            r"10,000 // 1000 \+ 1 = 11 counts one batch too many",
        ),
        (
            ex.check_steps_per_epoch,
            lambda n, b: float(n // b + 2),
            None,
            r"expected 157 steps for 10,000 images in batches of 64, got 158$",
        ),
        # 08
        (ex.check_momentum_step, momentum_velocity_after_step, "velocity-after-step", r"first"),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: momentum_step(p, -g, v, lr, mu),
            "sign",
            r"uphill",
        ),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: (p - (mu * v - lr * g), mu * v - lr * g),
            "sign",
            r"minus sign is in the velocity",
        ),
        (ex.check_momentum_step, momentum_of_gradients, "velocity-of-gradients", r"PyTorch"),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: (p - lr * g, mu * v - lr * g),
            "plain-sgd",
            r"plain SGD",
        ),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: momentum_step(p, g, v, lr, mu)[::-1],
            "order",
            r"return \(p, velocity\)",
        ),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: (momentum_step(p, g, v, lr, mu)[0], v),
            "old-velocity-returned",
            r"the one it was given",
        ),
        (ex.check_momentum_step, momentum_in_place, "in-place", r"in place"),
        (
            ex.check_momentum_step,
            lambda p, g, v, lr, mu: (p + 2 * (mu * v - lr * g), mu * v - lr * g),
            None,
            r"at step 1 of 4.*new p is wrong",
        ),
        (
            ex.check_nesterov_step,
            nesterov_old_velocity,
            "look-ahead-old-velocity",
            r"with the velocity just updated",
        ),
        (ex.check_nesterov_step, momentum_step, "look-ahead-old-velocity", r"plain momentum"),
        (
            ex.check_nesterov_step,
            lambda p, g, v, lr, mu: (p + mu * (mu * v - lr * g), mu * v - lr * g),
            "no-gradient-term",
            r"fresh gradient",
        ),
        (
            ex.check_nesterov_step,
            lambda p, g, v, lr, mu: nesterov_step(p, -g, v, lr, mu),
            "sign",
            r"uphill",
        ),
        (
            ex.check_nesterov_step,
            lambda p, g, v, lr, mu: nesterov_step(p, g, v, lr, mu)[::-1],
            "order",
            r"in that order",
        ),
        (ex.check_adam_step, adam_uncorrected, "no-bias-correction", r"no bias correction"),
        (
            ex.check_adam_step,
            adam_m_corrected_only,
            "half-bias-correction",
            r"only m was corrected",
        ),
        (
            ex.check_adam_step,
            adam_v_corrected_only,
            "half-bias-correction",
            r"only v was corrected",
        ),
        (ex.check_adam_step, adam_eps_inside, "eps-inside-sqrt", r"inside the square root"),
        (ex.check_adam_step, adam_no_sqrt, "no-sqrt", r"square root"),
        (
            ex.check_adam_step,
            lambda p, g, m, v, t, lr, b1, b2, eps: adam_step(p, -g, m, v, t, lr, b1, b2, eps),
            None,
            r"at step 1 of 4",
        ),
        (ex.check_adam_step, adam_uphill, "sign", r"uphill"),
        (ex.check_adam_step, adam_not_squared, "not-squared", r"squares"),
        (
            ex.check_adam_step,
            lambda p, g, m, v, t, lr, b1, b2, eps: adam_step(p, g, m, v, t, lr, b2, b1, eps),
            "betas-swapped",
            r"swapped",
        ),
        (
            ex.check_adam_step,
            adam_corrected_moments,
            "corrected-moments-returned",
            r"m_hat and v_hat",
        ),
        (ex.check_adam_step, adam_in_place, "in-place", r"in place"),
        (
            ex.check_dropout_forward,
            lambda x, p, rng: dropout_forward(x, p, rng)[0],
            "no-mask",
            r"scaled_mask",
        ),
        (
            ex.check_dropout_forward,
            lambda x, p, rng: dropout_forward(x, 1 - p, rng),
            "keep-drop-swapped",
            r"probability p",
        ),
        (
            ex.check_dropout_forward,
            lambda x, p, rng: (x * (rng.random(x.shape) >= p), rng.random(x.shape) >= p),
            "not-scaled",
            r"1 - p",
        ),
        (
            ex.check_dropout_forward,
            lambda x, p, rng: (x * (rng.random(x.shape) >= p) * (1 - p), None),
            "multiplied-by-keep",
            r"divide",
        ),
        (
            ex.check_dropout_forward,
            lambda x, p, rng: dropout_forward(x, p, np.random.default_rng()),
            "ignores-rng",
            r"rng argument",
        ),
        (
            ex.check_dropout_forward,
            same_mask_dropout,
            "same-mask-every-row",
            r"rng\.random\(x\.shape\)",
        ),
        (ex.check_dropout_backward, lambda dout, mask: dout, "no-mask", r"no gradient"),
        (
            ex.check_dropout_backward,
            lambda dout, mask: dout * (mask > 0),
            "unscaled-mask",
            r"1 / \(1 - p\)",
        ),
        (
            ex.check_dropout_backward,
            lambda dout, mask: dout * mask / 0.75,
            "scaled-twice",
            r"twice",
        ),
        (
            ex.check_shift_one,
            lambda im, dy, dx, s: shift_one(im, -dy, -dx, s),
            "direction",
            r"down",
        ),
        (
            ex.check_shift_one,
            lambda im, dy, dx, s: shift_one(im, dx, dy, s),
            "axes-swapped",
            r"swapped",
        ),
        (
            ex.check_shift_one,
            lambda im, dy, dx, s: np.roll(im, (dy, dx), axis=(0, 1)),
            "wrap-around",
            r"np\.roll",
        ),
        (ex.check_shift_one, lambda im, dy, dx, s: np.pad(im, s), "shape", r"28 x 28"),
        (
            ex.check_evaluate,
            lambda model, X, y: float(np.mean(model.forward(X, training=True).argmax(axis=1) == y)),
            "dropout-on",
            r"training=False",
        ),
        (
            ex.check_evaluate,
            lambda model, X, y: 100 * float(np.mean(model.predict(X) == y)),
            "percentage",
            r"fraction",
        ),
        (ex.check_touches_edge, edge_rows_only, "rows-only", r"left and right"),
        (ex.check_touches_edge, edge_columns_only, "columns-only", r"top and bottom"),
        (ex.check_touches_edge, edge_ring_only, "ring-only", r"outermost 2 rows"),
        (ex.check_touches_edge, lambda im, b: (im >= 0).any(axis=(1, 2)), "blank-counted", r"> 0"),
        (ex.check_touches_edge, edge_all_sides, "and-not-or", r"\| \(or\)"),
        (ex.check_touches_edge, edge_two_sides, "and-not-or", r"any one edge"),
        (
            ex.check_touches_edge,
            lambda im, b: int(touches_edge(im, b).sum()),
            "count-not-per-image",
            r"one True or False per image",
        ),
        (
            ex.check_touches_edge,
            lambda im, b: touches_edge(im, b).astype(int),
            "not-boolean",
            r"booleans",
        ),
        (ex.check_touches_edge, edge_in_place, "in-place", r"in place"),
        # 09
        (
            ex.check_group_accuracy,
            lambda cm, g: 100 * group_accuracy(cm, g),
            "percentage",
            r"fraction",
        ),
        (
            ex.check_group_accuracy,
            lambda cm, g: (np.trace(cm) + cm[np.ix_(g, g)].sum()) / cm.sum(),
            "diagonal-twice",
            r"counted twice",
        ),
        (
            ex.check_group_accuracy,
            lambda cm, g: (cm[np.ix_(g, g)].sum() - np.trace(cm[np.ix_(g, g)])) / cm.sum(),
            "mistakes-only",
            r"np\.trace\(cm\)",
        ),
        (
            ex.check_group_accuracy,
            lambda cm, g: (np.trace(cm) - np.trace(cm[np.ix_(g, g)]) + cm[g].sum()) / cm.sum(),
            "rows-only",
            r"predicted class must be in the group",
        ),
        (ex.check_group_accuracy, group_accuracy_of_the_group, "group-total", r"all the images"),
        (
            ex.check_group_accuracy,
            lambda cm, g: np.trace(cm) / cm.sum(),
            "ignores-group",
            r"plain accuracy",
        ),
        (ex.check_group_accuracy, group_accuracy_in_place, "in-place", r"in place"),
        # 10
        (ex.check_box_centre_preprocess, box_centre_by_mass, "centre-of-mass", r"centre of mass"),
        (ex.check_box_centre_preprocess, box_centre_uncropped, "no-crop", r"crop_to_ink"),
        (ex.check_box_centre_preprocess, box_centre_squashed, "squashed", r"aspect ratio"),
        (ex.check_box_centre_preprocess, box_centre_in_the_corner, "top-left", r"top-left"),
        (
            ex.check_box_centre_preprocess,
            box_centre_swapped,
            "rows-columns-swapped",
            r"20 x 15 \(rows x columns\)",
        ),
        (
            ex.check_box_centre_preprocess,
            box_centre_rounded,
            "one-pixel-off",
            r"column \(28 - 15\) // 2 = 6",
        ),
        (
            ex.check_box_centre_preprocess,
            lambda image: box_centre_preprocess(image).reshape(28, 28),
            "not-flat",
            r"\.ravel\(\)",
        ),
        (ex.check_box_centre_preprocess, box_centre_in_place, "in-place", r"in place"),
        (
            ex.check_nearest_preprocess,
            lambda image: place_by_centre_of_mass(fit_in_box(crop_to_ink(image))).ravel(),
            "area-average",
            r"keep_every_kth instead of fit_in_box",
        ),
        (ex.check_nearest_preprocess, nearest_uncropped, "no-crop", r"crop_to_ink"),
        (ex.check_nearest_preprocess, nearest_squashed, "squashed", r"fit_in_box\(cropped\)"),
        (
            ex.check_nearest_preprocess,
            nearest_in_the_middle,
            "not-centred",
            r"place_by_centre_of_mass",
        ),
        # 11
        (
            ex.check_count_dead_units,
            lambda acts: int((acts.max(axis=0) > 0).sum()),
            "counted-alive",
            r"fire at least once",
        ),
        (
            ex.check_count_dead_units,
            lambda acts: int((acts.max(axis=1) == 0).sum()),
            "wrong-axis",
            r"axis=0",
        ),
        (ex.check_count_dead_units, lambda acts: int((acts == 0).sum()), "counted-zeros", r"pairs"),
        (
            ex.check_count_dead_units,
            lambda acts: int((acts.min(axis=0) == 0).sum()),
            "off-once",
            r"maximum is 0",
        ),
        (
            ex.check_count_dead_units,
            lambda acts: int((acts < 0).all(axis=0).sum()),
            "negative",
            r"never negative",
        ),
        (
            ex.check_count_dead_units,
            lambda acts: acts.max(axis=0) == 0,
            "not-a-number",
            r"\.sum\(\)",
        ),
        (ex.check_targeted_step, targeted_uphill, "uphill", r"x - eps \* sign"),
        (ex.check_targeted_step, targeted_without_sign, "no-sign", r"np\.sign"),
        (ex.check_targeted_step, targeted_up_the_score, "score-not-loss", r"loss_gradient"),
        (ex.check_targeted_step, targeted_outside_0_1, "no-range-clip", r"\[0, 1\]"),
        (ex.check_targeted_step, targeted_around_x, "no-radius", r"around the original image"),
        (ex.check_targeted_step, targeted_in_place, "in-place", r"in place"),
        (
            ex.check_ece_at_temperature,
            lambda logits, y, T: ece_at_temperature(logits * T, y, 1.0),
            "multiplied",
            r"softmax\(logits / T\)",
        ),
        (
            ex.check_ece_at_temperature,
            lambda logits, y, T: ece_at_temperature(logits, y, 1.0),
            "ignores-T",
            r"whatever T",
        ),
        (
            ex.check_ece_at_temperature,
            ece_probabilities_divided,
            "probabilities-divided",
            r"sum to 1",
        ),
        (ex.check_ece_at_temperature, ece_true_class, "true-class", r"predicted class"),
        (ex.check_ece_at_temperature, ece_whole_calibration, "returned-calibration", r"\.ece"),
        (
            ex.check_ece_at_temperature,
            lambda logits, y, T: 100 * ece_at_temperature(logits, y, T),
            "percentage",
            r"fraction",
        ),
    ]


def column_major_decode(raw):
    array = decode_idx(raw)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3]).reshape(array.shape, order="F")


def forward_relu_on_logits(params, X, y):
    _, caches = forward(params, X, y)
    logits = np.maximum(caches[-1][0], 0)  # a ReLU after the last Linear too
    return cross_entropy(logits, y), (*caches[:-1], (logits, y))


def backward_without_relus(caches):
    c0, _, c1, _, c2, (logits, y) = caches
    dh1, dW2, db2 = linear_backward(softmax_cross_entropy_backward(logits, y), c2)
    dh0, dW1, db1 = linear_backward(dh1, c1)  # no relu_backward on the way
    _, dW0, db0 = linear_backward(dh0, c0)
    return {"W0": dW0, "b0": db0, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def unnudged_grad(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        _ = a[idx] + eps  # computed, never stored in a: f sees the same a both times
        f_plus = f()
        f_minus = f()
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def one_sided_grad(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        grad[idx] = one_sided_partial(f, a, idx, eps)
    return grad


def one_sided_partial(f, a, index, eps=1e-6):
    saved = a[index]
    f_here = f()
    a[index] = saved + eps
    f_plus = f()
    a[index] = saved
    return (f_plus - f_here) / eps


def unrestored_grad(f, a, eps=1e-6):
    grad = numerical_grad(f, a, eps)
    a += eps  # forgets to put the entries back, as if the last nudge stayed
    return grad


def unrestored_partial(f, a, index, eps=1e-6):
    slope = numerical_partial(f, a, index, eps)
    a[index] -= eps
    return slope


def train_with_half_steps(model, X, y, *, epochs, batch_size, lr, seed):
    return train_by_hand(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr / 2, seed=seed)


def hold_out_minus_zero(X, y, n_val):
    return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]


def hold_out_first(X, y, n_val):
    return X[n_val:], y[n_val:], X[:n_val], y[:n_val]


def hold_out_overlapping(X, y, n_val):
    n = len(X) - n_val
    return X, y, X[n:], y[n:]


def hold_out_labels_cut_elsewhere(X, y, n_val):
    n = len(X) - n_val
    return X[:n], y[n_val:], X[n:], y[:n_val]


def hold_out_shuffled(X, y, n_val):
    order = np.random.default_rng(0).permutation(len(X))
    n = len(X) - n_val
    return X[order[:n]], y[order[:n]], X[order[n:]], y[order[n:]]


def hold_out_copies(X, y, n_val):
    return tuple(part.copy() for part in hold_out(X, y, n_val))


def sgd_not_in_place(params, grads, lr):
    for name, p in params.items():
        p = p - lr * grads[name]  # the mistake under test: rebinds p


def sgd_replaces_arrays(params, grads, lr):
    for name in params:
        params[name] = params[name] - lr * grads[name]


def sgd_uphill(params, grads, lr):
    for name, p in params.items():
        p += lr * grads[name]


def sgd_without_lr(params, grads, lr):
    for name, p in params.items():
        p -= grads[name]


def sgd_returns_early(params, grads, lr):
    for name, p in params.items():
        p -= lr * grads[name]
        return


def sgd_scales_grads(params, grads, lr):
    for name, p in params.items():
        grads[name] *= lr
        p -= grads[name]


def minibatches_shuffled_separately(X, y, batch_size, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield X[start : start + batch_size], y[start : start + batch_size]


def minibatches_dropping_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for i in range(len(X) // batch_size):
        batch = order[i * batch_size : (i + 1) * batch_size]
        yield X[batch], y[batch]


def minibatches_with_replacement(X, y, batch_size, rng):
    order = rng.integers(0, len(X), size=len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start : start + batch_size]
        yield X[batch], y[batch]


def minibatches_in_file_order(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start : start + batch_size], y[start : start + batch_size]


def minibatches_fixed_seed(X, y, batch_size, rng):
    return minibatches(X, y, batch_size, np.random.default_rng(42))


def minibatches_global_rng(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    return [
        (X[order[s : s + batch_size]], y[order[s : s + batch_size]])
        for s in range(0, len(X), batch_size)
    ]


def _train(model, X, y, epochs, batch_size, lr, orders):
    losses = []
    for epoch in range(epochs):
        order = orders[epoch]
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            losses.append(float(model.loss(X[batch], y[batch])))
            model.backward()
            sgd_update(model.parameters(), model.gradients(), lr)
    return losses


def train_shuffling_once(model, X, y, *, epochs, batch_size, lr, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    return _train(model, X, y, epochs, batch_size, lr, [order] * epochs)


def train_with_other_order(model, X, y, *, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed + 1)
    return _train(
        model, X, y, epochs, batch_size, lr, [rng.permutation(len(X)) for _ in range(epochs)]
    )


def train_dropping_last(model, X, y, *, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in minibatches_dropping_last(X, y, batch_size, rng):
            losses.append(float(model.loss(X_batch, y_batch)))
            model.backward()
            sgd_update(model.parameters(), model.gradients(), lr)
    return losses


def train_shuffling_separately(model, X, y, *, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        X_shuffled, y_shuffled = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
        for start in range(0, len(X), batch_size):
            losses.append(
                float(
                    model.loss(
                        X_shuffled[start : start + batch_size],
                        y_shuffled[start : start + batch_size],
                    )
                )
            )
            model.backward()
            sgd_update(model.parameters(), model.gradients(), lr)
    return losses


def train_without_update(model, X, y, *, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, rng):
            losses.append(float(model.loss(X_batch, y_batch)))
            model.backward()
    return losses


def train_forgetting_losses(model, X, y, *, epochs, batch_size, lr, seed):
    train_by_hand(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)


def count_correct_seed_style(model, X, y, batch_size):
    correct, seen = 0, 0
    for i in range(len(X) // batch_size):
        batch = slice(i * batch_size, (i + 1) * batch_size)
        correct += int(np.sum(model.predict(X[batch]) == y[batch]))
        seen += len(y[batch])
    return correct, seen


def momentum_velocity_after_step(p, g, velocity, lr, mu):
    p_new = p + velocity  # steps with the old velocity
    return p_new, mu * velocity - lr * g


def momentum_of_gradients(p, g, velocity, lr, mu):
    velocity = mu * velocity + g  # PyTorch's form: a velocity of gradients
    return p - lr * velocity, velocity


def momentum_in_place(p, g, velocity, lr, mu):
    velocity *= mu
    velocity -= lr * g
    p += velocity
    return p, velocity


def nesterov_old_velocity(p, g, velocity, lr, mu):
    p_new = p + mu * velocity - lr * g  # looks ahead with the velocity it was given
    return p_new, mu * velocity - lr * g


def adam_moments(g, m, v, beta1, beta2):
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g


def adam_uncorrected(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = adam_moments(g, m, v, beta1, beta2)
    return p - lr * m / (np.sqrt(v) + eps), m, v


def adam_m_corrected_only(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = adam_moments(g, m, v, beta1, beta2)
    return p - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v


def adam_v_corrected_only(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = adam_moments(g, m, v, beta1, beta2)
    return p - lr * m / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def adam_eps_inside(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / np.sqrt(v_hat + eps), m, v


def adam_no_sqrt(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (v_hat + eps), m, v


def adam_uphill(p, g, m, v, t, lr, beta1, beta2, eps):
    p_new, m, v = adam_step(p, g, m, v, t, lr, beta1, beta2, eps)
    return 2 * p - p_new, m, v


def adam_not_squared(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g  # g, not g * g: sqrt of a negative v gives nan
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_corrected_moments(p, g, m, v, t, lr, beta1, beta2, eps):
    p_new, m, v = adam_step(p, g, m, v, t, lr, beta1, beta2, eps)
    return p_new, m / (1 - beta1**t), v / (1 - beta2**t)


def adam_in_place(p, g, m, v, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def same_mask_dropout(x, p, rng):
    scaled_mask = (rng.random(x.shape[1]) >= p) / (1 - p)
    return x * scaled_mask, scaled_mask


def edge_rows_only(images, border):
    return (images[:, :border] > 0).any(axis=(1, 2)) | (images[:, -border:] > 0).any(axis=(1, 2))


def edge_columns_only(images, border):
    left, right = images[:, :, :border], images[:, :, -border:]
    return (left > 0).any(axis=(1, 2)) | (right > 0).any(axis=(1, 2))


def edge_ring_only(images, border):  # the rows and columns `border - 1` pixels in, alone
    k = border - 1
    return (
        (images[:, k] > 0).any(axis=1)
        | (images[:, -border] > 0).any(axis=1)
        | (images[:, :, k] > 0).any(axis=1)
        | (images[:, :, -border] > 0).any(axis=1)
    )


def edge_all_sides(images, border):
    ink = images > 0
    return (
        ink[:, :border].any(axis=(1, 2))
        & ink[:, -border:].any(axis=(1, 2))
        & ink[:, :, :border].any(axis=(1, 2))
        & ink[:, :, -border:].any(axis=(1, 2))
    )


def edge_two_sides(images, border):
    return edge_rows_only(images, border) & edge_columns_only(images, border)


def edge_in_place(images, border):
    images[:, border:-border, border:-border] = 0  # blanks the middle to look at the edge
    return (images > 0).any(axis=(1, 2))


def group_accuracy_of_the_group(cm, group):
    block = cm[np.ix_(group, group)]
    return (np.trace(cm) + block.sum() - np.trace(block)) / cm[group].sum()


def group_accuracy_in_place(cm, group):
    right = group_accuracy(cm, group)
    np.fill_diagonal(cm, 0)  # keeps only the mistakes, in the caller's matrix
    return right


def box_centre_by_mass(image):
    return place_by_centre_of_mass(fit_in_box(crop_to_ink(image))).ravel()


def box_centre_uncropped(image):
    boxed = fit_in_box(image)  # the whole canvas, margins and all
    out = np.zeros((28, 28))
    h, w = boxed.shape
    out[(28 - h) // 2 : (28 - h) // 2 + h, (28 - w) // 2 : (28 - w) // 2 + w] = boxed
    return out.ravel()


def box_centre_squashed(image):
    out = np.zeros((28, 28))
    out[4:24, 4:24] = resize_area(crop_to_ink(image), (20, 20))
    return out.ravel()


def box_centre_in_the_corner(image):
    boxed = fit_in_box(crop_to_ink(image))
    out = np.zeros((28, 28))
    out[: boxed.shape[0], : boxed.shape[1]] = boxed
    return out.ravel()


def box_centre_swapped(image):
    boxed = fit_in_box(crop_to_ink(image))
    out = np.zeros((28, 28))
    h, w = boxed.shape
    top, left = (28 - w) // 2, (28 - h) // 2
    out[top : top + h, left : left + w] = boxed
    return out.ravel()


def box_centre_rounded(image):
    boxed = fit_in_box(crop_to_ink(image))
    out = np.zeros((28, 28))
    h, w = boxed.shape
    top, left = int(np.ceil((28 - h) / 2)), int(np.ceil((28 - w) / 2))  # half a pixel up
    out[top : top + h, left : left + w] = boxed
    return out.ravel()


def box_centre_in_place(image):
    image[image < 0.1] = 0  # cleans the faint edges, in the caller's drawing
    return box_centre_preprocess(image)


def nearest_uncropped(image):
    return place_by_centre_of_mass(keep_every_kth(image, fit_in_box(image).shape)).ravel()


def nearest_squashed(image):
    return place_by_centre_of_mass(keep_every_kth(crop_to_ink(image), (20, 20))).ravel()


def nearest_in_the_middle(image):
    cropped = crop_to_ink(image)
    return box_centre_preprocess(keep_every_kth(cropped, fit_in_box(cropped).shape))


def targeted_uphill(model, x, target, x_original, eps, radius):
    return targeted_step(model, x, target, x_original, -eps, radius)


def targeted_without_sign(model, x, target, x_original, eps, radius):
    g = loss_gradient(model, x, np.full(len(x), target))
    return np.clip(np.clip(x - eps * g, 0, 1), x_original - radius, x_original + radius)


def targeted_up_the_score(model, x, target, x_original, eps, radius):
    g = score_gradient(model, x, np.full(len(x), target))
    return np.clip(np.clip(x + eps * np.sign(g), 0, 1), x_original - radius, x_original + radius)


def targeted_outside_0_1(model, x, target, x_original, eps, radius):
    g = loss_gradient(model, x, [target] * len(x))
    return np.clip(x - eps * np.sign(g), x_original - radius, x_original + radius)


def targeted_around_x(model, x, target, x_original, eps, radius):
    return targeted_step(model, x, target, x, eps, radius)  # the ball follows x


def targeted_in_place(model, x, target, x_original, eps, radius):
    x -= eps * np.sign(loss_gradient(model, x, np.full(len(x), target)))
    np.clip(x, x_original - radius, x_original + radius, out=x)
    return np.clip(x, 0, 1)


def ece_probabilities_divided(logits, y, T):
    probs = softmax(logits) / T
    return calibration(probs.max(axis=1), probs.argmax(axis=1) == y).ece


def ece_true_class(logits, y, T):
    probs = softmax(logits / T)
    return calibration(probs[np.arange(len(y)), y], probs.argmax(axis=1) == y).ece


def ece_whole_calibration(logits, y, T):
    probs = softmax(logits / T)
    return calibration(probs.max(axis=1), probs.argmax(axis=1) == y)


MISTAKES = mistakes()


def test_every_check_is_tested_with_a_mistake_it_recognises():
    assert {check.__name__ for check, _, _, _ in MISTAKES} == {check.__name__ for check, _ in RIGHT}


@pytest.mark.parametrize(
    ("check", "wrong", "mistake", "words"),
    MISTAKES,
    ids=[f"{c.__name__}-{m or w[:20]}" for c, _, m, w in MISTAKES],
)
def test_a_recognised_mistake_gets_its_likely_cause_on_stderr(check, wrong, mistake, words, capsys):
    result = check(wrong)
    printed = capsys.readouterr()
    assert not result.passed
    assert result.mistake == mistake, result.message
    assert re.search(words, result.message), result.message
    assert printed.out == "" and printed.err.startswith("✗ ")
    assert "Traceback" not in printed.err


def test_the_backward_hint_diagnoses_without_giving_away_04s_exercise_1():
    # Exercise 1 of notebook 04 asks what cutting `dz1 = relu_backward(...)` to `dz1 = dh1` does,
    # which arrays then fail and why the others pass: the hint names neither the line nor them.
    for skipped in (1, 0):
        result = ex.check_backward(lambda caches, skipped=skipped: backward(caches, skipped))
        assert result.mistake == "skipped-relu-backward"
        assert "relu_backward" in result.message and "passes no gradient" in result.message
        assert not re.search(r"dz\d|dh\d|[Wb][012]\b|are right|fail", result.message)


def test_counts_in_the_hints_are_printed_as_whole_numbers():
    for check, wrong in (
        (ex.check_count_parameters, lambda s: float(count_parameters(s) + 1)),
        (ex.check_count_always_blank_pixels, lambda X: 5.0),
        (ex.check_steps_per_epoch, lambda n, b: float(n)),
        (ex.check_count_dead_units, lambda acts: 5.0),
    ):
        result = check(wrong)
        assert not result.passed
        assert not re.search(r"\d\.0\b", result.message), result.message


def test_a_stub_is_reported_as_not_written_yet(capsys):
    def linear_forward(x, W, b):
        """out = x @ W + b."""
        # YOUR CODE HERE
        raise NotImplementedError()

    result = ex.check_linear_forward(linear_forward)
    assert result.mistake == "not-written"
    assert "not written yet" in capsys.readouterr().err


def test_an_exception_in_the_students_code_is_reported_in_words_with_its_line(capsys):
    def linear_backward(dout, cache):
        x, W = cache
        dx = dout @ W  # (3, 4) @ (5, 4) does not fit
        return dx, x.T @ dout, dout.sum(axis=0)

    result = ex.check_linear_backward(linear_backward)
    assert result.mistake == "raised"
    assert re.search(r"raised ValueError: matmul.*on the line `dx = dout @ W", result.message)
    assert "Traceback" not in capsys.readouterr().err


def test_calling_the_function_instead_of_passing_it_is_explained():
    result = ex.check_relu_forward(relu_forward(np.zeros((2, 2))))
    assert result.mistake == "not-a-function"
    assert "without calling it" in result.message


def test_a_forgotten_return_is_named():
    def relu_backward(dout, cache):
        dout * (cache > 0)

    result = ex.check_relu_backward(relu_backward)
    assert result.mistake == "returned-none"
    assert "forget the `return`" in result.message


def test_a_numpy_warning_in_the_students_code_becomes_a_message_not_output(capsys):
    def linear_forward(x, W, b):
        return np.log(x) @ W + b, (x, W)  # log of negative numbers: nan, with a RuntimeWarning

    result = ex.check_linear_forward(linear_forward)
    assert not result.passed
    assert result.mistake == "warning"
    assert "RuntimeWarning" not in capsys.readouterr().err


def test_a_result_shows_nothing_more_when_it_is_a_cells_last_value():
    result = ex.check_relu_backward(relu_backward)
    assert result._ipython_display_() is None
    assert str(result).startswith("✓ relu_backward: ")
    assert bool(result) is True


ODD_RESULTS = ["a string", None, {"a": 1}, np.array(-7.5), [1, 2], (np.zeros(2),), object()]


@pytest.mark.parametrize(("check", "answer"), RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_an_odd_result_never_escapes_as_an_exception(check, answer, capsys):
    for odd in ODD_RESULTS:

        def odd_function(*args, odd=odd, **kwargs):
            return odd

        result = check(odd_function)
        assert not result.passed, repr(odd)
        assert "Traceback" not in capsys.readouterr().err


def test_a_check_that_cannot_compare_a_result_still_answers_in_words(capsys):
    from mlp_lib.exercises.feedback import run_check

    def diagnose(function):
        return 1 + function()  # fails for a result the check did not foresee

    result = run_check("f", diagnose, lambda: "text")
    assert result.mistake == "unexpected-result"
    assert "could not be compared" in result.message and "docstring" in result.message
    assert "Traceback" not in capsys.readouterr().err
