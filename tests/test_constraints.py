"""constraints.txt pins the versions the stored notebook outputs were made with; CI installs them.

`python tools/freeze_constraints.py` writes it from an environment; in CI, which installs with
`-c constraints.txt`, the environment must be exactly what the file says.
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
PIN = re.compile(r"^([a-z0-9][a-z0-9.-]*)==([A-Za-z0-9.+!-]+)$")


def pins():
    lines = [line for line in CONSTRAINTS.read_text().splitlines() if not line.startswith("#")]
    return lines, dict(PIN.match(line).groups() for line in lines if PIN.match(line))


def course_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in ("notebooks", "dev"):
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def test_every_line_is_one_exact_pin_sorted_by_canonical_name():
    lines, pinned = pins()
    assert lines and len(pinned) == len(lines), [line for line in lines if not PIN.match(line)]
    names = [PIN.match(line).group(1) for line in lines]
    assert names == sorted(set(names))
    assert all(name == canonicalize_name(name) for name in names)


def test_pins_every_course_package_within_pyproject_ranges():
    _, pinned = pins()
    for requirement in course_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is a course package but constraints.txt does not pin it"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside pyproject's {requirement}"
        )


def test_pins_the_versions_the_notebook_outputs_were_made_with():
    _, pinned = pins()
    assert pinned["numpy"] == "2.4.6"
    assert pinned["matplotlib"] == "3.11.2"


def test_header_says_how_it_was_made_and_how_to_use_it():
    text = CONSTRAINTS.read_text()
    assert "python tools/freeze_constraints.py" in text
    assert "-c constraints.txt" in text


@pytest.mark.skipif(
    not os.environ.get("CI"),
    reason="only CI installs with -c constraints.txt; elsewhere newer versions are allowed",
)
def test_ci_installed_exactly_the_pinned_versions():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "freeze_constraints.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
