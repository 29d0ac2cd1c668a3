"""Run the real seed program, the blog post's own code unchanged, and read what it prints.

The project began from a Chinese blog post (``shared/seed/`` beside the repository; see its
README.md). Its program is two ```python code blocks: the main program (class ``MNIST_MLP``; the
post titles it "mian.py") and the layers module that the main program imports with
``from layers_1 import ...`` (the post gives that block no title). This repository never stores
that code. At run time this module:

1. finds the post: ``--seed-post PATH`` (the file, or the folder holding it), else the
   environment variable ``MLP_LIB_SEED_POST`` (the same), else the folder ``shared/seed`` beside
   the repository or beside one of the folders above it. The tests that need the post
   (tests/test_benchmarks.py) look for it the same way, and are skipped, saying so, where it is
   not (a failure in CI: the variable ``CI`` set);
2. extracts the two blocks by what they are: the main program is the block with
   ``if __name__ == "__main__":``, and the layers module is the block that defines every name the
   main program imports from it; they are written as ``main.py`` and ``<module>.py``
   (``layers_1.py``), character for character;
3. gives the program the data it expects: ``mnist_data/`` with the four raw (uncompressed) IDX
   files, written from data/mnist/*.gz;
4. runs ``python main.py`` in that folder with this same Python, ``MPLBACKEND=Agg`` (its
   ``plt.show()`` then returns at once), stdin closed (nothing can wait for input) and a time
   limit;
5. reads two numbers it prints: the training time it measures itself (``time.time()`` around
   ``mlp.train()``: 3 epochs, with the shuffle at the start of each and a log line every 100
   steps) and its test accuracy. Which lines hold them is read from the program's own ``print``
   calls with ``ast`` (the print after ``mlp.train()``, and the one that prints ``accuracy``), so
   no text of the post is written here either.

What it trains (read in its code): 784-32-16-10, batch 90, lr 0.01, N(0, 0.01²) weights, raw
0..255 pixels kept as int64, float64 arithmetic, unseeded NumPy global random state, always 3
epochs of ``N // 90`` full batches (the last 60 of the 60,000 shuffled images are left out of
each epoch): 179,820 images in all.

Run:  python benchmarks/real_seed_program.py [--seed-post PATH]   (one run, about 10 s)
Without the post it prints one ``error:`` line saying where to put it, and exits with 1.
"""

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlp_lib import read_idx, write_idx
from mlp_lib.data import DATASETS, dataset_dir

REPO = Path(__file__).resolve().parent.parent
POST_FOLDER = Path("shared") / "seed"  # looked for beside the repository and above it
ENV_VAR = "MLP_LIB_SEED_POST"  # the post's file or folder, where --seed-post is not given
MAIN_FILE = "main.py"
DATA_FOLDER = "mnist_data"  # the program's MNIST_DIR, relative to where it runs
BATCH_SIZE, EPOCHS = 90, 3  # the program's settings (its batch_size default, its range(3))
TIMEOUT_S = 600
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
EPOCH_LINE = re.compile(r"^Epoch (\d+), iter \d+, loss: ", re.MULTILINE)


class SeedPostError(ValueError):
    """The seed post is missing, or its program cannot be found in it or run."""


@dataclass
class SeedRun:
    """One run of the real program: ``samples`` images trained in ``seconds``, test accuracy."""

    seconds: float
    samples: int
    accuracy: float  # in [0, 1], as the program printed it
    output: str  # everything it printed

    @property
    def samples_per_s(self):
        return self.samples / self.seconds


# ---- finding and extracting the program -------------------------------------------------------


def default_post_folders():
    """Where the post is looked for: ``shared/seed`` beside the repository, then higher up.

    A clone's parent folder comes first (the CI layout and /work/main); a git worktree such as
    /work/wt/NAME finds it two levels up.
    """
    return [parent / POST_FOLDER for parent in REPO.parents]


def how_to_provide():
    """Where the post may be put, in words: for every message about a missing post."""
    return (
        f"put the blog post's folder at {REPO.parent / POST_FOLDER} (beside the repository), "
        f"or pass --seed-post PATH, or set {ENV_VAR}=PATH (its file or its folder)"
    )


