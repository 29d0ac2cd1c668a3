"""Checks nbval does not make: each notebook was run once, top to bottom, and reads well.

nbval (run by `pytest` on notebooks/) re-executes every notebook and compares outputs; these
tests close the gaps it leaves (a never-executed cell passes nbval silently, for instance).
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted(
    (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")
)
MACHINE_PATH = re.compile(r"(/work/|/root/|/home/|/tmp/|/Users/|[A-Z]:\\\\|site-packages)")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_the_series_is_complete():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{n:02d}" for n in range(1, 12)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_executed_once_top_to_bottom(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: re-run it with `python tools/run_notebooks.py {path.name}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors_except_in_cells_meant_to_raise(path):
    for cell in code_cells(load(path)):
        tags = cell["metadata"].get("tags", [])
        has_error = any(o["output_type"] == "error" for o in cell["outputs"])
        assert has_error == ("raises-exception" in tags), "".join(cell["source"])[:200]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_machine_specific_paths_in_outputs(path):
    for cell in code_cells(load(path)):
        for output in cell["outputs"]:
            text = json.dumps(
                {k: v for k, v in output.items() if k != "data"}
                | {
                    "data": {
                        k: v
                        for k, v in output.get("data", {}).items()
                        if not k.startswith("image/")
                    }
                }
            )
            match = MACHINE_PATH.search(text)
            assert not match, (
                f"{path.name}: output shows {match.group(0)!r}: " + "".join(cell["source"])[:120]
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_follows_a_sentence(path):
    cells = load(path)["cells"]
    for previous, cell in zip(cells, cells[1:]):
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip():
            assert previous["cell_type"] == "markdown", (
                f"{path.name}: a code cell without a sentence before it: "
                + "".join(cell["source"])[:120]
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_markers_are_whole_lines_and_no_trailing_semicolons(path):
    for cell in code_cells(load(path)):
        lines = "".join(cell["source"]).splitlines()
        for line in lines:
            if "NBVAL" in line:
                assert line.strip() in (
                    "# NBVAL_IGNORE_OUTPUT",
                    "# NBVAL_RAISES_EXCEPTION",
                    "# NBVAL_CHECK_OUTPUT",
                ), line
        assert not lines[-1].rstrip().endswith(";"), (
            "a trailing ';' does not hide output under nbval: " + lines[-1]
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_goals_exercises_with_solutions_and_a_summary(path):
    markdown = "\n".join(
        "".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "markdown"
    )
    assert re.search(r"^# \d\d ", markdown, re.M), "a title '# NN · ...'"
    assert re.search(r"learning goals|you will", markdown, re.I)
    assert re.search(r"^#+ .*summary", markdown, re.I | re.M)
    if not path.name.startswith("07"):
        assert markdown.count("<details>") >= 3, "3-5 exercises with solutions in <details>"


FOLDED = re.compile(r"<details>.*?</details>", re.S)


def folded_definitions_of_graded_functions(nb):
    """(cell index, name) for every graded function (one an nbgrader solution cell defines) that a
    folded solution (<details> in a markdown cell) defines again."""
    graded = {
        name
        for cell in code_cells(nb)
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
        for name in re.findall(r"^def (\w+)\(", "".join(cell["source"]), re.M)
    }
    return [
        (index, name)
        for index, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "markdown"
        for folded in FOLDED.findall("".join(cell["source"]))
        for name in sorted(graded)
        if re.search(rf"\bdef {name}\(", folded)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_graded_function_is_never_solved_in_a_folded_solution(path):
    """AUTHORING.md: an exercise that became a function keeps only the explanation in its
    <details>; the code is the answer cell's, which the student edition turns into a stub."""
    found = folded_definitions_of_graded_functions(load(path))
    assert not found, f"{path.name}: graded functions written out in <details>: {found}"


def test_a_folded_definition_of_a_graded_function_is_found():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"solution": True}},
                "source": ["def relu(z):\n", "    return np.maximum(z, 0)\n"],
            },
            {
                "cell_type": "markdown",
                "source": ["<details>\n```python\ndef relu(z):\n```\n</details>"],
            },
        ]
    }
    assert folded_definitions_of_graded_functions(nb) == [(1, "relu")]


def test_notebooks_readme_lists_every_notebook():
    readme = (NOTEBOOKS[0].parent / "README.md").read_text()
    for path in NOTEBOOKS:
        assert path.name in readme
