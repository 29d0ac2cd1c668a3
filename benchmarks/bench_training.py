"""Training throughput (samples/s) and test accuracy of mlp_lib, PyTorch and scikit-learn.

What it measures, side by side in one run:

1. 784-32-16-10 and 784-512-256-10 at one batch size (default 128), the same recipe for all:
   SGD with momentum 0.9 (no Nesterov, no weight decay), lr 0.1, pixels in [0, 1], float32,
   ``--epochs`` epochs (default 3) over the 60,000 training images, each epoch shuffled:
   - mlp_lib: ``fit`` (time = ``history.seconds``);
   - PyTorch on the CPU: nn.Sequential of Linear/ReLU, CrossEntropyLoss, optim.SGD, the data
     preloaded as tensors, a seeded ``randperm`` per epoch (time = the training loop only);
   - scikit-learn: ``MLPClassifier(solver="sgd")`` (time = ``.fit``).
2. The seed comparison on 784-32-16-10 at batch 90: the real seed program, the blog post's own
   code run unchanged in a subprocess (real_seed_program.py: raw 0..255 pixels, N(0, 0.01)
   weights, plain SGD lr 0.01, float64, 3 epochs; time = the training time it prints itself),
   against mlp_lib with the very same recipe, in float64 (what ``--preset seed`` uses: the same
   arithmetic) and in float32, given the pixels as the files store them (uint8; ``fit`` converts
   each batch). Same algorithm, so the accuracies agree within the noise of the program's
   unseeded initialisation and the ratios show what the implementation (and float32) gains.

How: the contenders run interleaved (A, B, C, A, B, C, ...) for ``--repeats`` rounds and each
one's fastest round is reported, so drift on a shared machine affects all of them alike; for the
seed comparison the ratio of each round and their median are printed too.
samples/s = epochs * training images / training seconds; accuracy is on the 10,000 test images.

Run:  python benchmarks/bench_training.py            (full run: several minutes)
      python benchmarks/bench_training.py --quick    (6,000 images, 1 epoch, 1 round)
      python benchmarks/bench_training.py --seed-only --repeats 5   (the seed comparison only)
The seed post is looked for in shared/seed beside the repository (or pass --seed-post PATH, or set
MLP_LIB_SEED_POST=PATH); without it the seed program is left out, saying so (--seed-only: an error).
PyTorch and scikit-learn come with the benchmark extra: pip install -e ".[bench]"
"""

import argparse
import importlib
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from real_seed_program import RealSeedProgram, SeedPostError  # this script's folder is on sys.path

from mlp_lib import DATASETS, MLP, SGD, Momentum, evaluate, fit, load_mnist, read_idx
from mlp_lib.data import dataset_dir

SMALL = (784, 32, 16, 10)
LARGE = (784, 512, 256, 10)
LR, MOMENTUM = 0.1, 0.9  # the shared recipe of part 1
SEED_BATCH_SIZE, SEED_LR, SEED_EPOCHS = 90, 0.01, 3  # the seed program's, whatever --epochs says
QUICK_TRAIN_SIZE = 6000
INSTALL_HINT = 'pip install -e ".[bench]"'


@dataclass
class Measurement:
    """One training run: ``samples`` images in ``seconds``, then the test accuracy in [0, 1]."""

    seconds: float
    samples: int
    accuracy: float

    @property
    def samples_per_s(self):
        return self.samples / self.seconds


@dataclass
class Contender:
    """One line of the table; ``run()`` trains a fresh model and returns a Measurement."""

    key: str  # short name used to find it again for the ratios
    framework: str
    network: tuple
    batch_size: int
    dtype: str
    recipe: str
    run: Callable[[], Measurement]


def net_name(layer_sizes):
    return "-".join(str(size) for size in layer_sizes)


# ---- the contenders -------------------------------------------------------------------------


def train_mlp_lib(
    layer_sizes,
    X,
    y,
    X_test,
    y_test,
    *,
    batch_size,
    epochs,
    lr,
    momentum=None,
    init="he",
    dtype=np.float32,
):
    """Train a fresh mlp_lib MLP of ``dtype`` with ``fit``.

    ``momentum=None`` means plain SGD. X, X_test: (N, 784) float arrays or uint8 pixels (each
    batch is then converted to ``dtype`` as it is used); y, y_test: int labels.
    """
    model = MLP(layer_sizes, init=init, seed=0, dtype=dtype)
    optimizer = SGD(lr) if momentum is None else Momentum(lr, momentum=momentum)
    history = fit(
        model,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=0,
        progress=False,
    )
    return Measurement(history.seconds, epochs * len(X), evaluate(model, X_test, y_test).accuracy)


