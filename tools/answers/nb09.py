"""Measure the numbers that notebook 09's text quotes from runs the notebook itself does not make.

    python tools/answers/nb09.py

It trains and evaluates as the notebook and its exercises do, and writes results/answers/09.json:

- section 5: the best recipe on Fashion-MNIST without random shifts,
  `python -m mlp_lib train --preset best --dataset fashion-mnist --shift 0`, on all 60,000 training
  images, measured on the test images and compared with the committed networks of section 3;
- "Try it" 2: the best recipe on Fashion-MNIST with and without shifts, seeds 0 and 1, on 50,000
  images, judged on the 10,000 validation images (the four commands of the exercise);
- "Try it" 3: the MNIST test digits given to the best Fashion-MNIST network;
- "Try it" 4: the small recipe of section 2 for 10 epochs instead of 5, on both datasets;
- section 4: the memory that predicting all 10,000 test images at once would take, in float64.

The recipes of section 5 and "Try it" 2 train in float32, as the command line does, so their last
digit can depend on the computer. Accuracies are fractions (0.8956 is 89.56%). It takes about ten
minutes on 2 cores: five trainings of the best recipe, a minute or two each.
"""

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np

from mlp_lib import MLP, PRESETS, evaluate, softmax, train_recipe
from mlp_lib.data import class_names, load_dataset
from mlp_lib.recipe import VALIDATION_SIZE

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "09.json"
COMMAND = "python tools/answers/nb09.py"
MODELS = {
    "mnist": ROOT / "models" / "best.npz",
    "fashion-mnist": ROOT / "models" / "best-fashion-mnist.npz",
}
CLASSES = class_names("fashion-mnist")
MB = 1e6
BATCH = 1000
CONFIDENT = 0.9  # "a class with more than 90%"


def mistakes(evaluation):
    return evaluation.total - evaluation.correct


def in_batches(predict, X):
    """predict(X) for X (N, 784), BATCH images at a time, joined: as the notebook's in_batches."""
    return np.concatenate([predict(X[start : start + BATCH]) for start in range(0, len(X), BATCH)])


def section_5(fashion, mnist_test):
    """The best recipe without shifts, on all 60,000 Fashion-MNIST training images."""
    recipe = PRESETS["best"].replace(dataset="fashion-mnist", shift=0)
    result = train_recipe(recipe, data=fashion)
    committed = {name: MLP.load(path, dtype=np.float64) for name, path in MODELS.items()}
    with_shifts = evaluate(committed["fashion-mnist"], fashion.X_test, fashion.y_test)
    mnist = evaluate(committed["mnist"], *mnist_test)
    return {
        "section_5_command": "python -m mlp_lib train --preset best --dataset fashion-mnist --shift 0",
        "section_5_no_shifts_test_accuracy": result.test.accuracy,
        "section_5_no_shifts_test_mistakes": mistakes(result.test),
        "section_5_no_shifts_train_seconds": round(result.history.seconds, 1),
        "section_5_with_shifts_committed_model_test_accuracy": with_shifts.accuracy,
        "section_5_with_shifts_committed_model_test_mistakes": mistakes(with_shifts),
        "section_5_mnist_best_committed_model_test_mistakes": mistakes(mnist),
        "section_5_fashion_over_mnist_mistakes_no_shifts": round(
            mistakes(result.test) / mistakes(mnist), 1
        ),
        "section_5_fashion_over_mnist_mistakes_with_shifts": round(
            mistakes(with_shifts) / mistakes(mnist), 1
        ),
    }


def try_it_2(fashion):
    """The four commands of "Try it" 2: --validation 10000, with and without --shift 0, seeds 0, 1."""
    runs = {}
    for seed in (0, 1):
        for shift in (1, 0):
            recipe = PRESETS["best"].replace(
                dataset="fashion-mnist", validation=VALIDATION_SIZE, seed=seed, shift=shift
            )
            result = train_recipe(recipe, data=fashion)
            runs[f"seed_{seed}_shift_{shift}"] = {
                "validation_accuracy": result.validation.accuracy,
                "validation_correct": result.validation.correct,
                "train_seconds": round(result.history.seconds, 1),
            }
    gains = {
        seed: runs[f"seed_{seed}_shift_0"]["validation_correct"]
        - runs[f"seed_{seed}_shift_1"]["validation_correct"]
        for seed in (0, 1)
    }
    return {
        "try_it_2_best_recipe_fashion_validation_by_seed_and_shift": runs,
        "try_it_2_images_gained_without_shifts_by_seed": gains,
        "try_it_2_load_average_at_the_end": [round(x, 2) for x in os.getloadavg()],
    }


