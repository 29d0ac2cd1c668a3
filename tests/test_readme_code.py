"""README.md's Python examples run, and print what the comments beside their print() say.

Every ```python block of README.md runs, in order, as one session (as a reader would paste them),
in an empty temporary folder, with the repository's data. A ``print(...)`` with a comment beside it
must print exactly that comment:

    print(evaluate(model, X_test, y_test))  # 97.60% (9760/10000)

A float32 result can differ in its last digit with the number of BLAS threads (README.md,
"Training on a busy machine"). Where the comment says so, after a semicolon, each number printed
may differ from the comment's by less than one unit of its second-to-last digit (97.65% is
97.60%; 97.70% is not):

    print(evaluate(model, X_test, y_test))  # 97.60% (9760/10000); the last digit depends on the BLAS threads
"""

import ast
import contextlib
import io
import re
import tokenize

import pytest
from helpers import ROOT

README = ROOT / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
BLAS_NOTE = re.compile(
    r";\s*([^;]*\blast digit\b[^;]*\bBLAS\b[^;]*|[^;]*\bBLAS\b[^;]*\blast digit\b[^;]*)$"
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def python_blocks(text):
    """The source of every ```python block of a markdown text, in order."""
    return PYTHON_BLOCK.findall(text)


def expectation(comment):
    """(expected output, whether its last digits may differ) from the comment beside a print."""
    note = BLAS_NOTE.search(comment)
    if note:
        return comment[: note.start()].strip(), True
    return comment.strip(), False


def comments_beside_prints(source):
    """{line number of a print(...) statement: its comment}, for the top-level prints of a block."""
    comment_on_line = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    comments = {}
    for statement in ast.parse(source).body:
        call = getattr(statement, "value", None)
        is_print = isinstance(call, ast.Call) and getattr(call.func, "id", None) == "print"
        if is_print and statement.end_lineno in comment_on_line:
            comments[statement.lineno] = comment_on_line[statement.end_lineno]
    return comments


def agrees(printed, expected, last_digit_free):
    """Is ``printed`` the ``expected`` text? With ``last_digit_free``, each number may differ by
    less than one unit of its second-to-last digit; the words and the count of numbers may not."""
    if not last_digit_free:
        return printed == expected
    if NUMBER.sub("#", printed) != NUMBER.sub("#", expected):
        return False
    for got, wanted in zip(NUMBER.findall(printed), NUMBER.findall(expected)):
        decimals = len(wanted.partition(".")[2])
        if abs(float(got) - float(wanted)) >= 10.0 ** (1 - decimals) - 1e-12:
            return False
    return True


def run_block(source, namespace):
    """Run one block statement by statement; return [(line, what it printed, its comment or
    None)] for every statement that printed something or has a comment beside its print()."""
    comments = comments_beside_prints(source)
    results = []
    for statement in ast.parse(source).body:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(ast.Module([statement], []), str(README), "exec"), namespace)
        comment = comments.get(statement.lineno)
        if printed.getvalue() or comment is not None:
            results.append((statement.lineno, printed.getvalue().strip(), comment))
    return results


@pytest.mark.slow
def test_the_readme_examples_print_what_their_comments_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(ROOT / "data"))
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block"
    namespace = {"__name__": "__main__"}
    results = []
    for number, source in enumerate(blocks, start=1):
        results.extend((number, *result) for result in run_block(source, namespace))
    compared = [result for result in results if result[3] is not None]
    assert compared, "no print(...) in README.md's Python blocks has a comment to compare with"
    wrong = []
    for block, line, printed, comment in results:
        print(f"block {block}, line {line}: printed {printed!r}, comment {comment!r}")
        if comment is None:
            continue
        expected, last_digit_free = expectation(comment)
        if not agrees(printed, expected, last_digit_free):
            wrong.append(
                f"block {block}, line {line}: printed {printed!r}, the comment says {expected!r}"
            )
    assert not wrong, (
        "README.md's examples print something else than their comments say:\n" + "\n".join(wrong)
    )


# --- how the comments are read -----------------------------------------------------------------


def test_python_blocks_are_found_in_order():
    text = "x\n```python\nprint(1)  # 1\n```\n```bash\nls\n```\n```python\nprint(2)\n```\n"
    assert python_blocks(text) == ["print(1)  # 1\n", "print(2)\n"]


def test_a_comment_beside_a_print_is_its_expected_output():
    source = 'x = 1\nprint(x)  # 1\nprint(  # not this one\n    x,\n)  # 2\nprint("#")\n'
    assert comments_beside_prints(source) == {2: "1", 3: "2"}


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("97.60% (9760/10000)", ("97.60% (9760/10000)", False)),
        (
            "97.60% (9760/10000); the last digit depends on the BLAS threads",
            ("97.60% (9760/10000)", True),
        ),
        ("a; b", ("a; b", False)),
    ],
)
def test_the_blas_note_follows_a_semicolon(comment, expected):
    assert expectation(comment) == expected


@pytest.mark.parametrize(
    ("printed", "free", "agreed"),
    [
        ("97.60% (9760/10000)", False, True),
        ("97.65% (9765/10000)", False, False),
        ("97.65% (9765/10000)", True, True),
        ("97.59% (9759/10000)", True, True),
        ("97.70% (9770/10000)", True, False),
        ("97.60 % (9760/10000)", True, False),
    ],
)
def test_only_the_last_digit_may_differ_and_only_where_the_comment_says_so(printed, free, agreed):
    assert agrees(printed, "97.60% (9760/10000)", free) is agreed
