"""Command line: ``python -m mlp_lib train | evaluate | ladder | download``.

``train`` does what the seed program's main.py did — load MNIST, train, save, reload, evaluate —
and ends with the line ``test accuracy: 97.12% (9712/10000)``.
"""

import argparse
import io
import json
import sys
import time
from dataclasses import fields
from pathlib import Path

from tqdm.auto import tqdm

from .atomic import OutputPathError, check_output_path, write_bytes_atomically, write_or_rescue
from .checks import check_model_path
from .data import DATASETS, load_dataset, load_mnist
from .download import download
from .ladder import run_ladder
from .model import MLP
from .presets import PRESETS, get_preset
from .recipe import Recipe, machine_facts, train_recipe
from .settings import Interval
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


def option_type(name, constraint):
    """The argparse ``type`` of a setting: its text read and checked by its constraint."""

    def parse(text):
        try:
            return constraint.from_text(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def add_recipe_options(parser):
    """``--lr``, ``--batch-size``, ...: one option per Recipe field, made from the field's
    constraint and help text (``mlp_lib.settings``); default: the preset's value."""
    for f in fields(Recipe):
        constraint, help = f.metadata["constraint"], f.metadata["help"]
        flag = "--" + f.name.replace("_", "-")
        if constraint.flag:  # --normalize / --no-normalize
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help)
            if constraint.off_flag:
                parser.add_argument(
                    constraint.off_flag,
                    dest=f.name,
                    action="store_false",
                    help=f"same as --no-{flag[2:]}",
                )
            continue
        choices = constraint.choices
        parser.add_argument(
            flag,
            type=option_type(f.name, constraint),
            choices=list(choices) if choices is not None else None,
            metavar=f.metadata["metavar"] if choices is None else None,
            help=help,
        )


def recipe_from_args(args):
    """The preset's Recipe, with every setting given on the command line changed."""
    changes = {f.name: getattr(args, f.name) for f in fields(Recipe)}
    return get_preset(args.preset).replace(**{k: v for k, v in changes.items() if v is not None})


positive_int = option_type("the value", Interval(int, 1, None))  # e.g. ladder --steps


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
    """``python -m mlp_lib train``: check the outputs, say what will be trained, train; then save
    and reload the model, plot the curves, write the history; the last line is the test accuracy.

    An output that cannot be written once training is done is written elsewhere
    (``write_or_rescue``), and the error that says where comes after the accuracy.
    """
    recipe = recipe_from_args(args)
    check_train_outputs(args)  # now, not after minutes of training
    print(describe_data(recipe))
    print(
        f"training {recipe.describe()} · init {recipe.init} · {recipe.dtype} · seed {recipe.seed}"
        f" (preset {args.preset})"
    )
    data = load_dataset(
        recipe.dataset, normalize=recipe.normalize, dtype=recipe.dtype, data_dir=args.data_dir
    )
    result = train_recipe(
        recipe,
        data=data,
        callback=epoch_reporter(recipe.epochs, args.progress),
        progress=args.progress,
    )
    print(f"trained {result.model} in {result.history.seconds:.1f} s")
    if result.validation is not None:
        print(f"validation accuracy: {result.validation}")
    model, test, problems = result.model, result.test, []
    if args.save is not None:  # the model first: a failed plot must not lose it
        model, problem = save_and_reload(result.model, recipe, args)
        problems.append(problem)
        test = evaluate(model, data.X_test, data.y_test)  # what was saved, as the seed program did
    if args.plot is not None:
        problems.append(save_plot(result.history, model, args))
    if args.history is not None:
        problems.append(save_history(result, args))
    print(f"test accuracy: {test}")
    problems = [text for text in problems if text is not None]
    if problems:  # one error line, after the accuracy: the run itself was not lost
        raise OutputPathError(" ".join(f"{text}; move it where you want it." for text in problems))
    return 0


