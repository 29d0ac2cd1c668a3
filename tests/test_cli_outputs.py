"""The command line never loses a finished run, and says what went wrong in one line.

Output paths and formats are checked before training (these tests point --data-dir at an empty
folder: had training started, the error would be about the missing data instead); an output that
cannot be written after training is written elsewhere, and the error says where; too little
memory is one line too. Training runs use the tiny datasets of conftest.py (20 images).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile

import pytest

from mlp_lib import cli
from mlp_lib.model import MLP

TINY = ["--validation", "5", "--epochs", "1", "--hidden-sizes", "8", "--no-progress"]


def run(capsys, *argv):
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err):
    """The message of the single 'error:' line on stderr (and no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("python -m mlp_lib: error: "), err
    return lines[0].removeprefix("python -m mlp_lib: error: ")


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["train", "--save", "{tmp}/missing/m.npz"],
            r"cannot write the model to \S+/missing/m.npz: the folder \S+/missing does not exist; "
            r"create it first \(mkdir -p \S+/missing\) or choose another path$",
        ),
        (
            ["train", "--save", "{tmp}/folder.npz"],
            r"cannot write the model to \S+/folder.npz: it is a folder; give a file name, e.g. "
            r"\S+/folder.npz/out$",
        ),
        (
            ["train", "--save", "{tmp}/m.pkl"],
            r"model files end in .npz, got '\S+/m.pkl'; try m.npz$",  # MLP.save's words
        ),
        (
            ["train", "--plot", "{tmp}/out.xyz"],
            r"cannot save the training curves as \S+/out.xyz: the name must end in one of .png, "
            r".pdf, .svg, .jpg, .jpeg, e.g. curves.png$",
        ),
        (
            ["train", "--plot", "{tmp}/missing/curves.png"],
            r"cannot write the training curves to \S+/missing/curves.png: the folder \S+/missing "
            r"does not exist",
        ),
        (
            ["ladder", "--output", "{tmp}/missing/x.json"],
            r"cannot write the ladder results to \S+/missing/x.json: the folder \S+/missing does "
            r"not exist",
        ),
        (
            ["ladder", "--output", "{tmp}/x.txt"],
            r"the ladder results are JSON: --output should end in .json, got \S+/x.txt$",
        ),
    ],
)
def test_outputs_are_checked_before_training(tmp_path, capsys, argv, message):
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "no-data").mkdir()
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    code, out, err = run(capsys, *argv, "--data-dir", tmp_path / "no-data")
    assert code == 1 and out == ""  # nothing trained, nothing printed
    assert re.search(message, one_error_line(err))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_refused_before_training(tmp_path, capsys):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, out, err = run(capsys, "train", "--save", folder / "m.npz")
    finally:
        folder.chmod(0o755)
    assert code == 1 and out == ""
    assert re.search(r"read-only/m.npz: the folder \S+ is not writable", one_error_line(err))


@pytest.fixture
def folder_deleted_while_training(monkeypatch):
    """Make ``cli.train_recipe`` delete a folder (emptied first) once training has finished."""

    def delete_after_training(folder):
        real_train_recipe = cli.train_recipe

        def train_then_delete(*args, **kwargs):
            result = real_train_recipe(*args, **kwargs)
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
            return result

        monkeypatch.setattr(cli, "train_recipe", train_then_delete)

    return delete_after_training


