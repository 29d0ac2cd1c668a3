""".binder/ (for mybinder.org and repo2docker) must describe the same environment as environment.yml.

repo2docker's documented pattern: an environment file without a local `-e .` (it is installed
before the repository is copied into the image: jupyterhub/repo2docker#1265), then `postBuild`,
run in the repository, installs the project.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import read_environment, read_pyproject

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / ".binder"
# repo2docker chooses its Python from a line "python=X.Y" (its regex is python\s*=+\s*([\d.]*)).
REPO2DOCKER_PYTHON = re.compile(r"^python\s*=+\s*([\d.]*)$")


def test_binder_environment_lists_the_same_packages_as_environment_yml():
    course, _ = read_environment(ROOT / "environment.yml")
    binder, _ = read_environment(BINDER / "environment.yml")
    course.pop("python")
    binder.pop("python")
    assert binder == course


def test_binder_pins_a_python_that_repo2docker_reads_and_the_project_accepts():
    binder, _ = read_environment(BINDER / "environment.yml")
    line = "python" + binder["python"]  # e.g. "python=3.11"
    match = REPO2DOCKER_PYTHON.match(line)
    assert match, f"repo2docker ignores {line!r}; write python=3.X"
    major, minor = (int(part) for part in match.group(1).split(".")[:2])
    requires = read_pyproject()["project"]["requires-python"]
    assert requires == ">=3.10" and (major, minor) >= (3, 10)


def test_binder_environment_has_no_local_pip_install():
    _, pip = read_environment(BINDER / "environment.yml")
    assert pip == []
    assert "-e ." not in (BINDER / "environment.yml").read_text().split("#")[0]


def test_binder_uses_conda_forge_and_the_same_name():
    text = (BINDER / "environment.yml").read_text()
    assert re.search(r"^channels:\n  - conda-forge$", text, re.M)
    assert re.search(r"^name: handwritten-digits$", text, re.M)


def test_post_build_installs_the_project_not_editable():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only if it is executable"
    lines = post_build.read_text().splitlines()
    assert lines[0] == "#!/bin/bash"
    commands = [line for line in lines if line and not line.startswith("#")]
    assert "set -euo pipefail" in commands
    assert "python -m pip install --no-deps --no-cache-dir ." in commands


@pytest.mark.slow  # a real pip install, several seconds
def test_post_build_runs_and_installs_mlp_lib(tmp_path):
    """Run the real postBuild, as repo2docker does, in a copy of the repository and a fresh venv."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(
        ROOT / "mlp_lib", repo / "mlp_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(BINDER, repo / ".binder")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [str(repo / ".binder" / "postBuild")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    installed = list((venv / "lib").glob("python3.*/site-packages/mlp_lib/data.py"))
    assert len(installed) == 1  # a real copy in site-packages, not an editable link
    assert not list((venv / "lib").glob("python3.*/site-packages/__editable__*"))
