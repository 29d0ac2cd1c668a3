"""Hand out the course to one person's folder on a course server: the student or the teacher edition.

    python classroom/handout.py ~/handwritten-digits --edition student
    python classroom/handout.py ~/handwritten-digits --edition teacher

Run it as the person whose folder it is (the hub's pre-spawn hook in jupyterhub_config.py runs it as
the student, before their server starts; on Kubernetes, classroom/k8s/, each server runs it when it
starts). It writes:

- ``FOLDER/notebooks/``: for a student, the **student edition**, made from the teacher notebooks by
  tools/make_student_edition.py (each "build it yourself" function a stub, folded solutions removed,
  outputs cleared), with the pages the notebooks link to (README.md, glossary.md, shapes.md) and
  never the teacher guides (TEACHERS.md, AUTHORING.md), and in ``FOLDER/notebooks/zh/`` the same
  for the Chinese notebooks; for the teacher, a copy of ``notebooks/`` and ``notebooks/zh/`` as they
  are, solutions and guides included;
- for the teacher, ``FOLDER/course/``: nbgrader's course folder (classroom/jupyter/teacher/ points
  nbgrader there), where ``source/ps1`` and the gradebook go;
- ``FOLDER/data``, ``models``, ``results``: links to the course's shared, read-only folders.

Only what is missing is written: a file the person already has is never touched (it is their work),
and a notebook the teacher adds to the course later arrives at their next start. Each file is
written to a temporary name and then linked into place, which fails rather than replace a file that
appeared meanwhile. ``FOLDER`` is made private (mode 0700): classmates cannot read it.
"""

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import nbformat

COURSE_DIR = Path(__file__).resolve().parent.parent  # the clone: notebooks/, data/, tools/, ...
SHARED = ("data", "models", "results")  # read-only for everyone: linked, never copied
EDITIONS = ("student", "teacher")
ZH = "zh"  # notebooks/zh/: the Chinese notebooks (tools/translate_notebooks.py), handed out too
PRIVATE = 0o700  # the folder: its owner only


class HandoutError(Exception):
    """The hand-out cannot be made; the message says why and what to do."""


def edition_tool(course_dir):
    """tools/make_student_edition.py of this course, loaded as a module (it is not installed)."""
    path = Path(course_dir) / "tools" / "make_student_edition.py"
    if not path.is_file():
        raise HandoutError(f"{path} is missing: is {course_dir} a copy of the course repository?")
    spec = importlib.util.spec_from_file_location("make_student_edition", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def teacher_notebooks(folder):
    """The numbered teacher notebooks of ``folder`` (notebooks/ or notebooks/zh/), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def student_files(course_dir):
    """{path in notebooks/: bytes} of the student edition: the notebooks made by the tool, and their
    pages; the Chinese edition in zh/ (its notebooks link to ../glossary.md, which is there)."""
    tool = edition_tool(course_dir)
    files = {}
    notebooks = Path(course_dir) / "notebooks"
    for prefix, folder in (("", notebooks), (f"{ZH}/", notebooks / ZH)):
        for path in teacher_notebooks(folder):
            notebook = tool.student_notebook(nbformat.read(path, as_version=4), path.name)
            nbformat.validate(notebook)
            files[prefix + path.name] = (nbformat.writes(notebook) + "\n").encode("utf-8")
        for name in tool.COMPANIONS:
            if (folder / name).is_file():
                files[prefix + name] = (folder / name).read_bytes()
    return files


def teacher_files(course_dir):
    """{path in notebooks/: bytes} of the teacher edition: notebooks/ and notebooks/zh/ as they are."""
    files = {}
    for prefix in ("", f"{ZH}/"):
        folder = Path(course_dir) / "notebooks" / prefix
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    files[prefix + path.name] = path.read_bytes()
    return files


def write_new(path, content):
    """Write ``content`` to ``path`` unless it exists; return True if written.

    The bytes go to a temporary file beside ``path``, which is then hard-linked to ``path``: the
    link fails if ``path`` exists, so nobody's file is ever replaced, and a crash leaves either the
    whole file or none (at worst a hidden temporary file).
    """
    if path.exists() or path.is_symlink():
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o666 & ~current_umask())  # as any new file of theirs
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_is_a_folder(path):
    """Refuse a path that is a link or a file: the hand-out writes only into real folders."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise HandoutError(f"{path} should be a folder, not a link or a file; move it away")


def make_private(folder):
    """mode 0700 on ``folder``: its owner only."""
    if folder.stat().st_mode & 0o777 != PRIVATE:
        os.chmod(folder, PRIVATE)


def hand_out(folder, edition, course_dir=COURSE_DIR):
    """Give ``folder`` the course's ``edition`` ("student" or "teacher"); return what was created.

    Never replaces or changes an existing file; creates missing notebooks, pages and links.
    """
    if edition not in EDITIONS:
        raise HandoutError(f"edition must be one of {', '.join(EDITIONS)}, got {edition!r}")
    folder, course_dir = Path(folder).expanduser(), Path(course_dir)
    files = student_files(course_dir) if edition == "student" else teacher_files(course_dir)
    check_is_a_folder(folder)
    created = [] if folder.exists() else [folder]
    folder.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    make_private(folder)
    subfolders = ("notebooks", "course") if edition == "teacher" else ("notebooks",)
    for name in subfolders:
        check_is_a_folder(folder / name)
        if not (folder / name).exists():
            (folder / name).mkdir()
            created.append(folder / name)
    for name, content in files.items():
        target = folder / "notebooks" / name
        if target.parent != folder / "notebooks":  # notebooks/zh/
            check_is_a_folder(target.parent)
            if not target.parent.exists():
                target.parent.mkdir()
                created.append(target.parent)
        if write_new(target, content):
            created.append(target)
    for name in SHARED:
        link = folder / name
        if (course_dir / name).is_dir() and not link.is_symlink() and not link.exists():
            link.symlink_to(course_dir / name, target_is_directory=True)
            created.append(link)
    return created


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", type=Path, help="the person's course folder, e.g. ~/handwritten-digits"
    )
    parser.add_argument("--edition", choices=EDITIONS, required=True)
    parser.add_argument(
        "--course-dir",
        type=Path,
        default=COURSE_DIR,
        help=f"the course repository (default: {COURSE_DIR})",
    )
    args = parser.parse_args(argv)
    try:
        created = hand_out(args.folder, args.edition, args.course_dir)
    except (HandoutError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.edition} edition in {args.folder}: {len(created)} new files and folders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
