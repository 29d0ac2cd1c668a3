"""The command line, run in-process through ``main(argv)`` (and once as ``python -m mlp_lib``)."""

import argparse
import re
import subprocess
import sys

import pytest

from mlp_lib import cli
from mlp_lib.model import MLP

LAST_LINE = re.compile(r"^test accuracy: (\d+\.\d\d)% \((\d+)/(\d+)\)$")
QUICK = ["--train-size", "5000", "--epochs", "2", "--hidden-sizes", "32,16", "--no-progress"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def accuracy_from(out):
    match = LAST_LINE.match(out.strip().splitlines()[-1])
    assert match, f"last line is not 'test accuracy: ...': {out.splitlines()[-1]!r}"
    percent, correct, total = float(match[1]), int(match[2]), int(match[3])
    assert total == 10_000 and f"{100 * correct / total:.2f}" == match[1]
    return percent


def test_train_saves_reloads_evaluates_and_plots(tmp_path, capsys):
    model_path, plot_path = tmp_path / "model.npz", tmp_path / "curves.png"
    code, out, err = run(
        capsys, "train", *QUICK, "--save", str(model_path), "--plot", str(plot_path)
    )
    assert code == 0 and err == ""
    assert accuracy_from(out) > 80
    assert "model saved to" in out and "reloaded" in out and "epoch 1/2: train accuracy" in out
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = MLP.load(model_path)
    assert model.layer_sizes == (784, 32, 16, 10)
    assert model.metadata == {"preset": "default", "dataset": "mnist", "normalize": "True"}

    code, out_eval, _ = run(capsys, "evaluate", str(model_path))
    assert code == 0
    assert (
        out_eval.strip().splitlines()[-1] == out.strip().splitlines()[-1]
    )  # same model, same result


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_another_activation_trains_saves_reloads_and_evaluates(tmp_path, capsys, activation):
    model_path = tmp_path / "model.npz"
    code, out, err = run(
        capsys, "train", *QUICK, "--activation", activation, "--save", str(model_path)
    )
    assert code == 0 and err == ""
    assert f"· {activation} activations ·" in out
    assert f"activation='{activation}'" in out  # the network that trained says so
    model = MLP.load(model_path)
    assert model.activation == activation
    assert [type(layer).__name__ for layer in model.layers][:2] == ["Linear", activation.title()]
    code, out_eval, _ = run(capsys, "evaluate", str(model_path))
    assert code == 0 and out_eval.strip().splitlines()[-1] == out.strip().splitlines()[-1]


def test_an_unknown_activation_is_refused_with_the_ones_there_are(capsys):
    with pytest.raises(SystemExit):
        run(capsys, "train", *QUICK, "--activation", "swish")
    err = capsys.readouterr().err
    assert (
        "argument --activation: activation must be one of relu, sigmoid, tanh, got 'swish'" in err
    )


def test_options_override_the_preset(capsys):
    code, out, _ = run(
        capsys, "train", "--preset", "seed", *QUICK, "--optimizer", "adam", "--lr", "0.001"
    )
    assert code == 0
    assert "784-32-16-10 · adam lr 0.001 · batch 90 · 2 epochs" in out
    assert "pixels in 0..255" in out and "· float64 · seed 0 (preset seed)" in out
    assert "trained MLP(784 -> 32 -> 16 -> 10, init='normal', dtype=float64) in" in out


def test_raw_pixel_model_is_evaluated_on_raw_pixels(tmp_path, capsys):
    path = tmp_path / "seed.npz"
    code, out, _ = run(capsys, "train", "--preset", "seed", *QUICK, "--save", str(path))
    code, out_eval, _ = run(capsys, "evaluate", str(path))
    assert out_eval.strip().splitlines()[-1] == out.strip().splitlines()[-1]


def test_fashion_mnist_trains_too(capsys):
    code, out, _ = run(capsys, "train", "--dataset", "fashion-mnist", *QUICK)
    assert code == 0 and "dataset fashion-mnist" in out and accuracy_from(out) > 60


@pytest.mark.slow
def test_full_seed_preset_is_within_a_point_of_the_seed_program(capsys):
    # The blog program reached about 95.9% (its unseeded runs varied 95.6-96.0%).
    code, out, _ = run(capsys, "train", "--preset", "seed", "--no-progress")
    assert code == 0
    assert "784 -> 32 -> 16 -> 10, init='normal', dtype=float64" in out and "sgd lr 0.01" in out
    assert "3 epochs" in out and "batch 90" in out
    assert abs(accuracy_from(out) - 95.9) <= 1.0


@pytest.mark.slow
def test_default_recipe_reaches_98_percent(capsys):
    code, out, _ = run(capsys, "train", "--no-progress")
    assert code == 0
    assert accuracy_from(out) >= 98.0


@pytest.mark.slow
def test_best_recipe_reaches_99_percent(tmp_path, capsys):
    # The promise. Its training time (about 50 s on 2 cores) is reported, not asserted:
    # timings belong to benchmark runs, not to tests on a shared machine.
    code, out, _ = run(
        capsys, "train", "--preset", "best", "--no-progress", "--save", str(tmp_path / "best.npz")
    )
    assert code == 0
    assert "dropout 0.1 · shifts ±1" in out and "dropout=0.1" in out
    assert accuracy_from(out) >= 99.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lr", "-0.1"], r"argument --lr: lr must be a positive number, got -0.1; try"),
        (["train", "--lr", "fast"], r"argument --lr: lr must be a number, got 'fast'"),
        (
            ["train", "--hidden-sizes", "0,16"],
            r"argument --hidden-sizes: every hidden size must be a positive integer, got \(0, 16\)",
        ),
        (
            ["train", "--hidden-sizes", "512 256"],
            r"hidden_sizes must be comma-separated positive integers such as 512,256, got '512 256'",
        ),
        (["train", "--hidden-sizes", "512,,256"], r"must be comma-separated positive integers"),
        (
            ["train", "--dataset", "cifar10"],
            r"argument --dataset: dataset must be one of mnist, fashion-mnist, got 'cifar10'",
        ),
        (
            ["train", "--epochs", "0"],
            r"argument --epochs: epochs must be a positive integer, got 0",
        ),
        (
            ["train", "--batch-size", "1.5"],
            r"argument --batch-size: batch_size must be an integer, got '1.5'",
        ),
        (["train", "--preset", "fastest"], r"argument --preset: invalid choice: 'fastest'"),
        (
            ["train", "--dropout", "1"],
            r"argument --dropout: dropout must be a number in \[0, 1\), got 1.0; try 0.1",
        ),
        (
            ["train", "--dropout", "lots"],
            r"argument --dropout: dropout must be a number, got 'lots'",
        ),
        (
            ["train", "--weight-decay", "-1"],
            r"argument --weight-decay: weight_decay must be a number >= 0, got -1.0",
        ),
        (
            ["train", "--weight-decay", "x"],
            r"argument --weight-decay: weight_decay must be a number, got 'x'",
        ),
        (["train", "--shift", "-2"], r"argument --shift: shift must be an integer from 0 to 27"),
        (["train", "--shift", "1.5"], r"argument --shift: shift must be an integer, got '1.5'"),
        (["train", "--seed", "-5"], r"argument --seed: seed must be an integer >= 0, got -5"),
        (
            ["train", "--optimizer", "rmsprop"],
            r"argument --optimizer: optimizer must be one of sgd, momentum, nesterov, adam, got 'rmsprop'",
        ),
        (["ladder", "--output", "x.json", "--steps", "0"], r"argument --steps: .* got 0"),
        (["fly"], r"argument COMMAND: invalid choice: 'fly'"),
        ([], r"the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_get_an_argparse_error_not_a_traceback(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m mlp_lib" in err and "Traceback" not in err
    assert re.search(message, err), err


def test_evaluate_a_missing_model_says_how_to_make_one(tmp_path, capsys):
    code, _, err = run(capsys, "evaluate", str(tmp_path / "none.npz"))
    assert code == 1
    assert re.search(
        r"^python -m mlp_lib: error: .*none.npz: no such model file; train one with", err
    )


def test_evaluate_refuses_a_pickle(tmp_path, capsys):
    path = tmp_path / "model.npz"
    path.write_bytes(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00}\x94.")  # a pickled {}
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 1 and "pickled files are refused" in err and "Traceback" not in err


def test_missing_data_says_how_to_download(tmp_path, capsys):
    code, _, err = run(capsys, "train", *QUICK, "--data-dir", str(tmp_path))
    assert code == 1
    assert "python -m mlp_lib download" in err and "Traceback" not in err


def test_divergence_is_one_clear_line(capsys):
    code, _, err = run(capsys, "train", "--preset", "seed", *QUICK, "--lr", "1000")
    assert code == 1
    assert re.search(
        r"error: loss became \S+ at epoch 1, step \d+ \(it started at \S+\): "
        r"the learning rate 1000 is too large; try 100 or smaller",
        err,
    )


def test_download_reports_present_files_without_network(capsys):
    code, out, _ = run(capsys, "download", "--dataset", "all")
    assert code == 0
    assert "mnist: all four files present and verified" in out
    assert "fashion-mnist: all four files present and verified" in out


def test_download_offline_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import socket

    from mlp_lib import download as download_module

    with socket.socket() as s:  # a port with nobody listening: like being offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(download_module.MIRRORS, "mnist", [f"http://127.0.0.1:{port}/"])
    code, _, err = run(capsys, "download", "--data-dir", str(tmp_path))
    assert code == 1 and "offline" in err and "Traceback" not in err
    assert not any(tmp_path.rglob("*.gz"))


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "mlp_lib", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "train" in result.stdout and "evaluate" in result.stdout


def test_console_script_is_declared():
    from helpers import read_pyproject

    assert read_pyproject()["project"]["scripts"]["mlp-lib"] == "mlp_lib.cli:main"


def test_evaluate_checks_input_size_against_the_dataset(tmp_path, capsys):
    path = tmp_path / "small.npz"
    MLP((10, 3)).save(path, dataset="mnist")
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 1 and "expects 10 inputs, but mnist images have 784 pixels" in err
    assert MLP.load(path).layer_sizes == (10, 3)  # the file is left as it was


def test_regularisation_and_augmentation_options_reach_the_model_and_optimizer(tmp_path, capsys):
    code, out, _ = run(
        capsys,
        "train",
        *QUICK,
        "--dropout",
        "0.2",
        "--weight-decay",
        "1e-4",
        "--shift",
        "1",
        "--save",
        str(tmp_path / "m.npz"),
    )
    assert code == 0
    assert "weight decay 0.0001 · dropout 0.2 · shifts ±1" in out  # what will be trained
    assert "trained MLP(784 -> 32 -> 16 -> 10, init='he', dropout=0.2, dtype=float32)" in out
    assert MLP.load(tmp_path / "m.npz").dropout == 0.2
    assert accuracy_from(out) > 70  # it learns (chance is 10%)


def test_every_recipe_setting_is_an_option_made_from_its_constraint():
    from dataclasses import fields

    from mlp_lib.recipe import Recipe

    parser = argparse.ArgumentParser()
    cli.add_recipe_options(parser)
    options = {action.option_strings[0]: action for action in parser._actions}
    for f in fields(Recipe):
        constraint, action = f.metadata["constraint"], options["--" + f.name.replace("_", "-")]
        assert action.dest == f.name and action.help == f.metadata["help"]
        assert action.default is None  # not given: the preset's value
        if constraint.flag:
            assert "--no-" + f.name.replace("_", "-") in action.option_strings
        else:
            expected = None if constraint.choices is None else list(constraint.choices)
            assert action.choices == expected, f.name
            assert action.type.__name__ == f.name


def test_a_setting_typed_on_the_command_line_is_what_the_recipe_would_make():
    parser = cli.build_parser()
    args = parser.parse_args(
        ["train", "--preset", "seed", "--hidden-sizes", "64,32", "--lr", "5e-2", "--raw-pixels"]
    )
    recipe = cli.recipe_from_args(args)
    assert recipe.hidden_sizes == (64, 32) and recipe.lr == 0.05 and recipe.normalize is False
    assert recipe.batch_size == 90  # not given: the preset's
    assert cli.recipe_from_args(parser.parse_args(["train", "--normalize"])).normalize is True
