"""constraints.txt pins the versions the stored notebook outputs were made with; CI installs them.

It is one lock for every supported Python (`python tools/freeze_constraints.py` writes it with
`uv pip compile --universal`): a line is `name==version`, or `name==version ; marker` where some
Pythons or platforms need another version. In CI, which installs with `-c constraints.txt`, the
environment must be exactly what the file says for the Python that runs it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import read_pyproject
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import freeze_constraints  # noqa: E402

CONSTRAINTS = ROOT / "constraints.txt"
PIN = re.compile(r"^([a-z0-9][a-z0-9.-]*)==([A-Za-z0-9.+!-]+)(?: ; (.+))?$")
# The Pythons the course supports, at the versions where the lock's markers can change: each
# minor's first release, Debian 12's 3.11.2 and the 3.11.7 that made the notebook outputs.
PYTHONS = ("3.10.0", "3.11.0", "3.11.2", "3.11.7", "3.12.0", "3.13.0")
PLATFORMS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "macos": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}
# The versions the stored notebook outputs were made with (on Python 3.11.7).
NOTEBOOK_VERSIONS = {"numpy": "2.4.6", "matplotlib": "3.11.2"}


def lines():
    return [line for line in CONSTRAINTS.read_text().splitlines() if not line.startswith("#")]


def environment(python, platform="linux"):
    """The marker environment of `python` ("3.12.0") on `platform`, the rest as this machine's."""
    env = default_environment()
    env.update(PLATFORMS[platform])
    env.update(python_full_version=python, python_version=".".join(python.split(".")[:2]))
    return env


def pins_for(env):
    """{canonical name: [versions]} of the lines whose markers hold in `env`."""
    pinned = {}
    for line in lines():
        name, version, marker = PIN.match(line).groups()
        if marker is None or Marker(marker).evaluate(env):
            pinned.setdefault(name, []).append(version)
    return pinned


def course_requirements():
    project = read_pyproject()["project"]
    requirements = list(project["dependencies"])
    for extra in freeze_constraints.LOCKED_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    return [Requirement(line) for line in requirements]


def test_locks_the_course_extras_and_leaves_the_benchmarks_out():
    extras = set(read_pyproject()["project"]["optional-dependencies"])
    assert set(freeze_constraints.LOCKED_EXTRAS) == extras - {"bench"}
    names = {PIN.match(line).group(1) for line in lines() if PIN.match(line)}
    assert not names & {"torch", "scikit-learn"}


def test_every_line_is_one_exact_pin_maybe_with_a_marker_sorted_by_canonical_name():
    assert lines()
    assert [line for line in lines() if not PIN.match(line)] == []
    names = [PIN.match(line).group(1) for line in lines()]
    assert names == sorted(names)
    assert all(name == canonicalize_name(name) for name in names)
    for line in lines():
        marker = PIN.match(line).group(3)
        if marker is not None:
            Marker(marker)  # raises InvalidMarker if pip could not read it either


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("python", PYTHONS)
def test_each_python_gets_at_most_one_version_of_a_package(python, platform):
    pinned = pins_for(environment(python, platform))
    assert {name: versions for name, versions in pinned.items() if len(versions) > 1} == {}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("python", PYTHONS)
def test_pins_every_course_package_within_pyproject_ranges(python, platform):
    env = environment(python, platform)
    pinned = pins_for(env)
    for requirement in course_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate(env):
            continue  # tomli, on Python 3.10 only
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"constraints.txt pins no {name} for Python {python} on {platform}"
        (version,) = pinned[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"constraints.txt pins {name}=={version} for Python {python}, outside pyproject's "
            f"{requirement}"
        )


@pytest.mark.parametrize("python", [p for p in PYTHONS if Version(p) >= Version("3.11")])
def test_pins_the_versions_the_notebook_outputs_were_made_with_from_python_3_11(python):
    pinned = pins_for(environment(python))
    assert {name: pinned[name] for name in NOTEBOOK_VERSIONS} == {
        name: [version] for name, version in NOTEBOOK_VERSIONS.items()
    }


@pytest.mark.skipif(sys.version_info < (3, 11), reason="numpy 2.4.6 needs Python 3.11 or newer")
def test_this_python_gets_the_versions_the_notebook_outputs_were_made_with():
    pinned = freeze_constraints.pins_here(CONSTRAINTS.read_text())
    assert {name: pinned[name] for name in NOTEBOOK_VERSIONS} == NOTEBOOK_VERSIONS


@pytest.mark.parametrize("python", PYTHONS)
def test_pins_respect_what_uv_is_told_beyond_the_metadata(python):
    """setuptools >= 66.1 on Python 3.12 and newer: older ones' pkg_resources fails to import."""
    env = environment(python)
    pinned = pins_for(env)
    for requirement in map(Requirement, freeze_constraints.KNOWN_LIMITS):
        if requirement.marker.evaluate(env):
            (version,) = pinned[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(version), f"{requirement}: pinned {version}"


def test_check_reads_only_the_lines_for_this_python():
    text = "a==1.0 ; python_version < '3'\na==2.0 ; python_version >= '3'\nb==3.0\n"
    assert freeze_constraints.pins_here(text) == {"a": "2.0", "b": "3.0"}


def test_check_names_a_package_at_another_version_and_one_not_pinned():
    pinned = {"numpy": "2.4.6", "tqdm": "4.70.1"}
    installed = {"numpy": "2.4.5", "tqdm": "4.70.1", "left-over": "1.0"}
    assert freeze_constraints.differences(pinned, installed) == [
        "  left-over==1.0 is installed but not pinned for this Python",
        "  numpy==2.4.5 is installed, the pin is 2.4.6",
    ]
    assert freeze_constraints.differences(pinned, {"numpy": "2.4.6"}) == []


def test_header_says_how_it_was_made_and_how_to_use_it():
    text = CONSTRAINTS.read_text()
    assert "python tools/freeze_constraints.py" in text
    assert "uv pip compile --universal" in text
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
