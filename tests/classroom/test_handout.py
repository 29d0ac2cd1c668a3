"""classroom/handout.py on temporary folders: the right edition, nothing overwritten, private.

The hub runs it as each person before their server starts (tests/classroom/test_classroom_hub.py
checks that with real accounts); here it runs as whoever runs the tests.
"""

import json
import os
import stat
import sys
from pathlib import Path

import nbformat
import pytest
from solutions import NOTEBOOKS, leaked_lines

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "classroom"))
import handout  # noqa: E402

STUDENT_PAGES = ["README.md", "glossary.md", "shapes.md"]


@pytest.fixture(scope="module")
def student_files():
    return handout.student_files(ROOT)


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_student_edition_is_the_tools_edition_with_its_pages_and_no_teacher_guides(
    tmp_path, student_files
):
    created = handout.hand_out(tmp_path / "ada" / "handwritten-digits", "student", ROOT)
    notebooks = tmp_path / "ada" / "handwritten-digits" / "notebooks"
    names = sorted(path.name for path in notebooks.iterdir())
    assert names == sorted([path.name for path in NOTEBOOKS] + STUDENT_PAGES + ["zh"])
    chinese = sorted(path.name for path in (notebooks / "zh").iterdir())
    assert chinese == sorted([path.name for path in NOTEBOOKS] + ["README.md"])
    assert "TEACHERS.md" not in names and "AUTHORING.md" not in names
    sys.path.insert(0, str(ROOT / "tools"))
    import make_student_edition as tool

    for folder in (ROOT / "notebooks", ROOT / "notebooks" / "zh"):
        given = notebooks / folder.relative_to(ROOT / "notebooks")
        for path in NOTEBOOKS:
            made = nbformat.read(given / path.name, as_version=4)
            teacher = nbformat.read(folder / path.name, as_version=4)
            assert made == tool.student_notebook(teacher, path.name)
    texts = [path.read_text() for path in (*notebooks.glob("*.*"), *notebooks.glob("zh/*"))]
    assert leaked_lines(texts) == []
    # the folder, notebooks/, notebooks/zh/, the files, 3 links
    assert len(created) == 1 + 1 + 1 + len(names) - 1 + len(chinese) + 3


def test_the_teacher_edition_is_the_notebooks_folder_as_it_is_and_a_course_folder(tmp_path):
    folder = tmp_path / "handwritten-digits"
    handout.hand_out(folder, "teacher", ROOT)
    for path in (*(ROOT / "notebooks").iterdir(), *(ROOT / "notebooks" / "zh").iterdir()):
        if path.is_file():
            given = folder / "notebooks" / path.relative_to(ROOT / "notebooks")
            assert given.read_bytes() == path.read_bytes()
    assert (folder / "course").is_dir() and not any((folder / "course").iterdir())


def test_the_shared_folders_are_links_and_the_folder_is_private(tmp_path):
    folder = tmp_path / "handwritten-digits"
    handout.hand_out(folder, "student", ROOT)
    for name in ("data", "models", "results"):
        assert (folder / name).is_symlink() and (folder / name).resolve() == ROOT / name
    assert mode(folder) == 0o700
    folder.chmod(0o755)  # the student opened it up; the next start closes it again
    handout.hand_out(folder, "student", ROOT)
    assert mode(folder) == 0o700


def test_new_files_are_as_readable_as_any_new_file_of_the_person(tmp_path):
    old = os.umask(0o022)
    try:
        handout.hand_out(tmp_path / "f", "student", ROOT)
    finally:
        os.umask(old)
    assert mode(tmp_path / "f" / "notebooks" / NOTEBOOKS[0].name) == 0o644


def test_a_persons_work_is_never_touched_and_what_they_deleted_comes_back(tmp_path):
    folder = tmp_path / "handwritten-digits"
    handout.hand_out(folder, "student", ROOT)
    mine = folder / "notebooks" / NOTEBOOKS[2].name
    mine.write_text('{"my": "work"}')
    (folder / "notebooks" / NOTEBOOKS[8].name).unlink()
    (folder / "data").unlink()
    (folder / "data").mkdir()  # they made a folder of their own there
    created = handout.hand_out(folder, "student", ROOT)
    assert created == [folder / "notebooks" / NOTEBOOKS[8].name]
    assert mine.read_text() == '{"my": "work"}'
    assert not (folder / "data").is_symlink()
    assert handout.hand_out(folder, "student", ROOT) == []


def test_a_file_that_appears_while_writing_is_kept_not_replaced(tmp_path, monkeypatch):
    target = tmp_path / "notebook.ipynb"
    real_link = os.link

    def someone_writes_first(source, destination):
        Path(destination).write_text("theirs")  # between the check and the link
        real_link(source, destination)

    monkeypatch.setattr(handout.os, "link", someone_writes_first)
    assert handout.write_new(target, b"ours") is False
    assert target.read_text() == "theirs"
    assert [path.name for path in tmp_path.iterdir()] == ["notebook.ipynb"]  # no temporary left


def test_a_folder_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "handwritten-digits").symlink_to(elsewhere)
    with pytest.raises(handout.HandoutError, match="should be a folder, not a link or a file"):
        handout.hand_out(tmp_path / "handwritten-digits", "student", ROOT)
    assert list(elsewhere.iterdir()) == []


def test_an_unknown_edition_and_a_course_without_tools_are_refused(tmp_path):
    with pytest.raises(handout.HandoutError, match="edition must be one of student, teacher"):
        handout.hand_out(tmp_path / "f", "answers", ROOT)
    (tmp_path / "course" / "notebooks").mkdir(parents=True)
    with pytest.raises(
        handout.HandoutError, match="make_student_edition.py is missing: is .* a copy"
    ):
        handout.hand_out(tmp_path / "f", "student", tmp_path / "course")
    assert not (tmp_path / "f").exists()


def test_the_command_line_says_what_it_did_or_one_error_line(tmp_path, capsys):
    folder = tmp_path / "handwritten-digits"
    assert handout.main([str(folder), "--edition", "teacher"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"teacher edition in {folder}: ") and "new files and folders" in out
    (tmp_path / "file").write_text("not a folder")
    assert handout.main([str(tmp_path / "file"), "--edition", "student"]) == 1
    assert capsys.readouterr().err.startswith("error: ")
    assert (tmp_path / "file").read_text() == "not a folder"


def test_the_student_edition_notebooks_are_valid_and_unexecuted(student_files):
    for name, content in student_files.items():
        if name.endswith(".ipynb"):
            notebook = json.loads(content)
            nbformat.validate(nbformat.from_dict(notebook))
            codes = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
            assert all(cell["outputs"] == [] for cell in codes)
