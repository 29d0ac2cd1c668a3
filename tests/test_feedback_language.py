"""The checks answer in Chinese after set_language("zh") (or MLP_LIB_LANGUAGE=zh), from a gettext
catalogue kept in step with the code by tools/feedback_catalogue.py.

English stays the default and stays exactly as it was (tests/test_exercises.py and the stored
notebook outputs check its words); here: the same checks in Chinese find the same mistakes, the
language can be switched back, bad language names are refused, the catalogue is complete and its
check fails when it should, and no sentence of the checks escapes the catalogue.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_exercises import MISTAKES, RIGHT

from mlp_lib import exercises as ex
from mlp_lib.exercises import language

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import feedback_catalogue  # noqa: E402

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese():
    """The checks in Chinese for one test, English again afterwards (whatever happens)."""
    ex.set_language("zh")
    yield
    ex.set_language("en")


def right_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def transposed_backward(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)  # dW transposed: (H, D)


def test_english_is_the_default():
    assert ex.get_language() == "en"


def test_a_right_answer_is_confirmed_in_chinese(chinese, capsys):
    result = ex.check_linear_backward(right_backward)
    printed = capsys.readouterr()
    assert result.passed
    assert printed.out == (
        "✓ linear_backward: dx = dout @ W.T，dW = x.T @ dout，db = dout.sum(axis=0)，"
        "形状都与各自的变量相同\n"
    )
    assert printed.err == ""


def test_a_recognised_mistake_is_explained_in_chinese(chinese, capsys):
    result = ex.check_linear_backward(transposed_backward)
    printed = capsys.readouterr()
    assert not result.passed and result.mistake == "dW-transposed"
    assert printed.out == ""
    assert printed.err.startswith("✗ linear_backward: dW 的形状是 (4, 5)：它被转置了。")
    assert "W 是 (5, 4)" in printed.err and "dW = x.T @ dout" in printed.err


def test_set_language_en_goes_back_to_the_english_words(capsys):
    english = ex.check_linear_backward(transposed_backward).message
    ex.set_language("zh")
    try:
        chinese = ex.check_linear_backward(transposed_backward).message
    finally:
        ex.set_language("en")
    again = ex.check_linear_backward(transposed_backward).message
    capsys.readouterr()
    assert CHINESE.search(chinese) and not CHINESE.search(english)
    assert again == english
    assert english.startswith("dW has shape (4, 5): it is transposed.")


def test_the_notebooks_first_cell_switches_to_chinese(capsys):
    namespace = {}
    try:
        exec('from mlp_lib.exercises import set_language\nset_language("zh")', namespace)
        assert ex.get_language() == "zh"
        assert CHINESE.search(ex.check_linear_backward(transposed_backward).message)
    finally:
        ex.set_language("en")
    assert capsys.readouterr().out == ""  # the cell itself shows nothing


@pytest.mark.parametrize("bad", ["fr", "ZH", "zh_CN", "english", "", None, 1])
def test_a_language_other_than_en_or_zh_is_refused_with_the_allowed_ones(bad):
    with pytest.raises(ValueError, match=r"'en' or 'zh'"):
        ex.set_language(bad)
    assert ex.get_language() == "en"


def hints(check, wrong):
    """(passed, mistake, message) of a check, quietly (its printed line is not wanted here)."""
    result = check(wrong)
    return result.passed, result.mistake, result.message


LONG_ENGLISH = sorted(
    {
        message.id
        for message in feedback_catalogue.read_catalogue(feedback_catalogue.Paths().template)
        if message.id and len(message.id) >= 12 and " " in message.id
    }
)


def english_left_in(message):
    """The catalogue's English sentences (or fragments) found in a translated message."""
    return [english for english in LONG_ENGLISH if english in message]


