"""Measure the numbers that notebook 05's text quotes from runs the notebook itself does not make.

    python tools/answers/nb05.py

It trains exactly as the notebook does (float64 networks, so every accuracy is the same on every
computer) and writes results/answers/05.json:

- the seed program on all 60,000 training images, measured on the test images, seeds 0 to 5
  (section 5: the blog's program never fixed its seed);
- the answers of "Try it" 1 to 4, with the code of their solutions;
- how much slower one epoch trains in float64 than in float32 (the setup): this one is a time, so
  it depends on the computer and on what else it is doing.

Accuracies are fractions (0.9275 is 92.75%). It takes about two minutes on 2 cores.
"""

import json
import time
from pathlib import Path

import numpy as np

from mlp_lib import MLP, PRESETS, SGD, Momentum, evaluate, fit, make_optimizer, read_idx
from mlp_lib.data import dataset_dir
from mlp_lib.recipe import VALIDATION_SIZE
from mlp_lib.threads import set_blas_threads

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "05.json"
COMMAND = "python tools/answers/nb05.py"
LAYER_SIZES = (784, 32, 16, 10)
SEEDS = range(6)  # seeds 0 to 5
TIMING_REPEATS = 5


def load():
    """The notebook's data: raw bytes and scaled float32 pixels, split as mlp_lib splits them."""
    folder = dataset_dir("mnist")
    X_raw = read_idx(folder / "train-images-idx3-ubyte.gz").reshape(60_000, 784)  # uint8
    y = read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
    X_test_raw = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(10_000, 784)
    y_test = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    X = X_raw / np.float32(255)  # (60000, 784) float32 in [0, 1]
    n_fit = len(X) - VALIDATION_SIZE  # the first 50,000 train, the last 10,000 validate
    return {
        "X_raw": X_raw,
        "y": y,
        "X_test_raw": X_test_raw,
        "y_test": y_test,
        "X_fit": X[:n_fit],
        "X_val": X[n_fit:],
        "X_fit_raw": X_raw[:n_fit],
        "X_val_raw": X_raw[n_fit:],
        "y_fit": y[:n_fit],
        "y_val": y[n_fit:],
    }


def train(
    X, y, init, seed, epochs, batch_size, optimizer, lr_schedule="constant", dtype=np.float64
):
    """A LAYER_SIZES network trained as the notebook trains it; (model, history)."""
    model = MLP(LAYER_SIZES, init=init, seed=seed, dtype=dtype)
    history = fit(
        model,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        lr_schedule=lr_schedule,
        seed=seed,
        progress=False,
    )
    return model, history


def seed_program_test_accuracy(d, seed):
    """Section 5: the seed program on all 60,000 images (raw pixels), measured on the test images."""
    recipe = PRESETS["seed"]
    optimizer = make_optimizer(recipe.optimizer, recipe.lr)
    model, _ = train(
        d["X_raw"], d["y"], recipe.init, seed, recipe.epochs, recipe.batch_size, optimizer
    )
    return evaluate(model, d["X_test_raw"], d["y_test"]).accuracy


def seed_recipe(d, seed, epochs=3):
    """The seed recipe on the 50,000 (raw pixels), its validation accuracy (Try it 1 and 3)."""
    model, _ = train(d["X_fit_raw"], d["y_fit"], "normal", seed, epochs, 90, SGD(0.01))
    return evaluate(model, d["X_val_raw"], d["y_val"]).accuracy


def improved_recipe(d, seed, epochs=3):
    """The improved recipe (scaled pixels, He, momentum 0.1, batch 128, cosine) on the 50,000."""
    model, _ = train(d["X_fit"], d["y_fit"], "he", seed, epochs, 128, Momentum(0.1), "cosine")
    return evaluate(model, d["X_val"], d["y_val"]).accuracy


def scaled_pixels_small_weights(d):
    """Try it 2: scaled pixels, the seed's N(0, 0.01²) weights, SGD 0.1, batch 90, 3 epochs."""
    model, _ = train(d["X_fit"], d["y_fit"], "normal", 0, 3, 90, SGD(0.1))
    return evaluate(model, d["X_val"], d["y_val"]).accuracy