def test_a_model_that_cannot_be_saved_after_training_is_saved_in_the_working_folder(
    tmp_path, tiny_data_dir, capsys, monkeypatch, folder_deleted_while_training
):
    out_folder, working = tmp_path / "out", tmp_path / "work"
    out_folder.mkdir()
    working.mkdir()
    (working / "m.npz").write_bytes(b"someone else's file")  # never overwritten
    monkeypatch.chdir(working)
    folder_deleted_while_training(out_folder)
    code, out, err = run(
        capsys,
        "train",
        *TINY,
        "--data-dir",
        tiny_data_dir,
        "--save",
        out_folder / "m.npz",
        "--plot",
        out_folder / "curves.png",
    )
    assert code == 1
    assert out.strip().splitlines()[-1].startswith("test accuracy: ")  # the run went to its end
    message = one_error_line(err)
    assert message == (
        f"cannot write the file to {out_folder}/m.npz: the folder {out_folder} does not exist; "
        f"create it first (mkdir -p {out_folder}) or choose another path. The trained model was "
        f"saved to {working}/m-2.npz instead; move it where you want it. "
        f"cannot write the file to {out_folder}/curves.png: the folder {out_folder} does not "
        f"exist; create it first (mkdir -p {out_folder}) or choose another path. The training "
        f"curves were saved to {working}/curves.png instead; move it where you want it."
    )
    assert MLP.load(working / "m-2.npz").layer_sizes == (784, 8, 10)
    assert (working / "m.npz").read_bytes() == b"someone else's file"
    assert (working / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert f"model saved to {working}/m-2.npz and reloaded" in out


def test_without_a_working_folder_the_model_is_saved_in_the_temporary_folder(
    tmp_path, tiny_data_dir, capsys, monkeypatch, folder_deleted_while_training
):
    out_folder, working, temporary = tmp_path / "out", tmp_path / "work", tmp_path / "tmp"
    for folder in (out_folder, working, temporary):
        folder.mkdir()
    monkeypatch.chdir(working)
    working.rmdir()  # the working folder is gone too
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    folder_deleted_while_training(out_folder)
    code, _, err = run(
        capsys, "train", *TINY, "--data-dir", tiny_data_dir, "--save", out_folder / "m.npz"
    )
    assert code == 1
    assert one_error_line(err).endswith(
        f"The trained model was saved to {temporary}/m.npz instead; move it where you want it."
    )
    assert MLP.load(temporary / "m.npz").layer_sizes == (784, 8, 10)


def test_a_network_larger_than_mlp_lib_trains_is_refused_before_allocating(tmp_path, capsys):
    # 784 x 2e12 weights: 11 PiB, more than any computer can even address.
    code, out, err = run(
        capsys, "train", "--hidden-sizes", "2000000000000", "--data-dir", tmp_path, "--no-progress"
    )
    assert code == 1 and out == ""
    assert re.fullmatch(
        r"hidden_sizes \(2000000000000,\): a 784-2000000000000-10 network has "
        r"1,590,000,000,000,010 parameters \(6,360,000.0 GB in float32\), more than the "
        r"50,000,000 mlp_lib trains, saves and loads; try e.g. \(512, 256\)",
        one_error_line(err),
    )


def test_running_out_of_memory_is_one_error_line(tiny_data_dir, capsys, monkeypatch):
    def allocate(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB for an array with shape (1000000, 1000000)")

    monkeypatch.setattr(cli, "train_recipe", allocate)
    code, out, err = run(capsys, "train", *TINY, "--data-dir", tiny_data_dir)
    assert code == 1
    assert one_error_line(err) == (
        "not enough memory: Unable to allocate 7.28 TiB for an array with shape "
        "(1000000, 1000000); try a smaller network (--hidden-sizes) or fewer images (--train-size)"
    )


def test_a_weight_decay_that_would_flip_the_weights_is_refused_before_training(tmp_path, capsys):
    code, out, err = run(capsys, "train", "--weight-decay", "1e6", "--data-dir", tmp_path)
    assert code == 1 and out == ""
    assert one_error_line(err).startswith(
        "weight_decay 1e+06 is too large for the learning rate 0.1: every step would multiply "
        "the weights by 1 - lr·weight_decay = -1e+05, which must stay above 0"
    )


def test_a_very_high_dropout_that_diverges_is_named_as_the_cause(capsys):
    # The default 784-512-256-10 network: with dropout 0.99 its loss explodes within a few steps.
    code, _, err = run(
        capsys, "train", "--train-size", "2000", "--epochs", "1", "--dropout", "0.99",
        "--no-progress",
    )  # fmt: skip
    assert code == 1
    assert re.fullmatch(
        r"loss became \S+ at epoch \d, step \d+ \(it started at \S+\): dropout 0.99 is too high: "
        r"the 1% of the hidden units it keeps are scaled up 100 times, layer after layer; try "
        r"dropout 0.1 to 0.5, or a learning rate below 0.01",
        one_error_line(err),
    )


def test_each_epoch_is_printed_as_it_ends_even_into_a_pipe():
    # A real process whose output goes to a pipe, where Python buffers what is printed. Read as
    # the bytes arrive: the first epoch's line must come while later epochs are still training,
    # not with all the others when the process ends.
    process = subprocess.Popen(
        [sys.executable, "-m", "mlp_lib", "train", "--train-size", "5000", "--epochs", "20"]
        + ["--hidden-sizes", "32", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
    )
    try:
        received = ""
        while "epoch 1/20: train accuracy" not in received:
            chunk = os.read(process.stdout.fileno(), 1 << 16).decode()  # waits for output
            assert chunk, f"the process ended without printing epoch 1: {received!r}"
            received += chunk
        assert "epoch 20/20" not in received
        assert process.poll() is None  # still training
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()


def test_history_records_the_settings_the_accuracies_and_the_curves(tmp_path, capsys):
    import json

    from mlp_lib import cli

    path = tmp_path / "run.json"
    argv = ["train", "--train-size", "3000", "--validation", "1000", "--epochs", "2"]
    argv += ["--hidden-sizes", "16", "--no-progress", "--history", str(path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert f"history (settings, accuracies, curves) saved to {path}" in out
    history = json.loads(path.read_text())
    assert history["format_version"] == 1 and history["preset"] == "default"
    assert history["settings"]["hidden_sizes"] == [16] and history["settings"]["epochs"] == 2
    assert history["layer_sizes"] == [784, 16, 10]  # the network, as the guides name it
    assert history["train_images"] == 3000 and history["validation_total"] == 1000
    assert len(history["epoch_val_accuracy"]) == len(history["epoch_loss"]) == 2
    assert history["epoch_val_accuracy"][-1] == history["validation_accuracy"]
    test_line = out.strip().splitlines()[-1]
    assert (
        test_line
        == f"test accuracy: {100 * history['test_accuracy']:.2f}% ({history['correct']}/10000)"
    )
    assert history["machine"]["cpus"] >= 1


def test_history_must_be_json_and_is_checked_before_training(tmp_path, capsys):
    from mlp_lib import cli

    assert cli.main(["train", "--history", str(tmp_path / "run.txt")]) == 1
    assert "--history should end in .json, got" in capsys.readouterr().err
    assert cli.main(["train", "--history", str(tmp_path / "missing" / "run.json")]) == 1
    assert "cannot write the history to" in capsys.readouterr().err
