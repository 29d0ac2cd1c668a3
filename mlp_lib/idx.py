"""Read and write IDX files, the simple binary format MNIST is distributed in.

An IDX file is a short big-endian header followed by the array's values:

    bytes 0-1   always zero
    byte 2      element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3      number of dimensions, ndim (1..255)
    next        ndim sizes, each a 4-byte big-endian unsigned integer
    rest        prod(sizes) values, big-endian, in row-major (C) order

MNIST's training images start 00 00 08 03 | 60000 | 28 | 28 (magic number 0x00000803, then the shape),
its labels 00 00 08 01 | 60000. The files are usually gzip-compressed (.gz); both kinds are read here.
"""

import errno
import gzip
import math
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .atomic import write_bytes_atomically
from .checks import SpecialFileError, open_regular_file, unreadable_reason

# Element type code -> NumPy dtype. IDX values are big-endian, hence ">".
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_NAMES = ", ".join(f"0x{code:02X} {dtype.name}" for code, dtype in IDX_DTYPES.items())
_GZIP_MAGIC = b"\x1f\x8b"
GZIP_ERRORS = (
    gzip.BadGzipFile,
    EOFError,
    zlib.error,
)  # what a damaged .gz raises while decompressing
_FIX = "re-download it with `python -m mlp_lib download` or copy a good version over it"
# A header can promise any size (up to 255 dimensions of 4 billion each), so reading trusts it only
# this far: 512 MiB is ten times MNIST's largest file (47 MB of training images). ``read_idx``
# inflates a .gz file 1 MiB at a time, never more than the header promised plus 1 MiB.
MAX_IDX_BYTES = 512 * 2**20
CHUNK_BYTES = 2**20
# Each read asks the file for at most this much: gzip's decompressor makes buffers as large as the
# read asked for (on Python 3.12 and newer, about twice as large), so a 1 MiB chunk is read in
# 128 KiB pieces and those buffers stay small on every Python.
READ_BYTES = 2**17


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (bad header, wrong size, damaged gzip stream)."""


class IDXHeader(NamedTuple):
    """What an IDX file's header says: the values' ``dtype`` (big-endian) and ``shape``."""

    dtype: np.dtype
    shape: tuple

    @property
    def nbytes(self):
        """How many bytes of values follow the header."""
        return self.dtype.itemsize * math.prod(self.shape)


def read_idx_header(path):
    """The header of an IDX file (raw or gzip-compressed), reading only its first bytes.

    Raises FileNotFoundError if the file does not exist and IDXFormatError if it is not IDX.
    """
    path = Path(path)
    with _open_idx(path) as f:
        return _read_header(f, path)


def read_idx(path, *, max_bytes=MAX_IDX_BYTES, dtype=None):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Returns an array whose shape is the one in the header and whose dtype is the header's element
    type in native byte order (e.g. uint8 of shape (60000, 28, 28) for MNIST training images), or
    ``dtype`` if given: the values are then converted 1 MiB at a time as they are read, so no
    full-size array of the file's own type is ever made (float32 MNIST: 188 MB, not 188 + 47).
    A header promising more than ``max_bytes`` of values is refused before anything is inflated.
    Raises FileNotFoundError if the file does not exist and IDXFormatError if it is not valid IDX.
    """
    path = Path(path)
    with _open_idx(path) as f:
        header = _read_header(f, path)
        promised = f"the header promises shape {header.shape} of {header.dtype.name}, that is "
        promised += f"{header.nbytes:,} bytes of values"
        if header.nbytes > max_bytes:
            raise IDXFormatError(
                f"{path}: {promised}, more than the {max_bytes:,} bytes read_idx accepts "
                f"(max_bytes); is this the right file? {_FIX}"
            )
        if dtype is None or np.dtype(dtype) == header.dtype.newbyteorder("="):
            values = np.empty(header.shape, dtype=header.dtype)  # filled below, 1 MiB at a time
            got = _read_into(f, values)
        else:
            values = np.empty(header.shape, dtype=dtype)
            got = _read_converting(f, values, header.dtype)
        if got == header.nbytes:
            got += _count_rest(f, limit=CHUNK_BYTES)
    if got != header.nbytes:
        raise IDXFormatError(f"{path}: {promised}, but {_what_follows(got, header.nbytes)}; {_FIX}")
    return values.astype(values.dtype.newbyteorder("="), copy=False)  # native byte order


@contextmanager
def _open_idx(path):
    """The file's IDX bytes as an open binary file: gunzipped as it is read if it is a .gz.

    Only regular files are opened: a FIFO would block, and ``/dev/zero`` would never end.
    """
    try:
        raw = open_regular_file(path)
    except IsADirectoryError:
        raise IDXFormatError(
            f"{path}: is a folder, not an IDX file; remove or rename it, then {_FIX}"
        ) from None
    except SpecialFileError as exc:
        raise IDXFormatError(
            f"{path}: is {exc.kind}, not an IDX file; remove it, then {_FIX}"
        ) from None
    except FileNotFoundError:
        raise
    except OSError as exc:  # a symbolic link that points to itself, no permission, a long name
        raise IDXFormatError(_cannot_read(path, exc)) from None
    with raw:
        magic = raw.read(2)
        raw.seek(0)
        if not magic:
            raise IDXFormatError(
                f"{path}: the file is empty (0 bytes), expected an IDX file; {_FIX}"
            )
        if magic != _GZIP_MAGIC:
            if path.name.endswith(".gz"):
                raise IDXFormatError(
                    f"{path}: the name ends with .gz but the file does not start with the gzip "
                    f"bytes 1f 8b (got {magic.hex(' ')}); {_FIX}"
                )
            yield raw
            return
        try:
            with gzip.GzipFile(fileobj=raw) as f:
                yield f
        except GZIP_ERRORS as err:
            raise IDXFormatError(f"{path}: the gzip stream is damaged ({err}); {_FIX}") from err
        except OSError as err:  # the disk, not the file's content (an I/O error, say)
            raise IDXFormatError(_cannot_read(path, err)) from err


