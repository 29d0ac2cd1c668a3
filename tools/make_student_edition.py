"""Make the student edition of the notebooks: solutions out, stubs in, outputs cleared.

    python tools/make_student_edition.py student/                    # every notebook, for handing out
    python tools/make_student_edition.py student/ notebooks/02_*.ipynb   # just some
    python tools/make_student_edition.py --nbgrader-source course/source/ps1 notebooks/0[2-4]_*.ipynb
    python tools/make_student_edition.py --language zh student-zh/   # the Chinese edition (notebooks/zh/)

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

glossary.md, shapes.md and README.md are copied next to the notebooks, so their links work: each
from the notebooks' own folder, else the folder above it (the Chinese notebooks in notebooks/zh/
have a README.md of their own and share the bilingual glossary.md and shapes.md, which they link to
as ../glossary.md; in the edition those links become glossary.md).

Writing never loses anything:

- a file already in OUTDIR is replaced only if this tool wrote it there and nobody has changed it
  since (the hidden file ``.make_student_edition.json`` lists what it wrote, with each file's
  SHA-256), or if it already holds exactly what would be written. Anything else -- a teacher's
  own README.md, a notebook edited by hand, a student's answers -- stops the tool before it
  writes anything, with one line naming the files. So running it again after changing the
  teacher notebooks updates the edition it made, and running it on the wrong folder
  (``classroom/``, say) changes nothing;
- every file is first written to a hidden folder inside OUTDIR and moved into place only when all
  of them are written, so a full disk or an interrupted run leaves OUTDIR as it was;
- the files get the permissions of any new file of the user's (0666 less the umask, usually
  0644), so that an edition can be shared with students.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LANGUAGES = {"en": NOTEBOOKS, "zh": NOTEBOOKS / "zh"}  # where each language's teacher notebooks are
COMPANIONS = ("README.md", "glossary.md", "shapes.md")  # pages the notebooks link to
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")  # nbgrader's default Python stub
DETAILS = re.compile(r"<details>.*?</details>", re.S)
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")  # nbgrader's schema for grade_id
NBGRADER_KEYS = {"schema_version", "grade", "solution", "locked", "task", "grade_id", "points"}
MANIFEST = (
    ".make_student_edition.json"  # in OUTDIR: the files this tool wrote there, and their hashes
)


class MarkupError(ValueError):
    """A teacher notebook's solution markup is inconsistent; the message says where and how."""


class EditionError(ValueError):
    """The edition cannot be made as asked (its folder, its notebooks); nothing was written."""


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


def companion_path(folder, name):
    """The page ``name`` (glossary.md, ...) for the notebooks in ``folder``: theirs, else the parent's."""
    for candidate in (folder / name, folder.parent / name):
        if candidate.is_file():
            return candidate
    return None


def flat_links(nb, files):
    """``nb`` with its links to ``../page`` pointing at ``page`` wherever the edition has that page."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for name in files:
                cell.source = cell.source.replace(f"](../{name})", f"]({name})")
                cell.source = cell.source.replace(f"](../{name}#", f"]({name}#")
    return nb


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def notebook_bytes(nb):
    """The file's bytes, exactly as nbformat.write would write them."""
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def read_manifest(outdir):
    """{file name: SHA-256} of the files this tool wrote in ``outdir``; None if the manifest is
    there but is not one of ours (then it is a file like any other)."""
    path = outdir / MANIFEST
    if not path.exists():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict) or not all(isinstance(h, str) for h in files.values()):
        return None
    return files


def manifest_bytes(files):
    about = (
        "The files tools/make_student_edition.py wrote in this folder, with their SHA-256. It "
        "replaces them when run again, but only while they are unchanged."
    )
    return (json.dumps({"about": about, "files": files}, indent=1, sort_keys=True) + "\n").encode()


def check_output_folder(outdir):
    """Refuse an OUTDIR that is a file, or sits under one, before anything is read or written."""
    for folder in (outdir, *outdir.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                where = "" if folder == outdir else f" (under {folder}, which is a file)"
                raise EditionError(
                    f"{outdir} is not a folder{where}: give a folder to write the edition into, "
                    f"e.g. student/"
                )
            return


def not_ours(outdir, files, made):
    """The names in ``files`` that exist in ``outdir`` but may not be replaced: neither written
    there by this tool and unchanged since, nor already identical to what would be written."""
    refused = []
    for name, content in files.items():
        path = outdir / name
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink() or not path.is_file():
            refused.append(name)
            continue
        current = path.read_bytes()
        if current != content and (made is None or made.get(name) != sha256(current)):
            refused.append(name)
    return refused


def create_folder(outdir):
    """``outdir`` and any missing folders above it; returns those it created, deepest first."""
    missing = [folder for folder in (outdir, *outdir.parents) if not folder.exists()]
    outdir.mkdir(parents=True, exist_ok=True)
    return missing


def write_all(outdir, files):
    """Write ``files`` ({name: bytes}) into ``outdir``: all of them, or (on any error) none.

    Each file is written to a hidden folder inside ``outdir`` first (the same disk, so moving is
    a rename, which needs no space); only when every one is written are they moved into place.
    New files get the umask's permissions (``open`` makes them so), like any file of the user's.
    """
    created = create_folder(outdir)
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(dir=outdir, prefix=".make_student_edition-"))
        for name, content in files.items():
            with open(staging / name, "xb") as file:
                file.write(content)
        for name in files:
            os.replace(staging / name, outdir / name)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # deepest first; only the empty ones this run made
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    staging.rmdir()


