"""The model file: what ``MLP.save`` writes and ``MLP.load`` accepts, checked before use.

A model file is an ``.npz`` archive (a zip of ``.npy`` arrays), never a pickle:

    layer_sizes.npy      (L+1,) integers, e.g. [784, 32, 16, 10]
    W0.npy, b0.npy, ...  floats, shapes (784, 32), (32,), (32, 16), ...
    format_version.npy   () integer: 2 (version 1 stored the metadata as "key=value" strings)
    init.npy, dtype.npy  () strings, e.g. "he", "float32"
    dropout.npy          () float
    metadata.npy         () string: a JSON object of strings (preset, dataset, ...)

Files come from classmates and the internet, so reading one trusts nothing: it reads the
archive's member list and every array's header (shape and dtype) first, refuses unknown members,
object arrays (pickles, which could run code) and shapes that do not follow from ``layer_sizes``,
and only then reads the arrays, each with a bound on its size. A crafted file is refused in
milliseconds, using a few MB of memory, before any network is built.
"""

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomically
from .checks import FLOAT_DTYPES

FORMAT_VERSION = 2
MAX_LAYERS = 64  # entries of layer_sizes
MAX_PARAMETERS = 50_000_000  # 200 MB as float32; the record network has under 6 million
MAX_COMPRESSION_RATIO = 20  # trained weights barely compress; a zip bomb compresses 1000x
SMALL_FILE_BYTES = 1_000_000  # below this, any compression is allowed (tiny models, biases)
MAX_HEADER_BYTES = 10_000
MAX_METADATA_CHARS = 100_000
SCALARS = ("format_version", "init", "dtype", "dropout", "metadata")
MAX_MEMBERS = 2 * MAX_LAYERS + len(SCALARS) + 1  # W and b per layer, the scalars, layer_sizes
MAX_LISTING_BYTES = 200  # a member's entry in the archive's list: 46 bytes, its name and extras
PARAMETER_NAME = re.compile(r"([Wb])(\d{1,3})")
NOT_A_MODEL = (
    "model files are .npz archives of plain arrays written by MLP.save; pickled files "
    "are refused because loading them can run code"
)


class ModelFormatError(ValueError):
    """A model file that is not one written by ``MLP.save``."""


@dataclass
class SavedModel:
    """Everything a model file holds. ``parameters``: {"W0": (n0, n1) array, "b0": (n1,), ...}."""

    layer_sizes: tuple
    init: str
    dtype: str
    dropout: float
    parameters: dict
    metadata: dict


def parameter_shapes(layer_sizes):
    """The parameters of an MLP with these sizes: {"W0": (784, 32), "b0": (32,), "W1": ...}."""
    shapes = {}
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        shapes[f"W{i}"] = (n_in, n_out)
        shapes[f"b{i}"] = (n_out,)
    return shapes


# ---- writing --------------------------------------------------------------------------------


def write_model_file(path, saved):
    """Write ``saved`` (a ``SavedModel``) to ``path`` atomically; return the path."""
    arrays = dict(saved.parameters)
    arrays["layer_sizes"] = np.array(saved.layer_sizes, dtype=np.int64)
    arrays["format_version"] = np.array(FORMAT_VERSION)
    arrays["init"] = np.array(saved.init)
    arrays["dtype"] = np.array(saved.dtype)
    arrays["dropout"] = np.array(float(saved.dropout))
    arrays["metadata"] = np.array(json.dumps(saved.metadata, sort_keys=True))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # stored, not compressed: what loading expects of large arrays
    write_bytes_atomically(path, buffer.getvalue())
    return Path(path)


# ---- reading --------------------------------------------------------------------------------


def read_model_file(path):
    """Check and read a model file; return a ``SavedModel`` or raise ``ModelFormatError``."""
    path = Path(path)
    file_bytes = _check_is_a_zip(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(path, archive, file_bytes)
    except ModelFormatError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:
        raise ModelFormatError(
            f"{path}: not a model file (a damaged .npz archive: {type(exc).__name__}); {NOT_A_MODEL}"
        ) from None


def _check_is_a_zip(path):
    """Refuse folders, missing files, files that are not zip archives and archives with too many
    members, saying which; return the file's size in bytes."""
    try:
        is_folder = path.is_dir()
        with open(path, "rb") as f:
            head = f.read(6)
            size = f.seek(0, 2)
            # The zip's end record (22 bytes, then a comment of up to 65,535 bytes) says how
            # many members it lists and how long their list is: read it before zipfile does.
            f.seek(max(0, size - 22 - 65_535))
            tail = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no such model file; train one with `python -m mlp_lib train --save {path}`"
        ) from None
    except IsADirectoryError:
        is_folder = True
    except OSError as exc:  # e.g. a symbolic link that points to itself, or no permission
        raise ModelFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if is_folder:
        raise ModelFormatError(f"{path}: is a folder, not a model file; give the .npz file's path")
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


