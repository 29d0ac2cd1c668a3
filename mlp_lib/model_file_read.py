"""Reading a model file, trusting nothing (the format and its limits: model_file.py): a folder, a
FIFO or a device is refused before it is opened; the member list and every array's header come
before any data, and every refusal is a ``ModelFormatError`` that names the file and the fix.
"""

import json
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import FLOAT_DTYPES, SpecialFileError, open_regular_file, unreadable_reason
from .layers import INITS, mlp_layer_specs
from .model_file import (
    ARRAY_NAME,
    FIELDS,
    FORMAT_VERSION,
    MAX_COMPRESSION_RATIO,
    MAX_HEADER_BYTES,
    MAX_LAYERS,
    MAX_LISTING_BYTES,
    MAX_MEMBERS,
    MAX_METADATA_CHARS,
    MAX_METADATA_KEYS,
    NOT_A_MODEL,
    OLD_PARAMETER_NAME,
    OLD_SCALARS,
    SMALL_FILE_BYTES,
    ModelFormatError,
    SavedModel,
    array_shapes,
    check_metadata,
    check_network_size,
    check_parameter_values,
    decode_field,
    parameter_shapes,
)


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
    return decode_field(name, text, str(path), ModelFormatError)


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
