"""notebooks/the_whole_loop.md: its program runs as it is printed and prints what the page says."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "notebooks" / "the_whole_loop.md"


def blocks(text, language):
    """The contents of the fenced blocks opened with ```language (``` alone for language "")."""
    found, inside, lines = [], False, []
    for line in text.splitlines(keepends=True):
        if not line.startswith("```"):
            lines.append(line)
        elif not inside:
            inside, wanted, lines = True, line.strip() == f"```{language}", []
        else:
            inside = False
            if wanted:
                found.append("".join(lines))
    return found


def test_the_page_has_one_program_and_says_what_it_prints():
    text = PAGE.read_text(encoding="utf-8")
    assert len(blocks(text, "python")) == 1 and len(blocks(text, "")) == 1
    code = blocks(text, "python")[0]
    assert "mlp_lib" not in code  # plain NumPy: the notebooks' pieces, not the library
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= 60, f"{len(lines)} lines: the whole loop should fit on one page"
    for step in ("01", "02", "03", "04", "05", "06"):  # every step says where it was built
        assert f"# {step} · " in code or f", {step} · " in code


@pytest.mark.slow  # trains for three epochs on 50,000 images: about 15 s
def test_the_program_prints_what_the_page_says(tmp_path):
    text = PAGE.read_text(encoding="utf-8")
    program = tmp_path / "whole_loop.py"
    program.write_text(blocks(text, "python")[0], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(program)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == blocks(text, "")[0]


def test_the_chinese_page_has_the_same_code_and_numbers():
    english = PAGE.read_text(encoding="utf-8")
    chinese = (ROOT / "notebooks" / "zh" / "the_whole_loop.md").read_text(encoding="utf-8")

    def fenced(text):  # every fenced block, its opening line included, in order
        return re.findall(r"^```[^\n]*\n.*?^```$", text, flags=re.MULTILINE | re.DOTALL)

    def numbers(text):
        return set(re.findall(r"\d+(?:[.,]\d+)*", text))

    assert fenced(english) and fenced(chinese) == fenced(english)
    assert numbers(chinese) == numbers(english), numbers(chinese) ^ numbers(english)
