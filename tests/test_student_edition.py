"""tools/make_student_edition.py: the student edition has no solutions, and nbgrader grades it.

The solution text is found with our own simple parsing of the teacher notebooks' JSON
(tests/solutions.py), not with the tool's functions, so that a bug in the tool cannot hide itself. The last test runs real
nbgrader (generate_assignment, then autograde) on notebooks 02-07, 10 and 11 in a temporary course
folder.
"""

import ast
import errno
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlp_lib.exercises import CHECKS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_student_edition as tool  # noqa: E402
from solutions import (  # noqa: E402
    DETAILS,
    NOTEBOOKS,
    REGION,
    STUB,
    distinctive_lines,
    fill_in,
    leaked_lines,
    source,
    teacher,
)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("edition") / "student"
    written = tool.make(outdir, NOTEBOOKS)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    return outdir


def student(edition, path):
    return json.loads((edition / path.name).read_text(encoding="utf-8"))


def kept_cells(nb):
    """The teacher cells that remain in the edition: all but those holding only folded solutions."""
    return [
        c for c in nb["cells"] if c["cell_type"] == "code" or DETAILS.sub("", source(c)).strip()
    ]


def test_the_teacher_notebooks_have_solutions_to_remove():
    counts = {
        path.name[:2]: sum(len(REGION.findall(source(c))) for c in teacher(path)["cells"])
        for path in NOTEBOOKS
    }
    assert all(counts[n] >= 3 for n in ("01", "02", "03", "04", "05", "06")), counts
    assert counts["07"] >= 1, counts
    assert len(distinctive_lines()) > 100


def test_the_edition_has_all_eleven_notebooks_and_the_pages_they_link_to(edition):
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{n:02d}" for n in range(1, 12)]  # 01..11, no gap
    names = sorted(p.name for p in edition.iterdir() if p.name != tool.MANIFEST)
    assert names == sorted([p.name for p in NOTEBOOKS] + ["README.md", "glossary.md", "shapes.md"])


def test_no_solution_text_appears_in_the_student_edition(edition):
    everything = "\n".join(source(c) for path in NOTEBOOKS for c in student(edition, path)["cells"])
    assert "BEGIN SOLUTION" not in everything and "END SOLUTION" not in everything
    assert "<details>" not in everything and "<summary>" not in everything
    assert leaked_lines([everything]) == []


def test_outputs_execution_counts_and_widget_state_are_cleared(edition):
    for path in NOTEBOOKS:
        nb = student(edition, path)
        assert "widgets" not in nb["metadata"]
        for cell in nb["cells"]:
            assert "execution" not in cell["metadata"]
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_every_stub_keeps_the_signature_and_docstring_and_is_valid_python(edition):
    n_stubs = 0
    for path in NOTEBOOKS:
        for cell, stub in zip(
            kept_cells(teacher(path)), student(edition, path)["cells"], strict=True
        ):
            if not REGION.search(source(cell)):
                continue
            expected = REGION.sub(
                lambda m: (
                    (indent := re.match(r"[ \t]*", m.group(0)).group(0))
                    + STUB.format(indent=indent)
                    + "\n"
                ),
                source(cell),
            )
            assert source(stub) == expected.rstrip("\n")
            tree = ast.parse(source(stub))
            for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
                assert ast.get_docstring(function), f"{path.name}: {function.name} has no docstring"
                n_stubs += 1
    assert n_stubs >= 25


def test_checks_and_setup_are_read_only_and_nbgrader_metadata_is_dropped(edition):
    for path in NOTEBOOKS:
        for cell, out in zip(
            kept_cells(teacher(path)), student(edition, path)["cells"], strict=True
        ):
            meta = cell["metadata"].get("nbgrader", {})
            assert "nbgrader" not in out["metadata"]
            locked = bool(meta.get("locked") or meta.get("grade"))
            assert out["metadata"].get("editable", True) is not locked
            if meta.get("grade"):
                assert source(out).startswith("check_")