def one_epoch_per_batch_size(d, batch_size):
    """Try it 4: one epoch of SGD 0.1 with this batch size; (validation accuracy, updates)."""
    model, history = train(d["X_fit"], d["y_fit"], "he", 0, 1, batch_size, SGD(0.1))
    return evaluate(model, d["X_val"], d["y_val"]).accuracy, len(history.loss)


def epoch_cpu_seconds(d):
    """A few epochs in each dtype (batch 64, SGD 0.1, one BLAS thread), in seconds of CPU time:
    {dtype: [seconds, ...]}. The dtypes take turns, so that a busy moment slows both alike."""
    times = {"float32": [], "float64": []}
    for _ in range(TIMING_REPEATS):
        for dtype in times:
            start = time.process_time()
            train(d["X_fit"], d["y_fit"], "he", 0, 1, 64, SGD(0.1), dtype=dtype)
            times[dtype].append(time.process_time() - start)
    return times


def main():
    d = load()
    answers = {"command": COMMAND}

    test = {seed: seed_program_test_accuracy(d, seed) for seed in SEEDS}
    answers["seed_program_60000_images_test_accuracy_by_seed"] = test
    answers["seed_program_test_accuracy_lowest_of_seeds_0_to_5"] = min(test.values())
    answers["seed_program_test_accuracy_highest_of_seeds_0_to_5"] = max(test.values())

    seed_val = {seed: seed_recipe(d, seed) for seed in SEEDS}
    improved_val = {seed: improved_recipe(d, seed) for seed in SEEDS}
    answers["try_it_1_seed_recipe_validation_accuracy_by_seed"] = seed_val
    answers["try_it_1_seed_recipe_lowest_of_seeds_0_to_5"] = min(seed_val.values())
    answers["try_it_1_seed_recipe_highest_of_seeds_0_to_5"] = max(seed_val.values())
    answers["try_it_1_improved_recipe_validation_accuracy_by_seed"] = improved_val
    answers["try_it_1_improved_recipe_lowest_of_seeds_0_to_5"] = min(improved_val.values())
    answers["try_it_1_improved_recipe_highest_of_seeds_0_to_5"] = max(improved_val.values())

    answers["try_it_2_scaled_pixels_normal_init_sgd_0.1_validation_accuracy"] = (
        scaled_pixels_small_weights(d)
    )

    answers["try_it_3_seed_recipe_10_epochs_validation_accuracy"] = seed_recipe(d, 0, epochs=10)
    answers["try_it_3_improved_recipe_10_epochs_validation_accuracy"] = improved_recipe(
        d, 0, epochs=10
    )

    by_batch = {}
    for batch_size in (16, 64, 256, 1024):
        accuracy, updates = one_epoch_per_batch_size(d, batch_size)
        by_batch[batch_size] = {"validation_accuracy": accuracy, "updates": updates}
    answers["try_it_4_one_epoch_sgd_0.1_by_batch_size"] = by_batch

    set_blas_threads(1)  # the same single thread for both, so that only the dtype differs
    times = epoch_cpu_seconds(d)
    fastest = {dtype: min(seconds) for dtype, seconds in times.items()}
    answers["setup_one_epoch_batch_64_cpu_seconds_float32"] = round(fastest["float32"], 2)
    answers["setup_one_epoch_batch_64_cpu_seconds_float64"] = round(fastest["float64"], 2)
    answers["setup_float64_epoch_time_over_float32"] = round(
        fastest["float64"] / fastest["float32"], 2
    )
    answers["setup_float64_over_float32_in_each_round"] = [
        round(t64 / t32, 2) for t32, t64 in zip(times["float32"], times["float64"])
    ]
    answers["setup_timing_note"] = (
        f"{TIMING_REPEATS} rounds of one epoch in each dtype, CPU time with one BLAS thread: "
        "times depend on the computer and on what else it is doing"
    )

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
