"""Layers of a fully connected network: Linear, the activations ReLU, Sigmoid and Tanh, Dropout.

Every layer follows one protocol (see ``Layer``):

- ``forward(x)`` computes the output and keeps what ``backward`` needs;
- ``backward(dout)`` takes dL/dout, fills ``grads`` (same keys and shapes as ``params``)
  and returns dL/dx;
- ``forget()`` drops what ``forward`` kept;
- ``config()`` is what rebuilds the layer without its arrays (its constructor's arguments, as JSON
  values), and ``from_config(config)`` rebuilds it.

A network is a list of layers, and as data a list of *specs* such as
``{"name": "dropout", "config": {"p": 0.1}}``: that is what a model file stores. ``LAYERS`` maps
each name to its class, so **a new layer is its class and one line in** ``LAYERS``; if the class
says ``is_activation = True``, ``MLP(..., activation=name)`` can use it too (``ACTIVATIONS``).

Unlike PyTorch, which stores a weight as ``(out, in)``, we store ``W`` as ``(n_in, n_out)`` and
compute ``x @ W``: the shapes then read left to right, like the maths.
"""

import inspect

import numpy as np

from .checks import check_bool, check_choice, check_float_dtype, check_int, check_number

INITS = ("normal", "he", "xavier")
NETWORK_ARGUMENTS = ("rng", "dtype")  # the network's, given to every layer that takes them


class Layer:
    """Base class: ``params`` and ``grads`` are dicts with the same keys; empty for ReLU.

    ``training`` is True while the network learns and False when it predicts; only Dropout
    behaves differently (``MLP.forward`` sets it on every layer).
    """

    is_activation = False  # True for an element-wise nonlinearity that MLP(activation=...) may use

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.training = False

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({arguments})"  # e.g. "ReLU()"

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def forget(self):
        """Drop what ``forward`` kept for ``backward`` (after predicting, it is only memory)."""

    def config(self):
        """The constructor's arguments that rebuild this layer without its arrays, as JSON values
        (numbers, strings, booleans); ``{}`` for a layer that takes none."""
        return {}

    @classmethod
    def from_config(cls, config, *, rng=None, dtype=np.float32):
        """A layer like the one whose ``config()`` this is, with new parameters.

        ``rng`` and ``dtype`` belong to the network: they go to the constructor if it takes them.
        The constructor checks the values.
        """
        takes = inspect.signature(cls).parameters
        given = {key: value for key, value in {"rng": rng, "dtype": dtype}.items() if key in takes}
        return cls(**config, **given)

    @classmethod
    def parameter_shapes(cls, config):
        """The shapes ``params`` will have for ``config`` (``{}`` without parameters), its values
        checked. This builds the layer to find out; a layer whose parameters can be large computes
        them instead, so that a model file declaring a huge one is refused before it is made."""
        layer = cls.from_config(config)
        return {key: value.shape for key, value in layer.params.items()}


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
        n_in, n_out, init, compute_dx = self.check_arguments(n_in, n_out, init, compute_dx)
        dtype = check_float_dtype(dtype, "Linear dtype")
        rng = np.random.default_rng() if rng is None else rng
        self.n_in, self.n_out, self.init = n_in, n_out, init
        self.compute_dx = compute_dx
        self.params["W"] = init_weights(self.n_in, self.n_out, init, rng, dtype)  # (n_in, n_out)
        self.params["b"] = np.zeros(self.n_out, dtype=dtype)  # (n_out,)
        self._x = None

    @staticmethod
    def check_arguments(n_in, n_out, init="he", compute_dx=True):
        """The arguments, checked: two positive sizes, one of ``INITS``, True or False."""
        return (
            check_int("Linear n_in", n_in, low=1),
            check_int("Linear n_out", n_out, low=1),
            check_choice("init", init, INITS),
            check_bool("Linear compute_dx", compute_dx),
        )

    @classmethod
    def parameter_shapes(cls, config):
        n_in, n_out, _, _ = cls.check_arguments(**config)  # counted, not allocated
        return {"W": (n_in, n_out), "b": (n_out,)}

    def __repr__(self):
        return f"Linear({self.n_in} -> {self.n_out}, init={self.init!r})"

    def config(self):
        return {
            "n_in": self.n_in,
            "n_out": self.n_out,
            "init": self.init,
            "compute_dx": self.compute_dx,
        }

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

    is_activation = True

    def __init__(self):
        super().__init__()
        self._mask = None

    def forget(self):
        self._mask = None

    def forward(self, x):
        self._mask = x > 0  # (N, H) booleans, kept for backward
        return np.maximum(x, 0)  # (N, H), same dtype as x

    def backward(self, dout):  # dout (N, H)
        if self._mask is None:
            raise RuntimeError("ReLU.backward called before forward")
        return dout * self._mask  # (N, H): gradient flows only where x > 0


class Sigmoid(Layer):
    """Logistic sigmoid: out = 1 / (1 + exp(-x)), element-wise, squashing every x into (0, 1).

    The derivative is out * (1 - out): at most 1/4 (at x = 0) and close to 0 for large |x|, where
    the unit saturates and passes almost no gradient back. exp(-x) overflows for x below -709
    (-88 in float32), so only exp(-|x|) <= 1 is computed: with e = exp(-|x|),
    out = 1 / (1 + e) where x >= 0 and e / (1 + e) where x < 0 (the same number).
    Shapes: x (N, H) -> out (N, H).
    """

    is_activation = True

    def __init__(self):
        super().__init__()
        self._out = None

    def forget(self):
        self._out = None

    def forward(self, x):
        e = np.exp(-np.abs(x))  # (N, H), in (0, 1]: never overflows
        self._out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))  # (N, H), kept for backward
        return self._out

    def backward(self, dout):  # dout (N, H)
        if self._out is None:
            raise RuntimeError("Sigmoid.backward called before forward")
        return dout * self._out * (1 - self._out)  # (N, H): d sigmoid / dx = out (1 - out)


