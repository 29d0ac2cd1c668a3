"""Measure what notebook 07's "Experiments to try" say the playground does with each setting.

    python tools/answers/nb07.py

Every run goes through `train_run(settings, data)`, the function behind the panel's Train button,
with the panel's own defaults (`PlaygroundSettings()`: 64-32, SGD + momentum, learning rate 0.05,
batch 64, 3 epochs, 10,000 training images, seed 0, float32) and one setting changed, as each
experiment asks. It writes results/answers/07.json: for every run its settings, how it ended (the
panel's message), its accuracies (fractions: 0.9421 is 94.21%), a summary of its loss curve and its
time. The times depend on the computer and on what else it is doing; the accuracies do not, except
that float32 sums can differ in their last digits with the number of threads (see mlp_lib/threads.py).
It takes about two minutes on 2 cores.
"""

import json
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

from mlp_lib.playground import PlaygroundSettings, load_data, train_run

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "07.json"
COMMAND = "python tools/answers/nb07.py"
DEFAULTS = PlaygroundSettings()
LAST_STEPS = 50  # the loss at the end of a run: the mean over this many last steps
N_CONFUSIONS = 4  # the most frequent mistakes listed for Fashion-MNIST


def run(settings, datasets):
    """Train one run as the panel would, and describe it."""
    key = (settings.dataset, settings.normalize)
    if key not in datasets:  # the panel too keeps the data it has read
        datasets[key] = load_data(settings.dataset, settings.normalize)
    data = datasets[key]
    result = train_run(settings, data)
    loss = np.asarray(result.history.loss)
    found = {
        "settings": settings.describe(),
        "changed_from_defaults": {
            f.name: getattr(settings, f.name)
            for f in fields(settings)
            if getattr(settings, f.name) != getattr(DEFAULTS, f.name)
        },
        "status": result.status,
        "message": result.message,
        "steps": result.steps,
        "seconds": round(result.seconds, 2),
        "loss_first_step": round(float(loss[0]), 4),
        "loss_largest": round(float(loss.max()), 4),
        "loss_largest_at_step": int(loss.argmax()) + 1,
        "loss_largest_over_first": round(float(loss.max() / loss[0]), 2),
    }
    if len(loss) > 1:
        found["loss_second_step"] = round(float(loss[1]), 4)
    if result.usable:
        cm = result.confusion  # (10, 10) on the test images
        found.update(
            validation_accuracy=result.validation.accuracy,
            test_accuracy=result.test.accuracy,
            loss_mean_of_last_steps=round(float(loss[-LAST_STEPS:].mean()), 4),
            classes_predicted_on_test_images=int((cm.sum(axis=0) > 0).sum()),
            parameters=sum(p.size for p in result.model.parameters().values()),
        )
        if settings.dataset == "fashion-mnist":
            names = data.class_names
            found["test_accuracy_per_class"] = {
                name: round(float(share), 4)
                for name, share in zip(names, np.diag(cm) / cm.sum(axis=1))
            }
            mistakes = cm.copy()
            np.fill_diagonal(mistakes, 0)
            found["most_frequent_mistakes"] = [
                f"{names[true]} read as {names[predicted]}: {cm[true, predicted]} times"
                for true, predicted in (
                    np.unravel_index(i, cm.shape)
                    for i in np.argsort(-mistakes, axis=None, kind="stable")[:N_CONFUSIONS]
                )
            ]
    print(f"{found['settings']}: {result.summary()}  {result.message}", flush=True)
    return found


def main():
    datasets = {}
    answers = {"command": COMMAND, "defaults": run(DEFAULTS, datasets)}
    answers["try_it_1_learning_rate"] = {
        str(lr): run(replace(DEFAULTS, lr=lr), datasets)
        for lr in (0.0001, 0.001, 0.01, 0.05, 0.3, 1.0)
    }
    answers["try_it_2_batch_size"] = {
        str(batch): run(replace(DEFAULTS, batch_size=batch), datasets) for batch in (8, 64, 1024)
    }
    answers["try_it_2_batch_8_learning_rate_0.005"] = run(
        replace(DEFAULTS, batch_size=8, lr=0.005), datasets
    )
    answers["try_it_3_hidden_sizes"] = {
        "-".join(map(str, sizes)): run(replace(DEFAULTS, hidden_sizes=sizes), datasets)
        for sizes in ((8,), (32, 16), (64, 32), (512, 256))
    }
    answers["try_it_3_64-32_on_50000_images"] = run(replace(DEFAULTS, train_size=50_000), datasets)
    seed_recipe = replace(DEFAULTS, optimizer="sgd", lr=0.01, init="normal")
    answers["try_it_4_seed_recipe_scaled_pixels"] = run(seed_recipe, datasets)
    answers["try_it_4_seed_recipe_raw_pixels"] = run(
        replace(seed_recipe, normalize=False), datasets
    )
    answers["try_it_4_defaults_raw_pixels"] = run(replace(DEFAULTS, normalize=False), datasets)
    fashion = replace(DEFAULTS, dataset="fashion-mnist")
    answers["try_it_5_fashion_3_epochs"] = run(fashion, datasets)
    answers["try_it_5_fashion_10_epochs"] = run(replace(fashion, epochs=10), datasets)
    answers["try_it_5_fashion_10_epochs_50000_images"] = run(
        replace(fashion, epochs=10, train_size=50_000), datasets
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
