"""Measure each notebook's wall time and its kernel's peak memory, optionally on a busy machine.

    python tools/measure_notebooks.py                          # every notebooks/*.ipynb
    python tools/measure_notebooks.py notebooks/05_*.ipynb     # just some
    python tools/measure_notebooks.py --load 2                 # with 2 training runs in the background
    python tools/measure_notebooks.py --cells 3 --json out.json

Each notebook runs top to bottom in a fresh python3 kernel, with the notebook's folder as working
directory, exactly as `tools/run_notebooks.py` runs it, but nothing is written back: the notebook
files are left untouched. The peak memory is the kernel process's resident-set high-water mark
(VmHWM in /proc/<pid>/status, read after every cell, so the cells that raise it can be named);
the figures printed are MB of 10^6 bytes. Linux only (it reads /proc).

`--load N` keeps N background processes busy for the whole measurement — each one
`python -m mlp_lib train --preset default --no-progress`, started again whenever it finishes — to
see what a student gets on a shared server where others are training too. They are stopped, by
PID, when the measurement ends.

The output is a Markdown table (wall time, peak memory, the cells that raised the peak most),
followed by the machine's load average, so that the figures can be pasted into a README.

`--json FILE` is checked before anything runs: its folder must exist, and a file already there
is replaced only if it is an earlier measurement (a JSON object with this tool's keys), never
another file. It is written in one step (beside it, then renamed), so it is whole or unchanged.
A notebook whose cell fails gets one `error:` line and is left out; the exit code is then 1.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from mlp_lib.atomic import OutputPathError, check_output_path, write_bytes_atomically

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT_PER_CELL = 600  # seconds; generous, for a machine loaded on purpose
LOAD_COMMAND = [sys.executable, "-m", "mlp_lib", "train", "--preset", "default", "--no-progress"]
MB = 1e6
SUMMARY_KEYS = {"cores", "background_load", "load_average_at_end", "notebooks"}  # of --json


def proc_status_bytes(pid, field):
    """One `kB` field of /proc/<pid>/status (e.g. "VmHWM", "VmRSS") in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # the kernel's "kB" is 1024 bytes
    raise RuntimeError(f"/proc/{pid}/status has no {field} line; this tool needs Linux")


