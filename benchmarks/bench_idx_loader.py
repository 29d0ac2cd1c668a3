"""Time two ways of reading the 60,000 MNIST training images.

(a) the classic blog loader the project started from: struct.unpack the header, then
    struct.unpack_from(">784B", ...) once per image into a list of tuples, then np.array;
(b) mlp_lib.idx.read_idx: one np.frombuffer over the whole body.

To compare parsing and nothing else, the .gz is decompressed once into a temporary file and both
loaders read that same raw file. Run:  python benchmarks/bench_idx_loader.py
"""

import gzip
import struct
import tempfile
import time
from pathlib import Path

import numpy as np

from mlp_lib.idx import read_idx

GZ_PATH = Path(__file__).resolve().parent.parent / "data" / "mnist" / "train-images-idx3-ubyte.gz"
REPEATS = 3


def load_images_struct(path):
    """The seed's loader: one struct.unpack_from per image, then a list of tuples into NumPy."""
    with open(path, "rb") as f:
        buf = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", buf[:16])
    offset, size = 16, rows * cols
    images = []
    for _ in range(n):
        images.append(struct.unpack_from(f">{size}B", buf, offset))
        offset += size
    return np.array(images, dtype=np.uint8).reshape(n, rows, cols)


def best_time(load, path):
    """(fastest time in seconds over REPEATS runs, the array of the last run)."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = load(path)
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "train-images-idx3-ubyte"
        raw_path.write_bytes(gzip.decompress(GZ_PATH.read_bytes()))
        t_struct, a = best_time(load_images_struct, raw_path)
        t_numpy, b = best_time(read_idx, raw_path)
    if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b):
        raise SystemExit("the two loaders disagree!")
    print(f"both read the same decompressed file ({a.shape} {a.dtype}), best of {REPEATS}:")
    print(f"struct.unpack loader: {t_struct:.2f} s  read_idx: {t_numpy:.3f} s  ratio: {t_struct / t_numpy:.1f}x")


if __name__ == "__main__":
    main()
