"""Write constraints.txt: the exact version of every package the course installs, on every Python.

    python tools/freeze_constraints.py              # rewrite constraints.txt with uv
    python tools/freeze_constraints.py --upgrade-package tqdm     # let tqdm move to its newest
    python tools/freeze_constraints.py --check      # exit 1 if this environment differs from it
    python tools/freeze_constraints.py --check --extras notebooks,classroom   # a course server

Writing runs `uv pip compile --universal` (uv comes with the dev extra) on pyproject.toml with its
`notebooks`, `dev` and `classroom` extras: one lock for every Python from the oldest the project
supports (requires-python) up, on Linux, macOS and Windows. Where a Python cannot have a version
(its Requires-Python, or a limit in KNOWN_LIMITS below that the metadata does not tell), it gets
another one on a line of its own with an environment marker:

    numpy==2.2.6 ; python_full_version < '3.11'
    numpy==2.4.6 ; python_full_version >= '3.11'

uv prefers the versions already in constraints.txt, so a package changes only when pyproject.toml,
a Python or `--upgrade-package` needs it to: on Python 3.11.7 every version stays the one the stored
notebook outputs were made with. A hub administrator installs exactly those:

    pip install ".[notebooks,classroom]" -c constraints.txt

The file is written in one step (beside it, then renamed, keeping its permissions), and only
over a constraints file this tool wrote (its text starts with the header below): `--output` naming
any other file, or a folder, is refused with one line before uv runs.

`--check` compares the environment it runs in with the lines whose markers hold for this
interpreter: everything the project with those extras needs (the installed metadata says what) must
be installed, at exactly the version pinned. CI runs it (tests/test_constraints.py) after installing
with `-c constraints.txt`. It needs neither uv nor the network.
"""

import argparse
import importlib.util
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same reader as a package (the dev extra installs it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "handwritten-digits-from-scratch"
EXTRAS = ("notebooks", "dev")  # README's install, and what --check expects by default
LOCKED_EXTRAS = ("notebooks", "dev", "classroom")  # not "bench": torch is no part of the course
OUTPUT = ROOT / "constraints.txt"
# What uv cannot read in the packages' metadata, given to it as constraints. nbgrader imports
# setuptools; before 66.1 setuptools says it runs on any Python >= 3.7, but on 3.12 and newer its
# pkg_resources fails to import (pkgutil.ImpImporter is gone). So 3.12 and newer need 66.1 or newer,
# and the older Pythons keep the setuptools their venvs come with (65.5.0 on 3.11.7, with which the
# notebook outputs were made): given only the first line, uv would keep two versions the first time
# and, preferring one for all where one fits, move 3.10 and 3.11 to 3.12's the next.
KNOWN_LIMITS = [
    "setuptools>=66.1 ; python_version >= '3.12'",
    "setuptools<66.1 ; python_version < '3.12'",
]


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
                f'install the course first: pip install -e ".[{",".join(extras)}]" -c constraints.txt'
                " (or, if it was installed with other extras, name them: --extras notebooks,classroom)"
            ) from None
        if canonicalize_name(name) != canonicalize_name(project):
            versions[canonicalize_name(dist.metadata["Name"])] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if applies(requirement, wanted):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return versions


def pins(text):
    """The pin lines of a constraints file (`name==version`, maybe `; marker`), comments left out."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def pins_here(text):
    """{canonical name: version} of the pins whose markers hold for this interpreter."""
    versions = {}
    for line in pins(text):
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        if name in versions:
            raise SystemExit(f"constraints.txt pins {name} twice for this Python: {line}")
        (specifier,) = requirement.specifier  # one "==" each
        versions[name] = specifier.version
    return versions


def differences(pinned, installed):
    """One line per package that `installed` has at another version than `pinned`, or unpinned."""
    lines = []
    for name in sorted(installed):
        if name not in pinned:
            lines.append(f"  {name}=={installed[name]} is installed but not pinned for this Python")
        elif pinned[name] != installed[name]:
            lines.append(f"  {name}=={installed[name]} is installed, the pin is {pinned[name]}")
    return lines


def oldest_python():
    """The oldest Python the lock covers: "3.10" from pyproject.toml's requires-python ">=3.10"."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    if not requires.startswith(">="):
        raise SystemExit(
            f'requires-python must be ">=3.X" for the lock to start there, got {requires!r}'
        )
    return requires.removeprefix(">=")


