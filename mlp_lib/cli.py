"""Command line: ``python -m mlp_lib train | evaluate | ladder | download``.

``train`` does what the seed program's main.py did — load MNIST, train, save, reload, evaluate —
and ends with the line ``test accuracy: 97.12% (9712/10000)``.
"""

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from .data import DATASETS, load_mnist
from .download import download
from .ladder import run_ladder
from .layers import INITS
from .model import MLP
from .optim import OPTIMIZERS
from .presets import PRESETS, build, get_preset
from .train import LR_SCHEDULES, evaluate, fit

# ---- argument types: each turns a bad value into an argparse error, not a traceback ----------


def number(text, convert, is_valid, expected, hint=""):
    """``convert(text)`` (int or float) if finite and ``is_valid``; else an error naming ``expected``."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not (math.isfinite(value) and is_valid(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}{hint}")
    return value


def positive_int(text):
    return number(text, int, lambda v: v > 0, "a positive integer")


def non_negative_int(text):
    return number(text, int, lambda v: v >= 0, "an integer >= 0")


def positive_float(text):
    return number(text, float, lambda v: v > 0, "a positive number", hint="; try 0.01")


def non_negative_float(text):
    return number(text, float, lambda v: v >= 0, "a number >= 0")


def probability(text):
    return number(text, float, lambda v: 0 <= v < 1, "a probability in [0, 1)", hint="; try 0.1")


def hidden_sizes(text):
    """'512,256' -> (512, 256): one or more positive integers, comma-separated."""
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 512,256, got {text!r}"
        ) from None
    if any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"every hidden size must be a positive integer, got {text!r}"
        )
    return sizes


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m mlp_lib",
        description="Train and evaluate a fully connected network on MNIST, in pure NumPy.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train, save, reload, evaluate and plot",
        description="Train a network on MNIST and report the test accuracy. "
        "Options not given come from the preset.",
    )
    train.add_argument(
        "--preset",
        choices=list(PRESETS),
        default="default",
        help="a named recipe (default: %(default)s); other options override it",
    )
    train.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    train.add_argument(
        "--hidden-sizes",
        type=hidden_sizes,
        metavar="H1,H2",
        help="hidden layer sizes, e.g. 512,256",
    )
    train.add_argument("--lr", type=positive_float, help="learning rate")
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--epochs", type=positive_int)
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        help="constant, or cosine: lower the learning rate smoothly to zero",
    )
    train.add_argument("--init", choices=INITS, help="weight initialisation")
    train.add_argument(
        "--weight-decay",
        type=non_negative_float,
        metavar="LAMBDA",
        help="shrink the weights by lr*LAMBDA every step (L2), e.g. 5e-4; 0 = none",
    )
    train.add_argument(
        "--dropout",
        type=probability,
        metavar="P",
        help="drop hidden units with probability P while training, e.g. 0.1; 0 = none",
    )
    train.add_argument(
        "--shift",
        type=non_negative_int,
        metavar="PIXELS",
        help="augment: shift training images by up to PIXELS pixels, e.g. 2; 0 = none",
    )
    train.add_argument("--dtype", choices=["float32", "float64"])
    train.add_argument(
        "--raw-pixels",
        dest="normalize",
        action="store_false",
        default=None,
        help="train on raw 0..255 pixels instead of [0, 1]",
    )
    train.add_argument("--seed", type=int, help="seed for the weights and the shuffling")
    train.add_argument(
        "--train-size",
        type=positive_int,
        help="use only the first N training images (quick experiments)",
    )
    train.add_argument("--save", type=Path, metavar="MODEL.npz", help="save the trained model here")
    train.add_argument(
        "--plot", type=Path, metavar="CURVES.png", help="save the training curves here"
    )
    train.add_argument("--data-dir", type=Path, help="folder holding mnist/ and fashion-mnist/")
    train.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )

    evaluate_cmd = commands.add_parser("evaluate", help="evaluate a saved model on the test set")
    evaluate_cmd.add_argument("model", type=Path, metavar="MODEL.npz")
    evaluate_cmd.add_argument(
        "--dataset", choices=list(DATASETS), help="default: the dataset the model was trained on"
    )
    evaluate_cmd.add_argument("--data-dir", type=Path)

    ladder_cmd = commands.add_parser(
        "ladder",
        help="from the seed to the best recipe, one change at a time (notebook 08)",
        description="Train every step of mlp_lib.ladder.LADDER on the same seed and record the "
        "results (accuracy, seconds, curves) in a JSON file. Takes about 5 minutes.",
    )
    ladder_cmd.add_argument("--output", type=Path, required=True, metavar="RESULTS.json")
    ladder_cmd.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    ladder_cmd.add_argument(
        "--steps", type=positive_int, metavar="N", help="run only the first N steps (quick checks)"
    )
    ladder_cmd.add_argument("--data-dir", type=Path)
    ladder_cmd.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )

    download_cmd = commands.add_parser("download", help="download a dataset (if data/ is missing)")
    download_cmd.add_argument("--dataset", choices=[*DATASETS, "all"], default="mnist")
    download_cmd.add_argument("--data-dir", type=Path)
    download_cmd.add_argument(
        "--force", action="store_true", help="download even if present and valid"
    )
    return parser


def resolve_train_settings(args):
    """The preset's settings, overridden by every option given on the command line."""
    settings = get_preset(args.preset)
    for key in (
        "hidden_sizes",
        "lr",
        "lr_schedule",
        "batch_size",
        "epochs",
        "optimizer",
        "init",
        "weight_decay",
        "dropout",
        "shift",
        "dtype",
        "normalize",
        "seed",
    ):
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    return settings


