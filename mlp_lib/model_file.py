"""The model file: what ``MLP.save`` writes and ``MLP.load`` accepts, checked before use.

A model file is an ``.npz`` archive (a zip of ``.npy`` arrays), never a pickle. Format 3 stores
the network as its list of layers (``mlp_lib.layers``), each layer's arrays under its position:

    layer0.W.npy, layer0.b.npy, layer2.W.npy, ...   floats, shapes (784, 32), (32,), (32, 16), ...
    format_version.npy   () integer: 3
    layers.npy           () string: a JSON list of layer specs, one per layer, e.g.
                         [{"name": "linear", "config": {"n_in": 784, "n_out": 32, "init": "he",
                           "compute_dx": false}}, {"name": "relu", "config": {}}, ...]
    dtype.npy            () string: "float32" or "float64", what the arrays are stored as
    metadata.npy         () string: a JSON object of strings (preset, dataset, ...)

Formats 1 and 2 (still read) stored the settings of a Linear-ReLU network instead of its layers:
``layer_sizes`` (L+1,) integers, ``W0``, ``b0``, ... ``init``, ``dtype``, ``dropout`` and the
metadata (format 1: as "key=value" strings; 2: as JSON). They are read as the layers
``MLP(layer_sizes, init=init, dropout=dropout)`` builds.

Files come from classmates and the internet, so reading one trusts nothing: model_file_read.py
reads the archive's member list and every array's header first, refuses unknown members, object
arrays (pickles, which could run code), layers not in ``mlp_lib.layers.LAYERS`` and shapes that do
not follow from the layers, and only then the arrays, each with a bound on its size. A crafted
file is refused in milliseconds, using a few MB of memory; a FIFO or a device before it is opened.

What ``MLP.save`` writes, ``MLP.load`` reads back: the limits below are the only ones, and both
sides check them with the same functions. ``check_network_size`` and ``check_layers_size`` are also
what ``MLP`` and ``Recipe`` check when they are made, so a network too large to save is never built
or trained.

A new field is an attribute of ``SavedModel`` (with a default) and an entry in ``FIELDS`` (with
``required=False``, since older files lack it): writing, reading and checking follow from those.
Raising ``FORMAT_VERSION`` then makes an older mlp_lib say "update mlp_lib" rather than refuse an
unexpected member.
"""

import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomically
from .checks import FLOAT_DTYPES
from .layers import spec_shapes

FORMAT_VERSION = 3
# The limits of what mlp_lib builds, trains, saves and loads (one place for all of them):
MAX_LAYERS = 64  # entries of layer_sizes: the inputs, up to 62 hidden layers, the outputs
MAX_LAYER_LIST = 3 * MAX_LAYERS  # layers in a network's list: Linear, activation, Dropout per size
MAX_ARRAYS = 2 * (MAX_LAYERS - 1)  # parameter arrays: W and b of each Linear layer
MAX_PARAMETERS = 50_000_000  # 200 MB as float32; the record network has under 6 million
MAX_METADATA_KEYS = 1000
MAX_METADATA_CHARS = 100_000  # the metadata as JSON text, keys and values; no string is longer
MAX_COMPRESSION_RATIO = 20  # trained weights barely compress; a zip bomb compresses 1000x
SMALL_FILE_BYTES = 1_000_000  # below this, any compression is allowed (tiny models, biases)
MAX_HEADER_BYTES = 10_000
OLD_SCALARS = ("format_version", "init", "dtype", "dropout", "metadata")  # formats 1 and 2
MAX_MEMBERS = MAX_ARRAYS + len(OLD_SCALARS) + 1  # the arrays, the scalars, layer_sizes
MAX_LISTING_BYTES = 200  # a member's entry in the archive's list: 46 bytes, its name and extras
ARRAY_NAME = re.compile(r"layer(\d{1,3})\.([A-Za-z]\w{0,19})")  # format 3: "layer0.W"
OLD_PARAMETER_NAME = re.compile(r"([Wb])(\d{1,3})")  # formats 1 and 2: "W0", "b0"
NOT_A_MODEL = (
    "model files are .npz archives of plain arrays written by MLP.save; pickled files "
    "are refused because loading them can run code"
)


