"""The teacher notebooks' solutions, found with simple parsing of their JSON, and a student's answers.

Used by tests/test_student_edition.py and the classroom tests. The solution text is found here, not
with tools/make_student_edition.py's functions, so that a bug in the tool cannot hide itself.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION\n?", re.S | re.M)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
DETAILS = re.compile(r"<details>(.*?)</details>", re.S)
STUB = "# YOUR CODE HERE\n{indent}raise NotImplementedError()"


def teacher(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell):
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def hidden_parts(cell):
    """The parts of a teacher cell that students must not see: solution regions, folded solutions."""
    text = source(cell)
    return REGION.findall(text) + (DETAILS.findall(text) if cell["cell_type"] == "markdown" else [])


def visible_text(nb):
    """Everything of a teacher notebook that students may see: its cells minus the hidden parts."""
    return "\n".join(DETAILS.sub("", REGION.sub("", source(cell))) for cell in nb["cells"])


def distinctive_lines(paths=NOTEBOOKS):
    """Every line of a solution that does not also appear in the text given to students.

    A line such as `exp = np.exp(z)` is both in a solution (stable_softmax) and in code shown on
    purpose (naive_softmax); `X_std = (X_train - 0.1307) / 0.3081` is in a solution and in the
    question that asks for it. Such lines cannot tell whether a solution leaked; every other can.
    """
    nbs = [teacher(path) for path in paths]
    given = "\n".join(visible_text(nb) for nb in nbs)
    lines = {
        line.strip()
        for nb in nbs
        for cell in nb["cells"]
        for part in hidden_parts(cell)
        for line in part.splitlines()
    }
    return sorted(line for line in lines if len(line) > 8 and line not in given)


def leaked_lines(texts, paths=NOTEBOOKS):
    """The distinctive solution lines found in any of `texts` (empty: nothing leaked)."""
    everything = "\n".join(texts)
    return [line for line in distinctive_lines(paths) if line in everything]


def answered(stub_source, teacher_source):
    """What a student who knows the answer types into a stubbed cell: the teacher's code.

    `stub_source` must be the teacher's cell with each solution region replaced by the stub;
    the answer is the teacher's cell without its ### BEGIN/END SOLUTION marker lines.
    """
    expected_stub = REGION.sub(
        lambda m: (
            (indent := re.match(r"[ \t]*", m.group(0)).group(0)) + STUB.format(indent=indent) + "\n"
        ),
        teacher_source,
    )
    if stub_source.rstrip("\n") != expected_stub.rstrip("\n"):
        raise AssertionError(f"not the stub of this teacher cell:\n{stub_source[:300]}")
    return MARKER.sub("", teacher_source)


def fill_in(notebook, teacher_notebook, wrong=None):
    """Answer every stub of `notebook` (a student edition or an nbgrader release, a dict or
    NotebookNode) with the teacher's code, in place; `wrong` maps a right line to a wrong one.

    The code cells of an edition are the teacher's code cells, in order. Returns how many cells
    were answered.
    """
    codes = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    teachers = [c for c in teacher_notebook["cells"] if c["cell_type"] == "code"]
    if len(codes) != len(teachers):
        raise AssertionError(f"{len(codes)} code cells, the teacher notebook has {len(teachers)}")
    answered_cells = 0
    for cell, original in zip(codes, teachers):
        if source(cell) == source(original) or not REGION.search(source(original)):
            continue
        text = answered(source(cell), source(original))
        for right, mistake in (wrong or {}).items():
            text = text.replace(right, mistake)
        cell["source"] = text
        answered_cells += 1
    return answered_cells
