"""The registry of checks: one decorator gives each check its name, its notebook and its points.

A check is written as the diagnosis of one function, under the decorator::

    @check("linear_forward", notebook="02", points=1)
    def check_linear_forward(linear_forward):
        ...   # return the sentence shown after ✓, or raise Mistake(hint, "mistake-id")

with a docstring whose first line says what the student's function does. The decorator wraps
the body in ``run_check`` (which prints ✓ or ✗ and returns a ``CheckResult``), records the check
in ``CHECKS`` and returns the wrapped check.

Everything that lists the checks is made from ``CHECKS``: the names ``mlp_lib.exercises``
exports, the table of checks in notebooks/AUTHORING.md (``markdown_table``), the points per
notebook in notebooks/TEACHERS.md (``points_per_notebook``), and the tests that compare them with
the notebooks' check cells.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from .feedback import CheckResult, run_check


@dataclass(frozen=True)
class Check:
    """One check as the registry knows it.

    ``name`` is the function the student writes and the word every message starts with;
    ``notebook`` ("02") the notebook whose graded cells run the check; ``points`` what those cells
    are worth together; ``summary`` one line on what the student's function does (the first line
    of the check's docstring); ``function`` the check itself, ``check_<name>``.
    """

    name: str
    notebook: str
    points: int
    summary: str
    function: Callable[..., CheckResult]

    def __repr__(self):
        return f"Check({self.name!r}, notebook={self.notebook!r}, points={self.points})"


CHECKS: dict[str, Check] = {}  # name -> Check, in the order the notebooks run them


def check(name, *, notebook, points, named_after_answer=False):
    """Register the decorated diagnosis as ``check_<name>``, graded in ``notebook`` for ``points``.

    The decorated function must be called ``check_<name>``, take the student's function first,
    and have a docstring whose first line says what the student's function does. With
    ``named_after_answer`` the messages start with the student's function's own name
    (``✓ stable_softmax: ...``) rather than ``name``.
    """
    if not re.fullmatch(r"\d\d", str(notebook)):
        raise ValueError(f"notebook must be two digits, like '02', got {notebook!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a whole number >= 1, got {points!r}")

    def register(diagnose):
        _require_new(name, diagnose)

        @functools.wraps(diagnose)
        def run(answer, *args, **kwargs):
            shown = getattr(answer, "__name__", name) if named_after_answer else name
            return run_check(shown, diagnose, answer, *args, **kwargs)

        summary = diagnose.__doc__.strip().splitlines()[0]
        CHECKS[name] = Check(name, notebook, points, summary, run)
        return run

    return register


def _require_new(name, diagnose):
    """Refuse a second check of the same name, a misnamed one, and one without a docstring."""
    if name in CHECKS:
        raise ValueError(f"a check named {name!r} is registered already; give this one its own")
    if diagnose.__name__ != f"check_{name}":
        raise ValueError(
            f"the check of {name!r} must be called check_{name}, got {diagnose.__name__}"
        )
    if not (diagnose.__doc__ or "").strip():
        raise ValueError(f"check_{name} needs a docstring: one line on what {name} does")


def points_per_notebook():
    """'01: 4, 02: 8, ...': what each notebook's graded check cells are worth together."""
    totals = {}
    for record in CHECKS.values():
        totals[record.notebook] = totals.get(record.notebook, 0) + record.points
    return ", ".join(f"{notebook}: {total}" for notebook, total in sorted(totals.items()))


# The table of checks in notebooks/AUTHORING.md lies between these two lines.
TABLE_BEGIN = "<!-- checks: begin (made by `python -m mlp_lib.exercises --update`; do not edit) -->"
TABLE_END = "<!-- checks: end -->"


def markdown_table():
    """Every registered check, by notebook, as a Markdown table (the rows end with a newline)."""
    rows = [
        "| notebook | check | points | the student's function |",
        "|---|---|---|---|",
    ]
    for record in sorted(CHECKS.values(), key=lambda record: record.notebook):
        summary = record.summary.replace("``", "`").replace("|", "\\|")  # a | would end the cell
        rows.append(f"| {record.notebook} | `check_{record.name}` | {record.points} | {summary} |")
    return "\n".join(rows) + "\n"


def replace_table(text):
    """``text`` with the lines between ``TABLE_BEGIN`` and ``TABLE_END`` replaced by the table."""
    before, begin, rest = text.partition(TABLE_BEGIN + "\n")
    _, end, after = rest.partition(TABLE_END)
    if not (begin and end):
        raise ValueError(
            f"no table markers found: put the line {TABLE_BEGIN} and, below it, the line "
            f"{TABLE_END} where the table of checks goes"
        )
    return before + begin + markdown_table() + end + after
