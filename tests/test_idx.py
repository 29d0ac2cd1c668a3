"""Tests for mlp_lib.idx: reading and writing IDX files, raw and gzip-compressed."""

import gzip
import os
import re
import tracemalloc

import numpy as np
import pytest
from helpers import peak_memory_of
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from mlp_lib.idx import (
    IDX_DTYPES,
    IDXFormatError,
    read_idx,
    read_idx_header,
    write_bytes_atomically,
    write_idx,
)

# A 2x3 uint8 array [[1, 2, 3], [4, 5, 6]], worked out by hand:
# magic 00 00 08 02 (two zeros, type 0x08 = uint8, 2 dimensions), sizes 2 and 3 as big-endian uint32, values.
HAND_BYTES = bytes.fromhex("000008020000000200000003010203040506")
HAND_ARRAY = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)

NATIVE_DTYPES = [dtype.newbyteorder("=") for dtype in IDX_DTYPES.values()]


def write_bytes(path, data):
    path.write_bytes(data)
    return path


def test_write_idx_of_2x3_uint8_gives_the_bytes_worked_out_by_hand(tmp_path):
    write_idx(tmp_path / "a.idx", HAND_ARRAY)
    assert (tmp_path / "a.idx").read_bytes() == HAND_BYTES


def test_read_idx_of_hand_made_2x3_uint8_file(tmp_path):
    x = read_idx(write_bytes(tmp_path / "a.idx", HAND_BYTES))
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, HAND_ARRAY)


def test_read_idx_reads_big_endian_values_into_native_byte_order(tmp_path):
    # int16 vector [256, -2]: 01 00 is 256 and ff fe is -2 in big-endian.
    x = read_idx(write_bytes(tmp_path / "v.idx", bytes.fromhex("00000b01000000020100fffe")))
    assert x.dtype == np.int16 and x.dtype.isnative
    assert x.tolist() == [256, -2]
    assert x.flags.writeable


def test_read_idx_reads_gzip_even_without_gz_suffix(tmp_path):
    x = read_idx(write_bytes(tmp_path / "a.idx", gzip.compress(HAND_BYTES)))
    np.testing.assert_array_equal(x, HAND_ARRAY)


@settings(max_examples=60, deadline=None)
@given(
    array=st.sampled_from(NATIVE_DTYPES).flatmap(
        lambda dtype: arrays(dtype, array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    ),
    suffix=st.sampled_from([".idx", ".idx.gz"]),
)
def test_write_then_read_gives_back_the_same_array(tmp_path_factory, array, suffix):
    path = tmp_path_factory.mktemp("roundtrip") / f"a{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.shape == array.shape
    assert back.tobytes() == array.tobytes()  # bit for bit, NaNs and -0.0 included


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_write_idx_accepts_either_byte_order(tmp_path, byteorder):
    array = np.array([[1, -2], [300, 40000]], dtype=f"{byteorder}i4")
    write_idx(tmp_path / "a.idx", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), array)


def test_write_idx_stores_a_transposed_array_in_row_major_order(tmp_path):
    array = np.arange(6, dtype=np.int16).reshape(2, 3).T  # (3, 2), not C-contiguous
    write_idx(tmp_path / "t.idx", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "t.idx"), [[0, 3], [1, 4], [2, 5]])


def test_write_bytes_atomically_leaves_no_file_when_writing_fails(tmp_path):
    with pytest.raises(TypeError):
        write_bytes_atomically(tmp_path / "a.bin", "text, not bytes")
    assert os.listdir(tmp_path) == []


def test_write_idx_gz_writes_gzip_and_leaves_no_temporary_file(tmp_path):
    write_idx(tmp_path / "a.idx.gz", HAND_ARRAY)
    assert gzip.decompress((tmp_path / "a.idx.gz").read_bytes()) == HAND_BYTES
    assert os.listdir(tmp_path) == ["a.idx.gz"]


def test_write_idx_replaces_an_existing_file(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros(100, dtype=np.uint8))
    write_idx(tmp_path / "a.idx", HAND_ARRAY)
    assert (tmp_path / "a.idx").read_bytes() == HAND_BYTES


@pytest.mark.parametrize("dtype", [np.complex64, np.uint16, np.int64, np.bool_])
def test_write_idx_refuses_a_dtype_idx_cannot_store(tmp_path, dtype):
    with pytest.raises(
        TypeError, match=r"IDX cannot store dtype \w+ \(supported: uint8, int8, .*convert first"
    ):
        write_idx(tmp_path / "a.idx", np.zeros(3, dtype=dtype))
    assert os.listdir(tmp_path) == []


