"""Measure the numbers that notebook 11's text quotes from runs the notebook itself does not make.

    python tools/answers/nb11.py

It writes results/answers/11.json:

- "Try it" 1 and 2: the digits among the 20 test images that excite each of the first four units
  of the seed network's second hidden layer; the dead units of both networks, and how often a
  first-layer unit is active (the code of the solutions, on the networks as the notebook builds
  them: in float64, the seed network's factor 255 folded into its first layer);
- the setup: what training the seed network here, instead of loading `models/seed.npz`, would
  take: its seconds, the memory NumPy holds beyond the images while it trains, and how far the
  weights it trains are from the file's (float64 sums in another order can differ in their last
  digits).

Fractions are fractions (0.187 is 18.7%); MB are 10^6 bytes. It takes a few seconds.
"""

import json
import time
import tracemalloc
from pathlib import Path

import numpy as np

from mlp_lib import MLP, PRESETS, load_mnist, train_recipe
from mlp_lib.data import load_dataset
from mlp_lib.inspect_net import hidden_activations, top_activating

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "11.json"
COMMAND = "python tools/answers/nb11.py"
MB = 1e6
N_TOP, N_UNITS = 20, 4


def networks():
    """The notebook's two networks, in float64, both reading pixels in [0, 1]."""
    best = MLP.load(ROOT / "models" / "best.npz", dtype=np.float64)
    seed_raw = MLP.load(ROOT / "models" / "seed.npz", dtype=np.float64)
    seed = MLP(seed_raw.layer_sizes, init="normal", dtype=np.float64)
    seed.set_parameters({**seed_raw.parameters(), "W0": 255 * seed_raw.parameters()["W0"]})
    return {"seed": seed, "best": best}


def count_dead_units(acts):
    return int((acts.max(axis=0) == 0).sum())


def try_it_1_and_2(nets, X_test, y_test):
    acts = {name: hidden_activations(model, X_test) for name, model in nets.items()}
    second_layer = {}
    for unit in range(N_UNITS):
        top = top_activating(acts["seed"][1], unit, k=N_TOP)
        counts = np.bincount(y_test[top], minlength=10)
        second_layer[unit] = {str(digit): int(count) for digit, count in enumerate(counts) if count}
    return {
        "try_it_1_seed_second_layer_digits_among_the_top_20_by_unit": second_layer,
        "try_it_2_dead_units_by_layer": {
            name: [count_dead_units(a) for a in layers] for name, layers in acts.items()
        },
        "try_it_2_first_layer_active_fraction": {
            name: round(float(np.mean(layers[0] > 0)), 4) for name, layers in acts.items()
        },
    }


def training_the_seed_network_here():
    """Train PRESETS["seed"] as `python -m mlp_lib train --preset seed` does, on raw float32 pixels
    read first: its seconds, NumPy's peak memory beyond the images, how far from the file's weights."""
    recipe = PRESETS["seed"]
    data = load_dataset("mnist", normalize=recipe.normalize)  # float32 pixels 0..255
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    result = train_recipe(recipe, data=data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    saved = MLP.load(ROOT / "models" / "seed.npz", dtype=np.float64)
    difference = max(
        float(np.abs(result.model.parameters()[key] - value).max())
        for key, value in saved.parameters().items()
    )
    return {
        "setup_train_seed_preset_seconds": round(seconds, 1),
        "setup_train_seed_preset_numpy_peak_mb_beyond_the_images": round((peak - before) / MB, 1),
        "setup_images_float32_mb": round((data.X_train.nbytes + data.X_test.nbytes) / MB, 1),
        "setup_largest_difference_from_the_weights_of_models_seed_npz": float(f"{difference:.1e}"),
        "setup_test_accuracy": result.test.accuracy,
    }


def main():
    X_test, y_test = load_mnist("test", dtype=np.float64)
    answers = {"command": COMMAND}
    answers.update(try_it_1_and_2(networks(), X_test, y_test))
    answers.update(training_the_seed_network_here())
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
