"""The multi-layer perceptron: a list of layers, Linear -> activation -> ... -> Linear, with
softmax cross-entropy."""

import numpy as np

from .checks import check_float_dtype, check_int, check_model_path
from .layers import (
    Dropout,
    Layer,
    Linear,
    build_layer,
    layer_name,
    layer_spec,
    mlp_layer_specs,
    spec_shapes,
)
from .losses import SoftmaxCrossEntropy, softmax
from .model_file import (
    ModelFormatError,
    SavedModel,
    check_layers_size,
    check_network_size,
    write_model_file,
)
from .model_file_read import read_model_file

__all__ = ["MLP", "ModelFormatError", "check_layer_sizes"]

PREDICT_BATCH = 1000  # images predicted at a time


def check_layer_sizes(layer_sizes):
    """Return layer_sizes as a tuple of ints, or raise a clear ValueError.

    The network must also be one that a model file holds (``model_file.check_network_size``):
    what is built can be saved, and what is saved can be loaded.
    """
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise ValueError(
            f"layer_sizes must be a sequence such as (784, 32, 16, 10), got {layer_sizes!r}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least an input and an output size, e.g. (784, 10), got {sizes!r}"
        )
    sizes = tuple(
        check_int("every layer size", size, low=1, hint=f"in {sizes!r}") for size in sizes
    )
    return check_network_size(sizes, f"layer_sizes {sizes}", "try fewer or smaller layers")


