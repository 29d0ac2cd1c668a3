"""The record preset: its recipe is the one the logged search chose on the validation images, and the
committed model and result are that preset, trained once on all 60,000 training images."""

import json
from pathlib import Path

import numpy as np

from mlp_lib import MLP, evaluate, load_mnist
from mlp_lib.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent
SEARCH = ROOT / "results" / "record_search.json"
RESULT = ROOT / "results" / "record.json"
MODEL = ROOT / "models" / "record.npz"
CHOSEN_RUN = "C2"  # the search's choice: the best validation accuracy at the lowest cost
GOAL = 0.994  # issue 14: at least 99.40% of the test images


def test_the_record_preset_is_the_recipe_the_search_chose_on_the_validation_images():
    runs = {run["name"]: run for run in json.loads(SEARCH.read_text())["runs"]}
    chosen, record = runs[CHOSEN_RUN], PRESETS["record"]
    s = chosen["settings"]
    assert s["train_on"] == 50_000 and "test_accuracy" not in chosen  # chosen without the test set
    assert tuple(s["hidden"]) == record.hidden_sizes and s["epochs"] == record.epochs
    assert (s["alpha"], s["sigma"]) == (record.elastic, record.elastic_sigma)
    assert (s["rotation"], s["scale"], s["shear"], s["shift"]) == (0, 0, 0, record.shift)
    assert (s["lr"], s["batch_size"], s["dropout"]) == (
        record.lr,
        record.batch_size,
        record.dropout,
    )
    assert (s["optimizer"], s["schedule"], s["seed"]) == ("momentum", record.lr_schedule, 0)
    finished = [run for run in runs.values() if run["val_accuracy"] and not run.get("stopped")]
    best = max(run["val_accuracy"][-1] for run in finished)
    assert chosen["val_accuracy"][-1] == best  # no finished run did better on validation
    assert record.validation == 0  # chosen, then trained on all 60,000 images


def test_the_committed_record_result_is_the_preset_trained_within_ten_minutes():
    result = json.loads(RESULT.read_text())
    assert result["preset"] == "record" and result["settings"] == PRESETS["record"].as_dict()
    assert result["train_images"] == 60_000 and result["total"] == 10_000
    assert len(result["epoch_train_accuracy"]) == PRESETS["record"].epochs
    assert result["train_seconds"] <= 10 * 60
    assert result["test_accuracy"] >= GOAL


def test_the_committed_record_model_is_the_preset_and_reaches_the_goal():
    model = MLP.load(MODEL)
    assert model.metadata == {"preset": "record", "dataset": "mnist", "normalize": "True"}
    assert model.layer_sizes == PRESETS["record"].layer_sizes and model.dtype == np.float32
    X_test, y_test = load_mnist("test")
    test = evaluate(model, X_test, y_test)
    assert test.correct == json.loads(RESULT.read_text())["correct"]  # the committed result
    assert test.accuracy >= GOAL
