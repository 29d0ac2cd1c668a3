"""Write constraints.txt: the exact version of every package the course installs, as installed here.

    python tools/freeze_constraints.py              # rewrite constraints.txt from this environment
    python tools/freeze_constraints.py --check      # exit 1 if constraints.txt differs from it

The packages are the project's dependencies with its `notebooks` and `dev` extras, followed
through their own dependencies (the installed metadata says which), each pinned to the version
installed in the environment this runs in. Run it in the environment that made the stored notebook
outputs, after `tools/run_notebooks.py`, so that a hub administrator can install exactly those:

    pip install ".[notebooks]" -c constraints.txt
"""

import argparse
import platform
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "handwritten-digits-from-scratch"
EXTRAS = ("notebooks", "dev")
OUTPUT = ROOT / "constraints.txt"


def applies(requirement, extras):
    """True if `requirement` is needed when its package is installed with these extras."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (*extras, ""))


def pinned_closure(project=PROJECT, extras=EXTRAS):
    """{canonical name: installed version} of everything `project[extras]` needs, itself excluded."""
    versions, seen = {}, set()
    todo = [(project, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            raise SystemExit(
                f"{name} is needed by {project}[{','.join(extras)}] but is not installed here; "
                f'install the course first: pip install -e ".[notebooks,dev]"'
            ) from None
        if canonicalize_name(name) != canonicalize_name(project):
            versions[canonicalize_name(dist.metadata["Name"])] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if applies(requirement, wanted):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return versions


def pins(text):
    """The `name==version` lines of a constraints file, comments left out."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def render(versions):
    """The text of constraints.txt."""
    header = [
        "# Exact versions of every package the course installs (the project's dependencies with its",
        "# notebooks and dev extras, and theirs): the ones the stored notebook outputs were made with.",
        f"# Made by `python tools/freeze_constraints.py` with Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}.",
        '# Use: pip install -e ".[notebooks,dev]" -c constraints.txt  (or ".[notebooks]" for students)',
    ]
    return "\n".join(header + [f"{name}=={versions[name]}" for name in sorted(versions)]) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with constraints.txt instead of writing it"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: constraints.txt")
    args = parser.parse_args(argv)
    text = render(pinned_closure())
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if pins(current) != pins(text):
            print(
                f"{args.output} differs from this environment; run python tools/freeze_constraints.py",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} matches this environment")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}: {len(text.splitlines()) - 4} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