class ModelFormatError(ValueError):
    """A model file that is not one written by ``MLP.save``."""


@dataclass(kw_only=True)
class SavedModel:
    """Everything a model file holds; made by keyword, e.g. ``SavedModel(layers=..., ...)``.

    ``layers``: one spec per layer, {"name": "linear", "config": {...}} (``mlp_lib.layers``);
    ``parameters``: one dict of arrays per layer, in the same order ({"W": (784, 32), "b": (32,)},
    {} for a ReLU); ``dtype``: "float32" or "float64"; ``metadata``: a dict of strings.
    """

    layers: list
    parameters: list
    dtype: str = "float32"
    metadata: dict = field(default_factory=dict)


def count_parameters(layer_sizes):
    """Weights and biases of a fully connected network: sum of (n_in + 1) * n_out over layers."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _too_many_parameters(count, what_has, where, hint, error):
    """Raise ``error`` if ``count`` parameters are more than MAX_PARAMETERS."""
    if count > MAX_PARAMETERS:
        raise error(
            f"{where}: {what_has} {count:,} parameters ({4 * count / 1e9:,.1f} GB in float32), "
            f"more than the {MAX_PARAMETERS:,} mlp_lib trains, saves and loads{hint}"
        )


def check_network_size(layer_sizes, where, hint="", error=ValueError):
    """Raise ``error`` unless a network of ``layer_sizes`` (positive integers) is within the
    limits: 2 to MAX_LAYERS sizes and at most MAX_PARAMETERS parameters. Counted, not allocated.

    The message starts with ``where`` (what was given, e.g. "hidden_sizes (512, 256)") and ends
    with ``hint`` (what to do).
    """
    sizes = tuple(layer_sizes)
    hint = f"; {hint}" if hint else ""
    if not 2 <= len(sizes) <= MAX_LAYERS:
        raise error(
            f"{where}: a network has 2 to {MAX_LAYERS} layer sizes (the inputs, the hidden layers, "
            f"the outputs), got {len(sizes)}{hint}"
        )
    what_has = f"a {'-'.join(map(str, sizes))} network has"
    _too_many_parameters(count_parameters(sizes), what_has, where, hint, error)
    return sizes


def check_layers_size(shapes, where, hint="", error=ValueError):
    """Raise ``error`` unless a network whose layers hold parameters of these ``shapes`` (one
    {key: shape} dict per layer) is within the limits: 1 to MAX_LAYER_LIST layers, at most
    MAX_ARRAYS arrays, named as a file names them, and MAX_PARAMETERS parameters. Counted, not
    allocated."""
    hint = f"; {hint}" if hint else ""
    if not 1 <= len(shapes) <= MAX_LAYER_LIST:
        raise error(f"{where}: a network has 1 to {MAX_LAYER_LIST} layers, got {len(shapes)}{hint}")
    keys = [key for layer in shapes for key in layer]
    if len(keys) > MAX_ARRAYS:
        raise error(
            f"{where}: its layers hold {len(keys)} parameter arrays, more than the {MAX_ARRAYS} a "
            f"model file holds{hint}"
        )
    bad = [key for key in keys if not ARRAY_NAME.fullmatch(f"layer0.{key}")]
    if bad:
        raise error(
            f"{where}: a parameter's name must be a letter and up to 19 letters, digits or _, "
            f"got {bad[0]!r:.40}"
        )
    count = sum(math.prod(shape) for layer in shapes for shape in layer.values())
    _too_many_parameters(count, "its layers have", where, hint, error)


def check_layer_list(specs, where, error=ValueError):
    """``specs`` if they are a list of layer specs whose names are in ``mlp_lib.layers.LAYERS``,
    whose configs their layers accept, within the limits (``check_layers_size``); else ``error``,
    naming the layer. Nothing is allocated."""
    if not isinstance(specs, list) or not 1 <= len(specs) <= MAX_LAYER_LIST:
        shown = len(specs) if isinstance(specs, list) else type(specs).__name__
        raise error(
            f"{where}: 'layers' must be a list of 1 to {MAX_LAYER_LIST} layers, got {shown}"
        )
    check_layers_size(layer_shapes(specs, where, error), where, error=error)
    return specs


def layer_shapes(specs, where, error=ValueError):
    """One {key: shape} dict per spec: the parameters its layer holds, its config checked."""
    shapes = []
    for i, spec in enumerate(specs):
        try:
            shapes.append(spec_shapes(spec))
        except (ValueError, TypeError) as exc:
            raise error(f"{where}: layer {i}: {exc}") from None
    return shapes


def check_dtype_name(dtype, where, error=ValueError):
    """``dtype`` if it is the name of a float dtype a model file holds; else ``error``."""
    if not isinstance(dtype, str) or dtype not in FLOAT_DTYPES:
        raise error(
            f"{where}: unsupported dtype {dtype!r:.40}; a model file holds float32 or float64"
        )
    return dtype


def check_metadata(metadata, where, error=ValueError):
    """``metadata``, sorted by key, if it is a dict of strings within the limits
    (MAX_METADATA_KEYS keys, MAX_METADATA_CHARS characters of JSON); else ``error``, whose message
    says which limit and which key is the longest."""
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise error(f"{where}: 'metadata' must be a JSON object of strings")
    if len(metadata) > MAX_METADATA_KEYS:
        raise error(
            f"{where}: the metadata has {len(metadata):,} keys, more than the "
            f"{MAX_METADATA_KEYS:,} a model file holds; keep fewer"
        )
    text = json.dumps(metadata, sort_keys=True)
    if len(text) > MAX_METADATA_CHARS:
        longest = max(metadata, key=lambda k: len(k) + len(metadata[k]))
        raise error(
            f"{where}: the metadata is {len(text):,} characters long as JSON, more than the "
            f"{MAX_METADATA_CHARS:,} a model file holds; its longest entry is {longest[:40]!r} "
            f"({len(longest):,} + {len(metadata[longest]):,} characters): shorten it"
        )
    return dict(sorted(metadata.items()))


@dataclass(frozen=True)
class Field:
    """A member of a format-3 file besides the arrays: one string, holding the ``SavedModel``
    attribute of the same name. ``check(value, where, error)`` returns the value if a file can
    hold it and raises ``error`` otherwise; saving and loading both call it. ``as_json``: the
    string is the value as JSON (else the value is that string). ``required=False``: a file
    without it loads with the attribute's default (a field added later: older files lack it)."""

    check: Callable
    as_json: bool = True
    required: bool = True


