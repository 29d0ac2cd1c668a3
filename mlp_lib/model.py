"""The multi-layer perceptron: Linear -> ReLU -> ... -> Linear, with softmax cross-entropy."""

from pathlib import Path

import numpy as np

from .checks import check_choice, check_float_dtype, check_int, check_number
from .layers import INITS, Dropout, Linear, ReLU
from .losses import SoftmaxCrossEntropy, softmax
from .model_file import (
    ModelFormatError,
    SavedModel,
    check_network_size,
    read_model_file,
    write_model_file,
)

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
    probabilities by softmax inside the loss. With ``dropout=p > 0`` a ``Dropout(p)`` follows
    every ReLU; it acts only while training.

    Shapes: X (N, layer_sizes[0]) -> logits (N, layer_sizes[-1]).
    """

    def __init__(
        self, layer_sizes=(784, 32, 16, 10), *, init="he", seed=0, dtype=np.float32, dropout=0.0
    ):
        self.layer_sizes = check_layer_sizes(layer_sizes)  # before anything is allocated
        self.init = check_choice("init", init, INITS)
        self.dtype = check_float_dtype(dtype)
        # Checked here even without hidden layers (no Dropout is made then): it is saved.
        dropout = check_number("dropout", dropout, 0, 1, high_open=True, hint="try 0.1")
        rng = np.random.default_rng(seed)
        self.layers = []
        pairs = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            # The first layer's input is the data: no one needs dL/dX, so skip computing it.
            self.layers.append(
                Linear(n_in, n_out, init=init, rng=rng, dtype=self.dtype, compute_dx=(i > 0))
            )
            if i < len(pairs) - 1:
                self.layers.append(ReLU())
                if dropout:
                    self.layers.append(Dropout(dropout, rng=rng))  # validates p
        self.dropout = float(dropout)
        self.loss_fn = SoftmaxCrossEntropy()
        self.metadata = {}  # free-form strings saved with the model (preset, dataset, ...)

    def __repr__(self):
        sizes = " -> ".join(str(s) for s in self.layer_sizes)
        dropout = f", dropout={self.dropout:g}" if self.dropout else ""
        return f"MLP({sizes}, init={self.init!r}{dropout}, dtype={self.dtype.name})"

    @property
    def linear_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Linear)]

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
        self.loss_fn.probs = self.loss_fn._y = None

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
        """Save weights and sizes to a ``.npz`` file, atomically.

        The file is written to a temporary name in the same folder and renamed into place, so
        an interrupted save never leaves a half-written model. Extra keyword arguments are stored
        as strings (e.g. ``preset="seed"``) and come back in ``model.metadata`` (so do the
        entries of ``model.metadata``). Raises ValueError, before writing, if ``load`` could not
        read the file back: metadata beyond ``model_file``'s limits, weights that are nan or inf.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"model files end in .npz, got {str(path)!r}; try {path.stem}.npz")
        merged = {str(k): str(v) for k, v in {**self.metadata, **metadata}.items()}
        saved = SavedModel(
            self.layer_sizes, self.init, self.dtype.name, self.dropout, self.parameters(), merged
        )
        write_model_file(path, saved)
        self.metadata = merged
        return path

    @classmethod
    def load(cls, path, dtype=None):
        """Load a model saved by ``save``. Never unpickles anything.

        The file is checked completely (see ``model_file``) before the network is built.
        ``dtype`` (np.float32 or np.float64) converts the weights, e.g. to float64 so that
        predictions are the same to the last digit on every machine; default: as saved.
        """
        dtype = None if dtype is None else check_float_dtype(dtype)
        saved = read_model_file(path, dtype)  # refuses values that would not fit in dtype
        dtype = saved.dtype if dtype is None else dtype
        model = cls(saved.layer_sizes, init=saved.init, seed=0, dtype=dtype, dropout=saved.dropout)
        model.set_parameters(saved.parameters)
        model.metadata = saved.metadata
        return model