def find_post(path=None):
    """The post's file: ``path`` (a file, or a folder holding one .txt post), else the one named
    by the environment variable MLP_LIB_SEED_POST, else the first default folder that exists.

    Raises SeedPostError saying where it looked and what to pass.
    """
    named = path if path is not None else os.environ.get(ENV_VAR, "").strip() or None
    if named is not None:
        folders = [Path(named)]
        if not folders[0].exists():
            given = "--seed-post" if path is not None else f"the environment variable {ENV_VAR}"
            raise SeedPostError(
                f"{named}: no such file or folder (from {given}); give the seed post's file or "
                f"the folder holding it (shared/seed beside the repository)"
            )
    else:
        folders = [folder for folder in default_post_folders() if folder.is_dir()]
        if not folders:
            looked = ", ".join(str(folder) for folder in default_post_folders())
            raise SeedPostError(
                f"the seed post was not found: no folder {POST_FOLDER} in {looked}; "
                f"{how_to_provide()}"
            )
    if folders[0].is_file():
        return folders[0]
    posts = sorted(folders[0].glob("*.txt"))
    if len(posts) != 1:
        raise SeedPostError(
            f"{folders[0]}: expected exactly one .txt file (the blog post), found {len(posts)}"
            f"{': ' + ', '.join(p.name for p in posts) if posts else ''}; "
            f"pass --seed-post with the post's file itself"
        )
    return posts[0]


def python_blocks(text):
    """The contents of every ```python fenced block of a markdown text, in order."""
    return PYTHON_BLOCK.findall(text)


