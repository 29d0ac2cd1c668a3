"""mlp_lib.exercises.registry: each check written once, exported by its name, and in agreement
with everything that lists the checks: the notebooks' check cells and their nbgrader points,
the table in notebooks/AUTHORING.md and the points per notebook in notebooks/TEACHERS.md.
"""

import ast
import inspect
import json
import pydoc
import re
from pathlib import Path

import pytest

import mlp_lib.exercises as ex
from mlp_lib.exercises import registry
from mlp_lib.exercises.__main__ import main
from mlp_lib.exercises.feedback import Mistake
from mlp_lib.exercises.registry import (
    CHECKS,
    TABLE_BEGIN,
    TABLE_END,
    check,
    markdown_table,
    points_per_notebook,
    replace_table,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
AUTHORING = ROOT / "notebooks" / "AUTHORING.md"
TEACHERS = ROOT / "notebooks" / "TEACHERS.md"
REGENERATE = "python -m mlp_lib.exercises --update notebooks/AUTHORING.md"

# ---- the decorator -----------------------------------------------------------------------------


@pytest.fixture
def own_registry(monkeypatch):
    """An empty registry for one test, so that the checks it registers do not stay."""
    checks = {}
    monkeypatch.setattr(registry, "CHECKS", checks)
    return checks


def test_the_decorator_records_the_check_and_returns_it_ready_to_call(own_registry, capsys):
    @check("double", notebook="02", points=2)
    def check_double(double, factor=2):
        """``double(x) -> 2 * x``: the first line is the summary.

        More words, for help() only.
        """
        if double(3) != factor * 3:
            raise Mistake("3 did not become 6", "not-doubled")
        return "doubles its argument"

    record = own_registry["double"]
    assert (record.name, record.notebook, record.points) == ("double", "02", 2)
    assert record.summary == "``double(x) -> 2 * x``: the first line is the summary."
    assert record.function is check_double
    assert repr(record) == "Check('double', notebook='02', points=2)"
    assert check_double.__name__ == "check_double" and "More words" in check_double.__doc__
    assert str(inspect.signature(check_double)) == "(double, factor=2)"

    result = check_double(lambda x: 2 * x)
    assert result.passed and capsys.readouterr().out == "✓ double: doubles its argument\n"
    result = check_double(lambda x: 2 * x, factor=3)  # options reach the diagnosis
    assert result.mistake == "not-doubled"
    assert capsys.readouterr().err == "✗ double: 3 did not become 6\n"


def test_a_check_named_after_the_answer_uses_the_students_name(own_registry, capsys):
    @check("softmax", notebook="03", points=1, named_after_answer=True)
    def check_softmax(softmax_fn):
        """``softmax(z) -> p``."""
        return "rows sum to 1"

    def stable_softmax(z):
        return z

    check_softmax(stable_softmax)
    assert capsys.readouterr().out == "✓ stable_softmax: rows sum to 1\n"
    check_softmax(stable_softmax(1.0))  # called instead of passed: no name to take
    assert capsys.readouterr().err.startswith("✗ softmax: this check needs your function itself")


def test_a_second_check_of_the_same_name_is_refused(own_registry):
    def check_twice(twice):
        """``twice(x)``."""

    check("twice", notebook="02", points=1)(check_twice)
    with pytest.raises(ValueError, match="a check named 'twice' is registered already"):
        check("twice", notebook="03", points=1)(check_twice)


def test_a_check_must_be_called_after_its_name_and_have_a_docstring(own_registry):
    def check_other(answer):
        """``other(x)``."""

    def check_bare(answer):
        pass

    with pytest.raises(ValueError, match="must be called check_one, got check_other"):
        check("one", notebook="02", points=1)(check_other)
    with pytest.raises(ValueError, match="check_bare needs a docstring"):
        check("bare", notebook="02", points=1)(check_bare)
    assert own_registry == {}


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"notebook": "2", "points": 1}, r"two digits, like '02', got '2'"),
        ({"notebook": 2, "points": 1}, r"two digits, like '02', got 2"),
        ({"notebook": "02", "points": 0}, r"whole number >= 1, got 0"),
        ({"notebook": "02", "points": 1.5}, r"whole number >= 1, got 1\.5"),
        ({"notebook": "02", "points": True}, r"whole number >= 1, got True"),
    ],
)
def test_the_notebook_and_the_points_are_checked(own_registry, options, words):
    with pytest.raises(ValueError, match=words):
        check("x", **options)


# ---- the exports -------------------------------------------------------------------------------