def test_write_idx_refuses_a_scalar(tmp_path):
    with pytest.raises(ValueError, match=r"1 to 255 dimensions .* got shape \(\).*np.atleast_1d"):
        write_idx(tmp_path / "a.idx", np.uint8(7))


MALFORMED = {
    "empty file": (b"", r"a.idx: the file is empty \(0 bytes\)"),
    "header shorter than 4 bytes": (
        b"\x00\x00\x08",
        r"a.idx: only 3 bytes, expected at least a 4-byte IDX magic",
    ),
    "magic not starting with two zero bytes": (
        b"\x01\x02\x08\x01\x00\x00\x00\x00",
        r"a.idx: magic number 0x01020801 is not an IDX magic number \(expected 0x0000TTDD",
    ),
    "unknown type code": (
        bytes.fromhex("00000a010000000100"),
        r"a.idx: magic number 0x00000A01 has unknown element type 0x0A \(expected one of 0x08 uint8, 0x09 int8",
    ),
    "zero dimensions": (
        bytes.fromhex("0000080007"),
        r"a.idx: magic number 0x00000800 declares 0 dimensions",
    ),
    "more dimensions than the header holds": (
        bytes.fromhex("000008030000000200000002"),
        r"a.idx: the header declares 3 dimensions, so it needs 16 bytes, but the file has only 12; .*truncated",
    ),
    "truncated body": (
        HAND_BYTES[:-2],
        r"a.idx: the header promises shape \(2, 3\) of uint8, that is 6 bytes .* but 4 follow .*truncated",
    ),
    "trailing bytes": (
        HAND_BYTES + b"\x00\x00\x00",
        r"but 9 follow the header \(3 unexpected bytes at the end\)",
    ),
    "truncated int32 body": (
        bytes.fromhex("00000c0100000002000000010000"),
        r"shape \(2,\) of int32, that is 8 bytes of values, but 6 follow",
    ),
}


@pytest.mark.parametrize("data, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_read_idx_rejects_a_malformed_file_with_a_message_naming_file_and_fault(
    tmp_path, data, message
):
    path = write_bytes(tmp_path / "a.idx", data)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert "python -m mlp_lib download" in str(info.value)


INSIDE_GZIP = {
    case: v for case, v in MALFORMED.items() if case != "empty file"
}  # gzip of b"" is not empty


@pytest.mark.parametrize("data, message", INSIDE_GZIP.values(), ids=INSIDE_GZIP.keys())
def test_read_idx_rejects_the_same_faults_inside_gzip(tmp_path, data, message):
    with pytest.raises(IDXFormatError, match=message.replace("a.idx", "a.idx.gz")):
        read_idx(write_bytes(tmp_path / "a.idx.gz", gzip.compress(data)))


def test_read_idx_rejects_a_gz_file_that_is_not_gzip(tmp_path):
    path = write_bytes(tmp_path / "a.idx.gz", HAND_BYTES)
    with pytest.raises(
        IDXFormatError, match=r"a.idx.gz: the name ends with .gz but .* 1f 8b \(got 00 00\)"
    ):
        read_idx(path)