def first_line(source):
    """The first non-empty line of a cell's source, shortened, to name the cell in a table."""
    lines = [" ".join(line.split()) for line in source.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    return text if len(text) <= 60 else text[:57] + "..."


def measure_notebook(path):
    """Execute `path` in a fresh kernel without saving it; return its wall time and memory figures.

    Returns a dict: notebook, seconds, peak_mb (the kernel's VmHWM at the end) and cells, a list of
    {index, first_line, seconds, hwm_mb, rss_mb} for every code cell, read right after the cell ran.
    """
    nb = nbformat.read(path, as_version=4)
    cells = []
    state = {"start": None}

    def before_cell(cell, cell_index):
        state["start"] = time.perf_counter()

    def after_cell(cell, cell_index, execute_reply):
        pid = client.km.provisioner.pid
        cells.append(
            {
                "index": cell_index,
                "first_line": first_line(cell.source),
                "seconds": round(time.perf_counter() - state["start"], 2),
                "hwm_mb": round(proc_status_bytes(pid, "VmHWM") / MB, 1),
                "rss_mb": round(proc_status_bytes(pid, "VmRSS") / MB, 1),
            }
        )

    client = NotebookClient(
        nb,
        timeout=TIMEOUT_PER_CELL,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=before_cell,
        on_cell_executed=after_cell,
    )
    start = time.perf_counter()
    client.execute()  # the notebook object is changed in memory only; it is never written
    seconds = time.perf_counter() - start
    return {
        "notebook": path.name,
        "seconds": round(seconds, 1),
        "peak_mb": max((cell["hwm_mb"] for cell in cells), default=0.0),
        "cells": cells,
    }


def top_cells(result, count):
    """The `count` cells that raised the kernel's high-water mark most, as (cell, increase in MB)."""
    raises, previous = [], None
    for cell in result["cells"]:
        if previous is not None:
            raises.append((cell, round(cell["hwm_mb"] - previous, 1)))
        else:  # the first code cell also carries the kernel's start (Python, NumPy, ...)
            raises.append((cell, cell["hwm_mb"]))
        previous = cell["hwm_mb"]
    raises.sort(key=lambda pair: -pair[1])
    return [pair for pair in raises[:count] if pair[1] > 0]


class BackgroundLoad:
    """N training processes kept running (restarted when they finish) until stop() is called."""

    def __init__(self, count, command=LOAD_COMMAND):
        self.count, self.command = count, command
        self.processes, self.started = [], 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep_running, daemon=True)

    def start(self):
        with self._lock:
            for _ in range(self.count):
                self._spawn()
        self._thread.start()
        return self

    def _spawn(self):
        env = dict(os.environ)
        self.processes.append(
            subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        self.started += 1

    def _keep_running(self):
        while not self._stopping.wait(0.5):
            with self._lock:
                if self._stopping.is_set():
                    return
                for process in list(self.processes):
                    if process.poll() is not None:
                        self.processes.remove(process)
                        self._spawn()

    def stop(self):
        """Stop every background process by its PID (SIGTERM, then SIGKILL after 10 s)."""
        self._stopping.set()
        with self._lock:
            for process in self.processes:
                process.terminate()
            for process in self.processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._thread.is_alive():
            self._thread.join()


def check_json_output(path):
    """Refuse, before measuring, a --json path that cannot be written or holds something else.

    Returns None if it may be written, else the one-line reason."""
    try:
        check_output_path(path, "measurements")
    except OutputPathError as exc:
        return str(exc)
    if path.exists():
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            earlier = None
        if not (isinstance(earlier, dict) and set(earlier) == SUMMARY_KEYS):
            return (
                f"{path} exists and is not a measurement this tool wrote; nothing was run: "
                f"choose another file for --json, or move it away"
            )
    return None


def cell_failure(exc):
    """One line for what stopped a notebook."""
    if isinstance(exc, CellExecutionError):  # its str() is the cell's whole traceback
        return f"a cell raised {exc.ename}: {exc.evalue}"
    return " ".join(str(exc).split()) or type(exc).__name__


def markdown_table(results, cells):
    """The results as a Markdown table; with cells > 0 a column names the cells that raised the peak."""
    header = "| notebook | wall time (s) | kernel peak memory (MB) |"
    rule = "|---|---:|---:|"
    if cells:
        header += " cells that raised the peak most (cell index: + MB) |"
        rule += "---|"
    lines = [header, rule]
    for result in results:
        row = f"| {result['notebook']} | {result['seconds']:.1f} | {result['peak_mb']:.0f} |"
        if cells:
            named = [
                f"{cell['index']} `{cell['first_line']}`: +{increase:.0f}"
                for cell, increase in top_cells(result, cells)
            ]
            row += " " + "; ".join(named) + " |"
        lines.append(row)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="N",
        help="keep N background training processes running during the measurement (default 0)",
    )
    parser.add_argument(
        "--cells",
        type=int,
        default=0,
        metavar="K",
        help="also name the K cells that raised each kernel's peak memory most",
    )
    parser.add_argument("--json", type=Path, help="also write every figure, per cell, to this file")
    args = parser.parse_args(argv)
    if args.load < 0 or args.cells < 0:
        parser.error(f"--load and --cells must be >= 0, got {args.load} and {args.cells}")
    if not Path("/proc/self/status").is_file():
        parser.error("this tool reads /proc/<pid>/status and needs Linux")
    paths = [path.resolve() for path in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    problem = args.json and check_json_output(args.json)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1

    load = BackgroundLoad(args.load).start() if args.load else None
    results, failed = [], []
    try:
        for path in paths:
            try:
                result = measure_notebook(path)
            except (CellExecutionError, CellTimeoutError, DeadKernelError, ValueError) as exc:
                failed.append(path)
                print(f"error: {path}: {cell_failure(exc)}; left out", file=sys.stderr)
                continue
            results.append(result)
            print(
                f"{path.name}: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if load is not None:
            load.stop()
    load_average = os.getloadavg()

    print(markdown_table(results, args.cells))
    print()
    print(
        f"{os.cpu_count()} cores; background load: {args.load} training processes"
        + (f", {load.started} runs started" if load else "")
        + "; load average at the end "
        + ", ".join(f"{value:.1f}" for value in load_average)
        + " (1, 5, 15 min)."
    )
    if args.json:
        summary = {
            "cores": os.cpu_count(),
            "background_load": args.load,
            "load_average_at_end": load_average,
            "notebooks": results,
        }
        try:
            write_bytes_atomically(args.json, (json.dumps(summary, indent=2) + "\n").encode())
        except OSError as exc:  # the table above is printed: only the per-cell figures are lost
            print(f"error: {exc}; the table above has the figures", file=sys.stderr)
            return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