def run_real_seed_program(program):
    """One run of the real seed program (a RealSeedProgram, entered); its own timing and accuracy."""
    run = program.run()
    return Measurement(run.seconds, run.samples, run.accuracy)


def train_torch(layer_sizes, X, y, X_test, y_test, *, batch_size, epochs):
    """Train the same MLP in PyTorch on the CPU, the usual way; time the training loop only."""
    import torch  # optional dependency, imported only when PyTorch takes part

    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])  # no ReLU after the last layer
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)  # preloaded, no copy
    generator = torch.Generator().manual_seed(0)
    n = len(X_t)

    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for first in range(0, n, batch_size):
            idx = order[first : first + batch_size]
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start

    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    return Measurement(seconds, epochs * n, float(np.mean(predicted == y_test)))


def train_sklearn(layer_sizes, X, y, X_test, y_test, *, batch_size, epochs):
    """Train scikit-learn's MLPClassifier with the same recipe; time ``.fit`` only.

    tol=0 and n_iter_no_change > epochs make it run exactly ``epochs`` epochs.
    """
    from sklearn.exceptions import ConvergenceWarning  # optional dependency
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=tuple(layer_sizes[1:-1]),
        solver="sgd",
        momentum=MOMENTUM,
        nesterovs_momentum=False,
        learning_rate_init=LR,
        alpha=0.0,
        batch_size=batch_size,
        max_iter=epochs,
        shuffle=True,
        tol=0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        random_state=0,
    )
    with warnings.catch_warnings():
        # max_iter is reached on purpose; scikit-learn warns about that every time
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    return Measurement(seconds, epochs * len(X), float(clf.score(X_test, y_test)))


