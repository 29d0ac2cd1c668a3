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

Files come from classmates and the internet, so reading one trusts nothing: it reads the
archive's member list and every array's header (shape and dtype) first, refuses unknown members,
object arrays (pickles, which could run code), layers not in ``mlp_lib.layers.LAYERS``, configs
their layer refuses, and shapes that do not follow from the layers (or ``layer_sizes``); only then
does it read the arrays, each with a bound on its size. A crafted file is refused in
milliseconds, using a few MB of memory, before any network is built; a FIFO or a device is refused
before it is opened.

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
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomically
from .checks import FLOAT_DTYPES, SpecialFileError, open_regular_file, unreadable_reason
from .layers import INITS, mlp_layer_specs, spec_shapes

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


def _decode_field(name, text, where, error):
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
        return _decode_field(name, value, where, ValueError), value
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:  # e.g. a NumPy number in a layer's config
        raise ValueError(f"{where}: its {name} cannot be written as JSON ({exc})") from None
    checked = _decode_field(name, text, where, ValueError)  # what loading will see
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


# ---- reading --------------------------------------------------------------------------------


def read_model_file(path, dtype=None):
    """Check and read a model file; return a ``SavedModel`` or raise ``ModelFormatError``.

    ``dtype``: the dtype the parameters will be converted to (default: the one the file
    declares); a value too large for it is refused rather than turned into inf.
    """
    path = Path(path)
    with _open_model_file(path) as f:
        file_bytes = _check_is_a_zip(path, f)
        try:
            with zipfile.ZipFile(f) as archive:
                return _read_archive(path, archive, file_bytes, dtype)
        except ModelFormatError:
            raise
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, RuntimeError, zlib.error) as exc:
            raise ModelFormatError(
                f"{path}: not a model file (a damaged .npz archive: {type(exc).__name__}); "
                f"{NOT_A_MODEL}"
            ) from None


def _open_model_file(path):
    """The model file, open for reading; folders, FIFOs, devices and missing files are refused
    (before opening them), saying which."""
    try:
        return open_regular_file(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no such model file; train one with `python -m mlp_lib train --save {path}`"
        ) from None
    except IsADirectoryError:
        raise ModelFormatError(
            f"{path}: is a folder, not a model file; give the .npz file's path"
        ) from None
    except SpecialFileError as exc:
        raise ModelFormatError(
            f"{path}: is {exc.kind}, not a model file; give the path of a .npz file written by "
            f"MLP.save"
        ) from None
    except OSError as exc:  # e.g. a symbolic link that points to itself, or no permission
        raise ModelFormatError(f"{path}: cannot be read ({unreadable_reason(path, exc)})") from None


def _check_is_a_zip(path, f):
    """Refuse files that are not zip archives and archives with too many members, saying which;
    return the file's size in bytes. ``f`` is the open file."""
    head = f.read(6)
    size = f.seek(0, 2)
    # The zip's end record (22 bytes, then a comment of up to 65,535 bytes) says how many
    # members it lists and how long their list is: read it before zipfile does.
    f.seek(max(0, size - 22 - 65_535))
    tail = f.read(22 + 65_535)
    f.seek(0)
    if head[:4] != b"PK\x03\x04":  # every .npz is a zip archive
        kind = (
            "a single NumPy array (.npy)"
            if head == b"\x93NUMPY"
            else "a pickle"
            if head[:1] == b"\x80"
            else "not an .npz archive"
        )
        raise ModelFormatError(f"{path}: not a model file ({kind}); {NOT_A_MODEL}")
    end = tail.rfind(b"PK\x05\x06")  # where zipfile looks for it too: the last one
    if end >= 0 and len(tail) - end >= 22:
        members = int.from_bytes(tail[end + 10 : end + 12], "little")
        listing = int.from_bytes(tail[end + 12 : end + 16], "little")
        if members > MAX_MEMBERS or listing > MAX_MEMBERS * MAX_LISTING_BYTES:
            raise ModelFormatError(
                f"{path}: not a model file (its archive lists {members:,} members in "
                f"{listing:,} bytes; a model file has at most {MAX_MEMBERS}); {NOT_A_MODEL}"
            )
    return size