class MLP:
    """A fully connected network: Linear, ReLU, Linear, ReLU, ..., Linear.

    ``MLP((784, 32, 16, 10))`` has three Linear layers (784->32, 32->16, 16->10) with a ReLU
    after each but the last; the last layer's outputs are the logits, turned into
    probabilities by softmax inside the loss. ``activation="tanh"`` puts another activation
    there (any of ``mlp_lib.layers.ACTIVATIONS``). With ``dropout=p > 0`` a ``Dropout(p)``
    follows every activation; it acts only while training.

    Any other list of layers: ``MLP.from_layers([Linear(784, 64), Tanh(), Linear(64, 10)])``.
    ``model.layers`` is that list; ``layer_sizes``, ``init``, ``dropout`` and ``activation``
    are read from it.

    Shapes: X (N, layer_sizes[0]) -> logits (N, layer_sizes[-1]).
    """

    def __init__(
        self,
        layer_sizes=(784, 32, 16, 10),
        *,
        init="he",
        seed=0,
        dtype=np.float32,
        dropout=0.0,
        activation="relu",
    ):
        sizes = check_layer_sizes(layer_sizes)  # before anything is allocated
        specs = mlp_layer_specs(sizes, init=init, dropout=dropout, activation=activation)
        self._build(specs, seed, check_float_dtype(dtype))

    @classmethod
    def from_layers(cls, layers, *, seed=0, dtype=None):
        """An MLP of these layers, in order: ``Layer`` objects, used as they are, or layer specs
        such as ``{"name": "tanh"}`` (``mlp_lib.layers.check_spec``), built with parameters drawn
        from ``seed``.

        ``dtype``: that of the parameters; default: the given layers', else float32. The Linear
        layers must chain (each one's n_in is the n_out before it); the other layers keep the
        width. Raises ValueError before building anything a model file could not hold.
        """
        if isinstance(layers, (Layer, dict, str)) or not hasattr(layers, "__iter__"):
            raise TypeError(
                f"layers must be a list of layers or layer specs, e.g. [Linear(784, 10)], "
                f"got {layers!r:.80}"
            )
        model = cls.__new__(cls)  # not __init__: that one builds from layer sizes
        model._build(list(layers), seed, dtype)
        return model

    def _build(self, layers, seed, dtype):
        """Check ``layers`` (objects or specs) against the limits, build the specs in order with
        one generator (so ``MLP(sizes, seed=s)`` draws the same weights as ever), check the result."""
        shapes = [_parameter_shapes(i, layer) for i, layer in enumerate(layers)]
        check_layers_size(shapes, "layers")  # counted before anything is allocated
        self.dtype = _parameter_dtype(layers) if dtype is None else check_float_dtype(dtype)
        rng = np.random.default_rng(seed)
        self.layers = [
            layer if isinstance(layer, Layer) else build_layer(layer, rng, self.dtype)
            for layer in layers
        ]
        _check_chain(self.layers, self.dtype)
        self.loss_fn = SoftmaxCrossEntropy()
        self.metadata = {}  # free-form strings saved with the model (preset, dataset, ...)

    def __repr__(self):
        shorthand = self._shorthand()
        if shorthand is None:  # not a network MLP(layer_sizes, ...) makes: list its layers
            return f"MLP([{', '.join(map(repr, self.layers))}], dtype={self.dtype.name})"
        sizes = " -> ".join(str(s) for s in self.layer_sizes)
        activation = shorthand["activation"]
        activation = f", activation={activation!r}" if activation != "relu" else ""
        dropout = f", dropout={self.dropout:g}" if self.dropout else ""
        return f"MLP({sizes}, init={self.init!r}{activation}{dropout}, dtype={self.dtype.name})"

    def _shorthand(self):
        """The settings with which ``MLP(layer_sizes, ...)`` builds these very layers, or None."""
        if any(layer_name(layer) is None for layer in self.layers):
            return None
        activations = [layer_name(layer) for layer in self.layers if layer.is_activation]
        settings = {
            "init": self.linear_layers[0].init,
            "dropout": self.dropout,
            "activation": activations[0] if activations else "relu",
        }
        specs = mlp_layer_specs(self.layer_sizes, **settings)
        return settings if specs == [layer_spec(layer) for layer in self.layers] else None

    @property
    def linear_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    @property
    def layer_sizes(self):
        """The inputs and every Linear layer's outputs, e.g. (784, 32, 16, 10)."""
        linear = self.linear_layers
        return (linear[0].n_in, *(layer.n_out for layer in linear))

    @property
    def init(self):
        """How the Linear layers' weights were drawn ("he", ...); None if they differ."""
        inits = {layer.init for layer in self.linear_layers}
        return inits.pop() if len(inits) == 1 else None

    @property
    def dropout(self):
        """The largest dropout probability of the network's Dropout layers; 0.0 without any."""
        return max((layer.p for layer in self.layers if isinstance(layer, Dropout)), default=0.0)

    @property
    def activation(self):
        """The activation layers' name ("relu", "tanh", ...); None if they differ or there are
        none (a network without hidden layers)."""
        names = {layer_name(layer) for layer in self.layers if layer.is_activation}
        return names.pop() if len(names) == 1 else None

    def forward(self, X, training=False):
        """Logits for a batch. Shapes: X (N, D) -> (N, C).

        ``training=True`` (``fit`` passes it) switches dropout on; predictions leave it off.
        """
        X = np.asarray(X)
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)  # one cast here keeps every layer in the model's dtype
        out = X
        for layer in self.layers:
            layer.training = training
            out = layer.forward(out)
        return out

    def loss(self, X, y, training=False):
        """Forward pass and mean softmax cross-entropy loss (a scalar)."""
        return self.loss_fn.forward(self.forward(X, training), y)

    def backward(self):
        """Backpropagate from the last ``loss`` call; fills every layer's ``grads``."""
        dout = self.loss_fn.backward()  # (N, C)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def predict_proba(self, X):
        """Class probabilities. Shapes: X (N, D) -> (N, C), rows sum to 1."""
        return self._in_batches(X, softmax)

    def predict(self, X):
        """Predicted classes. Shapes: X (N, D) -> (N,) integers."""
        return self._in_batches(X, lambda logits: logits.argmax(axis=1))

    def _in_batches(self, X, then):
        """``then(logits)`` for ``PREDICT_BATCH`` images at a time, joined: the hidden layers of
        60,000 images are never all in memory at once, and nothing is kept for a backward pass."""
        X = np.asarray(X)
        parts = [
            then(self.forward(X[start : start + PREDICT_BATCH]))
            for start in range(0, max(len(X), 1), PREDICT_BATCH)
        ]
        self.forget()
        return np.concatenate(parts)

    def forget(self):
        """Drop what the last forward pass kept for a backward pass: every layer's cached input and
        the loss's probabilities. ``fit`` and ``evaluate`` call it when they are done, so that a
        trained network holds only its parameters (a float64 batch of 1,000 images is 6 MB)."""
        for layer in self.layers:
            layer.forget()
        self.loss_fn.forget()

    def parameters(self):
        """Every layer's parameters by name, e.g. {"W0": (784, 32), "b0": (32,), "W1": ...}.

        Layers are numbered in the order they hold parameters (ReLU and Dropout hold none), and
        the arrays are the layers' own: an optimizer that changes them in place trains the model.
        """
        return {
            f"{key}{i}": value
            for i, layer in enumerate(self.trainable_layers)
            for key, value in layer.params.items()
        }

    def gradients(self):
        """Every layer's gradients from the last ``backward``, named as in ``parameters``."""
        return {
            f"{key}{i}": value
            for i, layer in enumerate(self.trainable_layers)
            for key, value in layer.grads.items()
        }

    @property
    def trainable_layers(self):
        """The layers that have parameters, in order."""
        return [layer for layer in self.layers if layer.params]

    def set_parameters(self, params):
        """Copy parameters into the model (same names and shapes as ``parameters()``)."""
        own = self.parameters()
        for name, value in params.items():
            own[name][...] = value

    # ---- saving and loading (the format itself is in model_file.py) ---------------------------

    def save(self, path, **metadata):
        """Save the layers (each one's name and config) and their parameters to a ``.npz`` file
        (``model_file``'s format 3), atomically.

        The file is written to a temporary name in the same folder and renamed into place, so
        an interrupted save never leaves a half-written model. Extra keyword arguments are stored
        as strings (e.g. ``preset="seed"``) and come back in ``model.metadata`` (so do the
        entries of ``model.metadata``). Raises ValueError, before writing, if ``load`` could not
        read the file back: a layer whose class is not in ``mlp_lib.layers.LAYERS``, metadata
        beyond ``model_file``'s limits, weights that are nan or inf.
        """
        path = check_model_path(path)
        merged = {str(k): str(v) for k, v in {**self.metadata, **metadata}.items()}
        try:
            specs = [layer_spec(layer) for layer in self.layers]
        except ValueError as exc:  # a layer whose class is not in LAYERS
            raise ValueError(f"cannot save {path}: {exc}") from None
        saved = SavedModel(
            layers=specs,
            parameters=[layer.params for layer in self.layers],
            dtype=self.dtype.name,
            metadata=merged,
        )
        write_model_file(path, saved)
        self.metadata = merged
        return path

    @classmethod
    def load(cls, path, dtype=None):
        """Load a model saved by ``save``. Never unpickles anything.

        The file is checked completely (see ``model_file``) before the network is built from its
        list of layers; files of formats 1 and 2 (before layers were stored) load too.
        ``dtype`` (np.float32 or np.float64) converts the weights, e.g. to float64 so that
        predictions are the same to the last digit on every machine; default: as saved.
        """
        dtype = None if dtype is None else check_float_dtype(dtype)
        saved = read_model_file(path, dtype)  # refuses values that would not fit in dtype
        try:
            model = cls.from_layers(saved.layers, dtype=saved.dtype if dtype is None else dtype)
        except ValueError as exc:  # layers that are not an MLP, e.g. Linear sizes that differ
            raise ModelFormatError(f"{path}: {exc}; is this the right file?") from None
        for layer, params in zip(model.layers, saved.parameters):
            for key, value in params.items():
                layer.params[key][...] = value  # converted to the model's dtype
        model.metadata = saved.metadata
        return model


