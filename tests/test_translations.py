"""The Chinese notebooks (notebooks/zh/) against the English ones and translations/zh/*.po.

tools/translate_notebooks.py makes them; these tests fail when a markdown cell is untranslated or
its English has changed since it was translated (stale), when a Chinese notebook is not what the
tool makes from today's English and .po files, when a code cell differs from the English one, when
an output differs from the English one (the checks' sentences excepted: they are in Chinese), or
when a translation drops or adds a number, a formula, a heading or a folded solution.
nbval runs the Chinese notebooks like the English ones (testpaths include notebooks/).
"""

import re
import struct
import sys
from base64 import b64decode
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import translate_notebooks as tool  # noqa: E402

ENGLISH = tool.english_notebooks()
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CHECK_LINE = re.compile(r"^([✓✗] [\w.]+): ")  # "✓ linear_forward: <sentence>"
LINK = re.compile(r"\]\(([^)\s#]+)[^)]*\)")
SANITIZE = [(re.compile(r"at 0x[0-9a-fA-F]+"), "at 0xADDR")]  # as tests/nbval-sanitize.cfg


def pairs():
    return [(path, tool.ZH_NOTEBOOKS / path.name) for path in ENGLISH]


def read(path):
    return nbformat.read(path, as_version=4)


def without_timestamps(metadata):
    return {key: value for key, value in metadata.items() if key != "execution"}


def without_language_cells(nb):
    return [cell for cell in nb.cells if cell.id not in tool.language_cell_ids()]


@pytest.fixture(params=pairs(), ids=lambda pair: pair[0].name[:2])
def pair(request):
    english, chinese = request.param
    assert chinese.exists(), f"{chinese} is missing: python tools/translate_notebooks.py build"
    return read(english), read(chinese)


def test_there_is_one_chinese_notebook_per_english_one():
    assert len(ENGLISH) == 11
    assert sorted(p.name for p in tool.ZH_NOTEBOOKS.glob("*.ipynb")) == [p.name for p in ENGLISH]
    assert sorted(p.stem for p in tool.TRANSLATIONS.glob("*.po")) == [p.stem for p in ENGLISH]


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.name[:2])
def test_every_markdown_cell_has_a_current_translation(english):
    missing = tool.missing_cells(english)
    assert not missing, (
        f"{english.name}: {len(missing)} markdown cells untranslated or stale (their English changed): "
        f"{missing[:5]}; run python tools/translate_notebooks.py update, translate them in "
        f"{tool.po_path(english).relative_to(ROOT)}, then build"
    )


def test_code_cells_are_the_english_ones(pair):
    english, chinese = pair
    cells = without_language_cells(chinese)
    assert [c.cell_type for c in cells] == [c.cell_type for c in english.cells]
    for ours, theirs in zip(cells, english.cells):
        assert ours.id == theirs.id
        if theirs.cell_type == "code":
            assert ours.source == theirs.source, ours.id
            # nbgrader's grade ids and points, the tags (all but the run's timestamps)
            assert without_timestamps(ours.metadata) == without_timestamps(theirs.metadata), ours.id


def test_the_only_added_cells_switch_the_checks_to_chinese(pair):
    _, chinese = pair
    added = [(c.cell_type, c.id, c.source) for c in chinese.cells[1:3]]
    assert added == list(tool.LANGUAGE_CELLS)


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.name[:2])
def test_the_chinese_notebook_is_what_the_tool_makes_from_the_po_files(english):
    made, _ = tool.chinese_notebook(english)
    chinese = read(tool.ZH_NOTEBOOKS / english.name)
    assert [(c.id, c.source) for c in chinese.cells] == [(c.id, c.source) for c in made.cells], (
        "notebooks/zh/ is out of date: python tools/translate_notebooks.py build"
    )


def structure(markdown):
    """What a translation must keep: numbers, formulas, inline code, headings, folded solutions."""
    fences = re.findall(r"```.*?```", markdown, re.S)
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return {
        "numbers": sorted(set(NUMBER.findall(markdown))),
        "dollar signs": markdown.count("$"),
        "code blocks": fences,
        "inline code": sorted(re.findall(r"`[^`]+`", prose)),
        "heading levels": [
            line.split(" ")[0] for line in markdown.splitlines() if line.startswith("#")
        ],
        "<details>": markdown.count("<details>"),
        "</details>": markdown.count("</details>"),
    }


def test_translations_keep_every_number_formula_code_span_heading_and_solution(pair):
    english, chinese = pair
    cells = without_language_cells(chinese)
    for ours, theirs in zip(cells, english.cells):
        if theirs.cell_type == "markdown" and ours.source != theirs.source:
            assert structure(ours.source) == structure(theirs.source), ours.id