@pytest.mark.parametrize(
    ("check", "wrong", "mistake", "words"),
    MISTAKES,
    ids=[f"{c.__name__}-{m or w[:20]}" for c, _, m, w in MISTAKES],
)
def test_every_recognised_mistake_is_explained_in_chinese(check, wrong, mistake, words, capsys):
    english = hints(check, wrong)
    english_line = capsys.readouterr().err.splitlines()[-1]
    ex.set_language("zh")
    try:
        passed, found, message = hints(check, wrong)
    finally:
        ex.set_language("en")
    line = capsys.readouterr().err.splitlines()[-1]
    assert (passed, found) == english[:2] == (False, mistake)
    assert CHINESE.search(message), message
    assert not english_left_in(message), message
    prefix = english_line[: english_line.index(": ") + 2]  # "✗ name: ", the same in both
    assert line == prefix + message
    assert hints(check, wrong) == english  # and English again, word for word
    capsys.readouterr()


@pytest.mark.parametrize(("check", "answer"), RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_every_right_answer_is_confirmed_in_chinese(check, answer, chinese, capsys):
    result = check(answer)
    printed = capsys.readouterr()
    assert result.passed, result.message
    assert CHINESE.search(result.message) or result.message in NO_WORDS, result.message
    assert not english_left_in(result.message), result.message
    assert printed.out.startswith("✓ ") and printed.err == ""


NO_WORDS = set()  # confirmations with no words to translate (none so far)


def test_the_general_messages_are_in_chinese_too(chinese, capsys):
    def linear_forward(x, W, b):
        raise NotImplementedError()

    def crashes(x, W, b):
        return x @ W.T + b  # (3, 5) @ (4, 5): ValueError

    stub = ex.check_linear_forward(linear_forward)
    assert stub.mistake == "not-written" and "还没有写" in stub.message
    crash = ex.check_linear_forward(crashes)
    assert crash.mistake == "raised"
    assert re.search(
        r"crashes 抛出了 ValueError：matmul.*出错的是这一行：`return x @ W.T", crash.message
    )
    called = ex.check_linear_forward(np.zeros(3))
    assert called.mistake == "not-a-function" and "不要调用它" in called.message
    nothing = ex.check_mean_image_per_class(lambda X, y: None)
    assert nothing.mistake == "returned-none" and "忘了写 `return`" in nothing.message
    capsys.readouterr()


# ---- the environment variable, in a fresh Python ----------------------------------------------

PROGRAM = """
from mlp_lib.exercises import check_linear_backward, get_language
def transposed(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)
print(get_language())
check_linear_backward(transposed)
"""


def run_with(value):
    """Run PROGRAM in a new Python with MLP_LIB_LANGUAGE=value (None: without the variable)."""
    env = {key: text for key, text in os.environ.items() if key != "MLP_LIB_LANGUAGE"}
    if value is not None:
        env["MLP_LIB_LANGUAGE"] = value
    return subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120
    )


def test_mlp_lib_language_zh_in_the_environment_gives_chinese():
    done = run_with("zh")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "zh\n"
    assert done.stderr.startswith("✗ linear_backward: dW 的形状是 (4, 5)：它被转置了。")


@pytest.mark.parametrize("value", [None, "", "en"])
def test_without_mlp_lib_language_or_with_en_the_checks_speak_english(value):
    done = run_with(value)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "en\n"
    assert done.stderr.startswith("✗ linear_backward: dW has shape (4, 5): it is transposed.")


def test_a_bad_mlp_lib_language_is_refused_naming_the_allowed_values():
    done = run_with("fr")
    assert done.returncode != 0
    assert "MLP_LIB_LANGUAGE='fr' is not a language of the checks" in done.stderr
    assert "'en' or 'zh'" in done.stderr


def test_language_from_environment_reads_only_its_variable():
    try:
        language.language_from_environment({"MLP_LIB_LANGUAGE": " zh "})
        assert ex.get_language() == "zh"
        language.language_from_environment({"LANG": "zh_CN.UTF-8"})  # not ours: no change
        assert ex.get_language() == "zh"
        with pytest.raises(ValueError, match=r"MLP_LIB_LANGUAGE='de'.*'en' or 'zh'"):
            language.language_from_environment({"MLP_LIB_LANGUAGE": "de"})
    finally:
        ex.set_language("en")