def make(outdir, paths, nbgrader_source=False):
    """Write the edition of ``paths`` into ``outdir``; return the paths of its notebooks.

    Raises MarkupError (a teacher notebook's markup) or EditionError (where it would write) with
    one line, before writing anything; an OSError while writing leaves ``outdir`` as it was.
    """
    outdir = Path(outdir).resolve()
    paths = [Path(path) for path in paths]
    if outdir == NOTEBOOKS.resolve() or any(p.resolve().parent == outdir for p in paths):
        raise MarkupError(
            f"{outdir} holds the teacher notebooks: writing there would overwrite them; "
            "choose another folder, e.g. student/"
        )
    check_output_folder(outdir)
    if not paths:
        raise EditionError(
            "no notebooks given: name the teacher notebooks, e.g. notebooks/0*.ipynb"
        )
    names = [path.name for path in paths]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise EditionError(f"two notebooks named {', '.join(twice)}: the edition has one of each")
    if MANIFEST in names:
        raise EditionError(f"{MANIFEST} is the name of this tool's own record; rename the notebook")
    notebooks = []
    for path in paths:
        try:
            notebooks.append((path, nbformat.read(path, as_version=4)))
        except (ValueError, nbformat.ValidationError) as exc:  # not JSON, or not a notebook
            raise EditionError(
                f"{path} is not a notebook ({type(exc).__name__}); give .ipynb files"
            ) from None
    convert = without_folded_solutions if nbgrader_source else student_notebook
    editions = [(path, convert(nb, path.name)) for path, nb in notebooks]  # every error first
    files = {path.name: notebook_bytes(edition) for path, edition in editions}
    if not nbgrader_source and paths:
        for companion in COMPANIONS:
            source = companion_path(paths[0].parent, companion)
            if source:
                files[companion] = source.read_bytes()
        for path, edition in editions:
            files[path.name] = notebook_bytes(flat_links(edition, files))

    made = read_manifest(outdir)
    refused = not_ours(outdir, files, made)
    if made is None:
        refused.append(MANIFEST)
    if refused:
        one = len(refused) == 1
        raise EditionError(
            f"{', '.join(str(outdir / name) for name in refused)} "
            f"{'exists and was' if one else 'exist and were'} not written by this tool, or "
            f"{'was' if one else 'were'} changed since; nothing was written: move "
            f"{'it' if one else 'them'} away, or choose a new folder, e.g. student/"
        )
    kept = {  # what an earlier run wrote that is still there, unchanged, and not written again
        name: digest
        for name, digest in made.items()
        if name not in files
        and (outdir / name).is_file()
        and sha256((outdir / name).read_bytes()) == digest
    }
    record = {**kept, **{name: sha256(content) for name, content in files.items()}}
    # Files already identical are written again too: they get a new file's permissions.
    write_all(outdir, {**files, MANIFEST: manifest_bytes(record)})

    return [outdir / path.name for path in paths]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "outdir",
        type=Path,
        help="folder to write the notebooks into (created; files this tool did not write there "
        "are never replaced)",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument(
        "--nbgrader-source",
        action="store_true",
        help="keep the solution regions and nbgrader metadata; remove only the folded solutions "
        "(for nbgrader's source/<assignment>/ folder)",
    )
    parser.add_argument(
        "--language",
        choices=sorted(LANGUAGES),
        default="en",
        help="the edition's language when no notebooks are named: en (notebooks/) or zh "
        "(notebooks/zh/, made by tools/translate_notebooks.py build)",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(LANGUAGES[args.language].glob("[0-9][0-9]_*.ipynb"))
    try:
        written = make(args.outdir, paths, nbgrader_source=args.nbgrader_source)
    except (MarkupError, EditionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a missing notebook, a full disk, a folder one may not write to
        where = error.filename or args.outdir
        print(
            f"error: {where}: {error.strerror or error}; nothing was written to {args.outdir}",
            file=sys.stderr,
        )
        return 1
    kind = "nbgrader source" if args.nbgrader_source else "student edition"
    print(f"{kind}: {len(written)} notebooks written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
