"""Count what notebooks/TEACHERS.md's table of time in class says of each notebook, and estimate
the time in class from the counts.

    python tools/answers/teachers.py

For each notebook it counts, from the .ipynb file:

- the words of its text: the markdown cells, without the folded solutions (`<details>` blocks),
  which the student edition removes; words are what `str.split()` finds, LaTeX and code included;
- its code cells, which a student runs and looks at;
- the functions a student writes and is graded on (the graded check cells: their points, and their
  `grade_id` without `check_`), those of the "Try it" exercises apart;
- its exercises (the numbered "Try it" items), and those that TEACHERS.md suggests for homework.

From these it estimates the time in class, with the assumptions in ASSUMPTIONS below (guesses of
ours, not observed in a classroom): reading, running the code cells, writing each graded function
of the text, and each exercise that is not homework (an exercise with a function included). The
estimate is a range, its ends rounded out to 5 minutes. Everything is written to
results/answers/teachers.json. It takes a second; run it again after changing a notebook.

The notebooks' run times are measured separately, by tools/measure_notebooks.py.
"""

import json
import math
import re
from pathlib import Path

from mlp_lib.exercises.registry import points_per_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
OUTPUT = ROOT / "results" / "answers" / "teachers.json"
COMMAND = "python tools/answers/teachers.py"

ASSUMPTIONS = {
    "words_read_per_minute": 120,
    "minutes_to_run_and_look_at_a_code_cell": 0.5,
    "minutes_to_write_a_function_with_its_check": [5, 10],
    "minutes_for_an_exercise_done_in_class": [5, 15],
    "estimates_rounded_out_to_minutes": 5,
}
# The exercises TEACHERS.md suggests for homework (its table's last column): they take minutes of
# training, ask for an explanation in words, or time something. 07's Try its suit a lab session.
HOMEWORK = {
    "01": [1, 2, 3],
    "02": [3, 4, 5],
    "03": [1, 2, 4, 5],
    "04": [1, 2, 3, 4],
    "05": [1, 3, 4],
    "06": [2, 4],
    "07": [],
    "08": [1, 2, 5, 6],
    "09": [2],
    "10": [2, 4],
    "11": [1, 2],
}
DETAILS = re.compile(r"<details>.*?</details>", re.S)
EXERCISE = re.compile(r"^(\d+)\. \*\*|\*\*Try it (\d+)\b", re.M)  # "1. **Title.**", "**Try it 1 —"
TRY_IT = re.compile(r"^## Try it\b|\*\*Try it 1\b", re.M)  # where a notebook's exercises begin


def cell_text(cell):
    return "".join(cell["source"])


def exercises_start(cells):
    """The index of the cell where the exercises begin ("## Try it", or 07's "**Try it 1")."""
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and TRY_IT.search(cell_text(cell)):
            return index
    raise ValueError("no '## Try it' heading and no '**Try it 1' in this notebook")


def count_notebook(path):
    """The counts of one notebook: words, code cells, graded functions, exercises."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    start = exercises_start(cells)
    words, code_cells, exercises = 0, 0, set()
    functions, exercise_functions, points = [], [], 0
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            text = DETAILS.sub(" ", cell_text(cell))
            words += len(text.split())
            if index >= start:
                exercises.update(int(a or b) for a, b in EXERCISE.findall(text))
            continue
        code_cells += 1
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("grade"):
            name = grading["grade_id"].removeprefix("check_")
            (exercise_functions if index >= start else functions).append(name)
            points += grading["points"]
    return {
        "words": words,
        "code_cells": code_cells,
        "functions": functions,
        "exercise_functions": exercise_functions,
        "points": points,
        "exercises": sorted(exercises),
    }


def estimate(counts, homework):
    """(low, high) minutes in class, rounded out to 5: reading, running, writing, exercises."""
    in_class = [n for n in counts["exercises"] if n not in homework]
    fixed = (
        counts["words"] / ASSUMPTIONS["words_read_per_minute"]
        + counts["code_cells"] * ASSUMPTIONS["minutes_to_run_and_look_at_a_code_cell"]
    )
    per_function = ASSUMPTIONS["minutes_to_write_a_function_with_its_check"]
    per_exercise = ASSUMPTIONS["minutes_for_an_exercise_done_in_class"]
    step = ASSUMPTIONS["estimates_rounded_out_to_minutes"]
    low, high = (
        fixed + len(counts["functions"]) * per_function[end] + len(in_class) * per_exercise[end]
        for end in (0, 1)
    )
    return in_class, (step * math.floor(low / step), step * math.ceil(high / step))


def main():
    notebooks = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        number = path.name[:2]
        counts = count_notebook(path)
        in_class, (low, high) = estimate(counts, HOMEWORK[number])
        notebooks[number] = {
            "notebook": path.name,
            **counts,
            "homework_exercises": HOMEWORK[number],
            "exercises_in_class": in_class,
            "minutes_in_class_low": low,
            "minutes_in_class_high": high,
        }
    registry = dict(item.split(": ") for item in points_per_notebook().split(", "))
    counted = {number: str(entry["points"]) for number, entry in notebooks.items()}
    if counted != registry:
        raise SystemExit(f"graded cells' points {counted} differ from the registry's {registry}")
    result = {"command": COMMAND, "assumptions": ASSUMPTIONS, "notebooks": notebooks}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| # | text | functions (exercise functions), points | exercises (homework) | in class |")
    print("|---|---|---|---|---|")
    for number, entry in notebooks.items():
        print(
            f"| {number} | {entry['words']:,} words, {entry['code_cells']} code cells | "
            f"{len(entry['functions'])} ({len(entry['exercise_functions'])}), {entry['points']} | "
            f"{len(entry['exercises'])} ({entry['homework_exercises']}) | "
            f"{entry['minutes_in_class_low']}–{entry['minutes_in_class_high']} min |"
        )
    print(f"written: {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
