"""tools/freeze_constraints.py writes only over its own constraints file, whole or not at all.

uv is not run here (it needs the network): ``lock`` and ``uv`` are replaced by stand-ins that
return what uv would, so that only the writing is tested. tests/test_constraints.py checks the
file itself.
"""

import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import freeze_constraints  # noqa: E402

PINS = ["numpy==2.4.6", "tqdm==4.67.1"]


@pytest.fixture
def offline(monkeypatch):
    """lock and uv without uv; the list of times lock was called."""
    calls = []

    def lock(previous, upgrade=()):
        calls.append(previous)
        return PINS

    monkeypatch.setattr(freeze_constraints, "lock", lock)
    monkeypatch.setattr(freeze_constraints, "uv", lambda *args: "uv 0.13.9 (abc 2025-01-01)")
    return calls


def test_a_new_file_is_written_and_an_own_file_rewritten_keeping_its_permissions(
    tmp_path, offline, capsys
):
    output = tmp_path / "constraints.txt"
    assert freeze_constraints.main(["--output", str(output)]) == 0
    text = output.read_text()
    assert text.startswith(freeze_constraints.HEADER) and text.endswith("tqdm==4.67.1\n")
    output.chmod(0o664)
    assert freeze_constraints.main(["--output", str(output)]) == 0
    assert offline == ["", text]  # uv is given the pins of before, to keep them
    assert output.stat().st_mode & 0o777 == 0o664
    assert sorted(os.listdir(tmp_path)) == ["constraints.txt"]  # no temporary file left
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {output}: 2 lines"


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "README.md",
            r"README\.md exists and is not a constraints file this tool wrote; nothing "
            r"was written: choose another --output, or move it away",
        ),
        ("folder", r"cannot write the constraints to .*folder: it is a folder"),
        ("missing/constraints.txt", r"the folder .*missing does not exist"),
    ],
)
def test_an_output_that_is_not_its_own_file_is_refused_before_uv_runs(
    tmp_path, offline, capsys, name, message
):
    (tmp_path / "README.md").write_text("# My project\n")
    (tmp_path / "folder").mkdir()
    assert freeze_constraints.main(["--output", str(tmp_path / name)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ")
    assert re.search(message, line)
    assert offline == []  # uv never ran
    assert (tmp_path / "README.md").read_text() == "# My project\n"
    assert sorted(os.listdir(tmp_path)) == ["README.md", "folder"]


OFFLINE_MAIN = f"""
import sys
sys.path.insert(0, {str(ROOT / "tools")!r})
import freeze_constraints
freeze_constraints.lock = lambda previous, upgrade=(): {PINS!r} * 50
freeze_constraints.uv = lambda *args: "uv 0.13.9"
sys.exit(freeze_constraints.main(sys.argv[1:]))
"""


def test_a_write_that_fails_leaves_the_old_file_whole(tmp_path, offline):
    output = tmp_path / "constraints.txt"
    assert freeze_constraints.main(["--output", str(output)]) == 0
    before = output.read_bytes()

    def limit():  # files may not grow past 2 kB: the new text (100 pins) cannot be written
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    run = subprocess.run(
        [sys.executable, "-c", OFFLINE_MAIN, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"error: cannot write {output}: ") and "File too large" in line
    assert line.endswith(f"; {output} is left as it was")
    assert output.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["constraints.txt"]
