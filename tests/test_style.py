"""The code is formatted and linted with ruff, as configured in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.fixture(scope="module")
def ruff():
    if RUFF is None:
        pytest.fail("ruff is not installed: pip install -e '.[dev]'", pytrace=False)
    return RUFF


def test_the_code_is_formatted(ruff):
    done = subprocess.run(
        [ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, f"run `ruff format .`:\n{done.stdout}{done.stderr}"


def test_the_code_passes_the_linter(ruff):
    done = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"run `ruff check --fix .` and fix the rest:\n{done.stdout}"
