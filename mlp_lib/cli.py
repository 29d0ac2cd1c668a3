"""Command line: ``python -m mlp_lib train | evaluate | ladder | download``.

``train`` does what the seed program's main.py did — load MNIST, train, save, reload, evaluate —
and ends with the line ``test accuracy: 97.12% (9712/10000)``.
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

from tqdm.auto import tqdm

from .atomic import OutputPathError, check_output_path, write_bytes_atomically
from .checks import check_int, name_max
from .data import DATASETS, load_mnist
from .download import download
from .ladder import run_ladder
from .model import MLP
from .presets import PRESETS, get_preset
from .recipe import CHECKS as RECIPE_CHECKS
from .recipe import CHOICES as RECIPE_CHOICES
from .recipe import Recipe, build, machine_facts, train_recipe
from .train import evaluate

HISTORY_FORMAT_VERSION = 1
PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
# What to try when an array does not fit in memory, by command.
MEMORY_HINTS = {
    "train": "try a smaller network (--hidden-sizes) or fewer images (--train-size)",
    "ladder": "close other programs, or run fewer steps (--steps)",
    "evaluate": "this model needs more memory than this computer has free",
    "download": "close other programs and try again",
}

# ---- the training options: one per Recipe setting -----------------------------------------------


def sizes_from_text(text):
    """'512,256' -> (512, 256); the Recipe checks that they are positive."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"hidden_sizes must be comma-separated positive integers such as 512,256, got {text!r}"
        ) from None


def number_from_text(convert, name):
    """A converter for int or float options whose failure names the setting."""

    def from_text(text):
        try:
            return convert(text)
        except ValueError:
            kind = "an integer" if convert is int else "a number"
            raise ValueError(f"{name} must be {kind}, got {text!r}") from None

    return from_text


def recipe_option_type(f):
    """The argparse ``type`` of a Recipe field: text -> value, checked as the Recipe checks it."""
    if f.name == "hidden_sizes":
        convert = sizes_from_text
    elif f.type in (int, int | None):
        convert = number_from_text(int, f.name)
    elif f.type is float:
        convert = number_from_text(float, f.name)
    else:
        convert = str

    def parse(text):
        try:
            return RECIPE_CHECKS[f.name](convert(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = f.name  # argparse names the type in some messages
    return parse


def add_recipe_options(parser):
    """``--lr``, ``--batch-size``, ...: one option per Recipe field (default: the preset's value)."""
    for f in fields(Recipe):
        flag = "--" + f.name.replace("_", "-")
        help = f.metadata["help"]
        if f.type is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help)
            continue
        choices = RECIPE_CHOICES.get(f.name)
        parser.add_argument(
            flag,
            type=recipe_option_type(f),
            choices=list(choices) if choices is not None else None,
            metavar=f.metadata.get("metavar") if choices is None else None,
            help=help,
        )
    # The seed program's choice, under the name the notebooks use for it:
    parser.add_argument(
        "--raw-pixels", dest="normalize", action="store_false", help="same as --no-normalize"
    )


def recipe_from_args(args):
    """The preset's Recipe, with every setting given on the command line changed."""
    changes = {f.name: getattr(args, f.name) for f in fields(Recipe)}
    return get_preset(args.preset).replace(**{k: v for k, v in changes.items() if v is not None})


def positive_int(text):
    """An argparse type: a positive integer."""
    try:
        return check_int("the value", number_from_text(int, "the value")(text), low=1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    add_recipe_options(train)
    train.add_argument("--save", type=Path, metavar="MODEL.npz", help="save the trained model here")
    train.add_argument(
        "--plot", type=Path, metavar="CURVES.png", help="save the training curves here"
    )
    train.add_argument(
        "--history",
        type=Path,
        metavar="RESULTS.json",
        help="save the run's settings, accuracies and per-epoch curves here (JSON)",
    )
    train.add_argument("--data-dir", help="folder holding mnist/ and fashion-mnist/")
    train.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )

    evaluate_cmd = commands.add_parser("evaluate", help="evaluate a saved model on the test set")
    evaluate_cmd.add_argument("model", type=Path, metavar="MODEL.npz")
    evaluate_cmd.add_argument(
        "--dataset", choices=list(DATASETS), help="default: the dataset the model was trained on"
    )
    evaluate_cmd.add_argument("--data-dir")

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
    ladder_cmd.add_argument("--data-dir")
    ladder_cmd.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )

    download_cmd = commands.add_parser("download", help="download a dataset (if data/ is missing)")
    download_cmd.add_argument("--dataset", choices=[*DATASETS, "all"], default="mnist")
    download_cmd.add_argument("--data-dir")
    download_cmd.add_argument(
        "--force", action="store_true", help="download even if present and valid"
    )
    return parser


