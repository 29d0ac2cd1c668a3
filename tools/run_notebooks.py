"""Re-execute the notebooks in place, top to bottom in a fresh kernel, and save their outputs.

    python tools/run_notebooks.py                       # every notebooks/*.ipynb
    python tools/run_notebooks.py notebooks/03_*.ipynb  # just some

Run it after any change to mlp_lib that can change a notebook's outputs, then run the tests
(`pytest`): nbval compares the fresh outputs with the stored ones. One Python process drives
every kernel, which is much faster than a loop of `jupyter nbconvert`.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TIMEOUT_PER_CELL = 300  # seconds; a cell that runs longer than this is a bug in a teaching notebook


def run_notebook(path, timeout=TIMEOUT_PER_CELL):
    """Execute one notebook in place with the python3 kernel; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)  # widget state changes every run: keep it out of diffs
    nbformat.write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument(
        "--timeout",
        type=int,
        default=TIMEOUT_PER_CELL,
        help="seconds one cell may take (default %(default)s; more on a busy machine)",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    total = 0.0
    for path in paths:
        seconds = run_notebook(path.resolve(), args.timeout)
        total += seconds
        print(f"{path.name}: {seconds:.1f} s", flush=True)
    print(f"all {len(paths)} notebooks: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
