"""The guard against stale numbers: every number in the prose of the notebooks and the guides is
printed by an output, stated by code, quoted from a notebook or file its sentence names, or one of
a few constants. tests/claims.py reads the text and says how each number is traced.

A number no output supports fails here with its file, its cell and its sentence. Fix the text:
round as the output rounds, print what the text claims, or name where the number comes from
("notebook 08", `results/ladder.json`, a link to the source).
"""

import re

import pytest
from claims import (
    CONSTANTS,
    DOCUMENTS,
    NOTEBOOKS,
    ROOT,
    Pool,
    block_claims,
    cell_claims,
    changed_by_one,
    code_numbers,
    document_blocks,
    document_claims,
    document_pool,
    load_notebook,
    notebook_claims,
    read_claims,
    trace,
    worth_changing,
)

FILES = NOTEBOOKS + DOCUMENTS


@pytest.fixture(scope="module")
def claims_by_file():
    return {
        path: notebook_claims(path) if path.endswith(".ipynb") else document_claims(path)
        for path in FILES
    }


def listing(claims):
    """One line per claim: the cell, the number and its sentence, for a failure message."""
    lines = []
    for claim in claims:
        where = "" if claim.cell is None else f"cell {claim.cell}: "
        sentence = claim.sentence if len(claim.sentence) <= 160 else claim.sentence[:157] + "..."
        lines.append(f"  {where}{claim.number}  in  {sentence!r}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", FILES)
def test_every_number_in_the_text_is_printed_stated_or_quoted(claims_by_file, path):
    unsupported = [claim for claim in claims_by_file[path] if not claim.how]
    assert not unsupported, (
        f"{path}: {len(unsupported)} numbers that no output, code, named file or constant "
        f"supports (round as the output does, print the number, or name its source):\n"
        + listing(unsupported)
    )


# --- the guard itself ---------------------------------------------------------------------------


def claim_of(text, path="notebooks/07_playground.ipynb"):
    """The claims of a markdown text, as read (not traced)."""
    claims, _ = read_claims(text, path)
    return [(claim.number.text, claim.number.unit, claim.number.decimals) for claim in claims]


def test_numbers_are_read_with_their_unit_and_precision():
    assert claim_of("It reaches 96.05% in 11.2 s, with 25,818 parameters.") == [
        ("96.05", "%", 2),
        ("11.2", "s", 1),
        ("25,818", None, 0),
    ]
    assert claim_of("about 25,800 of them, 92–94% of the time")[:2] == [
        ("25,800", None, -2),
        ("92", "%", 0),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "as in notebook 05 and notebooks 02–04",
        "[06 · Evaluation](06_evaluation.ipynb)",
        "05's exercise 2 and section 3, step 8, cell 12",
        "## 2. The first steps",
        "1. **How much is luck?**",
        "float32, L2, B1, SHA-256, the 2010s, at 9:00",
        "with Python 3.11.7 and numpy 2.4.6",
        "`lr=0.05` and $x^2 + 3$ and [a](https://example.org/1234)",
    ],
)
def test_names_labels_and_code_are_not_claims(text):
    assert claim_of(text) == []


def traced(text, printed="", code="", units_printed=True):
    """[(number as written, how it is traced)] for a text whose notebook printed ``printed`` and
    has ``code``; a data file's pool with ``units_printed=False``."""
    own = Pool("test", units_printed=units_printed)
    own.add_printed(printed)
    own.add_code(code_numbers(code))
    claims, _ = read_claims(text, "notebooks/07_playground.ipynb")
    return [(str(claim.number), trace(claim, own)) for claim in claims]


@pytest.mark.parametrize(
    ("text", "printed", "how"),
    [
        ("about 96%", "96.05%", "printed"),  # rounded as the text rounds it
        ("96%", "96.6%", ""),
        ("96.05%", "0.9605", "printed"),  # a fraction is a percentage
        ("96.05%", "96.05", ""),  # a percentage must be printed as one
        ("11.2 s", "11.2 s", "printed"),
        ("11.2 s", "11.2", ""),  # a notebook prints its units
        ("11.2 s", "11.2%", ""),
        ("about 25,800", "25,818", "printed"),  # said to be rounded
        ("25,800", "25,818", ""),
        ("about 80%", "78.0%", ""),  # a percentage is never rounded to tens
        ("more than 99%", "99.10%", "printed"),
        ("on 2026-12-07", "written 2026-12-02", ""),
    ],
)
def test_a_printed_number_supports_the_claims_that_round_it(text, printed, how):
    assert [how for _, how in traced(text, printed)] == [how]


def test_a_data_file_keeps_its_units_in_its_keys():
    assert traced("11.2 s", '"train_seconds": 11.2', units_printed=False) == [("11.2 s", "printed")]


def test_code_supports_only_the_number_it_states():
    assert traced("lr 0.05, batch 64, lr 0.1", code="fit(lr=0.05, batch_size=64)") == [
        ("0.05", "code"),
        ("64", "code"),
        ("0.1", ""),
    ]