# ---- the catalogue -----------------------------------------------------------------------------


def test_the_catalogue_is_in_step_with_the_code():
    assert feedback_catalogue.check(feedback_catalogue.Paths()) == []


def test_the_catalogue_check_runs_from_the_command_line():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "feedback_catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "in step with the code" in done.stdout


@pytest.fixture
def copy(tmp_path):
    """Paths to a copy of the checks' sources and of the catalogue, to break."""
    sources = tmp_path / "mlp_lib" / "exercises"
    shutil.copytree(ROOT / "mlp_lib" / "exercises", sources, ignore=shutil.ignore_patterns("__py*"))
    shutil.copytree(ROOT / "mlp_lib" / "locale", tmp_path / "mlp_lib" / "locale")
    paths = feedback_catalogue.Paths(sources, tmp_path / "mlp_lib" / "locale")
    assert feedback_catalogue.check(paths) == []
    return paths


def edit_po(paths, change):
    """Apply change(message) to the entry of the transposed-dW hint in the copy's .po."""
    po = paths.po("zh")
    catalog = feedback_catalogue.read_catalogue(po, "zh")
    (message,) = [m for m in catalog if m.id.startswith("dW has shape {shape}: it is transposed")]
    change(message)
    po.write_bytes(feedback_catalogue.po_bytes(catalog))


def test_the_check_fails_on_a_fuzzy_entry(copy):
    edit_po(copy, lambda message: message.flags.add("fuzzy"))
    problems = feedback_catalogue.check(copy)
    assert any("fuzzy" in problem and "dW has shape" in problem for problem in problems)


def test_the_check_fails_on_an_untranslated_entry(copy):
    edit_po(copy, lambda message: setattr(message, "string", ""))
    problems = feedback_catalogue.check(copy)
    assert any("untranslated" in problem for problem in problems)


def test_the_check_fails_on_a_translation_with_other_placeholders(copy):
    def rename(message):
        message.string = message.string.replace("{shape}", "{形状}")

    edit_po(copy, rename)
    feedback_catalogue.compile_(copy)  # the .mo is in step: only the placeholders are wrong
    problems = feedback_catalogue.check(copy)
    assert len(problems) == 1 and "placeholders differ" in problems[0], problems


def test_the_check_fails_on_a_lost_number_format(copy):
    po = copy.po("zh")
    catalog = feedback_catalogue.read_catalogue(po, "zh")
    (message,) = [m for m in catalog if m.id.startswith("relative error {error:.1e}, far above")]
    message.string = message.string.replace("{error:.1e}", "{error}")
    po.write_bytes(feedback_catalogue.po_bytes(catalog))
    feedback_catalogue.compile_(copy)
    problems = feedback_catalogue.check(copy)
    assert len(problems) == 1 and "placeholders differ" in problems[0], problems


def test_the_check_fails_on_a_mo_older_than_its_po(copy):
    edit_po(copy, lambda message: setattr(message, "string", message.string + "。"))
    problems = feedback_catalogue.check(copy)
    assert len(problems) == 1 and "differs from mlp_lib.po compiled" in problems[0], problems
    feedback_catalogue.compile_(copy)
    assert feedback_catalogue.check(copy) == []


