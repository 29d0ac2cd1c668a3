"""Measure the answer of notebook 06's "Try it" 4: the same recipe trained on Fashion-MNIST.

    python tools/answers/nb06.py

It runs the code of the exercise's solution: the notebook's recipe (PRESETS["seed-improved"] with
5 epochs, in float64, so the numbers are the same on every computer) on Fashion-MNIST, then
measures it on the validation and the test images, and the accuracy of each class on the test
images. It writes results/answers/06.json, accuracies as fractions (0.8621 is 86.21%). It takes
about ten seconds.
"""

import json
from pathlib import Path

import numpy as np

from mlp_lib import PRESETS, confusion_matrix, train_recipe
from mlp_lib.data import load_dataset

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "06.json"
COMMAND = "python tools/answers/nb06.py"
EPOCHS = 5  # the notebook's EPOCHS
N_CONFUSIONS = 6  # the most frequent mistakes to list


def main():
    # The notebook's recipe, on Fashion-MNIST: the solution's code
    recipe = PRESETS["seed-improved"].replace(epochs=EPOCHS, dtype="float64")
    fashion_data = load_dataset("fashion-mnist")
    fashion = train_recipe(recipe.replace(dataset="fashion-mnist"), data=fashion_data)
    names = fashion_data.class_names
    predictions = fashion.model.predict(fashion_data.X_test)  # (10000,)
    cm = confusion_matrix(fashion_data.y_test, predictions)  # (10, 10)
    per_class = np.diag(cm) / cm.sum(axis=1)  # (10,) the share of each class found
    mistakes = cm.copy()
    np.fill_diagonal(mistakes, 0)
    confusions = []
    for flat_index in np.argsort(-mistakes, axis=None, kind="stable")[:N_CONFUSIONS]:
        true, predicted = np.unravel_index(flat_index, cm.shape)
        confusions.append(f"{names[true]} read as {names[predicted]}: {cm[true, predicted]} times")

    answers = {
        "command": COMMAND,
        "recipe": recipe.replace(dataset="fashion-mnist").describe(),
        "try_it_4_fashion_validation_accuracy": fashion.validation.accuracy,
        "try_it_4_fashion_test_accuracy": fashion.test.accuracy,
        "try_it_4_fashion_test_accuracy_per_class": {
            name: round(float(share), 4) for name, share in zip(names, per_class)
        },
        "try_it_4_fashion_most_frequent_mistakes_on_test_images": confusions,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