class Tanh(Layer):
    """Hyperbolic tangent: out = tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)), element-wise.

    A sigmoid stretched to (-1, 1) and centred on 0 (tanh(x) = 2 sigmoid(2x) - 1), so the next
    layer's inputs are centred too. The derivative is 1 - out²: 1 at x = 0, close to 0 for large
    |x|. ``np.tanh`` is computed stably for every x. Shapes: x (N, H) -> out (N, H).
    """

    is_activation = True

    def __init__(self):
        super().__init__()
        self._out = None

    def forget(self):
        self._out = None

    def forward(self, x):
        self._out = np.tanh(x)  # (N, H), in (-1, 1), kept for backward
        return self._out

    def backward(self, dout):  # dout (N, H)
        if self._out is None:
            raise RuntimeError("Tanh.backward called before forward")
        return dout * (1 - self._out**2)  # (N, H): d tanh / dx = 1 - out²


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

    def config(self):
        return {"p": self.p}

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


# ---- the registry: a layer's name in a model file -> its class ----------------------------------

LAYERS = {"linear": Linear, "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "dropout": Dropout}
ACTIVATIONS = tuple(name for name, cls in LAYERS.items() if cls.is_activation)


def layer_name(layer):
    """The name of ``layer``'s class in ``LAYERS``, or None if it is not there."""
    return next((name for name, cls in LAYERS.items() if type(layer) is cls), None)


def layer_spec(layer):
    """The layer as data: {"name": ..., "config": {...}}; ValueError if its class has no name."""
    name = layer_name(layer)
    if name is None:
        raise ValueError(
            f"{layer!r} is a {type(layer).__name__}, which is not in mlp_lib.layers.LAYERS; "
            f"add it there (LAYERS[name] = {type(layer).__name__}) to save it"
        )
    return {"name": name, "config": layer.config()}


def config_arguments(cls):
    """(every argument, the required ones) that a config of ``cls`` may hold: the constructor's
    arguments, but for ``rng`` and ``dtype``, which the network gives."""
    arguments = [
        p for p in inspect.signature(cls).parameters.values() if p.name not in NETWORK_ARGUMENTS
    ]
    return [p.name for p in arguments], [p.name for p in arguments if p.default is p.empty]


def check_spec(spec):
    """``(cls, config)`` for a spec such as {"name": "dropout", "config": {"p": 0.1}} whose name
    is in ``LAYERS`` and whose config holds arguments of that class, the required ones included
    (``"config"`` may be left out for a layer without arguments); else ValueError. The values
    are the class's to check."""
    is_spec = isinstance(spec, dict) and spec.keys() <= {"name", "config"}
    if not is_spec or not isinstance(spec.get("name"), str):
        raise ValueError(
            f"a layer spec is a dict {{'name': ..., 'config': {{...}}}}, e.g. {{'name': 'relu'}}, "
            f"got {spec!r:.80}"
        )
    name, config = spec["name"], spec.get("config", {})
    if name not in LAYERS:
        raise ValueError(f"unknown layer {name!r:.40}; the layers are {', '.join(LAYERS)}")
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {name!r} layer must be a dict, got {config!r:.80}")
    _check_config_keys(name, config)
    return LAYERS[name], config


def _check_config_keys(name, config):
    """Refuse keys that are not arguments of the layer's class, and missing required ones."""
    names, required = config_arguments(LAYERS[name])
    unknown = sorted(str(key)[:40] for key in config if key not in names)
    if unknown:
        takes = ", ".join(names) if names else "no arguments"
        raise ValueError(f"a {name!r} layer takes {takes}; got unknown {unknown[:5]}")
    missing = [key for key in required if key not in config]
    if missing:
        raise ValueError(f"a {name!r} layer needs {', '.join(required)}; missing {missing}")


def build_layer(spec, rng=None, dtype=np.float32):
    """A new layer from its spec (see ``check_spec``), with parameters drawn from ``rng``."""
    cls, config = check_spec(spec)
    return cls.from_config(config, rng=rng, dtype=dtype)


def spec_shapes(spec):
    """The shapes of the parameters a layer built from ``spec`` would hold, its values checked;
    a Linear layer's are counted, not allocated (see ``Layer.parameter_shapes``)."""
    cls, config = check_spec(spec)
    return cls.parameter_shapes(config)


def mlp_layer_specs(layer_sizes, *, init="he", dropout=0.0, activation="relu"):
    """The specs of ``MLP(layer_sizes, ...)``'s layers: Linear, activation, Dropout, ..., Linear.

    A Linear layer for each pair of sizes; after every one but the last, the activation and (if
    ``dropout`` > 0) a Dropout. The first Linear skips dL/dx (its input is the data). ``init``,
    ``dropout`` and ``activation`` are checked even when there is no hidden layer to use them.
    """
    init = check_choice("init", init, INITS)
    dropout = check_number("dropout", dropout, 0, 1, high_open=True, hint="try 0.1")
    activation = check_choice("activation", activation, ACTIVATIONS)
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    specs = []
    for i, (n_in, n_out) in enumerate(pairs):
        config = {"n_in": n_in, "n_out": n_out, "init": init, "compute_dx": i > 0}
        specs.append({"name": "linear", "config": config})
        if i < len(pairs) - 1:
            specs.append({"name": activation, "config": {}})
            if dropout:
                specs.append({"name": "dropout", "config": {"p": dropout}})
    return specs