def test_links_in_the_chinese_notebooks_lead_somewhere():
    broken = []
    for _, chinese in pairs():
        for cell in read(chinese).cells:
            if cell.cell_type != "markdown":
                continue
            for target in LINK.findall(cell.source):
                if "://" not in target and not (chinese.parent / target).exists():
                    broken.append(f"{chinese.name}: {target}")
    assert not broken


def png_size(data):
    width, height = struct.unpack(">II", b64decode(data)[16:24])
    return width, height


def coalesced(outputs):
    """Consecutive writes to one stream as one output, as nbval sees them (how a run splits them
    into messages depends on timing)."""
    merged = []
    for output in outputs:
        last = merged[-1] if merged else None
        if output.output_type == "stream" and last is not None and last.output_type == "stream":
            if last.name == output.name:
                last.text += output.text
                continue
        merged.append(nbformat.from_dict(dict(output)))
    return merged


def comparable(outputs):
    """Outputs as the comparison sees them: check sentences cut after the check's name."""
    seen = []
    for output in coalesced(outputs):
        if output.output_type == "stream":
            lines = []
            for line in output.text.splitlines():
                match = CHECK_LINE.match(line)
                lines.append(match.group(1) if match else line)
            seen.append((output.name, lines))
        elif output.output_type in ("execute_result", "display_data"):
            data = output.get("data", {})
            seen.append(
                (
                    output.output_type,
                    sorted(data),
                    data.get("text/plain"),
                    png_size(data["image/png"]) if "image/png" in data else None,
                )
            )
        else:
            seen.append((output.output_type, output.get("ename")))
    text = repr(seen)
    for pattern, replacement in SANITIZE:
        text = pattern.sub(replacement, text)
    return text


def test_outputs_equal_the_english_ones_but_for_the_checks_sentences(pair):
    english, chinese = pair
    for ours, theirs in zip(without_language_cells(chinese), english.cells):
        if theirs.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in theirs.source:
            continue
        assert comparable(ours.outputs) == comparable(theirs.outputs), ours.id


def test_the_checks_answer_in_chinese_in_the_chinese_notebooks(pair):
    _, chinese = pair
    sentences = [
        line
        for cell in chinese.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
        for line in output.text.splitlines()
        if CHECK_LINE.match(line)
    ]
    for line in sentences:
        assert re.search(r"[\u4e00-\u9fff]", line), line


def test_a_changed_english_cell_marks_its_translation_stale(tmp_path, monkeypatch):
    english = nbformat.read(ENGLISH[0], as_version=4)
    cell = next(c for c in english.cells if c.cell_type == "markdown")
    notebook = tmp_path / "notebooks" / ENGLISH[0].name
    notebook.parent.mkdir()
    translated = tool.po_path(ENGLISH[0]).read_bytes()
    monkeypatch.setattr(tool, "TRANSLATIONS", tmp_path / "translations")
    (tmp_path / "translations").mkdir()
    tool.po_path(notebook).write_bytes(translated)
    nbformat.write(english, notebook)
    assert tool.missing_cells(notebook) == []
    cell.source += "\n\nOne more sentence."
    nbformat.write(english, notebook)
    assert tool.missing_cells(notebook) == [cell.id]
    assert tool.update(notebook) == (0, 1)  # kept as a fuzzy entry, for the translator to revise
    catalog = tool.read_catalog(tool.po_path(notebook))
    (message,) = [m for m in catalog if m.context == cell.id]
    assert message.fuzzy and message.string and message.id == cell.source
    assert tool.missing_cells(notebook) == [cell.id]


def test_the_tool_refuses_a_notebook_that_is_not_an_english_one(capsys):
    assert tool.main(["build", str(tool.ZH_NOTEBOOKS / ENGLISH[0].name)]) == 1
    assert "is not an English notebook in" in capsys.readouterr().err


# The standard terms (the bilingual glossary's) against the variants an editor's pass replaced.
NOT_STANDARD = {
    "配方": "训练方案 (recipe)",
    "种子程序": "原博客程序 (the seed program)",
    "批量大小": "批大小 (batch size)",
    "小批次": "小批量 (mini-batch)",
    "留出图像": "验证图像 (validation images)",
    "随手备查": "随手查阅 (Keep at hand)",
    "动手练习": "动手试试 (Try it)",
    "您": "你",
}


def test_the_chinese_uses_the_standard_terms():
    catalogues = [
        *tool.TRANSLATIONS.glob("*.po"),
        ROOT / "mlp_lib/locale/zh/LC_MESSAGES/mlp_lib.po",
    ]
    found = [
        f"{path.name} {message.context or message.id[:30]!r}: {variant} -> {standard}"
        for path in catalogues
        for message in tool.read_catalog(path)
        if message.id
        for variant, standard in NOT_STANDARD.items()
        if variant in message.string
    ]
    assert not found