def _parameter_shapes(i, layer):
    """The shapes of the parameters of ``layers[i]``, a Layer or a spec (checked, not built)."""
    if isinstance(layer, Layer):
        return {key: value.shape for key, value in layer.params.items()}
    if not isinstance(layer, dict):
        raise TypeError(
            f"layers[{i}] must be a Layer such as ReLU() or a spec such as {{'name': 'relu'}}, "
            f"got {layer!r:.60}"
        )
    try:
        return spec_shapes(layer)
    except ValueError as exc:
        raise ValueError(f"layers[{i}]: {exc}") from None


def _parameter_dtype(layers):
    """The dtype of the first parameter among the Layer objects in ``layers``; else float32."""
    dtypes = (
        value.dtype
        for layer in layers
        if isinstance(layer, Layer)
        for value in layer.params.values()
    )
    return check_float_dtype(next(dtypes, np.float32), "the layers' dtype")


def _check_chain(layers, dtype):
    """Refuse layers an MLP cannot run: none Linear, Linear sizes that do not follow each other,
    a layer twice in the list, or parameters of another dtype than the network's."""
    linear = [layer for layer in layers if isinstance(layer, Linear)]
    if not linear:
        raise ValueError(f"an MLP needs at least one Linear layer, got {layers!r:.100}")
    for before, after in zip(linear, linear[1:]):
        if after.n_in != before.n_out:
            raise ValueError(
                f"{before!r} is followed by {after!r}: a Linear layer's n_in must be the n_out "
                f"of the one before it ({before.n_out})"
            )
    for i, layer in enumerate(layers):
        if any(other is layer for other in layers[:i]):
            raise ValueError(
                f"layers[{i}] ({layer!r}) is in the list twice: each layer keeps its own input "
                f"for backward, so make a new one"
            )
        for key, value in layer.params.items():
            if value.dtype != dtype:
                raise ValueError(
                    f"layers[{i}] ({layer!r}) holds {key} as {value.dtype}, but the network is "
                    f"{dtype.name}; make its layers with dtype=np.{dtype.name}"
                )
