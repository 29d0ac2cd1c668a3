"""Measure the numbers that notebook 08's text quotes from runs the notebook itself does not make.

    python tools/answers/nb08.py

It trains as the notebook and its exercises do and writes results/answers/08.json:

- "Try it" 1 and 2: step 8 of the ladder with seeds 0, 1 and 2, and with Adam at three learning
  rates (float64 networks: the same on every computer);
- "Try it" 5: the best recipe with shifts of 2 pixels for 24 epochs, on 50,000 images, judged on
  the 10,000 validation images, with one BLAS thread and with two (float32: the order of the sums
  changes the last digits, so the two runs can differ by a few images), compared with ladder steps
  15 and 16 in results/ladder.json;
- "Try it" 6: plain SGD on raw pixels at three learning rates, with the race of section 3;
- section 4, "Two steps kept for speed": how long one epoch of steps 8 to 11 takes, to see what
  float32 and batch 128 saved. Times depend on the computer and on what else it is doing, so the
  four steps run in turn, five times over, on one BLAS thread, and the processor time of every
  epoch is kept (the fastest too): a busy machine slows every repeat differently;
- section 8: the memory that predicting all 10,000 test images at once would take, in float64.

Accuracies are fractions (0.9643 is 96.43%). It takes about eight minutes on 2 cores, most of it
the two runs of "Try it" 5.
"""

import json
import math
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

from mlp_lib import MLP, PRESETS, fit, read_idx, train_recipe
from mlp_lib.data import dataset_dir, load_dataset
from mlp_lib.ladder import ladder_steps, load_ladder
from mlp_lib.optim import OPTIMIZERS
from mlp_lib.recipe import VALIDATION_SIZE, build
from mlp_lib.threads import set_blas_threads
from mlp_lib.train import evaluate

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "08.json"
COMMAND = "python tools/answers/nb08.py"
MB = 1e6
SEEDS = (0, 1, 2)
ADAM_LRS = (0.001, 0.003, 0.01)
SGD_RAW_LRS = (0.03, 0.01, 0.003)
RACE_SIZES, N_RACE, EPOCHS_RACE, BATCH_RACE = (784, 32, 16, 10), 10_000, 2, 64  # section 3's race
TIMED_STEPS = (8, 9, 10, 11)
TIMING_REPEATS = 5
BLAS_THREADS = (1, 2)  # "Try it" 5 with each


def ladder_step(number):
    """The (change, recipe) of ladder step `number` (1 for the seed program)."""
    change, recipe, _ = list(ladder_steps())[number - 1]
    return change, recipe


def try_it_1_and_2(data):
    """Step 8 with seeds 0, 1, 2; then with Adam at ADAM_LRS (seed 0): validation results."""
    _, step8 = ladder_step(8)
    seeds = {seed: train_recipe(step8.replace(seed=seed), data=data).validation for seed in SEEDS}
    correct = [result.correct for result in seeds.values()]
    adam = {
        lr: train_recipe(step8.replace(optimizer="adam", lr=lr), data=data).validation
        for lr in ADAM_LRS
    }
    return {
        "try_it_1_step_8_validation_accuracy_by_seed": {s: r.accuracy for s, r in seeds.items()},
        "try_it_1_step_8_validation_correct_by_seed": {s: r.correct for s, r in seeds.items()},
        "try_it_1_spread_points": round(100 * (max(correct) - min(correct)) / VALIDATION_SIZE, 2),
        "try_it_1_spread_images": max(correct) - min(correct),
        "try_it_2_step_8_adam_validation_accuracy_by_lr": {
            lr: r.accuracy for lr, r in adam.items()
        },
    }


def race(name, X, y, X_val, y_val, *, init, lr, seed=0):
    """Section 3's race: a fresh 784-32-16-10 (float64), 2 epochs of batches of 64 on X, y."""
    model = MLP(RACE_SIZES, init=init, seed=seed, dtype=np.float64)
    fit(
        model,
        X,
        y,
        epochs=EPOCHS_RACE,
        batch_size=BATCH_RACE,
        seed=seed,
        progress=False,
        optimizer=OPTIMIZERS[name].cls(lr),
    )
    return evaluate(model, X_val, y_val).accuracy


def try_it_6():
    """Plain SGD on the raw pixels at SGD_RAW_LRS, the best of them on scaled pixels, and the two
    runs of section 3 it is compared with (Adam on raw pixels, SGD at 0.1 on scaled ones)."""
    folder = dataset_dir("mnist")
    X_raw = read_idx(folder / "train-images-idx3-ubyte.gz").reshape(60_000, 784)  # uint8 0..255
    y = read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
    X_race_raw, y_race = X_raw[:N_RACE], y[:N_RACE]
    X_val_raw, y_val = X_raw[-VALIDATION_SIZE:], y[-VALIDATION_SIZE:]
    scaled = {"X": X_race_raw / np.float32(255), "X_val": X_val_raw / np.float32(255)}
    raw = {
        lr: race("sgd", X_race_raw, y_race, X_val_raw, y_val, init="normal", lr=lr)
        for lr in SGD_RAW_LRS
    }
    best_lr = max(raw, key=raw.get)
    return {
        "try_it_6_sgd_raw_pixels_normal_init_validation_accuracy_by_lr": raw,
        "try_it_6_best_lr_on_raw_pixels": best_lr,
        "try_it_6_sgd_at_that_lr_scaled_pixels_he_init_validation_accuracy": race(
            "sgd", scaled["X"], y_race, scaled["X_val"], y_val, init="he", lr=best_lr
        ),
        "section_3_adam_0.001_raw_pixels_normal_init_validation_accuracy": race(
            "adam", X_race_raw, y_race, X_val_raw, y_val, init="normal", lr=0.001
        ),
        "section_3_sgd_0.1_scaled_pixels_he_init_validation_accuracy": race(
            "sgd", scaled["X"], y_race, scaled["X_val"], y_val, init="he", lr=0.1
        ),
    }