@dataclass
class _Member:
    """One ``.npy`` member of the archive, known from its header alone (no data read yet)."""

    info: zipfile.ZipInfo
    shape: tuple
    dtype: np.dtype
    fortran_order: bool
    header_bytes: int  # the .npy header's length; the data follows it

    @property
    def nbytes(self):
        return math.prod(self.shape) * self.dtype.itemsize


KIND_NAMES = {"f": "a float array", "U": "a string", "iu": "an integer array"}


def _read_archive(path, archive, file_bytes, dtype=None):
    """Every check that needs only the member list and the headers, then the arrays."""
    members = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key in members or key == info.filename:  # no .npy suffix, or a duplicate
            raise ModelFormatError(f"{path}: unexpected member {info.filename!r} in the archive")
        members[key] = _read_member_header(path, archive, info)
    version = _format_version(path, archive, members)  # first: a newer one may have new members
    if version >= 3:
        return _read_format_3(path, archive, members, file_bytes, dtype)
    return _read_format_1_or_2(path, archive, members, file_bytes, dtype, version)


def _format_version(path, archive, members):
    """The file's format: 1 to FORMAT_VERSION (format 1 had no format_version)."""
    if "format_version" not in members:
        return 1
    _check_header(path, "format_version", members["format_version"], kinds="iu", max_ndim=0)
    version = int(_read_data(archive, members["format_version"]))
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{path}: written in model file format {version}, newer than this mlp_lib reads "
            f"(up to {FORMAT_VERSION}); update mlp_lib (git pull) to load it"
        )
    if version < 1:
        raise ModelFormatError(
            f"{path}: 'format_version' must be 1 to {FORMAT_VERSION}, got {version}; "
            f"is this the right file?"
        )
    return version


def _refuse_unknown_members(path, members, known):
    """Refuse members whose names ``known(name)`` does not accept, showing up to five."""
    unknown = sorted(k for k in members if not known(k))
    if unknown:
        shown = unknown[:5] + ([f"... {len(unknown) - 5} more"] if len(unknown) > 5 else [])
        raise ModelFormatError(f"{path}: unexpected arrays {shown}; {NOT_A_MODEL}")


def _check_parameter_headers(path, members, expected, pattern, what):
    """Refuse parameters (members ``pattern`` matches) that are not exactly those ``expected``
    ({name: shape}) of ``what``, and headers that are not float arrays of those shapes."""
    params = {k for k in members if pattern.fullmatch(k)}
    if params != set(expected):
        raise ModelFormatError(
            f"{path}: keys do not match {what} (missing "
            f"{sorted(set(expected) - params)}, unexpected {sorted(params - set(expected))})"
        )
    for name, shape in expected.items():
        _check_header(path, name, members[name], kinds="f", shape=shape)


def _read_parameters(path, archive, members, expected, declared, dtype):
    """{name: array} for the ``expected`` parameters, each checked for values that could not
    come back as they were saved: nan, inf, too large for the dtype they will become."""
    target = np.dtype(declared if dtype is None else dtype)  # what the values will become
    hints = (
        "MLP.save never writes them: is this the right file?",
        f"the file declares {declared}, so MLP.save did not write it: is this the right file?"
        if dtype is None
        else f"load it as {declared}, the dtype it was saved in (dtype=None)",
    )
    parameters = {}
    for name in expected:
        value = _read_data(archive, members[name])
        check_parameter_values(name, value, target, str(path), hints, error=ModelFormatError)
        parameters[name] = value
    return parameters


# ---- format 3: a list of layers ---------------------------------------------------------------


def _read_format_3(path, archive, members, file_bytes, dtype):
    """The layers (JSON, a few kB), then the arrays they imply, headers first."""
    _refuse_unknown_members(
        path, members, lambda k: k in FIELDS or k == "format_version" or ARRAY_NAME.fullmatch(k)
    )
    fields = {name: _read_field(path, archive, members, name) for name in FIELDS if name in members}
    missing = [name for name, field in FIELDS.items() if field.required and name not in fields]
    if missing:
        raise ModelFormatError(f"{path}: missing {missing[0]!r}; not a model saved by MLP.save")
    expected = array_shapes(fields["layers"])
    _check_parameter_headers(path, members, expected, ARRAY_NAME, "its layers")
    _check_sizes(path, members, file_bytes)
    values = _read_parameters(path, archive, members, expected, fields["dtype"], dtype)
    parameters = [{} for _ in fields["layers"]]
    for name, value in values.items():
        index, key = ARRAY_NAME.fullmatch(name).groups()
        parameters[int(index)][key] = value
    return SavedModel(parameters=parameters, **fields)