def _cannot_read(path, exc):
    """The message for the ``OSError`` ``exc``: its reason, and what to do about it (a new copy
    helps only if the file itself is at fault, not its permissions or its path)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        fix = f"check its permissions (ls -l {path})"
    elif exc.errno in (errno.ENAMETOOLONG, errno.ENOTDIR):
        fix = "check the path"
    else:  # e.g. a symbolic link that points to itself, or a failing disk
        fix = _FIX
    return f"{path}: cannot be read ({unreadable_reason(path, exc)}); {fix}"


def _read_header(f, path):
    """The ``IDXHeader`` at the start of the open file ``f``."""
    start = f.read(4)
    if len(start) < 4:
        raise IDXFormatError(
            f"{path}: only {len(start)} bytes, expected at least a 4-byte IDX magic number; {_FIX}"
        )
    magic = int.from_bytes(start, "big")
    zeros, code, ndim = start[0:2], start[2], start[3]
    if zeros != b"\x00\x00":
        raise IDXFormatError(
            f"{path}: magic number 0x{magic:08X} is not an IDX magic number (expected 0x0000TTDD: two zero bytes, "
            f"a type code TT and a dimension count DD, e.g. 0x00000803 for MNIST images); is this an IDX file? {_FIX}"
        )
    if code not in IDX_DTYPES:
        raise IDXFormatError(
            f"{path}: magic number 0x{magic:08X} has unknown element type 0x{code:02X} "
            f"(expected one of {_TYPE_NAMES}); {_FIX}"
        )
    if ndim == 0:
        raise IDXFormatError(
            f"{path}: magic number 0x{magic:08X} declares 0 dimensions, expected 1 to 255; {_FIX}"
        )
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXFormatError(
            f"{path}: the header declares {ndim} dimensions, so it needs {4 + 4 * ndim} bytes, "
            f"but the file has only {4 + len(sizes)}; the file is truncated: {_FIX}"
        )
    return IDXHeader(IDX_DTYPES[code], struct.unpack(f">{ndim}I", sizes))


def _read_into(f, array):
    """Fill ``array`` from ``f``, at most READ_BYTES at a time; return the bytes read."""
    view = memoryview(array.reshape(-1).view(np.uint8))  # the array's own bytes
    filled = 0
    while filled < len(view):
        n = f.readinto(view[filled : filled + READ_BYTES])
        if not n:
            break
        filled += n
    return filled


def _read_converting(f, values, file_dtype):
    """Fill ``values`` from ``f``, whose values are ``file_dtype``, converting a chunk at a time.

    Returns the bytes read. Shapes: values (any shape), filled in row-major order.
    """
    flat = values.reshape(-1)  # a view: values is a fresh C-ordered array
    per_chunk = max(1, CHUNK_BYTES // file_dtype.itemsize)
    buffer = np.empty(per_chunk, dtype=file_dtype)
    done = 0
    while done < flat.size:
        chunk = buffer[: min(per_chunk, flat.size - done)]
        got = _read_into(f, chunk)
        count = got // file_dtype.itemsize
        flat[done : done + count] = chunk[:count]
        done += count
        if got < chunk.nbytes:  # the file ended early
            return done * file_dtype.itemsize + got % file_dtype.itemsize
    return done * file_dtype.itemsize


def _what_follows(got, expected):
    """E.g. '4 follow the header (the file is truncated)' when ``expected`` bytes should."""
    if got < expected:
        return f"{got:,} follow the header (the file is truncated)"
    if got - expected > CHUNK_BYTES:  # counted only this far
        return (
            f"more than {expected + CHUNK_BYTES:,} follow the header "
            f"(more than {CHUNK_BYTES:,} unexpected bytes at the end)"
        )
    return f"{got:,} follow the header ({got - expected:,} unexpected bytes at the end)"


def _count_rest(f, limit):
    """How many bytes are left in ``f``, counted (not kept) up to ``limit + 1``."""
    count = 0
    while count <= limit and (chunk := f.read(min(CHUNK_BYTES, limit + 1 - count))):
        count += len(chunk)
    return count


def write_idx(path, array):
    """Write `array` to `path` in IDX format; gzip-compressed if the name ends with .gz.

    Supports uint8, int8, int16, int32, float32 and float64 arrays with 1 to 255 dimensions.
    The file is written to a temporary name first, so a crash never leaves a half-written file.
    """
    path = Path(path)
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(dtype.name for dtype in IDX_DTYPES.values())
        raise TypeError(
            f"write_idx: IDX cannot store dtype {array.dtype} (supported: {names}); "
            f"convert first, e.g. array.astype(np.int32) or array.astype(np.float32)"
        )
    if not 1 <= array.ndim <= 255 or max(array.shape) > 0xFFFFFFFF:
        raise ValueError(
            f"write_idx: IDX stores 1 to 255 dimensions of at most 4294967295 each, got shape {array.shape}; "
            f"reshape the array, e.g. np.atleast_1d(array) for a scalar"
        )

    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(IDX_DTYPES[code], order="C").tobytes()  # big-endian values, row-major
    data = header + body
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: same array, same bytes
    write_bytes_atomically(path, data)
