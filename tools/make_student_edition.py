"""Make the student edition of the notebooks: solutions out, stubs in, outputs cleared.

    python tools/make_student_edition.py student/                    # all nine, for handing out
    python tools/make_student_edition.py student/ notebooks/02_*.ipynb   # just some
    python tools/make_student_edition.py --nbgrader-source course/source/ps1 notebooks/0[2-4]_*.ipynb

The teacher notebooks (notebooks/NN_*.ipynb) follow the markup of notebooks/AUTHORING.md:

- in a code cell marked as an nbgrader solution cell, every region between ``### BEGIN SOLUTION``
  and ``### END SOLUTION`` becomes ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (indented
  like the markers), so a function keeps its signature and docstring;
- every ``<details>...</details>`` block of a markdown cell (a folded solution) is removed, and
  a markdown cell left empty by that is dropped;
- outputs and execution counts are cleared; cells marked ``locked`` (the checks, the setup) are
  made read-only (``editable``/``deletable`` false), and the nbgrader metadata is dropped.

This is nbgrader's own rule for solution regions (same markers, same stub), written out here so
that a teacher without nbgrader can make the edition too. With nbgrader, use
``--nbgrader-source``: it only removes the folded solutions and clears outputs, and keeps the
regions and the nbgrader metadata for ``nbgrader generate_assignment``, which then makes the
stubs itself, locks the cells and records checksums for ``nbgrader autograde``.

glossary.md, shapes.md and README.md are copied next to the notebooks, so their links work.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COMPANIONS = ("README.md", "glossary.md", "shapes.md")  # pages the notebooks link to
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")  # nbgrader's default Python stub
DETAILS = re.compile(r"<details>.*?</details>", re.S)
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")  # nbgrader's schema for grade_id
NBGRADER_KEYS = {"schema_version", "grade", "solution", "locked", "task", "grade_id", "points"}
RELATIVE_PATH = re.compile(r"""["'](\.\./[^"'\s]+)["']""")  # a string literal starting with ../


class MarkupError(ValueError):
    """A teacher notebook's solution markup is inconsistent; the message says where and how."""


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def check_markup(nb, name):
    """Raise MarkupError unless the nbgrader metadata follows notebooks/AUTHORING.md."""
    seen = set()
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        meta = nbgrader_meta(cell)
        has_region = BEGIN in cell.source or END in cell.source
        if has_region and not (cell.cell_type == "code" and meta.get("solution")):
            raise MarkupError(
                f"{where}: a {BEGIN} region in a cell that is not an nbgrader solution cell; "
                'add "solution": true to its nbgrader metadata (see notebooks/AUTHORING.md)'
            )
        if not meta:
            continue
        unknown = set(meta) - NBGRADER_KEYS
        if meta.get("schema_version") != 3 or unknown:
            raise MarkupError(
                f"{where}: nbgrader metadata needs schema_version 3 and only the keys "
                f"{sorted(NBGRADER_KEYS)}; got {json.dumps(dict(meta))}"
            )
        grade_id = meta.get("grade_id", "")
        if not GRADE_ID.match(grade_id):
            raise MarkupError(f"{where}: grade_id {grade_id!r} must be letters, digits, '-' or '_'")
        if grade_id in seen:
            raise MarkupError(f"{where}: grade_id {grade_id!r} is used twice in {name}")
        seen.add(grade_id)
        if meta.get("grade") and not isinstance(meta.get("points"), int | float):
            raise MarkupError(f"{where}: grade cell {grade_id!r} needs a number of points")
        if meta.get("solution") and cell.cell_type == "code" and BEGIN not in cell.source:
            raise MarkupError(
                f"{where}: solution cell {grade_id!r} has no {BEGIN} ... {END} region; put the "
                "markers around the part students write (nbgrader would blank the whole cell)"
            )


def stub_solutions(source, where):
    """Replace every BEGIN/END SOLUTION region by the indented stub; return the new source."""
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN in line:
            if inside:
                raise MarkupError(f"{where}: {BEGIN} inside another solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + stub for stub in STUB)
        elif END in line:
            if not inside:
                raise MarkupError(f"{where}: {END} without a {BEGIN} before it")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise MarkupError(f"{where}: {BEGIN} without an {END} after it")
    return "\n".join(lines)


def remove_folded_solutions(source, where):
    """Remove every <details>...</details> block of a markdown cell."""
    if source.count("<details>") != source.count("</details>"):
        raise MarkupError(f"{where}: a <details> block is not closed with </details>")
    text = DETAILS.sub("", source)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clear_outputs(nb):
    """No outputs, execution counts, run timestamps or widget state: a notebook never run."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)


def without_folded_solutions(nb, name):
    """The notebook with its <details> solutions removed and outputs cleared (for nbgrader)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    check_markup(nb, name)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = remove_folded_solutions(cell.source, f"{name}, cell {index}")
    # A cell that held nothing but a folded solution is left empty: drop it.
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()]
    clear_outputs(nb)
    return nb


def student_notebook(nb, name):
    """The student edition of one teacher notebook: stubs, no folded solutions, no outputs."""
    nb = without_folded_solutions(nb, name)
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.pop("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = stub_solutions(cell.source, f"{name}, cell {index}")
        if meta.get("locked") or meta.get("grade"):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    return nb


def write_atomically(nb, path):
    """Write the notebook to a temporary file beside ``path``, then rename it into place."""
    nbformat.validate(nb)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            nbformat.write(nb, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def missing_relative_paths(nb, outdir):
    """The ../ paths the notebook's code opens that do not exist next to ``outdir``."""
    paths = {
        m
        for cell in nb.cells
        if cell.cell_type == "code"
        for m in RELATIVE_PATH.findall(cell.source)
    }
    return sorted(p for p in paths if not (outdir / p).exists())


def make(outdir, paths, nbgrader_source=False):
    """Write the edition of ``paths`` into ``outdir``; return the written paths."""
    outdir = Path(outdir).resolve()
    if outdir == NOTEBOOKS.resolve() or any(p.resolve().parent == outdir for p in paths):
        raise MarkupError(
            f"{outdir} holds the teacher notebooks: writing there would overwrite them; "
            "choose another folder, e.g. student/"
        )
    notebooks = [(path, nbformat.read(path, as_version=4)) for path in paths]
    convert = without_folded_solutions if nbgrader_source else student_notebook
    editions = [(path, convert(nb, path.name)) for path, nb in notebooks]  # every error first
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, edition in editions:
        write_atomically(edition, outdir / path.name)
        written.append(outdir / path.name)
        for missing in missing_relative_paths(edition, outdir):
            print(
                f"note: {path.name} opens {missing}, which does not exist next to {outdir}; put "
                "the edition inside the project folder (e.g. student/) or copy that file there",
                file=sys.stderr,
            )
    if not nbgrader_source:
        for companion in COMPANIONS:
            source = paths[0].parent / companion
            if source.is_file():
                shutil.copyfile(source, outdir / companion)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder to write the notebooks into (created)")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument(
        "--nbgrader-source",
        action="store_true",
        help="keep the solution regions and nbgrader metadata; remove only the folded solutions "
        "(for nbgrader's source/<assignment>/ folder)",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    try:
        written = make(args.outdir, paths, nbgrader_source=args.nbgrader_source)
    except (MarkupError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    kind = "nbgrader source" if args.nbgrader_source else "student edition"
    print(f"{kind}: {len(written)} notebooks written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
