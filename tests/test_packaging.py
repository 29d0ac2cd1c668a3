"""pyproject.toml and environment.yml must describe the same environment."""

import re
from pathlib import Path

from helpers import read_environment, read_pyproject
from helpers import split_requirement as split

ROOT = Path(__file__).resolve().parent.parent


def pyproject():
    return read_pyproject()["project"]


def split_unmarked(requirement):
    """split() of a requirement without its environment marker: conda's lists have none, so a
    package that pyproject.toml wants on some Pythons only (tomli on 3.10) is listed for all."""
    return split(requirement.split(";", 1)[0])


def environment_yml():
    return read_environment(ROOT / "environment.yml")


# The extras that make up the course environment. "classroom" (a course server's packages) is a
# part of "dev", which runs the classroom test, so the course environment holds it too. "bench"
# (PyTorch, scikit-learn) is left out on purpose: only benchmarks/ need it, and torch alone is
# several hundred MB.
COURSE_EXTRAS = ("notebooks", "dev")
SERVER_EXTRA = "classroom"
BENCH_INSTALL = 'pip install -e ".[bench]"'


def test_environment_yml_lists_exactly_the_course_packages():
    project = pyproject()
    wanted = dict(split_unmarked(r) for r in project["dependencies"])
    for extra in COURSE_EXTRAS:
        wanted.update(split_unmarked(r) for r in project["optional-dependencies"][extra])
    conda, _ = environment_yml()
    listed = {name: spec for name, spec in conda.items() if name not in ("python", "pip")}
    assert listed == wanted


def test_every_extra_is_either_in_the_course_environment_or_the_benchmark_extra():
    assert set(pyproject()["optional-dependencies"]) == {*COURSE_EXTRAS, SERVER_EXTRA, "bench"}


def test_classroom_extra_is_part_of_dev_with_the_same_ranges():
    extras = pyproject()["optional-dependencies"]
    dev = dict(split_unmarked(r) for r in extras["dev"])
    for name, spec in (split_unmarked(r) for r in extras[SERVER_EXTRA]):
        assert dev.get(name) == spec, f"classroom wants {name}{spec}, dev has {name}{dev.get(name)}"


def test_benchmark_extra_stays_out_of_the_course_environment():
    project = pyproject()
    bench = {split(r)[0] for r in project["optional-dependencies"]["bench"]}
    assert bench == {"torch", "scikit-learn"}
    course = {split(r)[0] for r in project["dependencies"]}
    for extra in (*COURSE_EXTRAS, SERVER_EXTRA):
        course.update(split_unmarked(r)[0] for r in project["optional-dependencies"][extra])
    assert not bench & course
    conda, pip = environment_yml()
    assert not bench & set(conda)
    assert not [line for line in pip if any(name in line for name in bench)]


def test_environment_yml_says_how_to_get_the_benchmark_extra():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    comments = [line.split("#", 1)[1] for line in lines if "#" in line]
    assert any(BENCH_INSTALL in comment for comment in comments)


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
    assert names == ["numpy", "matplotlib", "tqdm", "threadpoolctl"]