def run_train(args):
    recipe = recipe_from_args(args)
    outputs = ((args.save, "model"), (args.plot, "training curves"), (args.history, "history"))
    for path, what in outputs:
        if path is not None:  # checked now, not after minutes of training
            check_output_path(path, what)
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        raise ValueError(
            f"cannot save the training curves as {args.plot}: the name must end in one of "
            f"{', '.join(PLOT_FORMATS)}, e.g. curves.png"
        )
    if args.history is not None and args.history.suffix != ".json":
        raise ValueError(f"the history is JSON: --history should end in .json, got {args.history}")
    if args.save is not None and args.save.suffix != ".npz":
        raise ValueError(f"model files end in .npz, got {args.save}; try {args.save.stem}.npz")
    model, optimizer, augment = build(recipe)  # only to say what will be trained
    pixels = "[0, 1]" if recipe.normalize else "0..255"
    held_out = f", the last {recipe.validation} held out to validate" if recipe.validation else ""
    print(
        f"dataset {recipe.dataset}: {recipe.train_size or 'all'} training images{held_out}, "
        f"pixels in {pixels}{f', augmented with {augment}' if augment else ''}"
    )
    print(
        f"training {model} with {optimizer} ({recipe.lr_schedule} schedule), batch size "
        f"{recipe.batch_size}, {recipe.epochs} epochs, seed {recipe.seed} (preset {args.preset})"
    )

    def say(line):  # tqdm.write: a line never breaks the progress bar
        (tqdm.write if args.progress else print)(line)
        sys.stdout.flush()  # at once, even when the output goes to a file or a pipe

    def report_epoch(info):
        if info.epoch_end:
            h = info.history
            validated = (
                f", validation accuracy {100 * h.val_accuracy[-1]:.2f}%" if h.val_accuracy else ""
            )
            say(
                f"epoch {info.epoch}/{recipe.epochs}: train accuracy "
                f"{100 * h.train_accuracy[-1]:.2f}%{validated} ({h.epoch_seconds[-1]:.1f} s)"
            )

    result = train_recipe(
        recipe, data_dir=args.data_dir, callback=report_epoch, progress=args.progress
    )
    model = result.model
    print(f"trained in {result.history.seconds:.1f} s")
    if result.validation is not None:
        print(f"validation accuracy: {result.validation}")
    problems = []  # outputs written elsewhere than asked: reported at the end, after the accuracy
    if args.save is not None:  # the model first: a failed plot must not lose it
        metadata = dict(preset=args.preset, dataset=recipe.dataset, normalize=recipe.normalize)
        saved, problem = write_or_rescue(
            lambda path: model.save(path, **metadata), args.save, "model"
        )
        if problem:
            problems.append(f"{problem}. The trained model was saved to {saved} instead")
        model = MLP.load(saved)  # evaluate what was saved, as the seed program did
        print(f"model saved to {saved} and reloaded")
    if args.plot is not None:
        from .plots import plot_history

        fig = plot_history(result.history, labels=[args.preset], title=f"{model}")
        image = io.BytesIO()
        fig.savefig(image, format=args.plot.suffix[1:].lower(), dpi=100)
        saved, problem = write_or_rescue(
            lambda path: write_bytes_atomically(path, image.getvalue()),
            args.plot,
            "training curves",
        )
        if problem:
            problems.append(f"{problem}. The training curves were saved to {saved} instead")
        print(f"training curves saved to {saved}")
    X_test, y_test = load_mnist(
        "test",
        recipe.dataset,
        data_dir=args.data_dir,
        normalize=recipe.normalize,
        dtype=model.dtype,
    )
    test = evaluate(model, X_test, y_test)
    if args.history is not None:
        history = dict(
            format_version=HISTORY_FORMAT_VERSION,
            command=" ".join(["python -m mlp_lib", *sys.argv[1:]]),
            preset=args.preset,
            **result.record(),
            machine=machine_facts(),
            written=time.strftime("%Y-%m-%d"),
        )
        data = (json.dumps(history, indent=1) + "\n").encode("utf-8")
        saved, problem = write_or_rescue(
            lambda path: write_bytes_atomically(path, data), args.history, "history"
        )
        if problem:
            problems.append(f"{problem}. The history was saved to {saved} instead")
        print(f"history (settings, accuracies, curves) saved to {saved}")
    print(f"test accuracy: {test}")
    if problems:  # one error line, after the accuracy: the run itself was not lost
        raise OutputPathError(" ".join(f"{text}; move it where you want it." for text in problems))
    return 0