def _read_field(path, archive, members, name):
    """The value of ``FIELDS[name]``: a string of at most MAX_METADATA_CHARS, decoded and checked."""
    _check_header(path, name, members[name], kinds="U", max_ndim=0)
    text = str(_read_data(archive, members[name]))
    return _decode_field(name, text, str(path), ModelFormatError)


# ---- formats 1 and 2: the settings of a Linear-ReLU network ----------------------------------


def _read_format_1_or_2(path, archive, members, file_bytes, dtype, version):
    """layer_sizes (at most 64 integers), every header, then the arrays; returned as the layers
    ``MLP(layer_sizes, init=init, dropout=dropout)`` builds, W{j} and b{j} in the j-th Linear."""
    sizes = _old_headers(path, archive, members)
    _check_sizes(path, members, file_bytes)
    # Only now is any array of real size read, each with exactly the bytes its header promised.
    scalars = {key: _read_data(archive, members[key]) for key in OLD_SCALARS if key in members}
    init, declared, dropout = _old_settings(path, scalars)
    metadata = _metadata(path, scalars.get("metadata"), version)
    values = _read_parameters(path, archive, members, parameter_shapes(sizes), declared, dtype)
    specs = mlp_layer_specs(sizes, init=init, dropout=dropout)
    parameters = [{} for _ in specs]
    linear = [i for i, spec in enumerate(specs) if spec["name"] == "linear"]
    for j, index in enumerate(linear):
        parameters[index] = {"W": values[f"W{j}"], "b": values[f"b{j}"]}
    return SavedModel(layers=specs, parameters=parameters, dtype=declared, metadata=metadata)


def _old_headers(path, archive, members):
    """The layer sizes, after checking every member's name and header against them."""
    _refuse_unknown_members(
        path,
        members,
        lambda k: k in ("layer_sizes", *OLD_SCALARS) or OLD_PARAMETER_NAME.fullmatch(k),
    )
    if "layer_sizes" not in members:
        raise ModelFormatError(f"{path}: missing 'layer_sizes'; not a model saved by MLP.save")
    _check_header(path, "layer_sizes", members["layer_sizes"], kinds="iu", max_items=MAX_LAYERS)
    sizes = _check_layer_sizes(path, _read_data(archive, members["layer_sizes"]))
    expected = parameter_shapes(sizes)
    _check_parameter_headers(path, members, expected, OLD_PARAMETER_NAME, f"a {sizes} network")
    for key, kinds, max_ndim, max_items in (
        ("init", "U", 0, 1),
        ("dtype", "U", 0, 1),
        ("dropout", "f", 0, 1),
        ("metadata", "U", 1, MAX_METADATA_KEYS),  # format 1: one "key=value" string per entry
    ):
        if key in members:
            _check_header(
                path, key, members[key], kinds=kinds, max_ndim=max_ndim, max_items=max_items
            )
    return sizes


def _old_settings(path, scalars):
    """(init, dtype, dropout) of a format 1 or 2 file, checked; defaults for those missing."""
    init = str(scalars.get("init", "he"))
    declared = str(scalars.get("dtype", "float64"))
    if declared not in FLOAT_DTYPES or init not in INITS:
        raise ModelFormatError(f"{path}: unsupported dtype {declared!r} or init {init!r}")
    dropout = float(scalars.get("dropout", 0.0))
    if not 0 <= dropout < 1:
        raise ModelFormatError(f"{path}: 'dropout' must be one number in [0, 1), got {dropout!r}")
    return init, declared, dropout


def _read_member_header(path, archive, info):
    """A ``_Member`` from the member's .npy header; pickled (object) arrays are refused here."""
    with archive.open(info) as f:
        shape, fortran_order, dtype = _read_header(f)
        header_bytes = f.tell()
    if dtype.hasobject:
        name = info.filename.removesuffix(".npy")
        raise ModelFormatError(
            f"{path}: the array {name!r} holds pickled Python objects; {NOT_A_MODEL}"
        )
    return _Member(info, shape, dtype, fortran_order, header_bytes)


