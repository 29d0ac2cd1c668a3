"""Measure the numbers that notebook 01's "Try it" answers quote but the notebook does not print.

    python tools/answers/nb01.py

It reads the MNIST files as the notebook does and writes results/answers/01.json:

- "Try it" 2: one `struct` call per image against one per pixel and against `np.frombuffer`, as the
  notebook times them: the `struct` loaders on the first 1,000 images, extrapolated to 60,000, and
  `np.frombuffer` (with a copy) on all 60,000. These are times: they depend on the computer and on
  what else it is doing, so only their ratios are worth quoting;
- "Try it" 3: the mean and standard deviation of the standardised training pixels, and the value
  that blank paper (pixel 0) gets;
- "Try it" 5: how many of the pixel positions that are 0 in every training image a random shift of
  up to 1 or 2 pixels (mlp_lib.augment.shift_images, notebook 08) can move ink onto.

It takes a few seconds.
"""

import gzip
import json
import platform
import struct
import time
from pathlib import Path

import numpy as np

from mlp_lib import load_mnist
from mlp_lib.augment import shift_images
from mlp_lib.data import dataset_dir

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "01.json"
COMMAND = "python tools/answers/nb01.py"
N_IMAGES = 60_000
SUBSET = 1_000  # images the struct loaders are timed on, as in the notebook
N_PIXELS = 784
HEADER_SIZE = 16
TIMING_REPEATS = 3
MEAN, STD = 0.1307, 0.3081  # the exercise's constants


def load_pixels_with_struct(raw, n_images, n_pixels, offset):
    """The notebook's slow loader: one struct call per pixel."""
    pixels = np.empty((n_images, n_pixels), dtype=np.uint8)
    for i in range(n_images):
        for j in range(n_pixels):
            (pixels[i, j],) = struct.unpack_from(">B", raw, offset)
            offset += 1
    return pixels


def load_images_with_struct(raw, n_images, n_pixels, offset):
    """ "Try it" 2's solution: one struct call per image."""
    pixels = np.empty((n_images, n_pixels), dtype=np.uint8)
    for i in range(n_images):
        pixels[i] = struct.unpack_from(f">{n_pixels}B", raw, offset)
        offset += n_pixels
    return pixels


def load_with_frombuffer(raw, n_images, n_pixels, offset):
    """The notebook's fast loader, with a real copy as in its timing."""
    return (
        np.frombuffer(raw, dtype=np.uint8, count=n_images * n_pixels, offset=offset)
        .reshape(n_images, n_pixels)
        .copy()
    )


def fastest_seconds(loader, raw, n_images):
    """The fastest of a few runs of loader on the first n_images images, in seconds."""
    times = []
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        loader(raw, n_images, N_PIXELS, HEADER_SIZE)
        times.append(time.perf_counter() - start)
    return min(times)


def positions_reached_by_shifts(images, blank, max_shift):
    """How many of the `blank` positions some training image has ink on once shifted by up to
    max_shift pixels in each direction (every offset dy, dx in -max_shift..max_shift)."""
    ink = (images > 0).any(axis=0)[None].astype(np.uint8)  # (1, 28, 28): ink in any image
    offsets = range(-max_shift, max_shift + 1)
    reached = np.zeros_like(blank)
    for dy in offsets:
        for dx in offsets:
            moved = shift_images(ink, np.array([dy]), np.array([dx]), max_shift)[0]  # (28, 28)
            reached |= moved.astype(bool)
    return int((reached & blank).sum())


def main():
    answers = {"command": COMMAND}

    raw = gzip.decompress((dataset_dir("mnist") / "train-images-idx3-ubyte.gz").read_bytes())
    extrapolate = N_IMAGES / SUBSET  # the notebook's extrapolation to all 60,000 images
    seconds = {
        "struct_per_pixel": fastest_seconds(load_pixels_with_struct, raw, SUBSET) * extrapolate,
        "struct_per_image": fastest_seconds(load_images_with_struct, raw, SUBSET) * extrapolate,
        "frombuffer": fastest_seconds(load_with_frombuffer, raw, N_IMAGES),
    }
    answers["try_it_2_seconds_for_60000_images"] = {
        name: round(s, 4) for name, s in seconds.items()
    }
    answers["try_it_2_per_image_times_faster_than_per_pixel"] = round(
        seconds["struct_per_pixel"] / seconds["struct_per_image"], 1
    )
    answers["try_it_2_per_image_times_slower_than_frombuffer"] = round(
        seconds["struct_per_image"] / seconds["frombuffer"], 1
    )
    answers["try_it_2_timing_note"] = (
        f"fastest of {TIMING_REPEATS} runs each, on {platform.machine()} "
        f"({platform.processor() or 'processor not named'}): times depend on the computer"
    )

    X_train, _ = load_mnist("train")  # (60000, 784) float32 in [0, 1]
    X_std = (X_train - MEAN) / STD
    answers["try_it_3_standardised_pixels_mean"] = round(float(X_std.mean(dtype=np.float64)), 4)
    answers["try_it_3_standardised_pixels_std"] = round(float(X_std.std(dtype=np.float64)), 4)
    answers["try_it_3_blank_paper_standardised"] = round((0 - MEAN) / STD, 4)
    del X_std

    images = X_train.reshape(-1, 28, 28)
    blank = images.max(axis=0) == 0  # (28, 28): 0 in every training image
    answers["try_it_5_positions_blank_in_every_training_image"] = int(blank.sum())
    for max_shift in (1, 2):
        answers[f"try_it_5_blank_positions_reached_by_shifts_up_to_{max_shift}_pixels"] = (
            positions_reached_by_shifts(images, blank, max_shift)
        )

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