def uv(*args):
    """Run the uv that the dev extra installed beside this Python; its standard output."""
    if importlib.util.find_spec("uv") is None:
        raise SystemExit(
            'uv is not installed here; it comes with the dev extra: pip install -e ".[notebooks,dev]" '
            "-c constraints.txt"
        )
    command = [sys.executable, "-m", "uv", *args]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)  # uv's messages: stderr
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit code {result.returncode}); see above")
    return result.stdout


def lock(previous, upgrade=()):
    """The pin lines uv resolves for LOCKED_EXTRAS on every Python, preferring `previous`'s pins."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "constraints.txt"
        output.write_text(previous)  # uv keeps the versions of the file it writes, where it can
        limits = Path(folder) / "known-limits.txt"
        limits.write_text("\n".join(KNOWN_LIMITS) + "\n")
        options = [f"--extra={extra}" for extra in LOCKED_EXTRAS]
        options += [f"--constraints={limits}"]
        options += [f"--upgrade-package={name}" for name in upgrade]
        uv(
            "pip",
            "compile",
            str(ROOT / "pyproject.toml"),
            *options,
            "--universal",  # one file for every Python and platform, with markers where they differ
            f"--python-version={oldest_python()}",  # with --universal: the oldest Python covered
            "--fork-strategy=requires-python",  # a Python gets another version only if it must
            "--no-annotate",
            "--no-header",
            "--quiet",
            f"--output-file={output}",
        )
        return pins(output.read_text())


HEADER = (
    "# Exact versions of every package the course installs (the project's dependencies with its"
)


def render(lines, uv_version):
    """The text of constraints.txt."""
    header = [
        HEADER,
        "# notebooks, dev and classroom extras, and theirs), for every Python from "
        f"{oldest_python()} up on Linux,",
        "# macOS and Windows. A line with a marker (`; python_full_version < '3.11'`) holds only where",
        "# the marker is true: where a Python cannot install or run a version, it gets another one.",
        "# On Python 3.11.7 these are the versions the stored notebook outputs were made with.",
        f"# Made by `python tools/freeze_constraints.py` ({uv_version}: uv pip compile --universal),",
        "# which keeps these versions unless pyproject.toml or a Python needs others.",
        '# Use: pip install -e ".[notebooks,dev]" -c constraints.txt  (or ".[notebooks]" for students,',
        '# ".[notebooks,classroom]" for a course server)',
    ]
    return "\n".join(header + lines) + "\n"


def output_problem(path):
    """None if ``path`` may be (re)written now, else the one-line reason it may not."""
    from mlp_lib.atomic import OutputPathError, check_output_path  # not needed for --check

    try:
        check_output_path(path, "constraints")
    except OutputPathError as exc:
        return str(exc)
    if path.exists():
        try:
            ours = path.read_text(encoding="utf-8").startswith(HEADER)
        except (OSError, ValueError):
            ours = False
        if not ours:
            return (
                f"{path} exists and is not a constraints file this tool wrote; nothing was "
                f"written: choose another --output, or move it away"
            )
    return None


def write(path, text):
    """Replace ``path`` by ``text`` in one step, keeping the permissions it had."""
    from mlp_lib.atomic import write_bytes_atomically

    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    write_bytes_atomically(path, text.encode("utf-8"))
    if mode is not None:
        path.chmod(mode)


def check(path, extras):
    """0 if this environment holds exactly the versions `path` pins for this Python, else 1."""
    current = path.read_text() if path.is_file() else ""
    wrong = differences(pins_here(current), pinned_closure(extras=extras))
    if wrong:
        print(
            f"{path} (for Python {platform.python_version()}) differs from this environment:",
            *wrong,
            f'reinstall with pip install -e ".[{",".join(extras)}]" -c {path.name}, or rewrite it '
            "with python tools/freeze_constraints.py",
            sep="\n",
            file=sys.stderr,
        )
        return 1
    print(f"{path} matches this environment (Python {platform.python_version()})")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare this environment with the file instead"
    )
    parser.add_argument(
        "--extras",
        default=",".join(EXTRAS),
        help="with --check: the extras this environment was installed with (default: %(default)s)",
    )
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="let this package move to its newest version (may be given more than once)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: constraints.txt")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.output, tuple(args.extras.split(",")))
    problem = output_problem(args.output)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    previous = args.output.read_text() if args.output.is_file() else ""
    lines = lock(previous, args.upgrade_package)
    text = render(lines, " ".join(uv("--version").split()[:2]))  # "uv 0.13.9"
    try:
        write(args.output, text)
    except OSError as exc:  # the disk filled while uv ran, say: the old file is still whole
        print(f"error: {exc}; {args.output} is left as it was", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: {len(lines)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
