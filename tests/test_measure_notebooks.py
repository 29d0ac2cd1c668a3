"""tools/measure_notebooks.py: wall time and kernel peak memory per notebook, notebooks untouched."""

import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import measure_notebooks  # noqa: E402

ALLOCATE_MB = 200


@pytest.fixture
def tiny_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("A notebook that allocates memory once."),
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell(f"big = np.ones({ALLOCATE_MB} * 10**6 // 8)\nprint(big.nbytes)"),
        nbformat.v4.new_code_cell("del big"),
    ]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow  # runs notebooks in a kernel
def test_measures_time_and_the_cell_that_raised_the_peak_without_writing_the_notebook(
    tiny_notebook, tmp_path, capsys
):
    before = tiny_notebook.read_bytes()
    report = tmp_path / "report.json"
    assert measure_notebooks.main([str(tiny_notebook), "--cells", "1", "--json", str(report)]) == 0
    assert tiny_notebook.read_bytes() == before  # executed in memory only

    table = capsys.readouterr().out
    assert table.startswith("| notebook | wall time (s) | kernel peak memory (MB) |")
    assert "| 01_tiny.ipynb |" in table and "2 `big = np.ones(" in table

    result = json.loads(report.read_text())["notebooks"][0]
    cells = {cell["index"]: cell for cell in result["cells"]}
    assert set(cells) == {1, 2, 3}  # code cells only, by their index in the notebook
    assert cells[2]["hwm_mb"] - cells[1]["hwm_mb"] >= ALLOCATE_MB * 0.95
    assert cells[3]["rss_mb"] < cells[2]["rss_mb"]  # released, while the peak stays
    # The peak stays when the memory is released. (Linux counts each thread's pages lazily, so
    # two readings of the high-water mark can differ by a few hundred kB in either direction.)
    assert result["peak_mb"] == max(cell["hwm_mb"] for cell in cells.values())
    assert cells[3]["hwm_mb"] >= cells[2]["hwm_mb"] - 1


def test_background_load_is_restarted_until_stopped_and_leaves_no_process():
    load = measure_notebooks.BackgroundLoad(2, [sys.executable, "-c", "pass"]).start()
    deadline = time.monotonic() + 120
    while load.started < 6 and time.monotonic() < deadline:  # wait for restarts, a state
        time.sleep(0.1)
    load.stop()
    assert load.started >= 6
    pids = [process.pid for process in load.processes]
    assert all(process.poll() is not None for process in load.processes)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_a_missing_notebook_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        measure_notebooks.main([str(tmp_path / "nope.ipynb")])
    assert f"no such notebook: {tmp_path / 'nope.ipynb'}" in capsys.readouterr().err


def test_negative_counts_are_refused(capsys):
    with pytest.raises(SystemExit):
        measure_notebooks.main(["--load", "-1"])
    assert "--load and --cells must be >= 0, got -1 and 0" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux only")
def test_reads_the_kernels_memory_fields_from_proc():
    assert measure_notebooks.proc_status_bytes(os.getpid(), "VmHWM") > 10**6


# ---- --json: checked before anything runs, never replacing another file --------------------------


def snapshot(folder):
    return {
        p.name: (p.read_bytes() if p.is_file() else "folder", p.stat().st_mode & 0o777)
        for p in sorted(folder.iterdir())
    }


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "results", r"cannot write the measurements to .*results: it is a folder"),
        (lambda d: d / "missing" / "out.json", r"the folder .*missing does not exist; create it"),
        (
            lambda d: d / "mine.json",
            r"mine\.json exists and is not a measurement this tool wrote; nothing was run: "
            r"choose another file for --json, or move it away",
        ),
    ],
)
def test_a_json_path_that_cannot_be_written_or_holds_another_file_is_refused_first(
    tiny_notebook, tmp_path, capsys, monkeypatch, make, message
):
    (tmp_path / "results").mkdir()
    (tmp_path / "mine.json").write_text('{"my": "figures"}\n')
    (tmp_path / "mine.json").chmod(0o600)
    before = snapshot(tmp_path)
    measured = []
    monkeypatch.setattr(measure_notebooks, "measure_notebook", measured.append)
    assert measure_notebooks.main([str(tiny_notebook), "--json", str(make(tmp_path))]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(f"error: .*{message}.*", line)
    assert measured == [] and snapshot(tmp_path) == before  # nothing run, nothing written


def test_an_earlier_measurement_is_replaced_whole(tiny_notebook, tmp_path, monkeypatch, capsys):
    fake = {"notebook": "01_tiny.ipynb", "seconds": 1.0, "peak_mb": 60.0, "cells": []}
    monkeypatch.setattr(measure_notebooks, "measure_notebook", lambda path: fake)
    report = tmp_path / "report.json"
    assert measure_notebooks.main([str(tiny_notebook), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["notebooks"] == [fake]
    fake["seconds"] = 2.0
    assert measure_notebooks.main([str(tiny_notebook), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["notebooks"][0]["seconds"] == 2.0
    assert sorted(os.listdir(tmp_path)) == ["01_tiny.ipynb", "report.json"]


@pytest.mark.slow  # runs notebooks in a kernel
def test_a_failing_notebook_is_one_line_and_the_others_are_measured(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("1 / 0")]
    fails = tmp_path / "01_fails.ipynb"
    nbformat.write(nb, fails)
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    fine = tmp_path / "02_fine.ipynb"
    nbformat.write(nb, fine)
    assert measure_notebooks.main([str(fails), str(fine)]) == 1
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {fails}: a cell raised ZeroDivisionError: division by zero; left out"
    ]
    assert "Traceback" not in err and "| 02_fine.ipynb |" in out and "01_fails" not in out
