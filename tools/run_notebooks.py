"""Re-execute the notebooks in place, top to bottom in a fresh kernel, and save their outputs.

    python tools/run_notebooks.py                       # every notebooks/*.ipynb
    python tools/run_notebooks.py notebooks/03_*.ipynb  # just some

Run it after any change to mlp_lib that can change a notebook's outputs, then run the tests
(`pytest`): nbval compares the fresh outputs with the stored ones. One Python process drives
every kernel, which is much faster than a loop of `jupyter nbconvert`.

A notebook is saved only if every cell ran, and then in one step (written beside it, then renamed
over it, keeping its permissions): a failing cell, a dead kernel or a full disk leaves the file as
it was. Such a notebook gets one `error:` line, the others still run, and the exit code is 1.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from mlp_lib.atomic import atomic_file

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
    save(nb, path)
    return seconds


def save(nb, path):
    """Replace ``path`` by the notebook in one step, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o7777
    text = nbformat.writes(nb)
    with atomic_file(path) as file:  # on any error the old file is left as it was
        file.write((text if text.endswith("\n") else text + "\n").encode("utf-8"))
    os.chmod(path, mode)


def failure(exc):
    """One line for what stopped a notebook."""
    if isinstance(exc, CellExecutionError):  # its str() is the cell's whole traceback
        return f"a cell raised {exc.ename}: {exc.evalue}"
    if isinstance(exc, NoSuchKernel):
        return f"no kernel named {exc.args[0]!r}: pip install ipykernel in this environment"
    if isinstance(exc, OSError) and exc.strerror and not str(exc).startswith("cannot write"):
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


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
    total, failed = 0.0, []
    for path in paths:
        try:
            seconds = run_notebook(path.resolve(), args.timeout)
        except (
            CellExecutionError,
            CellTimeoutError,
            DeadKernelError,
            NoSuchKernel,
            OSError,
            ValueError,  # not a notebook (nbformat's NotJSONError)
        ) as exc:
            failed.append(path)
            reason = failure(exc)
            where = "" if reason.startswith("cannot write") else f"{path}: "
            print(f"error: {where}{reason}; not saved, left as it was", file=sys.stderr)
            continue
        total += seconds
        print(f"{path.name}: {seconds:.1f} s", flush=True)
    done = len(paths) - len(failed)
    print(f"{done} of {len(paths)} notebooks run and saved: {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