def run_train(args):
    s = resolve_train_settings(args)
    dtype = np.dtype(s["dtype"])
    X_train, y_train = load_mnist(
        "train", args.dataset, data_dir=args.data_dir, normalize=s["normalize"], dtype=dtype
    )
    X_test, y_test = load_mnist(
        "test", args.dataset, data_dir=args.data_dir, normalize=s["normalize"], dtype=dtype
    )
    if args.train_size is not None:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    model, optimizer, augment = build(s, n_inputs=X_train.shape[1])
    print(
        f"dataset {args.dataset}: {len(X_train)} training and {len(X_test)} test images, "
        f"pixels in {'[0, 1]' if s['normalize'] else '0..255'}"
        f"{f', augmented with {augment}' if augment else ''}"
    )
    print(
        f"training {model} with {optimizer} ({s['lr_schedule']} schedule), "
        f"batch size {s['batch_size']}, {s['epochs']} epochs, seed {s['seed']} (preset {args.preset})"
    )
    history = fit(
        model,
        X_train,
        y_train,
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        optimizer=optimizer,
        seed=s["seed"],
        lr_schedule=s["lr_schedule"],
        X_val=X_test,
        y_val=y_test,
        augment=augment,
        progress=args.progress,
    )
    for epoch, (train_acc, test_acc, secs) in enumerate(
        zip(history.train_accuracy, history.val_accuracy, history.epoch_seconds), start=1
    ):
        print(
            f"epoch {epoch}: train accuracy {100 * train_acc:.2f}%, "
            f"test accuracy {100 * test_acc:.2f}% ({secs:.1f} s)"
        )
    print(f"trained in {history.seconds:.1f} s")
    if args.plot is not None:
        from .plots import plot_history

        fig = plot_history(history, labels=[args.preset], title=f"{model}")
        fig.savefig(args.plot, dpi=100)
        print(f"training curves saved to {args.plot}")
    if args.save is not None:
        model.save(args.save, preset=args.preset, dataset=args.dataset, normalize=s["normalize"])
        model = MLP.load(args.save)  # evaluate what was saved, as the seed program did
        print(f"model saved to {args.save} and reloaded")
    result = evaluate(model, X_test, y_test)
    print(f"test accuracy: {result}")
    return 0


def run_evaluate(args):
    model = MLP.load(args.model)
    dataset = args.dataset or model.metadata.get("dataset", "mnist")
    normalize = model.metadata.get("normalize", "True") == "True"
    X_test, y_test = load_mnist(
        "test", dataset, data_dir=args.data_dir, normalize=normalize, dtype=model.dtype
    )
    if X_test.shape[1] != model.layer_sizes[0]:
        raise ValueError(
            f"{args.model} expects {model.layer_sizes[0]} inputs, "
            f"but {dataset} images have {X_test.shape[1]} pixels"
        )
    print(f"{model} from {args.model}, on the {dataset} test set")
    print(f"test accuracy: {evaluate(model, X_test, y_test)}")
    return 0


def run_ladder_command(args):
    if args.output.suffix != ".json":
        raise ValueError(
            f"the ladder results are JSON: --output should end in .json, got {args.output}"
        )
    run_ladder(
        args.output, args.dataset, data_dir=args.data_dir, steps=args.steps, progress=args.progress
    )
    print(f"results written to {args.output}")
    return 0


def run_download(args):
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    for name in names:
        start = time.perf_counter()
        folder = download(name, args.data_dir, force=args.force)
        print(
            f"{name}: all four files present and verified in {folder} "
            f"({time.perf_counter() - start:.1f} s)"
        )
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    runner = {
        "train": run_train,
        "evaluate": run_evaluate,
        "ladder": run_ladder_command,
        "download": run_download,
    }[args.command]
    try:
        return runner(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError, FloatingPointError) as exc:
        # Known failures (missing data, bad model file, divergence, offline) get one clear line.
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