def _read_archive(path, archive, file_bytes):
    """Every check that needs only the member list and the headers, then the arrays."""
    members = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key in members or key == info.filename:  # no .npy suffix, or a duplicate
            raise ModelFormatError(f"{path}: unexpected member {info.filename!r} in the archive")
        members[key] = _read_member_header(path, archive, info)

    if "format_version" in members:  # first: a newer format may have members this one does not
        _check_header(path, "format_version", members["format_version"], kinds="iu", max_ndim=0)
        version = int(_read_data(archive, members["format_version"]))
        if version > FORMAT_VERSION:
            raise ModelFormatError(
                f"{path}: written in model file format {version}, newer than this mlp_lib reads "
                f"(up to {FORMAT_VERSION}); update mlp_lib (git pull) to load it"
            )
    else:
        version = 1
    unknown = sorted(
        k for k in members if k not in ("layer_sizes", *SCALARS) and not PARAMETER_NAME.fullmatch(k)
    )
    if unknown:
        shown = unknown[:5] + ([f"... {len(unknown) - 5} more"] if len(unknown) > 5 else [])
        raise ModelFormatError(f"{path}: unexpected arrays {shown}; {NOT_A_MODEL}")
    if "layer_sizes" not in members:
        raise ModelFormatError(f"{path}: missing 'layer_sizes'; not a model saved by MLP.save")

    # The network's size, from layer_sizes (at most 64 integers), then every array's header.
    _check_header(path, "layer_sizes", members["layer_sizes"], kinds="iu", max_items=MAX_LAYERS)
    sizes = _check_layer_sizes(path, _read_data(archive, members["layer_sizes"]))
    expected = parameter_shapes(sizes)
    params = {k for k in members if PARAMETER_NAME.fullmatch(k)}
    if params != set(expected):
        raise ModelFormatError(
            f"{path}: keys do not match a {sizes} network (missing "
            f"{sorted(set(expected) - params)}, unexpected {sorted(params - set(expected))})"
        )
    for name, shape in expected.items():
        _check_header(path, name, members[name], kinds="f", shape=shape)
    for key, kinds, max_ndim, max_items in (
        ("init", "U", 0, 1),
        ("dtype", "U", 0, 1),
        ("dropout", "f", 0, 1),
        ("metadata", "U", 1, 1000),  # format 1: one "key=value" string per entry
    ):
        if key in members:
            _check_header(
                path, key, members[key], kinds=kinds, max_ndim=max_ndim, max_items=max_items
            )
    _check_sizes(path, members, file_bytes)

    # Only now is any array of real size read, each with exactly the bytes its header promised.
    scalars = {key: _read_data(archive, members[key]) for key in SCALARS if key in members}
    init, dtype = str(scalars.get("init", "he")), str(scalars.get("dtype", "float64"))
    from .layers import INITS  # here: the layers need not be imported to write a file

    if dtype not in FLOAT_DTYPES or init not in INITS:
        raise ModelFormatError(f"{path}: unsupported dtype {dtype!r} or init {init!r}")
    dropout = float(scalars.get("dropout", 0.0))
    if not 0 <= dropout < 1:
        raise ModelFormatError(f"{path}: 'dropout' must be one number in [0, 1), got {dropout!r}")

    parameters = {}
    for name in expected:
        value = _read_data(archive, members[name])
        if not np.all(np.isfinite(value)):
            raise ModelFormatError(f"{path}: {name} contains nan or inf values")
        parameters[name] = value
    metadata = _metadata(path, scalars.get("metadata"), version)
    return SavedModel(sizes, init, dtype, dropout, parameters, metadata)


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
    label = name if PARAMETER_NAME.fullmatch(name) else repr(name)
    if shape is not None:
        ok_shape, wanted = member.shape == shape, f" of shape {shape}"
    else:
        ok_shape = len(member.shape) <= max_ndim and math.prod(member.shape) <= max_items
        wanted = f" of at most {max_items} entries" if max_items > 1 else " (one value)"
    too_long = member.dtype.kind == "U" and member.dtype.itemsize > 4 * MAX_METADATA_CHARS
    if member.dtype.kind not in kinds or not ok_shape or too_long:
        raise ModelFormatError(
            f"{path}: {label} should be {KIND_NAMES[kinds]}{wanted}, "
            f"got {member.dtype} of shape {member.shape}"
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


def count_parameters(layer_sizes):
    """Weights and biases of a fully connected network: sum of (n_in + 1) * n_out over layers."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _check_layer_sizes(path, sizes):
    if not 2 <= len(sizes) <= MAX_LAYERS or np.any(sizes <= 0):
        raise ModelFormatError(
            f"{path}: 'layer_sizes' must be 2 to {MAX_LAYERS} positive integers (every layer "
            f"size must be a positive integer), got {sizes.tolist()}"
        )
    sizes = tuple(int(s) for s in sizes)
    count = count_parameters(sizes)
    if count > MAX_PARAMETERS:
        raise ModelFormatError(
            f"{path}: declares a {'-'.join(map(str, sizes))} network with {count:,} parameters, "
            f"more than the {MAX_PARAMETERS:,} mlp_lib loads; is this the right file?"
        )
    return sizes


def _metadata(path, stored, version):
    """The metadata dict: JSON (format 2) or "key=value" strings (format 1)."""
    if stored is None:
        return {}
    if version == 1 or stored.ndim == 1:
        entries = [str(item) for item in np.atleast_1d(stored).tolist()]
        return dict(item.split("=", 1) for item in entries if "=" in item)
    try:
        metadata = json.loads(str(stored))
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFormatError(f"{path}: 'metadata' must be a JSON object of strings")
    return metadata


def _read_header(f):
    """(shape, fortran_order, dtype) from an open .npy member, reading only its header."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f, max_header_size=MAX_HEADER_BYTES)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f, max_header_size=MAX_HEADER_BYTES)
    raise ValueError(f".npy format version {version} is not supported")