def is_main_guard(node):
    """True for ``if __name__ == "__main__":``."""
    test = getattr(node, "test", None)
    return (
        isinstance(node, ast.If)
        and isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def defined_names(tree):
    """Names a module defines at its top level (classes, functions, assignments)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def extract_program(text, source="the post"):
    """{file name: code} for the main program and the module of its own it imports.

    The code is returned exactly as it appears in the post. Raises SeedPostError if no block is
    a main program, or no block defines what it imports.
    """
    blocks = python_blocks(text)
    trees = []
    for block in blocks:
        try:
            trees.append(ast.parse(block))
        except SyntaxError:
            trees.append(None)  # not a program we can run; it cannot be either of the two
    mains = [i for i, tree in enumerate(trees) if tree and any(is_main_guard(n) for n in tree.body)]
    if len(mains) != 1:
        raise SeedPostError(
            f"{source}: expected one ```python block holding the main program "
            f'(with `if __name__ == "__main__":`), found {len(mains)} among {len(blocks)} '
            f"python blocks; is this the seed post?"
        )
    main = mains[0]
    files = {MAIN_FILE: blocks[main]}
    for node in trees[main].body:
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        wanted = {alias.name for alias in node.names}
        for i, tree in enumerate(trees):
            if i != main and tree and wanted <= defined_names(tree):
                files[f"{node.module}.py"] = blocks[i]
                break
    if len(files) != 2:
        raise SeedPostError(
            f"{source}: the main program imports no module that another ```python block "
            f"defines (expected its layers, e.g. `from layers_1 import FullyConnectedLayer`); "
            f"found {len(blocks)} python blocks; is this the seed post?"
        )
    return files


def percent_print(node):
    """For a statement ``print("label %f" % value)``: ("label ", value node); else None."""
    call = node.value if isinstance(node, ast.Expr) else None
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "print"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.BinOp)
        and isinstance(call.args[0].op, ast.Mod)
        and isinstance(call.args[0].left, ast.Constant)
        and isinstance(call.args[0].left.value, str)
    ):
        return None
    return call.args[0].left.value.split("%")[0], call.args[0].right


def printed_labels(main_code):
    """{"seconds": label, "accuracy": label}: how the lines we read begin, from the code itself.

    The training time is the print right after ``<model>.train()`` under the main guard; the
    accuracy is the print of a variable named ``accuracy``.
    """
    tree = ast.parse(main_code)
    labels = {}
    for guard in (n for n in tree.body if is_main_guard(n)):
        for statement, following in zip(guard.body, guard.body[1:]):
            call = statement.value if isinstance(statement, ast.Expr) else None
            is_train = (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "train"
            )
            if is_train and percent_print(following):
                labels["seconds"] = percent_print(following)[0]
    for node in ast.walk(tree):
        printed = percent_print(node)
        if printed and isinstance(printed[1], ast.Name) and printed[1].id == "accuracy":
            labels["accuracy"] = printed[0]
    missing = {"seconds", "accuracy"} - set(labels)
    if missing:
        raise SeedPostError(
            f"cannot tell which printed line holds the {' and the '.join(sorted(missing))}: "
            f'expected print("... %f" % ...) right after mlp.train() and print("... %f" % '
            f"accuracy) in the main program; has the post changed?"
        )
    return labels


def parse_output(output, labels):
    """(training seconds, test accuracy, epochs trained) from the program's printed output."""
    values = {}
    for key, label in labels.items():
        found = re.findall(rf"^{re.escape(label)}\s*([-+0-9.eE]+)\s*$", output, re.MULTILINE)
        if not found:
            raise SeedPostError(
                f"the seed program printed no line beginning with {label!r} (its {key}); "
                f"its output ended with:\n{output[-1500:]}"
            )
        values[key] = float(found[-1])
    epochs = 1 + max((int(e) for e in EPOCH_LINE.findall(output)), default=-1)
    return values["seconds"], values["accuracy"], epochs


# ---- running it ---------------------------------------------------------------------------------


def write_mnist_data(folder, n_train=None, n_test=None):
    """The four raw IDX files of MNIST in ``folder``; ``n_train``/``n_test`` keep only the first n.

    Returns the number of training images written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    n_kept = {"train": n_train, "test": n_test}
    for split, files in DATASETS["mnist"]["files"].items():
        for gz_name in files.values():
            array = read_idx(dataset_dir("mnist") / gz_name)  # uint8
            write_idx(folder / gz_name.removesuffix(".gz"), array[: n_kept[split]])
    return len(read_idx(folder / "train-labels-idx1-ubyte"))


class RealSeedProgram:
    """The seed program extracted into a temporary folder with its data, ready to run.

    Use it as a context manager; the folder and everything the program wrote are removed at
    the end::

        with RealSeedProgram() as program:
            run = program.run()   # a SeedRun
    """

    def __init__(self, post=None, *, n_train=None, n_test=None, timeout=TIMEOUT_S):
        self.post = find_post(post)
        self.files = extract_program(self.post.read_text(encoding="utf-8"), source=self.post)
        self.labels = printed_labels(self.files[MAIN_FILE])
        self.n_train, self.n_test, self.timeout = n_train, n_test, timeout
        self.folder = None
        self._tmp = None

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="real-seed-program-")
        self.folder = Path(self._tmp.name)
        for name, code in self.files.items():
            (self.folder / name).write_text(code, encoding="utf-8")
        self.n_train = write_mnist_data(self.folder / DATA_FOLDER, self.n_train, self.n_test)
        return self

    def __exit__(self, *exc_info):
        self._tmp.cleanup()
        self.folder = None

    @property
    def samples(self):
        """Images trained per run: 3 epochs of N // 90 full batches of 90."""
        return EPOCHS * (self.n_train // BATCH_SIZE) * BATCH_SIZE

    def run(self):
        """Run ``python main.py`` once in the folder; return a SeedRun.

        Raises SeedPostError if it fails, runs past the time limit or prints something else.
        """
        if self.folder is None:
            raise RuntimeError("RealSeedProgram.run called outside `with RealSeedProgram() as p:`")
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, MAIN_FILE],
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:  # subprocess.run has killed it
            raise SeedPostError(
                f"the seed program did not finish within {self.timeout} s; is the machine "
                f"very busy? (it trains in a few seconds on two cores)"
            ) from None
        output = done.stdout.decode("utf-8", errors="replace")
        if done.returncode != 0:
            errors = done.stderr.decode("utf-8", errors="replace")
            raise SeedPostError(
                f"the seed program ({self.post}) failed with exit code {done.returncode}:\n"
                f"{errors[-2000:]}"
            )
        seconds, accuracy, epochs = parse_output(output, self.labels)
        if epochs != EPOCHS:
            raise SeedPostError(
                f"the seed program trained {epochs} epoch(s), expected {EPOCHS}; "
                f"has the post changed? Its output ended with:\n{output[-1500:]}"
            )
        return SeedRun(seconds, self.samples, accuracy, output)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-post", help="the blog post's file, or the folder holding it")
    args = parser.parse_args(argv)
    try:
        with RealSeedProgram(args.seed_post) as program:
            print(f"post: {program.post}; files: {', '.join(program.files)}; in {program.folder}")
            run = program.run()
    except (SeedPostError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"real seed program: {run.samples:,} images in {run.seconds:.3f} s "
        f"({run.samples_per_s:,.0f} samples/s), test accuracy {100 * run.accuracy:.2f}% "
        f"(NumPy {np.__version__})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