def try_it_3(fashion, mnist_test):
    """The best Fashion-MNIST network on the 10,000 MNIST test digits, as the solution's code does."""
    fashion_model = MLP.load(MODELS["fashion-mnist"], dtype=np.float64)
    X_digits_test, y_digits_test = mnist_test
    digit_probs = in_batches(fashion_model.predict_proba, X_digits_test)  # (10000, 10)
    digit_predictions = digit_probs.argmax(axis=1)
    counts = np.bincount(digit_predictions, minlength=len(CLASSES))
    digit_confidence = digit_probs.max(axis=1)
    clothes_confidence = in_batches(fashion_model.predict_proba, fashion.X_test).max(axis=1)
    ones = digit_predictions[y_digits_test == 1]
    return {
        "try_it_3_digits_per_predicted_class": {
            CLASSES[k]: int(counts[k]) for k in np.argsort(-counts, kind="stable")
        },
        "try_it_3_share_of_the_1s_read_as_trouser": round(
            float(np.mean(ones == CLASSES.index("Trouser"))), 4
        ),
        "try_it_3_median_confidence_digits": round(float(np.median(digit_confidence)), 4),
        "try_it_3_median_confidence_clothes": round(float(np.median(clothes_confidence)), 4),
        "try_it_3_share_of_digits_above_90_percent_confidence": round(
            float(np.mean(digit_confidence > CONFIDENT)), 4
        ),
    }


def try_it_4():
    """The small recipe of section 2 (float64) for 10 epochs instead of 5, on both datasets."""
    small_recipe = PRESETS["seed-improved"].replace(dtype="float64", epochs=5)
    longer = small_recipe.replace(epochs=10)
    answers = {}
    for dataset in ("mnist", "fashion-mnist"):
        data = load_dataset(dataset)
        answers[dataset] = {
            "5_epochs_test_accuracy": train_recipe(
                small_recipe.replace(dataset=dataset), data=data
            ).test.accuracy,
            "10_epochs_test_accuracy": train_recipe(
                longer.replace(dataset=dataset), data=data
            ).test.accuracy,
        }
        del data
    return {"try_it_4_small_recipe_float64_test_accuracy": answers}


def traced_peak_mb(function):
    """The largest memory NumPy held at once, beyond what it held before, while function() ran."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round((peak - before) / MB, 1)


def section_4_memory(fashion):
    """The best Fashion-MNIST network (float64) on the test images: one forward pass for all 10,000,
    or in_batches as the notebook does; and one dataset's images in float32."""
    model = MLP.load(MODELS["fashion-mnist"], dtype=np.float64)
    X_test = fashion.X_test  # float32, as the notebook reads them
    return {
        "section_4_forward_and_softmax_of_10000_at_once_float64_peak_mb": traced_peak_mb(
            lambda: softmax(model.forward(X_test))
        ),
        "section_4_in_batches_predict_proba_1000_at_a_time_float64_peak_mb": traced_peak_mb(
            lambda: in_batches(model.predict_proba, X_test)
        ),
        "section_2_one_dataset_float32_images_mb": round(
            (fashion.X_train.nbytes + fashion.X_test.nbytes) / MB, 1
        ),
    }


def main():
    answers = {"command": COMMAND}
    mnist = load_dataset("mnist")
    mnist_test = (mnist.X_test, mnist.y_test)
    del mnist  # one dataset's training images at a time
    fashion = load_dataset("fashion-mnist")  # float32 images in [0, 1]
    answers.update(section_4_memory(fashion))
    answers.update(try_it_3(fashion, mnist_test))
    answers.update(section_5(fashion, mnist_test))
    answers.update(try_it_2(fashion))
    del fashion
    answers.update(try_it_4())
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()