FIELDS = {
    "layers": Field(check_layer_list),
    "dtype": Field(check_dtype_name, as_json=False),
    "metadata": Field(check_metadata),
}


def check_parameter_values(name, value, dtype, where, hints, error=ValueError):
    """Raise ``error`` if the array ``value`` holds nan or inf, or a number too large for
    ``dtype`` (1e300 is inf in float32): such a parameter could not come back as it was.

    ``hints``: what to do in each case, (for nan or inf, for too large).
    """
    finite = np.isfinite(value)
    if not finite.all():
        bad = int((~finite).sum())
        raise error(
            f"{where}: {name} contains {bad:,} nan or inf value{'s' * (bad > 1)}; {hints[0]}"
        )
    largest = max(float(value.max()), -float(value.min()))  # |value|'s largest, without a copy
    limit = float(np.finfo(dtype).max)
    if largest > limit:
        raise error(
            f"{where}: {name} holds values up to {largest:.3g}, more than {np.dtype(dtype).name} "
            f"can hold (at most {limit:.3g}); {hints[1]}"
        )


def parameter_shapes(layer_sizes):
    """The parameters of a format 1 or 2 file: {"W0": (784, 32), "b0": (32,), "W1": ...}."""
    shapes = {}
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        shapes[f"W{i}"] = (n_in, n_out)
        shapes[f"b{i}"] = (n_out,)
    return shapes