def test_read_idx_rejects_a_truncated_gzip_stream(tmp_path):
    idx = bytes.fromhex("00000c01000003e8") + np.arange(1000, dtype=">i4").tobytes()  # 1000 int32
    data = gzip.compress(idx)
    path = write_bytes(tmp_path / "a.idx.gz", data[: len(data) // 2])
    with pytest.raises(
        IDXFormatError, match=r"a.idx.gz: the gzip stream is damaged \(Compressed file ended"
    ):
        read_idx(path)


def test_read_idx_rejects_a_corrupt_gzip_stream(tmp_path):
    data = bytearray(gzip.compress(HAND_BYTES))
    data[-8] ^= 0xFF  # flip bits in the CRC-32 stored at the end
    path = write_bytes(tmp_path / "a.idx", bytes(data))
    with pytest.raises(
        IDXFormatError, match=r"a.idx: the gzip stream is damaged \(CRC check failed"
    ):
        read_idx(path)


def test_read_idx_rejects_garbage_deflate_data(tmp_path):
    data = bytearray(gzip.compress(HAND_BYTES))
    data[10:14] = b"\xff\xff\xff\xff"  # the compressed blocks start after the 10-byte gzip header
    path = write_bytes(tmp_path / "a.idx", bytes(data))
    with pytest.raises(IDXFormatError, match=r"a.idx: the gzip stream is damaged \(.*invalid"):
        read_idx(path)


def test_read_idx_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.idx"):
        read_idx(tmp_path / "nope.idx")


def gz_with_zeros(path, head, zero_bytes):
    """A .gz file holding ``head`` then ``zero_bytes`` zeros, compressed piece by piece."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(head)
        for start in range(0, zero_bytes, 1 << 20):
            f.write(bytes(min(1 << 20, zero_bytes - start)))
    return path


def test_read_idx_refuses_a_header_promising_more_than_max_bytes_before_inflating(tmp_path):
    head = bytes.fromhex("00000803" + "002625a0" + "0000001c" * 2)  # 2,500,000 images of 28x28
    path = gz_with_zeros(tmp_path / "a.idx.gz", head, zero_bytes=50 * 2**20)
    raised, peak = peak_memory_of(lambda: read_idx(path))
    assert isinstance(raised, IDXFormatError)
    assert re.search(
        r"a.idx.gz: the header promises shape \(2500000, 28, 28\) of uint8, that is "
        r"1,960,000,000 bytes of values, more than the 536,870,912 bytes read_idx accepts "
        r"\(max_bytes\); is this the right file\?",
        str(raised),
    )
    assert peak < 5_000_000
    with pytest.raises(IDXFormatError, match=r"6 bytes of values, more than the 5 bytes"):
        read_idx(write_bytes(tmp_path / "b.idx", HAND_BYTES), max_bytes=5)


def test_read_idx_counts_unexpected_bytes_at_the_end_only_so_far(tmp_path):
    path = gz_with_zeros(tmp_path / "a.idx.gz", HAND_BYTES, zero_bytes=50 * 2**20)
    raised, peak = peak_memory_of(lambda: read_idx(path))
    assert isinstance(raised, IDXFormatError)
    assert re.search(
        r"that is 6 bytes of values, but more than 1,048,582 follow the header \(more than "
        r"1,048,576 unexpected bytes at the end\)",
        str(raised),
    )
    assert peak < 5_000_000


def test_read_idx_of_a_folder_or_a_symbolic_link_loop_says_so(tmp_path):
    (tmp_path / "a.idx").mkdir()
    with pytest.raises(IDXFormatError, match=r"a.idx: is a folder, not an IDX file"):
        read_idx(tmp_path / "a.idx")
    os.symlink(tmp_path / "loop.idx", tmp_path / "loop.idx")
    with pytest.raises(IDXFormatError, match=r"loop.idx: cannot be read \(Too many levels"):
        read_idx_header(tmp_path / "loop.idx")


def test_read_idx_header_reads_only_the_header(tmp_path):
    head = bytes.fromhex("00000803" + "002625a0" + "0000001c" * 2)
    path = gz_with_zeros(tmp_path / "a.idx.gz", head, zero_bytes=10 * 2**20)
    header = read_idx_header(path)
    assert header.shape == (2_500_000, 28, 28) and header.dtype == np.uint8
    assert header.nbytes == 1_960_000_000


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_can_convert_while_reading_without_a_copy_in_the_files_type(tmp_path, gz):

    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, size=(3000, 28, 28), dtype=np.uint8)  # 2.4 MB, > 2 chunks
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, array)
    tracemalloc.start()
    converted = read_idx(path, dtype=np.float32)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert converted.dtype == np.float32 and converted.shape == array.shape
    np.testing.assert_array_equal(converted, array.astype(np.float32))
    assert peak < converted.nbytes + 3 * 2**20  # the result and a chunk: no uint8 copy of it all
    np.testing.assert_array_equal(read_idx(path, dtype=np.uint8), array)


def test_read_idx_with_a_dtype_still_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "cut.idx"
    write_idx(path, np.zeros((10, 4), dtype=np.int16))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(IDXFormatError, match=r"77 follow the header \(the file is truncated\)"):
        read_idx(path, dtype=np.float64)


def test_a_file_that_cannot_be_read_for_its_permissions_says_so_not_to_download_it(
    tmp_path, monkeypatch
):
    # As root every file is readable, so the refusal is simulated where the file is opened.
    import errno

    import mlp_lib.idx

    path = tmp_path / "a-idx1-ubyte.gz"
    write_idx(path, np.zeros(3, np.uint8))

    def refuse(p):
        raise PermissionError(errno.EACCES, "Permission denied", str(p))

    monkeypatch.setattr(mlp_lib.idx, "open_regular_file", refuse)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    assert str(info.value) == (
        f"{path}: cannot be read (Permission denied); check its permissions (ls -l {path})"
    )
