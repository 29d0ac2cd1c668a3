"""From the seed program to the best recipe, one change at a time (notebook 08).

``LADDER`` lists the changes in order. Every step holds out the last 10,000 training images and
is judged by its accuracy on them (the validation accuracy), never by the test set. ``run_ladder``
trains every step on the same seed and records what each change did (validation and test
accuracy, training seconds, curves) in a JSON file:

    python -m mlp_lib ladder --output results/ladder.json
"""

import json
import time

from .atomic import check_output_path, write_bytes_atomically
from .checks import open_regular_file
from .data import load_dataset
from .presets import PRESETS
from .recipe import VALIDATION_SIZE, machine_facts, train_recipe

# Each step changes some settings of the last *kept* step's Recipe; a step with keep=False is a comparison
# we try and then leave (e.g. Xavier against He initialisation). The last kept step is exactly
# PRESETS["best"] with the validation images held out (a test checks); the preset itself then
# trains on all 60,000.
LADDER = [
    # (what changes, the settings it changes, keep)
    ("the seed program", {}, True),
    ("pixels scaled to [0, 1]", dict(normalize=True), True),
    ("Xavier initialisation", dict(init="xavier"), False),
    ("He initialisation", dict(init="he"), True),
    ("Adam, learning rate 0.001", dict(optimizer="adam", lr=0.001), False),
    ("momentum 0.9", dict(optimizer="momentum"), True),
    ("learning rate 0.1", dict(lr=0.1), True),
    ("cosine learning-rate schedule", dict(lr_schedule="cosine"), True),
    ("float32 instead of float64", dict(dtype="float32"), True),
    ("wider layers: 512-256", dict(hidden_sizes=(512, 256)), True),
    ("batch size 128", dict(batch_size=128), True),
    ("16 epochs instead of 3", dict(epochs=16), True),
    ("L2 weight decay 5e-4", dict(weight_decay=5e-4), False),
    ("dropout 0.1", dict(dropout=0.1), True),
    ("random shifts of up to 2 pixels", dict(shift=2), False),
    ("random shifts of up to 1 pixel", dict(shift=1), True),
]

LADDER_FORMAT_VERSION = 2  # 1 had no validation split: it chose by test accuracy


def ladder_steps():
    """Yield (what changes, its Recipe, keep) for every step of ``LADDER``, from the seed on."""
    kept = PRESETS["seed"].replace(validation=VALIDATION_SIZE)
    for change, changes, keep in LADDER:
        recipe = kept.replace(**changes)
        yield change, recipe, keep
        if keep:
            kept = recipe


def run_ladder(
    output,
    dataset="mnist",
    *,
    data_dir=None,
    steps=None,
    train_size=None,
    progress=False,
    log=print,
):
    """Train the first ``steps`` steps of the ladder (all by default); write the results to ``output``.

    ``train_size`` trains on the first N images only (for quick checks; the recorded results use all).

    The JSON file is written atomically after every step, so an interrupted run keeps the steps
    it finished. Returns the list of step records (dicts).
    """
    all_steps = list(ladder_steps())
    if steps is not None and not 1 <= steps <= len(all_steps):
        raise ValueError(f"steps must be between 1 and {len(all_steps)}, got {steps}")
    check_output_path(output, "ladder results")  # now, not after the first step has trained
    records = []
    key, data = None, None  # the data of the last step, read again only when the steps need
    for number, (change, recipe, keep) in enumerate(all_steps[:steps], start=1):
        recipe = recipe.replace(dataset=dataset, train_size=train_size)
        if key != (recipe.normalize, recipe.dtype):  # ...other pixels or another dtype
            key, data = (recipe.normalize, recipe.dtype), None  # (frees the old copy first)
            data = load_dataset(
                dataset, normalize=recipe.normalize, dtype=recipe.dtype, data_dir=data_dir
            )
        result = train_recipe(recipe, data=data, progress=progress)
        h = result.history
        records.append(dict(step=number, change=change, keep=keep, **result.record()))
        log(
            f"step {number:2d}/{len(all_steps[:steps])}: {change:<34} validation accuracy "
            f"{result.validation}, "
            f"trained in {h.seconds:.1f} s{'' if keep else '  (compared, not kept)'}"
        )
        _write(output, dataset, records)
    return records


def load_ladder(path):
    """The step records of a ladder JSON file written by ``run_ladder``."""
    with open_regular_file(path) as f:  # a FIFO is refused, not waited on
        data = json.load(f)
    if data.get("format_version") != LADDER_FORMAT_VERSION or "steps" not in data:
        raise ValueError(
            f"{path}: not a ladder results file; make one with "
            f"`python -m mlp_lib ladder --output {path}`"
        )
    return data["steps"]


def _write(output, dataset, records):
    data = dict(
        format_version=LADDER_FORMAT_VERSION,
        dataset=dataset,
        command=f"python -m mlp_lib ladder --output {output}",
        machine=machine_facts(),
        written=time.strftime("%Y-%m-%d"),
        steps=records,
    )
    write_bytes_atomically(output, (json.dumps(data, indent=1) + "\n").encode("utf-8"))
