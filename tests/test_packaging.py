"""pyproject.toml and environment.yml must describe the same environment."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)\s*(.*)$")


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def split(requirement):
    name, spec = REQUIREMENT.match(requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def environment_yml():
    """(conda packages, pip lines) of environment.yml; its layout is simple enough to read by hand."""
    conda, pip, section = {}, [], None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.split(":", 1)[0]
            continue
        item = line.strip()
        if section != "dependencies" or not item.startswith("- "):
            continue
        item = item[2:].strip()
        if item == "pip:":
            continue
        if raw.startswith("      "):                     # nested under "- pip:"
            pip.append(item)
        else:
            name, spec = split(item)
            conda[name] = spec
    return conda, pip


def test_environment_yml_lists_exactly_the_pyproject_packages():
    project = pyproject()
    wanted = dict(split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(split(r) for r in extra)
    conda, _ = environment_yml()
    listed = {name: spec for name, spec in conda.items() if name not in ("python", "pip")}
    assert listed == wanted


def test_environment_yml_python_matches_requires_python():
    conda, _ = environment_yml()
    assert conda["python"] == pyproject()["requires-python"] == ">=3.10"


def test_environment_yml_installs_the_project_itself():
    _, pip = environment_yml()
    assert pip == ["-e ."]


def test_environment_yml_uses_conda_forge():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^channels:\n  - conda-forge$", text, re.M)


def test_runtime_dependencies_stay_few():
    names = [split(r)[0] for r in pyproject()["dependencies"]]
    assert names == ["numpy", "matplotlib", "tqdm"]