def test_every_registered_check_is_exported_by_its_name():
    for name, record in CHECKS.items():
        assert getattr(ex, f"check_{name}") is record.function
        assert record.function.__name__ == f"check_{name}"
    names = [f"check_{name}" for name in CHECKS]
    assert sorted(ex.__all__) == sorted(
        ["CHECKS", "Check", "CheckResult", "get_language", "set_language", *names]
    )
    assert set(ex.__all__) <= set(dir(ex))


def test_the_checks_import_the_way_the_notebooks_import_them():
    namespace = {}
    exec("from mlp_lib.exercises import check_linear_backward, check_softmax", namespace)
    assert namespace["check_linear_backward"] is CHECKS["linear_backward"].function
    exec("from mlp_lib.exercises import *", namespace)
    assert namespace["check_group_accuracy"] is CHECKS["group_accuracy"].function


def test_an_unknown_name_is_an_ordinary_attribute_or_import_error():
    with pytest.raises(
        AttributeError, match="'mlp_lib.exercises' has no attribute 'check_nothing'"
    ):
        ex.check_nothing  # noqa: B018 (the attribute access is the test)
    with pytest.raises(ImportError, match="cannot import name 'check_nothing'"):
        exec("from mlp_lib.exercises import check_nothing", {})


def test_help_shows_each_checks_signature_and_docstring():
    one = pydoc.render_doc(ex.check_init_weights, renderer=pydoc.plaintext)
    assert "check_init_weights(init_weights, inits=('normal', 'he'))" in one
    assert "-> W (n_in, n_out)`` for each name in ``inits``" in one
    package = pydoc.render_doc(ex, renderer=pydoc.plaintext)
    assert all(f"check_{name}(" in package for name in CHECKS)


def test_each_notebook_has_one_module_that_holds_its_checks():
    modules = {}
    for record in CHECKS.values():
        module = record.function.__module__.rpartition(".")[2]
        assert module.startswith(f"nb{record.notebook}_"), (record.name, module)
        modules.setdefault(record.notebook, set()).add(module)
    assert all(len(names) == 1 for names in modules.values()), modules
    files = {path.stem for path in (ROOT / "mlp_lib" / "exercises").glob("nb*.py")}
    assert files == set().union(*modules.values())  # every module is imported and registers


# ---- the notebooks' check cells ----------------------------------------------------------------


def code_of(cell):
    """A code cell's Python, without IPython's magics (%matplotlib) and shell lines (!)."""
    text = "".join(cell["source"])
    lines = text.splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))