def array_shapes(specs):
    """The arrays of a format-3 file with these (checked) layers: {"layer0.W": (784, 32), ...}."""
    return {
        f"layer{i}.{key}": shape
        for i, spec in enumerate(specs)
        for key, shape in spec_shapes(spec).items()
    }


def decode_field(name, text, where, error):
    """The value of field ``name`` stored as ``text``, checked; else ``error``."""
    value = text
    if FIELDS[name].as_json:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, a huge number, or nested thousands deep
            raise error(f"{where}: {name!r} is not valid JSON") from None
    value = FIELDS[name].check(value, where, error)
    if len(text) > MAX_METADATA_CHARS:  # saving (loading refuses such a string from its header)
        raise error(
            f"{where}: {name!r} is {len(text):,} characters long, more than the "
            f"{MAX_METADATA_CHARS:,} a model file holds"
        )
    return value


def _encode_field(name, value, where):
    """(the checked value, its text in the file), checked as loading will check that text."""
    if not FIELDS[name].as_json:
        return decode_field(name, value, where, ValueError), value
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:  # e.g. a NumPy number in a layer's config
        raise ValueError(f"{where}: its {name} cannot be written as JSON ({exc})") from None
    checked = decode_field(name, text, where, ValueError)  # what loading will see
    return checked, json.dumps(checked)


# ---- writing --------------------------------------------------------------------------------


def write_model_file(path, saved):
    """Write ``saved`` (a ``SavedModel``) to ``path`` atomically, in format 3; return the path.

    Raises ValueError, before writing, if ``read_model_file`` would refuse what it would write:
    layers it does not know or beyond the limits, metadata beyond the limits, parameters missing
    or of the wrong shape, nan, inf, or values too large for ``saved.dtype``.
    """
    where = f"cannot save {path}"
    fields, texts = {}, {}
    for name in FIELDS:
        fields[name], texts[name] = _encode_field(name, getattr(saved, name), where)
    arrays = _parameter_arrays(saved.parameters, fields["layers"], fields["dtype"], where)
    arrays["format_version"] = np.array(FORMAT_VERSION)
    arrays.update({name: np.array(text) for name, text in texts.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # stored, not compressed: what loading expects of large arrays
    write_bytes_atomically(path, buffer.getvalue())
    return Path(path)


def _parameter_arrays(parameters, specs, dtype, where):
    """{"layer0.W": array, ...}: ``parameters`` (one dict per layer) as the file stores them,
    each checked against its layer's config and for values loading would refuse."""
    expected = array_shapes(specs)
    given = {}
    if isinstance(parameters, list) and len(parameters) == len(specs):
        given = {
            f"layer{i}.{key}": v for i, params in enumerate(parameters) for key, v in params.items()
        }
    if given.keys() != expected.keys():
        raise ValueError(
            f"{where}: the parameters do not match the layers (missing "
            f"{sorted(expected.keys() - given.keys())}, unexpected {sorted(given.keys() - expected.keys())}"
            f"); give one dict of arrays per layer"
        )
    hints = (
        "a model file holds finite numbers only: did training diverge?",
        f"keep them within its range, or make the model {FLOAT_DTYPES[-1]}",
    )
    arrays = {}
    for name, shape in expected.items():
        value = np.asarray(given[name])
        if value.shape != shape:
            raise ValueError(f"{where}: {name} has shape {value.shape}, expected {shape}")
        check_parameter_values(name, value, dtype, where, hints)
        arrays[name] = value.astype(dtype, copy=False)  # stored as the dtype it declares
    return arrays