def test_a_sentence_that_names_a_notebook_or_a_file_may_quote_it():
    text = "Notebook 08 reached 99.10%. The file results/ladder.json says 98.83%. We got 99.10%."
    assert traced(text) == [
        ("99.10%", "notebooks/08_going_further.ipynb"),
        ("98.83%", "results/ladder.json"),
        ("99.10%", ""),  # a sentence that names nothing quotes nothing
    ]


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("784 × 128 + 128 = 100,480", "arithmetic"),
        ("784 × 128 + 128 = 100,481", ""),
        ("the 60,000 training images, 188 MB as float32", "constant"),
        ("about 0.7% (Simard et al., 2003)", "source"),
        ("far from 2.3 (say 50)", "example"),
    ],
)
def test_sums_constants_sources_and_examples(text, how):
    assert traced(text)[-1][1] == how


def test_a_comment_in_a_folded_solution_is_a_claim():
    text = "<details>\n\n```python\nprint(count(sizes))    # 109386\n```\n</details>"
    assert claim_of(text) == [("109386", None, 0)]


def test_an_unsupported_number_is_named_with_its_cell_and_sentence():
    path = "notebooks/07_playground.ipynb"
    cell = next(
        i for i, c in enumerate(load_notebook(path)["cells"]) if c["cell_type"] == "markdown"
    )
    claims = cell_claims(path, cell, "Batch 8 reaches 12.3456% here.")
    stale = [claim for claim in claims if not claim.how]
    assert [claim.number.text for claim in stale] == ["12.3456"]
    assert str(stale[0]) == f"{path}, cell {cell}: 12.3456% in 'Batch 8 reaches 12.3456% here.'"


def test_the_constants_are_few_and_each_has_a_reason():
    assert len(CONSTANTS) <= 12
    assert all(len(why) > 10 for _, _, why in CONSTANTS)


@pytest.mark.parametrize(
    ("token", "changed"),
    [("96.05", "96.06"), ("25,818", "25,819"), ("109", "108"), ("2.16e+03", "2.17e+03")],
)
def test_a_number_changed_by_one_changes_its_last_digit(token, changed):
    assert changed_by_one(token) == changed


# --- it fails when a number is changed by one -------------------------------------------------


def mutations(claims_by_file):
    """Every number the guard accepts and should notice a change of (two significant digits or a
    decimal point; not one taken on trust from an outside source or given as an example), and its
    claim again, read from the cell (or block) where its last digit is changed by one."""
    for path, claims in claims_by_file.items():
        if path.endswith(".ipynb"):
            cells = load_notebook(path)["cells"]
        else:
            text = (ROOT / path).read_text(encoding="utf-8")
            blocks, own = document_blocks(text), document_pool(path, text)
        for claim in claims:
            if claim.how in ("", "source", "example") or not worth_changing(claim.number):
                continue
            number = claim.number
            if path.endswith(".ipynb"):
                source = "".join(cells[claim.cell]["source"])
            else:
                source = blocks[claim.block][1]
            changed = source[: number.start] + changed_by_one(number.text) + source[number.end :]
            if path.endswith(".ipynb"):
                again = cell_claims(path, claim.cell, changed)
            else:
                again = block_claims(path, claim.block, changed, own)
            yield claim, next(c for c in again if c.number.start == number.start)


def is_precise(number):
    """Three significant digits or more, or two decimals or more: 96.05%, 25,818, 0.41."""
    digits = re.match(r"[\d,.]+", number.text).group()
    return len(re.sub(r"\D", "", digits).lstrip("0")) >= 3 or len(digits.partition(".")[2]) >= 2


# Measured when this test was written (1,888 claims; about 950 changed): 90% of the precise
# numbers changed by one were caught and 72% of all. After every text was made traceable, with
# many more numbers quoted from results files (1,409 changed): 87% and 73%, once a JSON file's
# numbers took their keys' units and a notebook's record counted only where the text names that
# notebook (before that: 85% and 69%). A number that is missed was changed into another number the
# same notebook prints (16 -> 17, 99.10% -> 99.11%) or a constant (255 -> 256 where the code says
# 256): no rule can tell those apart. A drop below these shares means a rule became too lenient.
CAUGHT_PRECISE, CAUGHT_ALL = 0.86, 0.70


def test_numbers_changed_by_one_are_caught(claims_by_file):
    results = list(mutations(claims_by_file))
    missed = [(claim, after) for claim, after in results if after.how]
    precise = [after for claim, after in results if is_precise(claim.number)]
    caught_precise = sum(not after.how for after in precise) / len(precise)
    caught_all = 1 - len(missed) / len(results)
    print(
        f"\n{len(results)} numbers changed by one: {len(results) - len(missed)} caught "
        f"({caught_all:.0%}), {len(missed)} missed; of the {len(precise)} precise ones "
        f"{caught_precise:.0%} caught. Missed (the changed number is supported too):"
    )
    for claim, after in missed:
        print(f"  {claim.where}: {claim.number} -> {after.number} ({after.how})")
    assert caught_precise >= CAUGHT_PRECISE and caught_all >= CAUGHT_ALL