def read_notebook(path):
    """(code cells as (Python tree, nbgrader metadata), {imported name: module it came from})."""
    cells, imported = [], {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse(code_of(cell))
        cells.append((tree, cell["metadata"].get("nbgrader", {})))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                imported.update({alias.asname or alias.name: node.module for alias in node.names})
    return cells, imported


def called_checks(tree):
    """The names of the check_... functions a cell calls, in order."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    names = [call.func.id for call in calls if isinstance(call.func, ast.Name)]
    return [name for name in names if name.startswith("check_")]


def check_cells():
    """(notebook, checks called, nbgrader metadata) of every cell that calls a check_... function
    not imported from elsewhere than mlp_lib.exercises (mlp_lib's check_layer_gradients is not
    one of ours)."""
    found = []
    for path in NOTEBOOKS:
        cells, imported = read_notebook(path)
        for tree, grading in cells:
            names = called_checks(tree)
            ours = [n for n in names if imported.get(n, "mlp_lib.exercises") == "mlp_lib.exercises"]
            if ours:
                found.append((path.name[:2], ours, grading))
    return found


CHECK_CELLS = check_cells()
GRADED = [cell for cell in CHECK_CELLS if cell[2].get("grade")]


def test_every_check_the_notebooks_import_or_call_is_registered():
    for path in NOTEBOOKS:
        _, imported = read_notebook(path)
        ours = {name for name, module in imported.items() if module == "mlp_lib.exercises"}
        assert ours <= set(ex.__all__), path.name  # a check_... in __all__ is a registered check
    called = {name for _, names, _ in CHECK_CELLS for name in names}
    assert {name.removeprefix("check_") for name in called} <= set(CHECKS)


@pytest.mark.parametrize(
    ("notebook", "names", "grading"), GRADED, ids=[f"{nb}-{g['grade_id']}" for nb, _, g in GRADED]
)
def test_a_graded_check_cell_runs_one_check_of_its_own_notebook(notebook, names, grading):
    assert len(names) == 1, "a graded cell runs one check: its points belong to that check"
    record = CHECKS[names[0].removeprefix("check_")]
    assert record.notebook == notebook, f"graded in {notebook}, registered for {record.notebook}"
    # check_ + the check's name, or with a suffix when a notebook grades it twice
    # (check_init_weights_xavier) or the student's function has another name (_fixed)
    assert re.fullmatch(rf"check_{record.name}(_\w+)?", grading["grade_id"])
    assert isinstance(grading["points"], int) and grading["points"] >= 1


def test_the_registrys_points_are_those_of_the_graded_cells():
    graded = {}
    for notebook, (name,), grading in GRADED:
        before = graded.get(name.removeprefix("check_"), (notebook, 0))[1]
        graded[name.removeprefix("check_")] = (notebook, before + grading["points"])
    assert graded == {name: (r.notebook, r.points) for name, r in CHECKS.items()}


def test_the_registry_lists_the_checks_in_the_order_the_notebooks_grade_them():
    order = list(dict.fromkeys(names[0].removeprefix("check_") for _, names, _ in GRADED))
    assert order == list(CHECKS)


def test_an_ungraded_check_cell_checks_again_functions_of_earlier_notebooks():
    ungraded = [cell for cell in CHECK_CELLS if not cell[2].get("grade")]
    assert [notebook for notebook, _, _ in ungraded] == ["04", "07"]  # 02-03's pieces; Try it 3
    for notebook, names, grading in ungraded:
        assert grading["locked"] and not grading.get("points")
        assert all(CHECKS[name.removeprefix("check_")].notebook < notebook for name in names)


# ---- what the documentation says ---------------------------------------------------------------


def test_authoring_md_holds_the_table_the_registry_makes():
    text = AUTHORING.read_text(encoding="utf-8")
    assert TABLE_BEGIN in text and TABLE_END in text
    assert replace_table(text) == text, f"the table of checks is out of date: run {REGENERATE}"


def test_teachers_md_gives_the_points_per_notebook_of_the_registry():
    text = TEACHERS.read_text(encoding="utf-8")
    assert f"Points per notebook: {points_per_notebook()}." in text
    in_table = dict(re.findall(r"^\| (\d\d) \|.*\((\d+) points?\)", text, re.M))
    assert in_table == dict(item.split(": ") for item in points_per_notebook().split(", "))


def test_the_table_has_one_row_per_check_and_escapes_the_pipes():
    rows = markdown_table().splitlines()
    assert rows[0] == "| notebook | check | points | the student's function |"
    assert len(rows) == 2 + len(CHECKS)
    assert rows[2].startswith("| 01 | `check_decode_idx` | 2 | `decode_idx(raw) -> array`: ")
    rel_error = next(row for row in rows if "check_rel_error" in row)
    assert rel_error.endswith(r"max \|a - b\| / max(\|a\| + \|b\|). |")
    assert all(row.count("|") - row.count(r"\|") == 5 for row in rows)


def test_replace_table_rewrites_only_what_lies_between_the_markers():
    text = f"# Title\n\n{TABLE_BEGIN}\n| old | table |\n{TABLE_END}\n\nAfter.\n"
    new = replace_table(text)
    assert new == f"# Title\n\n{TABLE_BEGIN}\n{markdown_table()}{TABLE_END}\n\nAfter.\n"
    assert replace_table(new) == new
    with pytest.raises(ValueError, match="no table markers found: put the line <!-- checks: begin"):
        replace_table("# Title without markers\n")


def test_the_command_prints_the_table_or_updates_a_file(tmp_path, capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == markdown_table()
    page = tmp_path / "AUTHORING.md"
    page.write_text(f"Checks:\n\n{TABLE_BEGIN}\nstale\n{TABLE_END}\n", encoding="utf-8")
    assert main(["--update", str(page)]) == 0
    assert capsys.readouterr().out == f"{page}: table updated\n"
    assert page.read_text(encoding="utf-8") == replace_table(page.read_text(encoding="utf-8"))
    assert main(["--update", str(page)]) == 0
    assert capsys.readouterr().out == f"{page}: table already up to date\n"


def test_the_command_says_why_it_cannot_update_a_file(tmp_path, capsys):
    page = tmp_path / "notes.md"
    page.write_text("no markers here\n", encoding="utf-8")
    assert main(["--update", str(page)]) == 1
    assert "notes.md: no table markers found" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "no markers here\n"
    assert main(["--update", str(tmp_path / "missing.md")]) == 1
    assert "missing.md: [Errno 2] No such file or directory" in capsys.readouterr().err
