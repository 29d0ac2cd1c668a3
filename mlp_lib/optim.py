"""Optimizers: how a gradient turns into a step. Each updates the parameter arrays in place.

Usage, once per mini-batch::

    model.loss(X, y, training=True); model.backward()
    optimizer.step(model.parameters(), model.gradients())

Every optimizer takes ``weight_decay`` (λ, default 0): before each step, every weight *matrix*
shrinks a little, W <- (1 - lr·λ) W. Biases are left alone, as is usual. For plain SGD this is
exactly gradient descent on the loss plus the L2 penalty λ/2·‖W‖²; for Adam it is "AdamW"
(Loshchilov & Hutter, 2019), which works better than adding λW to Adam's gradient.
"""

from dataclasses import dataclass

import numpy as np

from .checks import check_number


def check_lr(lr):
    """The learning rate as a float, if it is a positive finite number."""
    return check_number("learning rate", lr, low=0, low_open=True, hint="try 0.01")


def check_weight_decay(weight_decay):
    """The weight decay λ as a float, if it is a finite number >= 0."""
    return check_number("weight_decay", weight_decay, low=0, hint="try 0 (none) or 5e-4")


def check_decay_factor(lr, weight_decay):
    """Refuse lr·λ >= 1: the factor (1 - lr·λ) that shrinks the weights each step must stay > 0."""
    if lr * weight_decay >= 1:
        raise ValueError(
            f"weight_decay {weight_decay:g} is too large for the learning rate {lr:g}: every step "
            f"would multiply the weights by 1 - lr·weight_decay = {1 - lr * weight_decay:.3g}, "
            f"which must stay above 0; use a weight decay below 1/lr = {1 / lr:.3g}, e.g. 5e-4"
        )


class Optimizer:
    """Base class: ``lr`` (changed by learning-rate schedules between steps) and ``weight_decay``."""

    def __init__(self, lr, weight_decay=0.0):
        self.lr = check_lr(lr)
        self.weight_decay = check_weight_decay(weight_decay)
        check_decay_factor(self.lr, self.weight_decay)
        self.state = {}  # per-parameter arrays (velocity, ...), by parameter name

    def _extra(self):
        return f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""

    def arrays_for(self, name, p, *kinds):
        """This parameter's arrays of the given kinds (shaped like p), created zeroed on first use.

        They are kept between steps: a velocity must be, and reusing a scratch array ("lr*g")
        instead of allocating a new one every step saves time on big layers.
        """
        arrays = self.state.setdefault(name, {})
        for kind in kinds:
            if kind not in arrays:
                arrays[kind] = np.zeros_like(p)
        return [arrays[kind] for kind in kinds]

    def decay_weights(self, params):
        """W <- (1 - lr·λ) W for every weight matrix (ndim > 1); biases are not decayed."""
        if self.weight_decay:
            for p in params.values():
                if p.ndim > 1:
                    p *= 1 - self.lr * self.weight_decay

    def step(self, params, grads):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent, the seed program's update: p <- p - lr * g."""

    def __repr__(self):
        return f"SGD(lr={self.lr:g}{self._extra()})"

    def step(self, params, grads):
        self.decay_weights(params)
        for name, p in params.items():
            (scaled,) = self.arrays_for(name, p, "lr*g")
            np.multiply(grads[name], self.lr, out=scaled)  # lr * g, into a reused array
            p -= scaled


class Momentum(Optimizer):
    """SGD with momentum: v <- mu * v - lr * g;  p <- p + v.

    The velocity v remembers past gradients, so steps speed up along directions that agree
    and cancel out along directions that zig-zag.
    """

    def __init__(self, lr=0.05, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = check_number(
            "momentum", momentum, low=0, high=1, high_open=True, hint="try 0.9"
        )

    def __repr__(self):
        return f"Momentum(lr={self.lr:g}, momentum={self.momentum:g}{self._extra()})"

    def step(self, params, grads):
        self.decay_weights(params)
        for name, p in params.items():
            v, scaled = self.update_velocity(name, p, grads[name])
            self.move(p, v, scaled)

    def update_velocity(self, name, p, g):
        """v <- mu * v - lr * g for parameter ``name``; returns v and the array holding lr * g."""
        v, scaled = self.arrays_for(name, p, "velocity", "lr*g")
        np.multiply(g, self.lr, out=scaled)  # lr * g, into a reused array
        v *= self.momentum
        v -= scaled
        return v, scaled

    def move(self, p, v, scaled):
        """p <- p + v."""
        p += v


class Nesterov(Momentum):
    """SGD with Nesterov momentum: the gradient is taken where the velocity is about to carry us.

    v <- mu * v - lr * g;  p <- p + mu * v - lr * g  (Sutskever et al., 2013, rewritten so that
    g is the gradient at the current parameters). Like looking ahead before stepping: it brakes
    earlier than plain momentum when the slope turns.
    """

    def __repr__(self):
        return f"Nesterov(lr={self.lr:g}, momentum={self.momentum:g}{self._extra()})"

    def move(self, p, v, scaled):
        """p <- p + mu * v - lr * g."""
        p += self.momentum * v
        p -= scaled


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum on g and a per-parameter step size from g².

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g²;  p <- p - lr * m̂ / (sqrt(v̂) + eps),
    where m̂, v̂ correct the bias of starting m and v at zero.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            check_number(f"Adam {name}", beta, low=0, high=1, high_open=True, hint="try 0.9")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0

    def __repr__(self):
        return f"Adam(lr={self.lr:g}{self._extra()})"

    def step(self, params, grads):
        self.decay_weights(params)
        self.t += 1
        correction1 = 1 - self.beta1**self.t
        correction2 = 1 - self.beta2**self.t
        for name, p in params.items():
            g = grads[name]
            m, v = self.arrays_for(name, p, "m", "v")
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= (self.lr / correction1) * m / (np.sqrt(v / correction2) + self.eps)


@dataclass(frozen=True)
class OptimizerChoice:
    """An optimizer as the command line and the playground offer it.

    ``label`` is its name for people; ``typical_lr`` a learning rate that usually works for it on
    MNIST (the playground calls ten times that "large" when a run fails to learn).
    """

    cls: type
    label: str
    typical_lr: float


# Every optimizer the command line and the playground offer, by the name they use for it.
OPTIMIZERS = {
    "sgd": OptimizerChoice(SGD, "SGD", typical_lr=0.1),
    "momentum": OptimizerChoice(Momentum, "SGD + momentum", typical_lr=0.05),
    "nesterov": OptimizerChoice(Nesterov, "SGD + Nesterov momentum", typical_lr=0.05),
    "adam": OptimizerChoice(Adam, "Adam", typical_lr=0.001),
}


def make_optimizer(name, lr, **options):
    """Build an optimizer by its name in ``OPTIMIZERS`` (options: e.g. ``weight_decay``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name].cls(lr, **options)
