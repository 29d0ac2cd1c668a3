"""tools/run_notebooks.py: a notebook is saved whole, or left exactly as it was, with one line."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "run_notebooks.py"


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("My notes.")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    path.chmod(0o640)
    return path.read_bytes()


def run_tool(*paths, max_file_bytes=None):
    """The tool in a subprocess; with ``max_file_bytes``, no file it writes may grow past that
    (RLIMIT_FSIZE: a write beyond it fails with EFBIG, as on a full disk, and nothing is mocked)."""

    def limit():
        if max_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )


def error_lines(run):
    assert "Traceback" not in run.stderr
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.slow  # runs notebooks in a kernel
def test_a_notebook_is_saved_with_its_outputs_and_its_permissions(tmp_path):
    path = tmp_path / "fine.ipynb"
    write_notebook(path, "print(6 * 7)")
    run = run_tool(path)
    assert run.returncode == 0 and error_lines(run) == []
    assert nbformat.read(path, as_version=4).cells[1].outputs[0].text == "42\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["fine.ipynb"]  # no temporary file left


@pytest.mark.slow  # runs notebooks in a kernel
def test_a_failing_cell_leaves_the_notebook_as_it_was_and_the_others_run(tmp_path):
    fails, fine = tmp_path / "01_fails.ipynb", tmp_path / "02_fine.ipynb"
    before = write_notebook(fails, "1 / 0")
    write_notebook(fine, "print('ran')")
    run = run_tool(fails, fine)
    assert run.returncode == 1
    assert error_lines(run) == [
        f"error: {fails}: a cell raised ZeroDivisionError: division by zero; not saved, left as "
        "it was"
    ]
    assert fails.read_bytes() == before and fails.stat().st_mode & 0o777 == 0o640
    assert nbformat.read(fine, as_version=4).cells[1].outputs[0].text == "ran\n"
    assert run.stdout.splitlines()[-1].startswith("1 of 2 notebooks run and saved: ")


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE (POSIX)")
@pytest.mark.slow  # runs notebooks in a kernel
def test_a_notebook_that_cannot_be_written_whole_is_left_as_it_was(tmp_path):
    path = tmp_path / "big_output.ipynb"
    before = write_notebook(path, "print('x' * 60_000)")  # the saved notebook: over 60 kB
    run = run_tool(path, max_file_bytes=20_000)
    assert run.returncode == 1
    (line,) = error_lines(run)
    assert line.startswith(f"error: cannot write {path}: ") and "File too large" in line
    assert line.endswith("; not saved, left as it was")
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["big_output.ipynb"]  # no temporary file left


@pytest.mark.slow  # runs notebooks in a kernel
def test_a_file_that_is_not_a_notebook_is_named_in_one_line(tmp_path):
    path = tmp_path / "notes.ipynb"
    path.write_text("not a notebook\n")
    run = run_tool(path)
    assert run.returncode == 1 and len(error_lines(run)) == 1
    assert error_lines(run)[0].startswith(f"error: {path}: ")
    assert path.read_text() == "not a notebook\n"
