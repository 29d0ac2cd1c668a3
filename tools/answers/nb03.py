"""Measure the numbers that notebook 03's "Try it" 2 answer quotes but the notebook does not print.

    python tools/answers/nb03.py

"Try it" 2 asks for the loss of an untrained 784-32-16-10 network on the first 1,000 test images,
with He weights and with the seed program's N(0, 0.01²) ones. This script runs its solution and
writes results/answers/03.json: both losses (float64, seed 0, so the same on every computer), and
the standard deviation of the logits each network gives, which explains them. It takes seconds.
"""

import json
from pathlib import Path

import numpy as np

from mlp_lib import MLP, load_mnist

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "03.json"
COMMAND = "python tools/answers/nb03.py"
LAYER_SIZES = (784, 32, 16, 10)
N_IMAGES = 1_000  # the first 1,000 test images, as in the exercise


def main():
    answers = {"command": COMMAND, "test_images": N_IMAGES}
    X_test, y_test = load_mnist("test", dtype=np.float64)
    X, y = X_test[:N_IMAGES], y_test[:N_IMAGES]
    for init in ("he", "normal"):
        model = MLP(LAYER_SIZES, init=init, dtype=np.float64, seed=0)
        answers[f"try_it_2_first_loss_{init}"] = round(float(model.loss(X, y)), 4)
        answers[f"try_it_2_logits_std_{init}"] = float(model.forward(X).std())
    answers["log_10"] = float(np.log(10))

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