def optional_import(module_name, label):
    """The module, or None after one line saying it is missing and how to install it."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        print(
            f"{label} is not installed: skipping it (install the benchmark extra: {INSTALL_HINT})"
        )
        return None


def build_contenders(
    data, *, batch_size, epochs, seed_program=None, with_torch=True, with_sklearn=True
):
    """The contenders in the order they run within each round.

    ``data`` is a dict with X_train, y_train, X_test, y_test (float32, [0, 1]) and the raw
    0..255 pixels as in the files, X_train_pixels and X_test_pixels (uint8).
    ``seed_program`` is an entered RealSeedProgram; without it the real program is left out.
    """
    X, y, X_test, y_test = data["X_train"], data["y_train"], data["X_test"], data["y_test"]
    shared = f"momentum {MOMENTUM}, lr {LR}, pixels [0, 1]"
    seed_recipe = f"SGD lr {SEED_LR}, pixels 0..255, N(0, 0.01) init"
    contenders = []
    for size, layer_sizes in (("small", SMALL), ("large", LARGE)):
        contenders.append(
            Contender(
                f"mlp_lib/{size}",
                "mlp_lib",
                layer_sizes,
                batch_size,
                "float32",
                shared,
                partial(
                    train_mlp_lib,
                    layer_sizes,
                    X,
                    y,
                    X_test,
                    y_test,
                    batch_size=batch_size,
                    epochs=epochs,
                    lr=LR,
                    momentum=MOMENTUM,
                ),
            )
        )
        if with_torch:
            contenders.append(
                Contender(
                    f"torch/{size}",
                    "PyTorch",
                    layer_sizes,
                    batch_size,
                    "float32",
                    shared,
                    partial(
                        train_torch,
                        layer_sizes,
                        X,
                        y,
                        X_test,
                        y_test,
                        batch_size=batch_size,
                        epochs=epochs,
                    ),
                )
            )
        if with_sklearn:
            contenders.append(
                Contender(
                    f"sklearn/{size}",
                    "scikit-learn",
                    layer_sizes,
                    batch_size,
                    "float32",
                    shared,
                    partial(
                        train_sklearn,
                        layer_sizes,
                        X,
                        y,
                        X_test,
                        y_test,
                        batch_size=batch_size,
                        epochs=epochs,
                    ),
                )
            )
    if seed_program is not None:
        contenders.append(
            Contender(
                "seed",
                "seed program (real, unchanged)",
                SMALL,
                SEED_BATCH_SIZE,
                "float64",
                seed_recipe,
                partial(run_real_seed_program, seed_program),
            )
        )
    for dtype in ("float64", "float32"):
        contenders.append(
            Contender(  # the same recipe in mlp_lib: float64 as --preset seed, then float32
                f"mlp_lib/seed-{dtype}",
                "mlp_lib",
                SMALL,
                SEED_BATCH_SIZE,
                dtype,
                seed_recipe,
                partial(
                    train_mlp_lib,
                    SMALL,
                    data["X_train_pixels"],
                    y,
                    data["X_test_pixels"],
                    y_test,
                    batch_size=SEED_BATCH_SIZE,
                    epochs=SEED_EPOCHS,
                    lr=SEED_LR,
                    init="normal",
                    dtype=np.dtype(dtype),
                ),
            )
        )
    return contenders


# ---- running and reporting ------------------------------------------------------------------


def run_interleaved(contenders, repeats, log=print):
    """Run A, B, C, A, B, C, ... for ``repeats`` rounds; return {key: [Measurement per round]}."""
    rounds = {contender.key: [] for contender in contenders}
    for round_number in range(1, repeats + 1):
        for contender in contenders:
            result = contender.run()
            log(
                f"round {round_number}/{repeats}: {contender.framework} "
                f"{net_name(contender.network)} batch {contender.batch_size} {contender.dtype}: "
                f"{result.samples_per_s:,.0f} samples/s, {100 * result.accuracy:.2f}%"
            )
            rounds[contender.key].append(result)
    return rounds


def fastest(rounds):
    """{key: the Measurement of its fastest round}."""
    return {key: max(results, key=lambda m: m.samples_per_s) for key, results in rounds.items()}


def results_table(contenders, best):
    """A markdown table of the fastest round of every contender."""
    lines = [
        "| framework | network | batch | dtype | samples/s | test accuracy | recipe |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for c in contenders:
        result = best[c.key]
        lines.append(
            f"| {c.framework} | {net_name(c.network)} | {c.batch_size} | {c.dtype} | "
            f"{result.samples_per_s:,.0f} | {100 * result.accuracy:.2f}% | {c.recipe} |"
        )
    return "\n".join(lines)


def ratio(best, numerator, denominator):
    """samples/s of one contender over another's, or None if either did not run."""
    if numerator not in best or denominator not in best:
        return None
    return best[numerator].samples_per_s / best[denominator].samples_per_s


def ratio_lines(best):
    """Lines such as 'mlp_lib / PyTorch on 784-32-16-10: 2.21x' for every pair that ran."""
    lines = []
    for size, layer_sizes in (("small", SMALL), ("large", LARGE)):
        for key, label in (("torch", "PyTorch"), ("sklearn", "scikit-learn")):
            r = ratio(best, f"mlp_lib/{size}", f"{key}/{size}")
            if r is not None:
                lines.append(f"mlp_lib / {label} on {net_name(layer_sizes)}: {r:.2f}x")
    for dtype in ("float64", "float32"):
        r = ratio(best, f"mlp_lib/seed-{dtype}", "seed")
        if r is not None:
            lines.append(
                f"mlp_lib {dtype} / real seed program on {net_name(SMALL)} "
                f"(batch {SEED_BATCH_SIZE}): {r:.2f}x"
            )
    return lines


def seed_round_lines(rounds):
    """Per round, mlp_lib's speed over the real program's in that same round, and the median.

    The fastest-round ratio compares two best moments; these compare runs seconds apart.
    """
    lines = []
    for dtype in ("float64", "float32"):
        key = f"mlp_lib/seed-{dtype}"
        if "seed" not in rounds or key not in rounds:
            continue
        ratios = [
            mine.samples_per_s / seed.samples_per_s
            for mine, seed in zip(rounds[key], rounds["seed"])
        ]
        listed = ", ".join(f"{r:.2f}x" for r in ratios)
        lines.append(
            f"mlp_lib {dtype} / real seed program, round by round: {listed} "
            f"(median {np.median(ratios):.2f}x)"
        )
    return lines


