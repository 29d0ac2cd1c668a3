"""Light checks of benchmarks/record_search.py: the plumbing works and the log is complete.

No accuracy or timing is asserted (those belong to the runs logged in results/record_search.json);
the runs here use a tiny network for one epoch.
"""

import importlib.util
import json
import os
import signal
from pathlib import Path

import pytest

from mlp_lib.augment import ElasticDistortion, RandomShift

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "record_search.py"
spec = importlib.util.spec_from_file_location("record_search", SCRIPT)
record_search = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record_search)


def test_build_chooses_the_augmentation_from_the_settings():
    args = record_search.parse_args(["--name", "x", "--hidden", "8"])
    assert record_search.build(args)[2] is None
    args = record_search.parse_args(["--name", "x", "--hidden", "8", "--shift", "1"])
    assert isinstance(record_search.build(args)[2], RandomShift)
    args = record_search.parse_args(["--name", "x", "--rotation", "5"])
    assert isinstance(record_search.build(args)[2], ElasticDistortion)


def test_a_run_is_logged_with_its_settings_and_curves_and_summarised(tmp_path, capsys, monkeypatch):
    # 1,200 images split 1,000 / 200 instead of 60,000 split 50,000 / 10,000, to stay fast.
    load_mnist = record_search.load_mnist
    monkeypatch.setattr(record_search, "VALIDATION_SPLIT", 1000)
    monkeypatch.setattr(
        record_search, "load_mnist", lambda split, **kw: [a[:1200] for a in load_mnist(split, **kw)]
    )
    log = tmp_path / "log.json"
    common = ["--hidden", "32", "--epochs", "2", "--log", str(log)]
    record_search.main(["--name", "tiny", "--alpha", "20", "--sigma", "3", *common])
    record_search.main(["--name", "tiny-60k", "--train-on", "all", "--test", *common])
    runs = json.loads(log.read_text())["runs"]
    assert [run["name"] for run in runs] == ["tiny", "tiny-60k"]
    first, second = runs
    assert first["settings"]["alpha"] == 20 and first["settings"]["hidden"] == [32]
    assert len(first["val_accuracy"]) == 2 and first["final_val_accuracy"] > 0.5
    assert first["steps"] == 2 * 8 and first["settings"]["train_on"] == 1000  # batches of 128
    assert "test_accuracy" not in first  # the test set is only for the chosen recipe
    assert second["settings"]["train_on"] == 1200 and second["val_accuracy"] == []  # nothing left
    assert second["test_accuracy"] > 0.5
    assert first["command"].startswith("python benchmarks/record_search.py")
    record_search.main(["--name", "saved", *common, "--save", str(tmp_path / "m.npz")])
    capsys.readouterr()
    record_search.main(["--test-saved", "saved", "--log", str(log)])
    assert capsys.readouterr().out.startswith("saved: test ")
    saved = json.loads(log.read_text())["runs"][-1]
    assert saved["name"] == "saved" and 0.5 < saved["test_accuracy"] <= 1 and "tested" in saved
    with pytest.raises(SystemExit, match="saved was already tested"):
        record_search.main(["--test-saved", "saved", "--log", str(log)])
    record_search.main(["--summary", "--log", str(log)])
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| run | network |") and len(table) == 5
    assert table[2].startswith("| tiny | 32 | 2 | 128 | 0.1 | 0 | 0 | 20/3 | 0/0/0 | 1000 |")


