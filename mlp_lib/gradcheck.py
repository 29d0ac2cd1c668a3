"""Numerical gradients by central differences, to check every backward pass.

    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

The error of this estimate shrinks like eps², so in float64 with eps = 1e-6 a correct analytic
gradient agrees to a relative error of about 1e-8 or better. float32 is far too coarse for this:
always check gradients in float64.
"""

import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored. Shapes: x (any) -> same shape.
    """
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical gradients need float64 arrays, got {x.dtype}; "
            "build the model or layer with dtype=np.float64"
        )
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views onto x and grad
    for i in range(flat_x.size):
        saved = flat_x[i]
        flat_x[i] = saved + eps
        f_plus = f()
        flat_x[i] = saved - eps
        f_minus = f()
        flat_x[i] = saved
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max |a - b| / max(|a| + |b|), a scale-free distance between two gradients (0 = equal)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    scale = np.max(np.abs(a) + np.abs(b))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def check_layer_gradients(layer, x, seed=0, eps=1e-6):
    """Compare a layer's backward with numerical gradients.

    Uses the scalar L = sum(forward(x) * R) for a fixed random R, so dL/dout = R.
    Returns {"x": err, "W": err, ...}: relative errors of dL/dx and of every parameter.
    """
    rng = np.random.default_rng(seed)
    R = rng.standard_normal(layer.forward(x).shape)  # (N, n_out)

    def f():
        return float(np.sum(layer.forward(x) * R))

    layer.forward(x)
    dx = layer.backward(R)
    analytic = {"x": dx} if dx is not None else {}
    analytic.update({name: grad.copy() for name, grad in layer.grads.items()})
    errors = {}
    for name, grad in analytic.items():
        target = x if name == "x" else layer.params[name]
        errors[name] = relative_error(grad, numerical_gradient(f, target, eps))
    return errors


def check_model_gradients(model, X, y, eps=1e-6):
    """Compare the backpropagated gradients of the whole model with numerical ones.

    Returns {"W0": err, "b0": err, ...}: the relative error for every parameter.
    """
    model.loss(X, y)
    model.backward()
    analytic = {name: grad.copy() for name, grad in model.gradients().items()}

    def f():
        return float(model.loss(X, y))

    return {
        name: relative_error(analytic[name], numerical_gradient(f, param, eps))
        for name, param in model.parameters().items()
    }