def try_it_5(data):
    """`python -m mlp_lib train --preset best --shift 2 --epochs 24 --validation 10000`, once with
    one BLAS thread and once with two: float32 sums in another order can end a few images apart."""
    recipe = PRESETS["best"].replace(shift=2, epochs=24, validation=VALIDATION_SIZE)
    ladder = load_ladder(
        ROOT / "results" / "ladder.json"
    )  # steps 15 and 16: shifts of 2 and 1 pixels
    runs = {}
    for threads in BLAS_THREADS:
        set_blas_threads(threads)
        result = train_recipe(recipe, data=data)
        runs[f"{threads}_blas_threads"] = {
            "validation_accuracy": result.validation.accuracy,
            "validation_correct": result.validation.correct,
            "images_above_ladder_step_15": result.validation.correct
            - ladder[14]["validation_correct"],
            "images_above_ladder_step_16": result.validation.correct
            - ladder[15]["validation_correct"],
            "train_seconds": round(result.history.seconds, 1),
            "load_average_at_the_end": [round(x, 2) for x in os.getloadavg()],
        }
    set_blas_threads("auto")
    accuracies = [run["validation_accuracy"] for run in runs.values()]
    return {
        "try_it_5_recipe": recipe.describe(),
        "try_it_5_runs": runs,
        "try_it_5_validation_accuracy_lowest": min(accuracies),
        "try_it_5_validation_accuracy_highest": max(accuracies),
    }


def epoch_seconds(recipe, data):
    """(wall, CPU) seconds of one epoch of the recipe on the first 50,000 training images."""
    model, optimizer, augment = build(recipe.replace(epochs=1))
    n_fit = len(data.X_train) - VALIDATION_SIZE
    wall, cpu = time.perf_counter(), time.process_time()
    fit(
        model,
        data.X_train[:n_fit],
        data.y_train[:n_fit],
        epochs=1,
        batch_size=recipe.batch_size,
        optimizer=optimizer,
        seed=recipe.seed,
        lr_schedule=recipe.lr_schedule,
        augment=augment,
        progress=False,
    )
    return time.perf_counter() - wall, time.process_time() - cpu


def section_4_timing(data):
    """Steps 8 to 11, one epoch each, in turn, TIMING_REPEATS times: the fastest of each."""
    set_blas_threads(1)  # one thread for all: only the recipe differs, and other jobs matter less
    recipes = {number: ladder_step(number) for number in TIMED_STEPS}
    times = {number: [] for number in TIMED_STEPS}
    for _ in range(TIMING_REPEATS):
        for number, (_, recipe) in recipes.items():
            times[number].append(epoch_seconds(recipe, data))
    timing = {}
    for number, (change, recipe) in recipes.items():
        n_fit = len(data.X_train) - VALIDATION_SIZE
        timing[f"step_{number}"] = {
            "change": change,
            "recipe": recipe.describe() + f" · {recipe.dtype}",
            "steps_per_epoch": math.ceil(n_fit / recipe.batch_size),
            "epoch_wall_seconds_fastest": round(min(wall for wall, _ in times[number]), 2),
            "epoch_cpu_seconds_fastest": round(min(cpu for _, cpu in times[number]), 2),
            "epoch_cpu_seconds_all": [round(cpu, 2) for _, cpu in times[number]],
        }
    cpu = {number: timing[f"step_{number}"]["epoch_cpu_seconds_fastest"] for number in TIMED_STEPS}
    return {
        "section_4_one_epoch_by_step": timing,
        "section_4_float32_epoch_time_over_float64_step_9_over_8": round(cpu[9] / cpu[8], 2),
        "section_4_batch_128_epoch_time_over_batch_90_step_11_over_10": round(cpu[11] / cpu[10], 2),
        "section_4_timing_note": (
            f"fastest of {TIMING_REPEATS} epochs each, one BLAS thread, the steps in turn; on "
            f"{platform.machine()} with {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end: "
            "times depend on the computer and on what else it runs"
        ),
    }


def traced_peak_mb(function):
    """The largest memory NumPy held at once, beyond what it held before, while function() ran."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round((peak - before) / MB, 1)


def section_8_memory(data):
    """The best network in float64 on the 10,000 test images: all at once, or 1,000 at a time."""
    best = MLP.load(ROOT / "models" / "best.npz", dtype=np.float64)
    X_test = data.X_test  # float32, as the notebook reads them
    at_once = traced_peak_mb(lambda: best.forward(X_test).argmax(axis=1))
    in_batches = traced_peak_mb(
        lambda: [
            best.forward(X_test[s : s + 1000]).argmax(axis=1) for s in range(0, len(X_test), 1000)
        ]
    )
    return {
        "section_8_predict_10000_test_images_at_once_float64_peak_mb": at_once,
        "section_8_predict_1000_at_a_time_float64_peak_mb": in_batches,
    }


def main():
    answers = {"command": COMMAND}
    data = load_dataset("mnist")  # float32 images in [0, 1]
    answers.update(try_it_1_and_2(data))
    answers.update(try_it_6())
    answers.update(section_8_memory(data))
    answers.update(section_4_timing(data))
    answers.update(try_it_5(data))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
