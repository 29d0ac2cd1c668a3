"""The multi-layer perceptron: Linear -> ReLU -> ... -> Linear, with softmax cross-entropy."""

import io
import zipfile
from pathlib import Path

import numpy as np

from .idx import write_bytes_atomically
from .layers import INITS, Dropout, Linear, ReLU
from .losses import SoftmaxCrossEntropy, softmax

FORMAT_VERSION = 1
METADATA_KEYS = ("format_version", "init", "dtype", "dropout", "metadata")


class ModelFormatError(ValueError):
    """A model file that is not one written by ``MLP.save``."""


NOT_A_MODEL = (
    "model files are .npz archives of plain arrays written by MLP.save; pickled files "
    "are refused because loading them can run code"
)


def read_plain_npz(path):
    """All arrays of an .npz archive as a dict, refusing anything pickled (it could run code)."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head[:4] != b"PK\x03\x04":  # every .npz is a zip archive
        kind = (
            "a single NumPy array (.npy)"
            if head == b"\x93NUMPY"
            else "a pickle"
            if head[:1] == b"\x80"
            else "not an .npz archive"
        )
        raise ModelFormatError(f"{path}: not a model file ({kind}); {NOT_A_MODEL}")
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                try:
                    arrays[key] = npz[key]
                except ValueError as exc:
                    if "pickle" not in str(exc):  # a damaged member, not a pickled one
                        raise
                    raise ModelFormatError(
                        f"{path}: the array {key!r} holds pickled Python objects; {NOT_A_MODEL}"
                    ) from None
    except ModelFormatError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(
            f"{path}: not a model file (a damaged .npz archive: "
            f"{type(exc).__name__}); {NOT_A_MODEL}"
        ) from None
    return arrays


def check_layer_sizes(layer_sizes):
    """Return layer_sizes as a tuple of ints, or raise a clear ValueError."""
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
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(
                f"every layer size must be a positive integer, got {size!r} in {sizes!r}"
            )
    return tuple(int(s) for s in sizes)


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
        self.layer_sizes = check_layer_sizes(layer_sizes)
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.dtype = np.dtype(dtype)
        self.init = init
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
        return softmax(self.forward(X))

    def predict(self, X):
        """Predicted classes. Shapes: X (N, D) -> (N,) integers."""
        return self.forward(X).argmax(axis=1)

    def parameters(self):
        """All parameters by name, e.g. {"W0": (784, 32), "b0": (32,), "W1": ...}."""
        return {
            f"{key}{i}": value
            for i, layer in enumerate(self.linear_layers)
            for key, value in layer.params.items()
        }

    def gradients(self):
        """All gradients from the last ``backward``, with the same names as ``parameters``."""
        return {
            f"{key}{i}": value
            for i, layer in enumerate(self.linear_layers)
            for key, value in layer.grads.items()
        }

    def set_parameters(self, params):
        """Copy parameters into the model (same names and shapes as ``parameters()``)."""
        own = self.parameters()
        for name, value in params.items():
            own[name][...] = value

    # ---- saving and loading -------------------------------------------------------------

    def save(self, path, **metadata):
        """Save weights and sizes to a ``.npz`` file, atomically.

        The file is written to a temporary name in the same folder and renamed into place, so
        an interrupted save never leaves a half-written model. Extra keyword arguments are stored
        as strings (e.g. ``preset="seed"``) and come back in ``model.metadata``.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"model files end in .npz, got {str(path)!r}; try {path.stem}.npz")
        arrays = dict(self.parameters())
        arrays["layer_sizes"] = np.array(self.layer_sizes, dtype=np.int64)
        arrays["format_version"] = np.array(FORMAT_VERSION)
        arrays["init"] = np.array(self.init)
        arrays["dtype"] = np.array(self.dtype.name)
        arrays["dropout"] = np.array(self.dropout)
        merged = {**self.metadata, **{k: str(v) for k, v in metadata.items()}}
        arrays["metadata"] = np.array([f"{k}={v}" for k, v in sorted(merged.items())], dtype=str)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_bytes_atomically(path, buffer.getvalue())
        self.metadata = merged
        return path

    @classmethod
    def load(cls, path, dtype=None):
        """Load a model saved by ``save``. Never unpickles anything (``allow_pickle=False``).

        ``dtype`` (np.float32 or np.float64) converts the weights, e.g. to float64 so that
        predictions are the same to the last digit on every machine; default: as saved.
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: no such model file; train one with "
                f"`python -m mlp_lib train --save {path}`"
            )
        arrays = read_plain_npz(path)
        if "layer_sizes" not in arrays:
            raise ModelFormatError(f"{path}: missing 'layer_sizes'; not a model saved by MLP.save")
        sizes = arrays["layer_sizes"]
        if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer):
            raise ModelFormatError(
                f"{path}: 'layer_sizes' must be a 1-D integer array, "
                f"got {sizes.dtype} of shape {sizes.shape}"
            )
        try:
            sizes = check_layer_sizes(sizes.tolist())
        except ValueError as exc:
            raise ModelFormatError(f"{path}: {exc}") from None
        saved_dtype = str(arrays.get("dtype", np.array("float64")))
        init = str(arrays.get("init", np.array("he")))
        if saved_dtype not in ("float32", "float64") or init not in INITS:
            raise ModelFormatError(f"{path}: unsupported dtype {saved_dtype!r} or init {init!r}")
        dropout = arrays.get("dropout", np.array(0.0))
        if (
            dropout.shape != ()
            or not np.issubdtype(dropout.dtype, np.floating)
            or not 0 <= float(dropout) < 1
        ):
            raise ModelFormatError(
                f"{path}: 'dropout' must be one number in [0, 1), "
                f"got {dropout.dtype} of shape {dropout.shape}: {dropout!r}"
            )
        if dtype is not None:
            dtype = np.dtype(dtype).name
            if dtype not in ("float32", "float64"):
                raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        else:
            dtype = saved_dtype
        model = cls(sizes, init=init, seed=0, dtype=dtype, dropout=float(dropout))
        expected = {name: value.shape for name, value in model.parameters().items()}
        allowed = set(expected) | {"layer_sizes", *METADATA_KEYS}
        unknown = sorted(set(arrays) - allowed)
        missing = sorted(set(expected) - set(arrays))
        if unknown or missing:
            raise ModelFormatError(
                f"{path}: keys do not match a {sizes} network "
                f"(missing {missing}, unexpected {unknown})"
            )
        for name, shape in expected.items():
            value = arrays[name]
            if value.shape != shape or not np.issubdtype(value.dtype, np.floating):
                raise ModelFormatError(
                    f"{path}: {name} should be a float array of shape {shape}, "
                    f"got {value.dtype} of shape {value.shape}"
                )
            if not np.all(np.isfinite(value)):
                raise ModelFormatError(f"{path}: {name} contains nan or inf values")
        model.set_parameters({name: arrays[name] for name in expected})
        entries = arrays.get("metadata", np.array([], dtype=str))
        model.metadata = dict(
            str(item).split("=", 1) for item in entries.tolist() if "=" in str(item)
        )
        return model