def check_train_outputs(args):
    """Refuse, before training, an output path that cannot be written or has the wrong ending."""
    outputs = ((args.save, "model"), (args.plot, "training curves"), (args.history, "history"))
    for path, what in outputs:
        if path is not None:
            check_output_path(path, what)
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_FORMATS:
        raise ValueError(
            f"cannot save the training curves as {args.plot}: the name must end in one of "
            f"{', '.join(PLOT_FORMATS)}, e.g. curves.png"
        )
    if args.history is not None and args.history.suffix != ".json":
        raise ValueError(f"the history is JSON: --history should end in .json, got {args.history}")
    if args.save is not None:
        check_model_path(args.save)  # the rule MLP.save follows, checked before training


def describe_data(recipe):
    """The first line ``train`` prints: which images, how many, how their pixels are scaled."""
    pixels = "[0, 1]" if recipe.normalize else "0..255"
    held_out = f", the last {recipe.validation} held out to validate" if recipe.validation else ""
    return (
        f"dataset {recipe.dataset}: {recipe.train_size or 'all'} training images{held_out}, "
        f"pixels in {pixels}"
    )


def epoch_reporter(epochs, progress):
    """fit's callback for ``train``: a line after every epoch with the training accuracy, the
    validation accuracy (if images are held out) and the seconds it took."""

    def say(line):  # tqdm.write: a line never breaks the progress bar
        (tqdm.write if progress else print)(line)
        sys.stdout.flush()  # at once, even when the output goes to a file or a pipe

    def report(info):
        if not info.epoch_end:
            return
        h = info.history
        validated = (
            f", validation accuracy {100 * h.val_accuracy[-1]:.2f}%" if h.val_accuracy else ""
        )
        say(
            f"epoch {info.epoch}/{epochs}: train accuracy "
            f"{100 * h.train_accuracy[-1]:.2f}%{validated} ({h.epoch_seconds[-1]:.1f} s)"
        )

    return report


def write_output(write, path, what, saved_as):
    """``write_or_rescue``; returns (the path written, None), or (another path, the problem in
    words), which ``saved_as`` completes, e.g. "The history was saved"."""
    saved, problem = write_or_rescue(write, path, what)
    return saved, (f"{problem}. {saved_as} to {saved} instead" if problem else None)


def save_and_reload(model, recipe, args):
    """Save the trained model to ``--save`` (or elsewhere) and load it back, so that what is
    evaluated is what was saved. Returns (the loaded model, the problem in words or None)."""
    metadata = dict(preset=args.preset, dataset=recipe.dataset, normalize=recipe.normalize)
    saved, problem = write_output(
        lambda path: model.save(path, **metadata),
        args.save,
        "model",
        "The trained model was saved",
    )
    reloaded = MLP.load(saved)
    print(f"model saved to {saved} and reloaded")
    return reloaded, problem


def save_plot(history, model, args):
    """Draw the training curves and write them to ``--plot``; returns the problem or None."""
    from .plots import plot_history  # matplotlib only when a plot is asked for

    fig = plot_history(history, labels=[args.preset], title=f"{model}")
    image = io.BytesIO()
    fig.savefig(image, format=args.plot.suffix[1:].lower(), dpi=100)
    saved, problem = write_output(
        lambda path: write_bytes_atomically(path, image.getvalue()),
        args.plot,
        "training curves",
        "The training curves were saved",
    )
    print(f"training curves saved to {saved}")
    return problem


def save_history(result, args):
    """Write the run's settings, accuracies and per-epoch curves to ``--history`` (JSON);
    returns the problem or None."""
    history = dict(
        format_version=HISTORY_FORMAT_VERSION,
        command=" ".join(["python -m mlp_lib", *sys.argv[1:]]),
        preset=args.preset,
        **result.record(),
        machine=machine_facts(),
        written=time.strftime("%Y-%m-%d"),
    )
    data = (json.dumps(history, indent=1) + "\n").encode("utf-8")
    saved, problem = write_output(
        lambda path: write_bytes_atomically(path, data),
        args.history,
        "history",
        "The history was saved",
    )
    print(f"history (settings, accuracies, curves) saved to {saved}")
    return problem


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
