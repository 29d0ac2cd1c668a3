"""The ladder from the seed to the best recipe, and the results committed in results/ladder.json."""

import json
from pathlib import Path

import numpy as np
import pytest

from mlp_lib import MLP, cli, evaluate, load_mnist
from mlp_lib.ladder import LADDER, ladder_steps, load_ladder, run_ladder
from mlp_lib.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "ladder.json"


def test_the_ladder_starts_at_the_seed_and_its_last_kept_step_is_the_best_preset():
    steps = list(ladder_steps())
    assert steps[0][1] == PRESETS["seed"]
    kept = [settings for _, settings, keep in steps if keep]
    assert kept[-1] == PRESETS["best"]
    assert steps[-1][2], "the last step must be kept: it is the best recipe"


def test_every_step_changes_one_thing_from_the_last_kept_step():
    previous = PRESETS["seed"]
    for change, settings, keep in list(ladder_steps())[1:]:
        before, after = previous.as_dict(), settings.as_dict()
        changed = {key for key in after if after[key] != before[key]}
        assert changed, f"step {change!r} changes nothing"
        assert len(changed) <= 2, (
            f"step {change!r} changes {changed}"
        )  # e.g. batch size with its lr
        if keep:
            previous = settings


def test_run_ladder_writes_json_after_every_step(tmp_path):
    output = tmp_path / "ladder.json"
    lines = []
    records = run_ladder(output, steps=2, train_size=3000, log=lines.append)
    assert [r["change"] for r in records] == [LADDER[0][0], LADDER[1][0]]
    assert load_ladder(output) == json.loads(json.dumps(records))
    assert len(lines) == 2 and lines[0].startswith("step  1/2: the seed program")
    first = records[0]
    assert first["train_images"] == 3000 and first["total"] == 10_000
    assert len(first["epoch_val_accuracy"]) == PRESETS["seed"].epochs == len(first["epoch_loss"])
    assert [p.name for p in tmp_path.iterdir()] == ["ladder.json"]  # no temporary file left


def test_run_ladder_refuses_a_bad_step_count(tmp_path):
    with pytest.raises(ValueError, match=rf"steps must be between 1 and {len(LADDER)}, got 0"):
        run_ladder(tmp_path / "x.json", steps=0)


def test_load_ladder_refuses_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(
        ValueError, match="not a ladder results file; make one with `python -m mlp_lib ladder"
    ):
        load_ladder(path)


def test_cli_ladder_wants_a_json_output(tmp_path, capsys):
    assert cli.main(["ladder", "--output", str(tmp_path / "results.txt")]) == 1
    assert "--output should end in .json" in capsys.readouterr().err


def test_committed_results_are_the_current_ladder_on_all_of_mnist():
    records = load_ladder(RESULTS)
    steps = list(ladder_steps())
    assert [r["change"] for r in records] == [change for change, _, _ in steps]
    for record, (_, settings, keep) in zip(records, steps):
        assert record["settings"] == settings.as_dict() and record["keep"] == keep
        assert record["train_images"] == 60_000 and record["total"] == 10_000
    assert records[-1]["test_accuracy"] >= 0.99  # the best recipe's promise
    assert records[-1]["train_seconds"] <= 60


@pytest.mark.parametrize("dataset, at_least", [("mnist", 0.99), ("fashion-mnist", 0.85)])
def test_committed_best_models_are_the_best_preset(dataset, at_least):
    suffix = "" if dataset == "mnist" else f"-{dataset}"
    model = MLP.load(ROOT / "models" / f"best{suffix}.npz")
    assert model.metadata == {"preset": "best", "dataset": dataset, "normalize": "True"}
    assert model.layer_sizes == PRESETS["best"].layer_sizes
    assert model.dropout == PRESETS["best"].dropout and model.dtype == np.float32
    X_test, y_test = load_mnist("test", dataset)
    assert evaluate(model, X_test, y_test).accuracy >= at_least