def test_the_nbgrader_source_keeps_regions_and_metadata_and_drops_folded_solutions(tmp_path):
    path = ROOT / "notebooks" / "03_relu_and_softmax_cross_entropy.ipynb"
    tool.make(tmp_path, [path], nbgrader_source=True)
    out = json.loads((tmp_path / path.name).read_text())
    original = teacher(path)
    assert [c["metadata"].get("nbgrader") for c in out["cells"]] == [
        c["metadata"].get("nbgrader") for c in kept_cells(original)
    ]
    text = "\n".join(source(c) for c in out["cells"])
    assert text.count("### BEGIN SOLUTION") == sum(
        len(REGION.findall(source(c))) for c in original["cells"]
    )
    assert "<details>" not in text


# ---- errors: a clear message, and nothing written ----------------------------------------------


def tiny_notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = list(cells)
    return nb


def solution_cell(text, grade_id="answer"):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": grade_id,
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    return cell


def grade_cell(text, grade_id="check", points=1):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": grade_id,
        "locked": True,
        "schema_version": 3,
        "solution": False,
    }
    if points is not None:
        cell.metadata["nbgrader"]["points"] = points
    return cell


GOOD = (
    'def f(x):\n    """Double x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION'
)

BAD_MARKUP = [
    (
        [nbformat.v4.new_code_cell(GOOD)],
        r"cell 0: a ### BEGIN SOLUTION region in a cell that is not an nbgrader solution cell",
    ),
    (
        [solution_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x")],
        r"BEGIN SOLUTION without an ### END SOLUTION",
    ),
    (
        [solution_cell("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION")],
        r"inside another solution region",
    ),
    (
        [solution_cell("### END SOLUTION\n### BEGIN SOLUTION")],
        r"END SOLUTION without a ### BEGIN SOLUTION",
    ),
    ([solution_cell("def f(x):\n    return x")], r"has no ### BEGIN SOLUTION .* region"),
    (
        [solution_cell(GOOD), grade_cell("check(f)", grade_id="answer")],
        r"grade_id 'answer' is used twice",
    ),
    ([grade_cell("check(f)", points=None)], r"grade cell 'check' needs a number of points"),
    ([grade_cell("check(f)", grade_id="check f")], r"grade_id 'check f' must be letters"),
    (
        [
            nbformat.v4.new_markdown_cell(
                "1. Why?\n\n<details><summary>Solution</summary>\n\nBecause."
            )
        ],
        r"not closed with </details>",
    ),
]


@pytest.mark.parametrize(("cells", "message"), BAD_MARKUP)
def test_inconsistent_markup_is_refused_with_a_message_that_says_where(tmp_path, cells, message):
    path = tmp_path / "teacher" / "01_x.ipynb"
    path.parent.mkdir()
    nbformat.write(tiny_notebook(*cells), path)
    with pytest.raises(tool.MarkupError, match=message):
        tool.make(tmp_path / "out", [path])
    assert not (tmp_path / "out").exists()


def test_the_command_line_reports_the_error_and_writes_nothing(tmp_path, capsys):
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    nbformat.write(tiny_notebook(solution_cell(GOOD)), good)
    nbformat.write(tiny_notebook(nbformat.v4.new_code_cell(GOOD)), bad)
    assert tool.main([str(tmp_path / "out"), str(good), str(bad)]) == 1
    assert "error: 02_bad.ipynb, cell 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_writing_over_the_teacher_notebooks_is_refused(tmp_path):
    with pytest.raises(tool.MarkupError, match="would overwrite them"):
        tool.make(ROOT / "notebooks", NOTEBOOKS[:1])
    path = tmp_path / "01_x.ipynb"
    nbformat.write(tiny_notebook(solution_cell(GOOD)), path)
    with pytest.raises(tool.MarkupError, match="would overwrite them"):
        tool.make(tmp_path, [path])


def test_a_small_notebook_gets_its_stub_and_loses_its_solution_only_cell(tmp_path):
    path = tmp_path / "teacher" / "01_x.ipynb"
    path.parent.mkdir()
    folded = nbformat.v4.new_markdown_cell(
        "<details><summary>Solution</summary>\n\n2 * x\n</details>"
    )
    nbformat.write(tiny_notebook(solution_cell(GOOD), grade_cell("check(f)"), folded), path)
    tool.make(tmp_path / "out", [path])
    cells = nbformat.read(tmp_path / "out" / path.name, as_version=4).cells
    assert len(cells) == 2
    assert (
        cells[0].source
        == 'def f(x):\n    """Double x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    assert cells[1].metadata == {"editable": False, "deletable": False}


# ---- writing: nothing lost, nothing replaced that the tool did not write ------------------------


def snapshot(folder):
    """{relative path: (bytes, mode)} of every file under ``folder``, hidden ones included."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def small_teacher_folder(tmp_path):
    """Two tiny teacher notebooks and a README.md beside them, as in notebooks/."""
    folder = tmp_path / "teacher"
    folder.mkdir()
    paths = [folder / "01_x.ipynb", folder / "02_y.ipynb"]
    for path in paths:
        nbformat.write(tiny_notebook(solution_cell(GOOD), grade_cell("check(f)")), path)
    (folder / "README.md").write_text("# The notebooks\n")
    return paths


def test_the_edition_lists_what_it_wrote_in_a_hidden_manifest(edition):
    manifest = json.loads((edition / tool.MANIFEST).read_text())
    names = sorted([p.name for p in NOTEBOOKS] + ["README.md", "glossary.md", "shapes.md"])
    assert sorted(manifest["files"]) == names
    for name in names:
        assert manifest["files"][name] == tool.sha256((edition / name).read_bytes())


def test_a_file_it_did_not_write_is_never_replaced_and_nothing_is_written(tmp_path, capsys):
    # The reproduction: `make_student_edition.py classroom` replaced classroom/README.md.
    paths = small_teacher_folder(tmp_path)
    outdir = tmp_path / "classroom"
    outdir.mkdir()
    (outdir / "README.md").write_text("# How to run the course\n")
    (outdir / "README.md").chmod(0o640)
    (outdir / "handout.py").write_text("print('mine')\n")
    before = snapshot(outdir)
    assert tool.main([str(outdir), *map(str, paths)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"error: {outdir / 'README.md'} exists and was not written by this tool, or was changed "
        "since; nothing was written: move it away, or choose a new folder, e.g. student/"
    ]
    assert snapshot(outdir) == before and sorted(os.listdir(outdir)) == ["README.md", "handout.py"]


def test_running_again_updates_its_own_files_but_never_ones_changed_since(tmp_path):
    paths = small_teacher_folder(tmp_path)
    outdir = tmp_path / "student"
    tool.make(outdir, paths)
    (outdir / "notes.txt").write_text("the teacher's own notes\n")
    teacher_nb = nbformat.read(paths[0], as_version=4)
    teacher_nb.cells.append(nbformat.v4.new_markdown_cell("A new exercise."))
    nbformat.write(teacher_nb, paths[0])
    tool.make(outdir, paths)  # the teacher changed a notebook: the edition follows
    assert "A new exercise." in (outdir / "01_x.ipynb").read_text()
    assert (outdir / "notes.txt").read_text() == "the teacher's own notes\n"

    edited = nbformat.read(outdir / "02_y.ipynb", as_version=4)  # someone's answers, saved
    edited.cells[0].source = "def f(x):\n    return x + x"
    nbformat.write(edited, outdir / "02_y.ipynb")
    before = snapshot(outdir)
    with pytest.raises(
        tool.EditionError,
        match=r"02_y\.ipynb exists and was not written by this tool, or was changed since; "
        r"nothing was written",
    ):
        tool.make(outdir, paths)
    assert snapshot(outdir) == before


def test_a_file_identical_to_what_it_would_write_is_taken_as_its_own(tmp_path):
    paths = small_teacher_folder(tmp_path)
    outdir = tmp_path / "student"
    outdir.mkdir()
    (outdir / "README.md").write_text("# The notebooks\n")  # a copy of the page, made by hand
    tool.make(outdir, paths)
    assert (outdir / "README.md").read_text() == "# The notebooks\n"
    manifest = json.loads((outdir / tool.MANIFEST).read_text())["files"]
    assert sorted(manifest) == ["01_x.ipynb", "02_y.ipynb", "README.md"]


def test_a_manifest_that_is_not_its_own_is_not_replaced(tmp_path):
    paths = small_teacher_folder(tmp_path)
    outdir = tmp_path / "student"
    outdir.mkdir()
    (outdir / tool.MANIFEST).write_text("not json\n")
    with pytest.raises(tool.EditionError, match=r"\.make_student_edition\.json exists and was not"):
        tool.make(outdir, paths)
    assert sorted(os.listdir(outdir)) == [tool.MANIFEST]


@pytest.mark.parametrize("under_a_file", [False, True])
def test_an_output_path_that_is_a_file_is_refused_in_one_line(tmp_path, capsys, under_a_file):
    paths = small_teacher_folder(tmp_path)
    afile = tmp_path / "notes.txt"
    afile.write_text("keep me\n")
    outdir = afile / "student" if under_a_file else afile
    assert tool.main([str(outdir), *map(str, paths)]) == 1
    where = f" (under {afile}, which is a file)" if under_a_file else ""
    assert capsys.readouterr().err.splitlines() == [
        f"error: {outdir} is not a folder{where}: give a folder to write the edition into, "
        "e.g. student/"
    ]
    assert afile.read_text() == "keep me\n"


def full_disk_after(count, monkeypatch):
    """Make the tool's open() fail with ENOSPC once ``count`` files have been opened."""
    opened = []

    def open_until_full(path, mode="r", *args, **kwargs):
        if "x" in mode or "w" in mode:
            if len(opened) >= count:
                raise OSError(errno.ENOSPC, "No space left on device")
            opened.append(path)
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(tool, "open", open_until_full, raising=False)
    return opened


def test_a_full_disk_leaves_no_partial_edition_in_a_new_folder(tmp_path, monkeypatch, capsys):
    paths = small_teacher_folder(tmp_path)
    opened = full_disk_after(2, monkeypatch)
    outdir = tmp_path / "course" / "student"
    assert tool.main([str(outdir), *map(str, paths)]) == 1
    assert len(opened) == 2  # two files were written before the disk was full
    assert capsys.readouterr().err.splitlines() == [
        f"error: {outdir}: No space left on device; nothing was written to {outdir}"
    ]
    assert not (tmp_path / "course").exists()  # not even the folders it made


def test_a_full_disk_leaves_an_earlier_edition_as_it_was(tmp_path, monkeypatch):
    paths = small_teacher_folder(tmp_path)
    outdir = tmp_path / "student"
    tool.make(outdir, paths)
    (outdir / "notes.txt").write_text("mine\n")
    before = snapshot(outdir)
    teacher_nb = nbformat.read(paths[1], as_version=4)
    teacher_nb.cells.append(nbformat.v4.new_markdown_cell("A new exercise."))
    nbformat.write(teacher_nb, paths[1])
    full_disk_after(2, monkeypatch)
    with pytest.raises(OSError, match="No space left on device"):
        tool.make(outdir, paths)
    assert snapshot(outdir) == before  # no half-updated file, no temporary folder left
    assert sorted(os.listdir(outdir)) == sorted(
        ["notes.txt", tool.MANIFEST, "01_x.ipynb", "02_y.ipynb", "README.md"]
    )


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_get_the_permissions_of_any_new_file(tmp_path, umask):
    paths = small_teacher_folder(tmp_path)
    previous = os.umask(umask)
    try:
        tool.make(tmp_path / "student", paths)
    finally:
        os.umask(previous)
    modes = {name: mode for name, (_, mode) in snapshot(tmp_path / "student").items()}
    expected = 0o666 & ~umask  # 0644 for the usual umask: students on a hub can read them
    assert modes == dict.fromkeys(
        ["01_x.ipynb", "02_y.ipynb", "README.md", tool.MANIFEST], expected
    )
    assert (tmp_path / "student").stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_file_that_is_not_a_notebook_or_a_name_given_twice_is_refused(tmp_path, capsys):
    paths = small_teacher_folder(tmp_path)
    readme = paths[0].parent / "README.md"
    with pytest.raises(tool.EditionError, match=r"README\.md is not a notebook .*; give \.ipynb"):
        tool.make(tmp_path / "out", [paths[0], readme])
    other = tmp_path / "other" / "01_x.ipynb"
    other.parent.mkdir()
    other.write_bytes(paths[0].read_bytes())
    with pytest.raises(tool.EditionError, match=r"two notebooks named 01_x\.ipynb"):
        tool.make(tmp_path / "out", [paths[0], other])
    assert tool.main([str(tmp_path / "out"), str(tmp_path / "missing.ipynb")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {tmp_path / 'missing.ipynb'}: No such file or directory; nothing was written to "
        f"{tmp_path / 'out'}"
    ]
    assert not (tmp_path / "out").exists()


# ---- executing the edition: stubs answered by the checks, filled stubs run ----------------------


def execute(nb, folder):
    client = NotebookClient(
        nb,
        timeout=300,
        startup_timeout=300,  # a busy machine can take a while to start a kernel
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return nb


def stderr_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


@pytest.mark.slow  # runs notebooks in a kernel
def test_the_unfilled_edition_answers_not_written_yet_without_a_traceback(edition):
    nb = nbformat.read(edition / "03_relu_and_softmax_cross_entropy.ipynb", as_version=4)
    execute(nb, edition)
    checks = [
        cell for cell in nb.cells if cell.cell_type == "code" and cell.source.startswith("check_")
    ]
    assert len(checks) == 7
    for cell in checks:
        assert stderr_of(cell).startswith("✗ ") and "not written yet" in stderr_of(cell)
        assert not any(o.output_type == "error" for o in cell.outputs)


@pytest.mark.slow  # runs notebooks in a kernel
def test_stubs_filled_with_the_right_code_make_every_later_cell_run(edition, tmp_path):
    path = ROOT / "notebooks" / "03_relu_and_softmax_cross_entropy.ipynb"
    nb = nbformat.read(edition / path.name, as_version=4)
    assert fill_in(nb, teacher(path)) >= 5  # the student types in the solutions
    assert "NotImplementedError" not in "".join(c.source for c in nb.cells)
    execute(nb, edition)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert bool(errors) == ("raises-exception" in cell.metadata.get("tags", [])), cell.source[
            :80
        ]
        if cell.source.startswith("check_"):
            assert stderr_of(cell) == "" and "✓ " in "".join(
                o.get("text", "") for o in cell.outputs
            )


# ---- nbgrader: generate_assignment, then autograde ---------------------------------------------

ROUND_TRIP = [
    ROOT / "notebooks" / name
    for name in (
        "02_the_fully_connected_layer.ipynb",
        "03_relu_and_softmax_cross_entropy.ipynb",
        "04_backpropagation.ipynb",
        "05_minibatch_gradient_descent.ipynb",
        "06_evaluation.ipynb",
        "07_playground.ipynb",
        "10_your_own_handwriting.ipynb",
        "11_inside_the_network.ipynb",
    )
]
# A function made wrong in the second student's copy: (notebook, right line, wrong line, check).
WRONG = [
    (
        "03_relu_and_softmax_cross_entropy.ipynb",
        "return dout * (z > 0)",
        "return dout * (z >= 0)",  # ReLU's gradient at 0
        "check_relu_backward",
    ),
    (
        "10_your_own_handwriting.ipynb",
        "top, left = (28 - h) // 2, (28 - w) // 2",
        "top, left = (29 - h) // 2, (29 - w) // 2",  # the box half a pixel lower and further right
        "check_box_centre_preprocess",
    ),
    (
        "11_inside_the_network.ipynb",
        "x_new = np.clip(x - eps * np.sign(g), 0, 1)",
        "x_new = np.clip(x + eps * np.sign(g), 0, 1)",  # uphill: away from the target
        "check_targeted_step",
    ),
]
# What nbgrader must give each notebook at full marks: the points the registry of checks says.
POINTS = {
    notebook: sum(c.points for c in CHECKS.values() if c.notebook == notebook)
    for notebook in (path.name[:2] for path in ROUND_TRIP)
}


def nbgrader(course, *args, timeout=900):
    """Run the nbgrader command in ``course``; stop it and its kernels if it overruns."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls `alembic` by name: it must be on PATH
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        HOME=str(course.parent / "home"),
        OPENBLAS_NUM_THREADS="1",
    )
    process = subprocess.Popen(
        [str(bin_dir / "nbgrader"), *args],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output[-3000:]
    return output


def scores(course, student_id):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("ps1", student_id)
        grades = {
            (nb.name[:2], grade.name): (grade.score, grade.max_score)
            for nb in submission.notebooks
            for grade in nb.grades
        }
        return submission.score, submission.max_score, grades


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(tool.LANGUAGES))
def test_nbgrader_gives_full_marks_to_the_teacher_version_and_takes_its_points_from_each_wrong_function(
    tmp_path, language
):
    """In English and in Chinese (notebooks/zh/: the same code cells, the checks answering in Chinese)."""
    round_trip = [tool.LANGUAGES[language] / path.name for path in ROUND_TRIP]
    pytest.importorskip("nbgrader", reason="nbgrader is in the dev extra: pip install -e '.[dev]'")
    course = tmp_path / "course"
    (tmp_path / "home").mkdir()
    course.mkdir()
    # 10 and 11 open ../models/*.npz and ../data/drawings/: nbgrader runs the kernels in the course
    # folder, so `..` is the folder that holds it, as on the course's hub, where the course folder is
    # ~/handwritten-digits/course. Here that folder gets the project's models and data.
    for name in ("models", "data"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "digits"\nc.Execute.timeout = 300\n'
    )
    tool.make(course / "source" / "ps1", round_trip, nbgrader_source=True)
    nbgrader(course, "generate_assignment", "ps1")

    ours = (
        tmp_path / "ours"
    )  # nbgrader's release and our tool's student edition are the same notebooks
    tool.make(ours, round_trip)
    for path in round_trip:
        release = nbformat.read(course / "release" / "ps1" / path.name, as_version=4)
        edition = nbformat.read(ours / path.name, as_version=4)
        # but for the links to the glossary: next to the notebooks in our edition, not in nbgrader's
        flat = [c.source.replace("](../", "](") for c in release.cells]
        assert flat == [c.source for c in edition.cells]

    for student_id in ("teacher", "wrong"):
        folder = course / "submitted" / student_id / "ps1"
        folder.mkdir(parents=True)
        for path in round_trip:
            (folder / path.name).write_text(path.read_text())
    for name, right, mistake, _ in WRONG:
        wrong = course / "submitted" / "wrong" / "ps1" / name
        text = wrong.read_text()
        assert text.count(right) == 1, (name, right)
        wrong.write_text(text.replace(right, mistake))
    nbgrader(course, "autograde", "ps1", "--create", timeout=2400)

    score, max_score, grades = scores(course, "teacher")
    assert max_score == sum(POINTS.values()) and score == max_score, {
        k: v for k, v in grades.items() if v[0] != v[1]
    }
    per_notebook = {}
    for (notebook, _), (_, points) in grades.items():
        per_notebook[notebook] = per_notebook.get(notebook, 0) + points
    assert per_notebook == POINTS
    score, max_score, grades = scores(course, "wrong")
    lost = {key: value for key, value in grades.items() if value[0] != value[1]}
    points = {(c.notebook, f"check_{c.name}"): c.points for c in CHECKS.values()}
    expected = {
        (name[:2], check): (0.0, float(points[name[:2], check])) for name, *_, check in WRONG
    }
    assert lost == expected  # each wrong function loses exactly its own points, nothing else
    assert score == max_score - sum(points for _, points in expected.values())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_the_real_tool_on_a_disk_too_small_for_the_edition_writes_nothing(tmp_path):
    """No mock: the tool runs with RLIMIT_FSIZE, so that a notebook larger than 40 kB cannot be
    written (EFBIG, as ENOSPC on a full disk) after the smaller ones were."""
    import resource

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    outdir = tmp_path / "student"
    tool_path = ROOT / "tools" / "make_student_edition.py"
    run = subprocess.run(
        [sys.executable, str(tool_path), str(outdir)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        f"error: {outdir}: File too large; nothing was written to {outdir}"
    ]
    assert os.listdir(tmp_path) == []


def test_the_chinese_edition_has_its_own_index_the_bilingual_pages_and_links_that_work(tmp_path):
    """--language zh: notebooks/zh/, its README.md, and glossary.md and shapes.md next to them."""
    outdir = tmp_path / "student-zh"
    assert tool.main(["--language", "zh", str(outdir)]) == 0
    zh = tool.LANGUAGES["zh"]
    names = sorted(p.name for p in outdir.glob("*.ipynb"))
    assert names == sorted(p.name for p in NOTEBOOKS) and len(names) == 11
    assert (outdir / "README.md").read_bytes() == (zh / "README.md").read_bytes()
    for page in ("glossary.md", "shapes.md"):
        assert (outdir / page).read_bytes() == (NOTEBOOKS[0].parent / page).read_bytes()
    links = re.compile(r"\]\(([^)\s#]+)")
    for name in names:
        nb = nbformat.read(outdir / name, as_version=4)
        assert "set_language" in nb.cells[2].source  # the checks answer in Chinese
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert "<details>" not in cell.source
                for target in links.findall(cell.source):
                    assert "://" in target or (outdir / target).exists(), (name, target)
