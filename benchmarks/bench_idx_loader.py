"""Time three ways of reading the 60,000 MNIST training images.

(a) per pixel, as the seed program did: struct.unpack the header, then one
    struct.unpack_from(">B", ...) per pixel (47 million calls) into a list, then np.array;
(b) per image, the usual blog improvement: one struct.unpack_from(">784B", ...) per image;
(c) mlp_lib.idx.read_idx: one np.frombuffer over the whole body.

To compare parsing and nothing else, the .gz is decompressed once into a temporary file and all
three loaders read that same raw file. The per-pixel loader takes tens of seconds, so it runs once;
the others run REPEATS times and the fastest run counts. Run:  python benchmarks/bench_idx_loader.py
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


def read_header(buf):
    magic, n, rows, cols = struct.unpack(">IIII", buf[:16])
    return n, rows, cols


def load_images_per_pixel(path):
    """The seed's loader: one struct.unpack_from per pixel, then a list of ints into NumPy."""
    with open(path, "rb") as f:
        buf = f.read()
    n, rows, cols = read_header(buf)
    pixels = []
    for offset in range(16, 16 + n * rows * cols):
        pixels.append(struct.unpack_from(">B", buf, offset)[0])
    return np.array(pixels, dtype=np.uint8).reshape(n, rows, cols)


def load_images_per_image(path):
    """One struct.unpack_from per image, then a list of tuples into NumPy."""
    with open(path, "rb") as f:
        buf = f.read()
    n, rows, cols = read_header(buf)
    offset, size = 16, rows * cols
    images = []
    for _ in range(n):
        images.append(struct.unpack_from(f">{size}B", buf, offset))
        offset += size
    return np.array(images, dtype=np.uint8).reshape(n, rows, cols)


def best_time(load, path, repeats):
    """(fastest time in seconds over ``repeats`` runs, the array of the last run)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = load(path)
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "train-images-idx3-ubyte"
        raw_path.write_bytes(gzip.decompress(GZ_PATH.read_bytes()))
        t_numpy, reference = best_time(read_idx, raw_path, REPEATS)
        t_image, per_image = best_time(load_images_per_image, raw_path, REPEATS)
        t_pixel, per_pixel = best_time(load_images_per_pixel, raw_path, 1)
    for name, array in (("per-image", per_image), ("per-pixel", per_pixel)):
        if (
            array.shape != reference.shape
            or array.dtype != reference.dtype
            or not np.array_equal(array, reference)
        ):
            raise SystemExit(f"the {name} loader disagrees with read_idx!")
    print(f"all three read the same decompressed file ({reference.shape} {reference.dtype}):")
    print(
        f"struct.unpack per pixel (the seed's), 1 run: {t_pixel:6.2f} s  "
        f"ratio to read_idx: {t_pixel / t_numpy:,.0f}x"
    )
    print(
        f"struct.unpack per image, best of {REPEATS}:     {t_image:6.2f} s  "
        f"ratio to read_idx: {t_image / t_numpy:,.1f}x"
    )
    print(f"mlp_lib read_idx, best of {REPEATS}:            {t_numpy:6.3f} s")


if __name__ == "__main__":
    main()
