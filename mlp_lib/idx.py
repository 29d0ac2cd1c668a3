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

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomically

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


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (bad header, wrong size, damaged gzip stream)."""


def read_idx(path):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Returns an array whose shape is the one in the header and whose dtype is the header's element
    type in native byte order (e.g. uint8 of shape (60000, 28, 28) for MNIST training images).
    Raises FileNotFoundError if the file does not exist and IDXFormatError if it is not valid IDX.
    """
    path = Path(path)
    data = _decompress(path.read_bytes(), path)

    if len(data) < 4:
        raise IDXFormatError(
            f"{path}: only {len(data)} bytes, expected at least a 4-byte IDX magic number; {_FIX}"
        )
    magic = int.from_bytes(data[:4], "big")
    zeros, code, ndim = data[0:2], data[2], data[3]
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
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{path}: the header declares {ndim} dimensions, so it needs {header_size} bytes, "
            f"but the file has only {len(data)}; the file is truncated: {_FIX}"
        )

    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = dtype.itemsize * int(np.prod(shape, dtype=object))  # Python ints: no overflow
    got = len(data) - header_size
    if got != expected:
        problem = (
            "the file is truncated"
            if got < expected
            else f"{got - expected} unexpected bytes at the end"
        )
        raise IDXFormatError(
            f"{path}: the header promises shape {shape} of {dtype.name}, that is {expected} bytes of values, "
            f"but {got} follow the header ({problem}); {_FIX}"
        )

    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)  # a view, no loop
    return values.astype(dtype.newbyteorder("="))  # a writeable copy in native byte order


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


def _decompress(raw, path):
    """Return the IDX bytes of a file's content `raw`, gunzipping it when it is gzip-compressed."""
    if not raw:
        raise IDXFormatError(f"{path}: the file is empty (0 bytes), expected an IDX file; {_FIX}")
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except GZIP_ERRORS as err:
            raise IDXFormatError(f"{path}: the gzip stream is damaged ({err}); {_FIX}") from err
    if path.name.endswith(".gz"):
        raise IDXFormatError(
            f"{path}: the name ends with .gz but the file does not start with the gzip bytes 1f 8b "
            f"(got {raw[:2].hex(' ')}); {_FIX}"
        )
    return raw