def test_changed_english_makes_the_template_stale_then_the_entry_fuzzy(copy):
    source = copy.sources / "nb02_fully_connected_layer.py"
    text = source.read_text(encoding="utf-8")
    assert text.count("it is transposed. A gradient has the shape of its") == 1
    source.write_text(
        text.replace(
            "it is transposed. A gradient has the shape of its",
            "it is transposed. Every gradient has the shape of its",
        ),
        encoding="utf-8",
    )
    problems = feedback_catalogue.check(copy)
    assert any("out of date with the code" in problem for problem in problems), problems

    feedback_catalogue.update(copy)
    catalog = feedback_catalogue.read_catalogue(copy.po("zh"), "zh")
    (message,) = [m for m in catalog if "Every gradient has the shape" in m.id]
    assert message.fuzzy and message.string.startswith("dW 的形状是 {shape}")  # the old Chinese
    problems = feedback_catalogue.check(copy)
    assert problems and all("fuzzy" in problem or ".mo differs" in problem for problem in problems)
    assert not any("Every gradient" in m.id for m in catalog if not m.fuzzy)


def test_placeholders_compare_names_conversions_and_formats():
    places = feedback_catalogue.placeholders
    assert places("{got:.4f} of {n:,} {got!r}") == {
        ("got", "", ".4f"),
        ("n", "", ","),
        ("got", "r", ""),
    }
    assert places("得到 {got:.4f}，{n:,} {got!r}") == places("{got:.4f} of {n:,} {got!r}")
    assert places("{got:.2f}") != places("{got:.4f}")
    assert places("no fields") == set()


# ---- no sentence of the checks outside the catalogue ---------------------------------------------

# Modules whose words are not for students: the registry's errors are for whoever writes a check,
# __main__ prints a table for the authors, language.py's errors name the language API itself.
NOT_FOR_STUDENTS = {"registry.py", "__main__.py", "__init__.py", "language.py"}
# Strings with words that are not sentences: the line's own layout, a NumPy error's words that
# nb01 looks for in the student's exception.
# An f-string as written in the source (ast.get_source_segment: the same on every Python; the
# text ast.unparse makes of it changed in 3.12).
NOT_SENTENCES = {
    "f\"{'✓' if self.passed else '✗'} {self.name}: {self.message}\"",
    "a buffer of 16 bytes",
}


def untranslated_strings(path):
    """(line, text) of every string with two words in ``path`` that no _() or N_() wraps."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def wrapped(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "N_"):
                return True
        return False

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if isinstance(parents.get(node), ast.JoinedStr):
                continue  # a piece of an f-string: the f-string is looked at whole
            text = node.value
        else:
            continue
        if isinstance(parents.get(node), ast.Expr):  # a docstring
            continue
        if re.search(r"[A-Za-z]+ [A-Za-z]+", text) and not wrapped(node):
            found.append((node.lineno, text))
    return found


def test_every_sentence_of_the_checks_goes_through_the_catalogue():
    modules = [
        path
        for path in sorted((ROOT / "mlp_lib" / "exercises").glob("*.py"))
        if path.name not in NOT_FOR_STUDENTS
    ]
    assert len(modules) >= 14  # feedback, fixtures, optimizer_steps and one per notebook
    left = [
        f"{path.name}:{line}: {text!r}"
        for path in modules
        for line, text in untranslated_strings(path)
        if text not in NOT_SENTENCES
    ]
    assert left == [], "wrap these in _() (or N_() if defined at import time):\n" + "\n".join(left)


def test_every_mistake_and_confirmation_is_built_from_the_catalogue():
    """No Mistake(...) or check's return with a bare string: each goes through _ (or a variable)."""
    bare = []
    for path in sorted((ROOT / "mlp_lib" / "exercises").glob("*.py")):
        if path.name in NOT_FOR_STUDENTS:
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Mistake":
                value = node.args[0] if node.args else None
            elif isinstance(node, ast.Return):
                value = node.value
            else:
                continue
            if isinstance(value, ast.JoinedStr):
                text = ast.get_source_segment(source, value)
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                text = value.value
            else:
                continue
            if re.search(r"[A-Za-z]+ [A-Za-z]+", text) and text not in NOT_SENTENCES:
                bare.append(f"{path.name}:{node.lineno}: {text!r}")
    assert bare == []