# The performance goals of the issue: (numerator, denominator, minimum ratio, description).
GOALS = [
    (
        "mlp_lib/seed-float64",
        "seed",
        2.5,
        f"mlp_lib float64 / real seed program on {net_name(SMALL)}",
    ),
    (
        "mlp_lib/seed-float32",
        "seed",
        2.5,
        f"mlp_lib float32 / real seed program on {net_name(SMALL)}",
    ),
    ("mlp_lib/small", "torch/small", 1.5, f"mlp_lib / PyTorch on {net_name(SMALL)}"),
    ("mlp_lib/large", "torch/large", 1.1, f"mlp_lib / PyTorch on {net_name(LARGE)}"),
]


def goal_lines(best):
    """One PASS/FAIL line per goal; SKIPPED when a contender did not run."""
    lines = []
    for numerator, denominator, minimum, description in GOALS:
        r = ratio(best, numerator, denominator)
        if r is None:
            lines.append(f"{description}: goal >= {minimum}x: SKIPPED ({denominator} did not run)")
        else:
            verdict = "PASS" if r >= minimum else "FAIL"
            lines.append(f"{description}: {r:.2f}x (goal >= {minimum}x): {verdict}")
    return lines


def load_data(n_train=None):
    """MNIST as every contender needs it; ``n_train`` keeps only the first n training images."""
    X_train, y_train = load_mnist("train", normalize=True, dtype=np.float32)
    X_test, y_test = load_mnist("test", normalize=True, dtype=np.float32)
    n = len(X_train) if n_train is None else n_train
    return {
        "X_train": X_train[:n],
        "y_train": y_train[:n],
        "X_test": X_test,
        "y_test": y_test,
        # the seed recipe's raw 0..255 pixels, kept as the files store them: uint8
        "X_train_pixels": read_pixels("train")[:n],
        "X_test_pixels": read_pixels("test"),
    }


def read_pixels(split):
    """The MNIST images of one split as uint8 pixels 0..255, one image per row: (N, 784)."""
    images = read_idx(dataset_dir("mnist") / DATASETS["mnist"]["files"][split]["images"])
    return images.reshape(len(images), -1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved rounds; the fastest counts"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"for development: {QUICK_TRAIN_SIZE:,} images, 1 epoch, 1 round",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="only the seed comparison: the real seed program and mlp_lib in float64 and float32",
    )
    parser.add_argument(
        "--seed-post",
        help="the seed blog post's file or folder (default: shared/seed beside the repository)",
    )
    args = parser.parse_args(argv)
    n_train = None
    if args.quick:
        n_train, args.epochs, args.repeats = QUICK_TRAIN_SIZE, 1, 1

    try:
        seed_program = RealSeedProgram(args.seed_post, n_train=n_train)
    except SeedPostError as exc:
        if args.seed_only:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"note: the real seed program is left out: {exc}", file=sys.stderr)
        seed_program = None
    torch = None if args.seed_only else optional_import("torch", "PyTorch")
    sklearn = None if args.seed_only else optional_import("sklearn", "scikit-learn")
    data = load_data(n_train)
    if seed_program is None:
        run_and_report(args, data, None, torch, sklearn)
        return 0
    with seed_program:
        run_and_report(args, data, seed_program, torch, sklearn)
    return 0


def run_and_report(args, data, seed_program, torch, sklearn):
    """Print the setting, run every contender in interleaved rounds, print the results."""

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}")
    threads = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    print(f"thread settings (the seed program inherits them): {threads or 'none, the defaults'}")
    if seed_program is not None:
        print(f"seed program: {seed_program.post}, run as {', '.join(seed_program.files)}")
    if torch is not None:
        print(f"PyTorch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}")
    if sklearn is not None:
        print(f"scikit-learn {sklearn.__version__}")
    print(
        f"{len(data['X_train']):,} training images, {args.epochs} epoch(s), "
        f"{args.repeats} interleaved round(s), the fastest round counts\n"
    )

    contenders = build_contenders(
        data,
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed_program=seed_program,
        with_torch=torch is not None,
        with_sklearn=sklearn is not None,
    )
    if args.seed_only:
        contenders = [c for c in contenders if c.key.startswith(("seed", "mlp_lib/seed"))]
    rounds = run_interleaved(contenders, args.repeats, log=lambda line: print(line, flush=True))
    best = fastest(rounds)
    print()
    print(results_table(contenders, best))
    print()
    print("\n".join(ratio_lines(best) + seed_round_lines(rounds)))
    print("\nGoals:")
    print("\n".join(goal_lines(best)))


if __name__ == "__main__":
    sys.exit(main())