def test_a_run_stopped_by_a_signal_is_logged_as_stopped(tmp_path, monkeypatch):
    load_mnist, fit = record_search.load_mnist, record_search.fit
    monkeypatch.setattr(record_search, "VALIDATION_SPLIT", 1000)
    monkeypatch.setattr(
        record_search, "load_mnist", lambda split, **kw: [a[:1200] for a in load_mnist(split, **kw)]
    )

    def fit_then_kill(*args, callback, **kwargs):
        def kill_after_the_first_epoch(info):
            if info.epoch == 1 and info.epoch_end:
                os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` from a shell would
            callback(info)

        return fit(*args, callback=kill_after_the_first_epoch, **kwargs)

    monkeypatch.setattr(record_search, "fit", fit_then_kill)
    log = tmp_path / "log.json"
    before = signal.getsignal(signal.SIGTERM)
    record_search.main(["--name", "cut", "--hidden", "8", "--epochs", "5", "--log", str(log)])
    (run,) = json.loads(log.read_text())["runs"]
    assert run["stopped"] is True and run["steps"] == 8  # one epoch of 8 batches, then stop
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back


def test_training_needs_a_name():
    with pytest.raises(SystemExit):
        record_search.parse_args(["--epochs", "3"])


# ---- the log and the model file: checked before training, never written over, never lost -------


@pytest.fixture
def tiny_runs(monkeypatch):
    """Runs on 1,200 images; ``loaded`` lists every load_mnist call (none: nothing trained)."""
    loaded = []
    load_mnist = record_search.load_mnist
    monkeypatch.setattr(record_search, "VALIDATION_SPLIT", 1000)

    def load_tiny(split, **kwargs):
        loaded.append(split)
        return [a[:1200] for a in load_mnist(split, **kwargs)]

    monkeypatch.setattr(record_search, "load_mnist", load_tiny)
    return loaded


def files_in(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mode & 0o777) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "log_text, message",
    [
        (
            "# my notes\n",
            r"^error: .*notes\.txt is not a log of this script \(not JSON\); give another",
        ),
        ('{"steps": []}\n', r'^error: .*notes\.txt is not a log of this script \(no "runs" list\)'),
    ],
)
def test_a_log_that_is_another_file_is_refused_before_training(
    tmp_path, tiny_runs, log_text, message
):
    log = tmp_path / "notes.txt"
    log.write_text(log_text)
    (tmp_path / ".notes.txt.lock").write_text("someone's file\n")  # not even a lock is emptied
    before = files_in(tmp_path)
    with pytest.raises(SystemExit, match=message):
        record_search.main(["--name", "x", "--hidden", "8", "--epochs", "1", "--log", str(log)])
    with pytest.raises(SystemExit, match=message):
        record_search.main(["--summary", "--log", str(log)])
    assert tiny_runs == [] and files_in(tmp_path) == before


def test_a_model_path_in_a_missing_folder_is_refused_before_training(tmp_path, tiny_runs):
    model = tmp_path / "missing" / "m.npz"
    log = tmp_path / "log.json"
    with pytest.raises(
        SystemExit,
        match=r"^error: cannot write the model to .*m\.npz: the folder .*missing does not exist",
    ):
        record_search.main(
            ["--name", "x", "--hidden", "8", "--save", str(model), "--log", str(log)]
        )
    assert tiny_runs == [] and list(tmp_path.iterdir()) == []


def test_a_summary_of_a_missing_log_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match=r"^error: .*none\.json: no such log; train a run first"):
        record_search.main(["--summary", "--log", str(tmp_path / "none.json")])


def test_a_run_whose_log_cannot_be_written_is_kept_elsewhere(tmp_path, tiny_runs, monkeypatch):
    log = tmp_path / "log.json"
    (tmp_path / ".log.json.lock").write_text("a file of that name\n")
    record_search.main(["--name", "first", "--hidden", "8", "--epochs", "1", "--log", str(log)])
    assert (tmp_path / ".log.json.lock").read_text() == "a file of that name\n"  # never emptied
    before = log.read_bytes()

    def full_disk(path, data):
        raise record_search.OutputPathError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(record_search, "write_bytes_atomically", full_disk)
    monkeypatch.setattr(record_search.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with pytest.raises(SystemExit) as stopped:
        record_search.main(
            ["--name", "second", "--hidden", "8", "--epochs", "1", "--log", str(log)]
        )
    message = str(stopped.value)
    assert message.startswith(f"error: cannot write {log}: No space left on device; this run's ")
    (kept,) = (tmp_path / "tmp").iterdir()  # the entry, kept
    assert message.endswith(f"entry is in {kept}: add it to the log by hand")
    assert json.loads(kept.read_text())["name"] == "second"
    assert log.read_bytes() == before
