"""Optimizers: how a gradient turns into a step. Each updates the parameter arrays in place.

Usage, once per mini-batch::

    model.loss(X, y); model.backward()
    optimizer.step(model.parameters(), model.gradients())
"""

import math

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")


def check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) \
            or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"learning rate must be a positive number, got {lr!r}; try 0.01")
    return float(lr)


class SGD:
    """Plain gradient descent, the seed program's update: p <- p - lr * g."""

    def __init__(self, lr=0.01):
        self.lr = check_lr(lr)

    def __repr__(self):
        return f"SGD(lr={self.lr:g})"

    def step(self, params, grads):
        for name, p in params.items():
            p -= self.lr * grads[name]


class Momentum:
    """SGD with momentum: v <- mu * v - lr * g;  p <- p + v.

    The velocity v remembers past gradients, so steps speed up along directions that agree
    and cancel out along directions that zig-zag.
    """

    def __init__(self, lr=0.05, momentum=0.9):
        self.lr = check_lr(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}; try 0.9")
        self.momentum = float(momentum)
        self.velocity = {}

    def __repr__(self):
        return f"Momentum(lr={self.lr:g}, momentum={self.momentum:g})"

    def step(self, params, grads):
        for name, p in params.items():
            v = self.velocity.setdefault(name, np.zeros_like(p))
            v *= self.momentum
            v -= self.lr * grads[name]
            p += v


class Adam:
    """Adam (Kingma & Ba, 2015): momentum on g and a per-parameter step size from g².

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g²;  p <- p - lr * m̂ / (sqrt(v̂) + eps),
    where m̂, v̂ correct the bias of starting m and v at zero.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = check_lr(lr)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam {name} must be in [0, 1), got {beta!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m, self.v, self.t = {}, {}, 0

    def __repr__(self):
        return f"Adam(lr={self.lr:g})"

    def step(self, params, grads):
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for name, p in params.items():
            g = grads[name]
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= (self.lr / correction1) * m / (np.sqrt(v / correction2) + self.eps)


def make_optimizer(name, lr, **options):
    """Build an optimizer by name: "sgd", "momentum" or "adam"."""
    if name == "sgd":
        return SGD(lr, **options)
    if name == "momentum":
        return Momentum(lr, **options)
    if name == "adam":
        return Adam(lr, **options)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