def write_or_rescue(write, path, what="file"):
    """Call ``write(path)``; if that fails (after minutes of training), write the same output to
    the working folder or the temporary folder instead, under a name not yet taken.

    Each other path is checked like the first (``check_output_path``), is never the path that
    just failed, and has a name short enough for its folder. Returns (the path written, None),
    or (the other path, the error that ``path`` gave). Raises that error if no folder works.
    """
    try:
        write(path)
        return path, None
    except OSError as exc:
        error = exc
    failed = {_absolute(path)}
    for folder in (Path.cwd, lambda: Path(tempfile.gettempdir())):
        try:
            other = unused_name(folder() / path.name, avoid=failed)
            check_output_path(other, what)
            write(other)
        except OSError:  # e.g. a working folder that was deleted, or a full disk: the next one
            continue
        return other, error
    raise error


def _absolute(path):
    """``path`` made absolute, or as it is if the working folder is gone."""
    try:
        return os.path.abspath(path)
    except OSError:
        return str(path)


def unused_name(path, avoid=()):
    """``path``, or ``name-2.npz``, ``name-3.npz``, ... if it is taken: never overwrite a file.

    The paths in ``avoid`` (absolute) count as taken, and a name too long for its folder is
    shortened (its start and its suffix are kept): ``bbb…b-2.npz``.
    """
    longest = name_max(path.parent)
    candidate, number = path, 1
    while (
        len(os.fsencode(candidate.name)) > longest
        or os.path.lexists(candidate)
        or _absolute(candidate) in avoid
    ):
        number += 1
        ending = f"-{number}{path.suffix}"
        stem = path.stem
        while stem and len(os.fsencode(stem + ending)) > longest:
            stem = stem[:-1]
        candidate = path.with_name(stem + ending)
    return candidate


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
    check_output_path(args.output, "ladder results")
    if args.output.suffix != ".json":
        raise ValueError(
            f"the ladder results are JSON: --output should end in .json, got {args.output}"
        )
    run_ladder(
        args.output,
        args.dataset,
        data_dir=args.data_dir,
        steps=args.steps,
        progress=args.progress,
        log=lambda line: print(line, flush=True),  # each step's line at once, even into a pipe
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
    except MemoryError as exc:
        # NumPy says which array did not fit: "Unable to allocate 11.1 PiB for an array with
        # shape (784, 2000000000000) and data type float64".
        what = str(exc) or "an array did not fit"
        print(
            f"{parser.prog}: error: not enough memory: {what}; {MEMORY_HINTS[args.command]}",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError, RuntimeError, FloatingPointError) as exc:
        # Known failures (missing data, bad model file, divergence, offline) get one clear line.
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
