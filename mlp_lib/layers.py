"""Layers of a fully connected network: Linear, ReLU and Dropout.

Every layer follows one protocol (see ``Layer``):

- ``forward(x)`` computes the output and keeps what ``backward`` needs;
- ``backward(dout)`` takes dL/dout, fills ``grads`` (same keys and shapes as ``params``)
  and returns dL/dx.

Unlike PyTorch, which stores a weight as ``(out, in)``, we store ``W`` as ``(n_in, n_out)`` and
compute ``x @ W``: the shapes then read left to right, like the maths.
"""

import numpy as np

from .checks import check_choice, check_float_dtype, check_int, check_number

INITS = ("normal", "he", "xavier")


class Layer:
    """Base class: ``params`` and ``grads`` are dicts with the same keys; empty for ReLU.

    ``training`` is True while the network learns and False when it predicts; only Dropout
    behaves differently (``MLP.forward`` sets it on every layer).
    """

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.training = False

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def forget(self):
        """Drop what ``forward`` kept for ``backward`` (after predicting, it is only memory)."""


def init_weights(n_in, n_out, init, rng, dtype=np.float32):
    """Draw a weight matrix W of shape (n_in, n_out).

    - ``"normal"``: N(0, 0.01²), the seed program's choice;
    - ``"he"``: N(0, 2 / n_in), keeps the activations' scale through ReLU layers;
    - ``"xavier"``: N(0, 2 / (n_in + n_out)), keeps the scale through linear/tanh layers.
    """
    check_choice("init", init, INITS)
    if init == "normal":
        std = 0.01
    elif init == "he":
        std = np.sqrt(2.0 / n_in)
    else:  # "xavier"
        std = np.sqrt(2.0 / (n_in + n_out))
    return (rng.standard_normal((n_in, n_out)) * std).astype(dtype)


class Linear(Layer):
    """Affine map: out = x @ W + b.

    Shapes: x (N, n_in) -> out (N, n_out); W (n_in, n_out); b (n_out,).
    Biases start at zero. ``compute_dx=False`` skips dL/dx, which the first layer of a
    network does not need (its input is the data): it saves a third of that layer's work.
    """

    def __init__(self, n_in, n_out, init="he", rng=None, dtype=np.float32, compute_dx=True):
        super().__init__()
        n_in, n_out = check_int("Linear n_in", n_in, low=1), check_int("Linear n_out", n_out, low=1)
        dtype = check_float_dtype(dtype, "Linear dtype")
        rng = np.random.default_rng() if rng is None else rng
        self.n_in, self.n_out, self.init = n_in, n_out, init
        self.compute_dx = compute_dx
        self.params["W"] = init_weights(self.n_in, self.n_out, init, rng, dtype)  # (n_in, n_out)
        self.params["b"] = np.zeros(self.n_out, dtype=dtype)  # (n_out,)
        self._x = None

    def __repr__(self):
        return f"Linear({self.n_in} -> {self.n_out}, init={self.init!r})"

    def forget(self):
        self._x = None

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.n_in:
            hint = "; flatten images with X.reshape(len(X), -1)" if x.ndim > 2 else ""
            raise ValueError(
                f"Linear(n_in={self.n_in}) expected x of shape (N, {self.n_in}), "
                f"got {x.shape}{hint}"
            )
        self._x = x  # kept for backward; overwritten each call
        out = x @ self.params["W"]  # (N, n_out)
        out += self.params["b"]  # in place: saves one (N, n_out) array
        return out

    def backward(self, dout):  # dout = dL/dout, (N, n_out)
        if self._x is None:
            raise RuntimeError("Linear.backward called before forward")
        self.grads["W"] = self._x.T @ dout  # (n_in, n_out)
        self.grads["b"] = dout.sum(axis=0)  # (n_out,)
        if not self.compute_dx:
            return None
        return dout @ self.params["W"].T  # dL/dx, (N, n_in)


class ReLU(Layer):
    """Rectified linear unit: out = max(x, 0), element-wise.

    Shapes: x (N, H) -> out (N, H). The derivative is 1 where x > 0 and 0 elsewhere;
    at exactly x = 0 we take 0 (any value in [0, 1] is a valid subgradient).
    """

    def __init__(self):
        super().__init__()
        self._mask = None

    def __repr__(self):
        return "ReLU()"

    def forget(self):
        self._mask = None

    def forward(self, x):
        self._mask = x > 0  # (N, H) booleans, kept for backward
        return np.maximum(x, 0)  # (N, H), same dtype as x

    def backward(self, dout):  # dout (N, H)
        if self._mask is None:
            raise RuntimeError("ReLU.backward called before forward")
        return dout * self._mask  # (N, H): gradient flows only where x > 0


class Dropout(Layer):
    """Inverted dropout: while training, drop each unit with probability p and scale the rest.

    out = x * mask / (1 - p), with mask[i, j] = 1 with probability 1 - p, else 0. Dividing by
    1 - p keeps the expected value of every unit unchanged, so at prediction time
    (``training`` False) the layer does nothing: out = x. A network that cannot rely on any
    single unit learns more redundant, more general features.
    Shapes: x (N, H) -> out (N, H).
    """

    def __init__(self, p=0.1, rng=None):
        super().__init__()
        self.p = check_number(
            "dropout probability p", p, low=0, high=1, high_open=True, hint="try 0.1"
        )
        self.rng = np.random.default_rng() if rng is None else rng
        self._scaled_mask = None

    def __repr__(self):
        return f"Dropout(p={self.p:g})"

    def forget(self):
        self._scaled_mask = None

    def forward(self, x):
        if not self.training or self.p == 0:
            self._scaled_mask = 1  # predicting: the identity
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p  # (N, H) booleans
        self._scaled_mask = keep * x.dtype.type(1 / (1 - self.p))  # (N, H): 0 or 1/(1-p)
        return x * self._scaled_mask  # (N, H)

    def backward(self, dout):  # dout (N, H)
        if self._scaled_mask is None:
            raise RuntimeError("Dropout.backward called before forward")
        return dout * self._scaled_mask  # (N, H): the dropped units pass no gradient back