def _check_header(path, name, member, *, kinds, shape=None, max_ndim=1, max_items=1):
    """Refuse ``member`` unless its dtype kind is in ``kinds`` and its shape is allowed.

    ``shape`` demands an exact shape; otherwise ``max_ndim`` and ``max_items`` bound it.
    """
    is_array = ARRAY_NAME.fullmatch(name) or OLD_PARAMETER_NAME.fullmatch(name)
    label = name if is_array else repr(name)
    if shape is not None:
        ok_shape, wanted = member.shape == shape, f" of shape {shape}"
    else:
        ok_shape = len(member.shape) <= max_ndim and math.prod(member.shape) <= max_items
        wanted = f" of at most {max_items} entries" if max_items > 1 else " (one value)"
    if member.dtype.kind not in kinds or not ok_shape:
        raise ModelFormatError(
            f"{path}: {label} should be {KIND_NAMES[kinds]}{wanted}, "
            f"got {member.dtype} of shape {member.shape}"
        )
    chars = member.dtype.itemsize // 4  # a string's length: 4 bytes per character
    if member.dtype.kind == "U" and chars > MAX_METADATA_CHARS:
        raise ModelFormatError(
            f"{path}: {label} is a string of {chars:,} characters, more than the "
            f"{MAX_METADATA_CHARS:,} a model file holds; is this the right file?"
        )


def _check_sizes(path, members, file_bytes):
    """Refuse members whose data does not match their header, and archives that inflate to far
    more than the file's size (a zip bomb): trained weights barely compress."""
    for key, member in members.items():
        holds = member.info.file_size - member.header_bytes
        if holds != member.nbytes:
            raise ModelFormatError(
                f"{path}: not a model file (a damaged .npz archive: the header of {key!r} "
                f"promises {member.nbytes:,} bytes of data, its member holds {holds:,}); "
                f"{NOT_A_MODEL}"
            )
    inflated = sum(member.info.file_size for member in members.values())
    if inflated > MAX_COMPRESSION_RATIO * file_bytes + SMALL_FILE_BYTES:
        raise ModelFormatError(
            f"{path}: its {file_bytes:,} bytes would inflate into {inflated:,}: a zip bomb, "
            f"not trained weights; {NOT_A_MODEL}"
        )


def _read_data(archive, member):
    """The member's array, reading exactly the bytes its header promised (and no more)."""
    array = np.empty(member.shape, member.dtype, order="F" if member.fortran_order else "C")
    view = memoryview(array.reshape(-1, order="A").view(np.uint8))  # the array's own bytes
    with archive.open(member.info) as f:
        f.seek(member.header_bytes)
        filled = 0
        while filled < len(view):
            n = f.readinto(view[filled:])
            if not n:
                raise EOFError(f"the array data ends after {filled} of {len(view)} bytes")
            filled += n
    return array


def _check_layer_sizes(path, sizes):
    if not 2 <= len(sizes) <= MAX_LAYERS or np.any(sizes <= 0):
        raise ModelFormatError(
            f"{path}: 'layer_sizes' must be 2 to {MAX_LAYERS} positive integers (every layer "
            f"size must be a positive integer), got {sizes.tolist()}"
        )
    sizes = tuple(int(s) for s in sizes)
    where = f"{path}: its layer_sizes {list(sizes)}"
    return check_network_size(sizes, where, "is this the right file?", error=ModelFormatError)


def _metadata(path, stored, version):
    """The metadata dict: JSON (format 2) or "key=value" strings (format 1)."""
    if stored is None:
        return {}
    if version == 1 or stored.ndim == 1:
        entries = [str(item) for item in np.atleast_1d(stored).tolist()]
        return dict(item.split("=", 1) for item in entries if "=" in item)
    try:
        metadata = json.loads(str(stored))
    except (json.JSONDecodeError, RecursionError):  # not JSON, or nested thousands deep
        metadata = None
    return check_metadata(metadata, str(path), error=ModelFormatError)  # the limits saving checked


def _read_header(f):
    """(shape, fortran_order, dtype) from an open .npy member, reading only its header."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f, max_header_size=MAX_HEADER_BYTES)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f, max_header_size=MAX_HEADER_BYTES)
    raise ValueError(f".npy format version {version} is not supported")
