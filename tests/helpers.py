"""Small helpers shared by several test files (fixtures live in conftest.py)."""

import re
import sys
import tracemalloc
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same reader as a package (the dev extra installs it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)\s*(.*)$")


def read_pyproject():
    """The repository's pyproject.toml as a dict (tomllib on Python 3.11+, tomli on 3.10)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def split_requirement(requirement):
    """("numpy", ">=1.26") from "numpy >= 1.26": the name lower-cased with "-", the spec unspaced."""
    name, spec = REQUIREMENT.match(requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def read_environment(path):
    """({conda package: version spec}, [pip lines]) of an environment.yml with this project's layout
    (a "dependencies:" list, pip lines nested under "- pip:"); simple enough to read by hand."""
    conda, pip, section = {}, [], None
    for raw in path.read_text().splitlines():
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
        if raw.startswith("      "):  # nested under "- pip:"
            pip.append(item)
        else:
            name, spec = split_requirement(item)
            conda[name] = spec
    return conda, pip


def peak_memory_of(function):
    """Call ``function``; return (what it raised, the most memory it took, in bytes)."""
    tracemalloc.start()
    try:
        try:
            function()
        except Exception as exc:  # noqa: BLE001 -- returned to the test, which checks it
            raised = exc
        else:
            raised = None
        return raised, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def seed_program_module():
    """benchmarks/real_seed_program.py, imported by path (benchmarks/ is not a package)."""
    import importlib.util

    if "real_seed_program" in sys.modules:
        return sys.modules["real_seed_program"]
    spec = importlib.util.spec_from_file_location(
        "real_seed_program", ROOT / "benchmarks" / "real_seed_program.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_seed_program"] = module
    spec.loader.exec_module(module)
    return module


def seed_post_or_skip():
    """The real seed post; else a skip saying how to provide it (a failure in CI, or when
    MLP_LIB_SEED_POST names something that is not the post)."""
    import os

    import pytest
    from chromium import skip_or_fail

    real_seed_program = seed_program_module()
    try:
        return real_seed_program.find_post()
    except real_seed_program.SeedPostError as exc:
        if os.environ.get(real_seed_program.ENV_VAR, "").strip():
            pytest.fail(f"{real_seed_program.ENV_VAR} is set, but {exc}", pytrace=False)
        skip_or_fail(
            f"no seed post: {real_seed_program.how_to_provide()}", "the real seed program's tests"
        )
