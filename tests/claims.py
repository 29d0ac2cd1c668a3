"""Every number in the prose of the notebooks and the guides, traced to where it comes from.

A notebook's text says "about 94%", "25,818 parameters", "11.2 s -> 20.4 s". Each such number is
a **claim**, and tests/test_claims.py requires each to be one of these:

- **printed** by an output of the same notebook, rounded as the text rounds it: "96%" is 96.05%
  printed, "0.41" is 0.4123. A whole number is exact ("25,818"), unless the text says it is
  rounded ("about 25,800", "some 200", "over 1,000") and it is 100 or more and ends in zeros: then
  it is rounded to its last non-zero digit (25,818 is "about 25,800"). A percentage is never
  rounded to tens ("about 80%" needs 79.5 to 80.5) and must be printed as a percentage or as a
  fraction (0.9605 is 96.05%). A number with another unit (s, min, MB, GB, ...) must be printed
  with that unit; a JSON file writes its units in its keys ("train_seconds": 290.78 is in s,
  "peak_mb" in MB), and a number whose key names no unit supports a claim in any unit. Inequalities are read as roundings: "more than 99%" needs a
  printed number that rounds to 99%.
- **code**: stated, exactly, by the same notebook's code (its code cells, `inline code`, the code of
  its folded solutions). Settings such as `lr=0.05` or `epochs=3` are facts of the notebook: the
  text may state them, not round them. A guide's code counts only in the same sentence.
- **quoted**: its sentence names where it comes from, and it is there: another notebook ("notebook
  08", "notebooks 02–04", "05's", a link to 08_going_further.ipynb), whose outputs and code count
  as above; or a file of the repository (`results/ladder.json`, results/record_search.md,
  [jupyterhub_config.py](jupyterhub_config.py)), whose numbers count as printed ones. A table cell
  shares what its row, the table's header row and the sentence that introduces the table (ending
  with a colon) name: "Measured by the classroom test (every figure in results/classroom.json):";
  a row whose "#" or "notebook" column numbers a notebook names it. A JSON record about one
  notebook ({"notebook": "05_....ipynb", ...}) supports only a claim that names that notebook, when
  the claim names any.
- **arithmetic**: it is part of a sum written out that is right: "784 × 128 + 128 = 100,480".
- **constant**: one of a few facts of MNIST (CONSTANTS, each with its reason), or written as one
  of CONSTANT_PHRASES ("[0, 1]", "0..255", "28×28").
- **outside source**: its sentence cites one: a link to a web page, "Simard et al.", "(Srivastava
  et al., 2014)", "Kingma & Ba, 2015", "Nesterov (1983)". It cannot be checked here: every number
  of that sentence is taken on trust (``claim.how == "source"``), so keep measured numbers out of
  it.
- **example**: it follows "say", "e.g.", "for example" or "for instance": "(say 50)".

Not claims, and skipped: notebook numbers ("notebook 05", "[06 · Evaluation]", "05's", a table's
"#" or "notebook" column), labels ("exercise 2", "section 3", "step 8", "cell 12", "Try it 4",
"flat index 53", "#1265", a heading's "2." or a list's "1."), versions ("Python 3.11", "numpy
2.4.6", "3.10 to 3.13" in a sentence about Python), the years of citations, clock times, decades
("the 2010s"), ordinals, plurals ("the 1s"), numbers inside words or names (float32, L2, B1,
SHA-256), and everything in `inline code`, LaTeX maths (except a number written
$6.1 \\times 10^{-6}$), link targets, HTML tags and fenced code. The comments of fenced code
(`# 109386`) are prose: their numbers are claims, except those beside a print() in README.md,
which tests/test_readme_code.py checks by running the code. Dates (2026-12-07) are claims: a file
or an output must show the same date.

The text says what a number is and where it comes from; the guard checks that the two agree.
"""

import ast
import io
import json
import re
import subprocess
import tokenize
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from functools import cache
from math import log
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = tuple(
    str(path.relative_to(ROOT)) for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
)
DOCUMENTS = ("README.md", "notebooks/README.md", "notebooks/TEACHERS.md", "classroom/README.md")

# Facts of MNIST any text may state without printing them. Keep this list short and reviewed: a
# number that is here can never be caught as stale. A claim is a constant if, at its own precision,
# it is one of these values, with the same unit, and has two significant digits or more ("47 MB"
# is 47.04 MB and "2.30" is ln 10; "2" is not).
TRAINING_BYTES = 60_000 * 784  # the training images as bytes, one per pixel
CONSTANTS = [  # (value, unit, why)
    (28, None, "an image's height and width in pixels"),
    (784, None, "pixels in an image, 28 × 28: the network's input size"),
    (255, None, "the largest value of a byte: pixels are 0..255"),
    (70_000, None, "images of MNIST (and of Fashion-MNIST), training and test"),
    (60_000, None, "training images of MNIST (and of Fashion-MNIST)"),
    (10_000, None, "test images; also the validation images held out of the training images"),
    (50_000, None, "training images left when the 10,000 validation images are held out"),
    (TRAINING_BYTES, None, "pixels of all training images: 47 million"),
    (TRAINING_BYTES / 1e6, "MB", "the training images as bytes: 47 MB"),
    (4 * TRAINING_BYTES / 1e6, "MB", "the training images as float32: 188 MB"),
    (8 * TRAINING_BYTES / 1e6, "MB", "the training images as float64: 376 MB"),
    (log(10), None, "ln 10 = 2.3026: the loss of a network that gives each of 10 classes 10%"),
]


# ---------------------------------------------------------------------------------------------
# 1. Numbers as written


@dataclass(frozen=True)
class Number:
    """A number as written: its value, the precision it is written to, and its unit.

    ``decimals`` is the number of digits after the point (2 for "96.05"), or minus the number of
    zeros a rounded whole number ends in (-2 for "about 25,800"). ``value`` is never negative:
    a sign says which way, the claim is the size.
    """

    text: str
    value: float
    decimals: int
    unit: str | None = None
    start: int = 0
    end: int = 0

    def __str__(self):
        if self.unit in (None, "date"):
            return self.text
        return self.text + ("%" if self.unit == "%" else f" {self.unit}")


# Digits with optional thousands commas, decimals and an exponent; not inside a word, a longer
# number or a name (float32, x86): the look-behinds keep "32" of "float32" out.
NUMBER = re.compile(
    r"(?<![\w.])(?<!\d,)(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+(?![\w.]))?"
)
SPELLINGS = {  # a unit -> how the texts write it
    "%": "%",
    "s": "s sec second seconds",
    "ms": "ms millisecond milliseconds",
    "µs": "µs microseconds",
    "min": "min minute minutes",
    "hour": "hour hours",
    "KB": "KB kB",
    "MB": "MB",
    "MiB": "MiB",
    "GB": "GB",
    "GiB": "GiB",
    "bytes": "bytes",
}
UNITS = {spelling: unit for unit, spellings in SPELLINGS.items() for spelling in spellings.split()}
UNIT = re.compile(r"[ \u00a0\u202f\n]?(%|µs|[A-Za-z]+)(?!\w)")
# What may follow a number without a space and leave it a number: a unit, "x" (times), "px".
ATTACHED = re.compile(r"(?:%|µs|ms|MB|GB|KB|kB|MiB|GiB|x|px)(?!\w)")  # not "s": "the 1s", "7s"
DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def parse(token):
    """(value, decimals) of a number as written: "25,818" -> (25818, 0), "2.16e+03" -> (2160, -1)."""
    mantissa, _, exponent = token.replace(",", "").replace("_", "").lower().partition("e")
    exponent = int(exponent or 0)
    return abs(float(mantissa) * 10.0**exponent), len(mantissa.partition(".")[2]) - exponent


def unit_after(text, end):
    """The unit written right after a number that ends at ``end`` ("%", "s", "MB", ...), or None."""
    match = UNIT.match(text, end)
    return UNITS.get(match.group(1)) if match else None


def in_a_name(text, end):
    """Is the number that ends at ``end`` part of a name (3D, 8M, 2nd)? A unit or "x" is not."""
    return (
        end < len(text)
        and (text[end].isalpha() or text[end] == "_")
        and not ATTACHED.match(text, end)
    )


def numbers_in(text):
    """Every number of a printed text or a file, with its unit ("92–94%": both are percentages),
    and every date: nothing is skipped here."""
    dates = [Number(m.group(), date_value(m), 0, "date", *m.span()) for m in DATE.finditer(text)]
    in_dates = covered((date.start, date.end) for date in dates)
    found = []
    for match in NUMBER.finditer(text):
        if match.start() not in in_dates and not in_a_name(text, match.end()):
            value, decimals = parse(match.group())
            unit = unit_after(text, match.end())
            found.append(Number(match.group(), value, decimals, unit, *match.span()))
    return share_units(found, text) + dates


def date_value(match):
    year, month, day = (int(part) for part in match.groups())
    return float(year * 10_000 + month * 100 + day)


# ---------------------------------------------------------------------------------------------
# 2. Pools: the numbers a claim may be traced to


@dataclass(frozen=True)
class Entry:
    """A number of a pool: printed (``exact=False``) or of code."""

    value: float
    decimals: int
    unit: str | None
    exact: bool  # a number of code: only the same value supports a claim, no rounding


class Pool:
    """Numbers printed (a claim may round them) and numbers of code (a claim must state them).

    ``units_printed``: the printed text writes its units (a notebook's outputs), so a claim with a
    unit needs a number printed with that unit. A data file keeps its units in its keys
    ("train_seconds": 290.78): there a number without one matches a claim with any unit.
    """

    def __init__(self, name="", units_printed=False):
        self.name = name
        self.units_printed = units_printed
        self.entries = []
        self._values = None

    def add_printed(self, text):
        for number in numbers_in(text):
            self.add(number.value, number.decimals, number.unit, exact=False)

    def add_code(self, numbers):
        for number in numbers:
            self.add(number.value, number.decimals, None, exact=True)

    def add(self, value, decimals, unit, exact):
        self._values = None
        self.entries.append(Entry(value, decimals, unit, exact))
        # A percentage is also a fraction, and a fraction a percentage: 96.05% is 0.9605.
        if unit == "%":
            self.entries.append(Entry(value / 100, decimals + 2, None, exact))
        elif unit is None and 0 < value <= 1 and (decimals >= 2 or exact):
            self.entries.append(Entry(value * 100, decimals - 2, "%", exact))

    def supports(self, number):
        """How an entry supports ``number`` at the number's own precision: "printed", "code", or
        "" if none does."""
        if self._values is None:
            self.entries.sort(key=lambda entry: entry.value)
            self._values = [entry.value for entry in self.entries]
        tolerance = 0.5 * 10.0**-number.decimals * (1 + 1e-9) + 1e-12 * number.value
        low = bisect_left(self._values, number.value - tolerance)
        high = bisect_right(self._values, number.value + tolerance)
        kinds = {
            "code" if entry.exact else "printed"
            for entry in self.entries[low:high]
            if matches(number, entry, self.units_printed)
        }
        return "printed" if "printed" in kinds else "code" if kinds else ""


def matches(number, entry, units_printed):
    """Does ``entry``, already within rounding of ``number``, support it? A number of code has no
    unit and must be stated exactly; a printed one must have the claim's unit (see Pool)."""
    if entry.exact:  # a percentage only from a fraction's twin (Pool.add); any other unit goes
        same_kind = number.unit == "%" if entry.unit == "%" else number.unit not in ("%", "date")
        return same_kind and abs(entry.value - number.value) <= 1e-9 * max(1.0, number.value)
    return units_agree(number.unit, entry.unit, units_printed)


def units_agree(claimed, printed, units_printed):
    """A percentage must be printed as one (or as a fraction, which Pool.add turns into one), a
    date as a date; another unit as the same unit, or, where units are not printed, as none."""
    if claimed == printed:
        return True
    if "date" in (claimed, printed) or claimed == "%":
        return False
    return claimed is None or (printed is None and not units_printed)


# ---------------------------------------------------------------------------------------------
# 3. Code: its numbers, and its comments (which are prose)


def code_numbers(source):
    """The numbers of Python code, not those in its strings or comments (a format spec such as
    ``:6.2f`` is not a setting). Lines of IPython magics are left out; what is not Python (a shell
    command) gives every number outside its quotes and comments."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    numbers = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            text = token.string
            if token.type == tokenize.NUMBER and not text.lower().startswith(("0x", "0o", "0b")):
                numbers.append(Number(text, *parse(text.rstrip("jJ"))))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        plain = re.sub(r"#.*|'[^'\n]*'|\"[^\"\n]*\"", " ", "\n".join(lines))
        numbers = [Number(m.group(), *parse(m.group())) for m in NUMBER.finditer(plain)]
    return numbers


def comment_span(line):
    """(start, end) of the comment of one line of code (Python or shell), or None."""
    unquoted = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", lambda m: "_" * len(m.group()), line)
    match = re.search(r"(?:^|\s)#+ ?(.*?)\s*$", unquoted)
    if not match or not match.group(1):
        return None
    return match.span(1)


# ---------------------------------------------------------------------------------------------
# 4. Markdown: its sentences, and what in it is not prose


@dataclass
class Segment:
    """One unit of prose: a sentence, a table cell, a heading or a code comment."""

    start: int
    end: int
    context: tuple = ()  # a table cell: spans whose references it shares (its row, the table's
    #                      header row, and the sentence that introduces the table with a colon)
    column: str = ""  # a table cell: its column's header
    row_notebook: str = ""  # a table cell: the notebook its row is about ("05"), if it numbers one
    kind: str = "sentence"  # or "cell", "heading", "comment", "printed comment" (beside print())


@dataclass
class Markdown:
    """A markdown text split into prose segments, and what was masked from them."""

    text: str
    masked: str  # the text with code, maths, link targets, tags and URLs blanked out
    segments: list
    code: list  # numbers of its code: fenced blocks and inline code
    inline_code: list  # (start, end, numbers) of each inline code span
    printed_comments: list  # comments beside print(...) in ```python blocks
    exponents: dict  # start of a mantissa kept inside maths -> its power of ten


MASK = "\x00"
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
HEADING = re.compile(r"^\s*#{1,6}\s")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
MATH = re.compile(r"\$\$.+?\$\$|(?<![\\\w])\$[^$\n]+?\$", re.S)
TIMES_TEN = re.compile(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?(-?\d+)\}?")
LINK_TARGET = re.compile(r"\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
URL = re.compile(r"https?://[^\s)>\]]+")
ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|approx|Fig|No)|\b[A-Z])\.$")
PYTHON = ("python", "py", "")


def read_markdown(text):
    """Split a markdown text into prose segments, and collect the numbers of its code."""
    masked = list(text)
    segments, code, printed_comments = [], [], []
    offset = 0
    paragraph = fence = table_header = None
    table_context = ()
    language = ""
    for line in text.splitlines(keepends=True):
        start, end = offset, offset + len(line)
        offset = end
        content_end = start + len(line.rstrip("\n"))
        fence_match = FENCE.match(line)
        if fence is not None or fence_match:  # fenced code: its numbers are code, comments prose
            paragraph = flush(paragraph, segments)
            masked[start:end] = MASK * (end - start)
            if fence is None:
                fence, language = fence_match.group(1), fence_match.group(2).lower()
            elif fence_match and line.strip() == fence:
                fence = None
            else:
                code.extend(
                    code_numbers(line) if language in PYTHON else numbers_outside_quotes(line)
                )
                span = comment_span(line)
                if span:
                    a, b = start + span[0], start + span[1]
                    masked[a:b] = text[a:b]
                    segments.append(Segment(a, b, kind="comment"))
                    if language in PYTHON[:2] and line.lstrip().startswith("print("):
                        printed_comments.append(text[a:b])
                        segments[-1].kind = "printed comment"
            continue
        if TABLE_ROW.match(line):
            paragraph = flush(paragraph, segments)
            if TABLE_RULE.match(line):
                continue
            cells = table_cells(text, start, content_end)
            if table_header is None:
                table_header = [text[a:b].strip() for a, b in cells]
                table_context = ((start, content_end), *introduction(text, segments))
                continue
            row_notebook = ""
            if table_header[0].lower() in ("#", "notebook") and cells:
                first = re.match(rf"\s*({NOTEBOOK_NUMBER})\b", text[cells[0][0] : cells[0][1]])
                row_notebook = first.group(1) if first else ""
            for column, (a, b) in enumerate(cells):
                header = table_header[column] if column < len(table_header) else ""
                context = ((start, content_end), *table_context)
                segments.append(
                    Segment(a, b, context, header, kind="cell", row_notebook=row_notebook)
                )
            continue
        table_header = None
        if not line.strip():
            paragraph = flush(paragraph, segments)
        elif HEADING.match(line):
            paragraph = flush(paragraph, segments)
            segments.append(Segment(start, content_end, kind="heading"))
        elif LIST_ITEM.match(line) or paragraph is None:
            flush(paragraph, segments)
            paragraph = [start, content_end]
        else:
            paragraph[1] = content_end
    flush(paragraph, segments)

    inline_code, exponents = [], {}
    masked = mask_inline(masked, inline_code, exponents)
    code.extend(number for _, _, numbers in inline_code for number in numbers)
    sentences = []
    for segment in segments:
        sentences.extend(
            split_sentences(masked, segment) if segment.kind == "paragraph" else [segment]
        )
    return Markdown(text, masked, sentences, code, inline_code, printed_comments, exponents)


def numbers_outside_quotes(line):
    """The numbers of a line of shell (or other) code, not those in quotes or its comment."""
    plain = re.sub(r"#.*|'[^'\n]*'|\"[^\"\n]*\"", " ", line)
    return [Number(m.group(), *parse(m.group())) for m in NUMBER.finditer(plain)]


def introduction(text, segments):
    """The span of the sentence that introduces a table, if the paragraph just before it ends with
    a colon: "Measured by the classroom test (every figure in results/classroom.json):"."""
    if not segments or segments[-1].kind != "paragraph":
        return ()
    paragraph = text[segments[-1].start : segments[-1].end].rstrip()
    if not paragraph.endswith(":"):
        return ()
    last = max(paragraph.rfind(". "), paragraph.rfind(".\n"))
    return ((segments[-1].start + last + 1, segments[-1].end),)


def flush(paragraph, segments):
    if paragraph is not None:
        segments.append(Segment(paragraph[0], paragraph[1], kind="paragraph"))
    return None


def table_cells(text, start, end):
    """The (start, end) of each cell of the table row text[start:end]; a | inside `code` is text."""
    row = text[start:end]
    bars = [i for i, char in enumerate(row) if char == "|" and row[:i].count("`") % 2 == 0]
    return [(start + left + 1, start + right) for left, right in zip(bars, bars[1:])]


def mask_inline(masked, inline_code, exponents):
    """Blank out inline code, maths (keeping the mantissa of "6.1 \\times 10^{-6}"), link targets,
    tags and URLs. Inline code spans are recorded with their numbers."""
    current = "".join(masked)
    for match in INLINE_CODE.finditer(current):
        if MASK in match.group():
            continue  # a backtick inside fenced code
        inline_code.append((match.start(), match.end(), code_numbers(match.group(2))))
        masked[match.start() : match.end()] = MASK * (match.end() - match.start())
    current = "".join(masked)
    for match in MATH.finditer(current):
        masked[match.start() : match.end()] = MASK * (match.end() - match.start())
        for number in TIMES_TEN.finditer(match.group()):
            at = match.start() + number.start(1)
            masked[at : at + len(number.group(1))] = number.group(1)
            exponents[at] = int(number.group(2))
    for pattern in (LINK_TARGET, HTML_TAG, URL):
        for match in pattern.finditer("".join(masked)):
            masked[match.start() : match.end()] = MASK * (match.end() - match.start())
    return "".join(masked)


def split_sentences(masked, paragraph):
    """The sentences of a paragraph: it is split after . ! or ? and a space, not after "e.g."."""
    pieces, start = [], paragraph.start
    for match in re.finditer(r"[.!?][*_)\"'’”]*\s+", masked[paragraph.start : paragraph.end]):
        at = paragraph.start + match.start()
        if ABBREVIATION.search(masked[max(start, at - 8) : at + 1]):
            continue
        if not masked[start:at].strip(" \n-*+0123456789"):
            continue  # "1. " opening a list item
        pieces.append(Segment(start, paragraph.start + match.end()))
        start = paragraph.start + match.end()
    if masked[start : paragraph.end].strip():
        pieces.append(Segment(start, paragraph.end))
    return pieces


# ---------------------------------------------------------------------------------------------
# 5. What is not a claim: notebook numbers, labels, versions, citations' years


NOTEBOOK_NUMBER = r"(?:0[1-9]|1[01]|[1-9])"
LIST_OF_NUMBERS = r"\d+(?:\s*(?:,|–|-|to|and|or|&|/)\s*\d+)*"
LABELS = re.compile(
    r"\b(?:notebooks?|exercises?|sections?|steps?|cells?|Try it|parts?|chapters?|figures?|lessons?"
    r"|layer|issues?|formats?|index)"
    rf"\s+({LIST_OF_NUMBERS})(?![\d.,]\d)",
    re.I,
)
PRODUCTS = (
    r"Python|python3|Debian|Ubuntu|JupyterHub|JupyterLab|Jupyter|NumPy|numpy|matplotlib|OpenBLAS|"
    r"nbval|pytest|ipykernel|ipywidgets|nbgrader|Node(?:\.js)?|release|version|versions|BY-SA|chart|"
    r"Chromium|pip|uv|Voilà|ruff|torch|PyTorch|scikit-learn|macOS"
)
VERSIONS = re.compile(
    rf"\b(?:{PRODUCTS})['’]?s?\s*(?:own\s+)?(?:≥|>=|<)?\s*"
    r"(\d+(?:\.\d+)*(?:\s*(?:,|–|-|to|and|or|/)\s*\d+(?:\.\d+)*)*)"
)
PYTHON_VERSION = re.compile(r"(?<![\w.])3\.1\d(?:\.\d+)?(?![\w.]*\d)")
DOTTED_VERSION = re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?:\.\d+)*(?![\w.]*\d)")
NOTEBOOK_TITLE = re.compile(rf"(?<![\w.,])0[1-9](?![\d.,]\d)|(?<![\w.,]){NOTEBOOK_NUMBER}(?= ·)")
NOTEBOOK_POSSESSIVE = re.compile(r"(?<![\w.,])(?:0[1-9]|1[01])(?=['’]s\b)")
CLOCK = re.compile(r"(?<![\w.])\d{1,2}:\d{2}(?!\d)")
DECADE = re.compile(r"(?<![\w.])(?:1[89]|20)\d0s\b")
LEADING_NUMBER = re.compile(r"^\s*(?:#{1,6}\s+)?(?:[-*+]\s+)?[*_]*(\d+)[.)](?=\s)")  # "**2. Run"
ISSUE_NUMBER = re.compile(r"(?<=#)\d+\b")  # "repo2docker#1265"
AUTHOR = r"[A-Z][A-Za-z'’\-]+"
# A citation's year: "Simard et al. 2003", "(Srivastava et al., 2014)", "Kingma & Ba, 2015",
# "Nesterov (1983)"; not "By 2017" (a year after a plain space is a claim).
AUTHOR_YEAR = re.compile(
    rf"{AUTHOR}(?:(?:,\s*|\s+and\s+|\s+&\s+){AUTHOR})*"
    r"(?:\s+et al\.?,?\s+|,\s+|\s+\()((?:1[89]|20)\d\d)\b"
)
COPYRIGHT_YEAR = re.compile(r"©\s*((?:1[89]|20)\d\d)")
# Phrases as constant as CONSTANTS: pixels in "[0, 1]", "0..255" or "0 to 255"; images of
# "28×28"; MNIST's digits scaled to fit "20×20" (LeCun et al.); float32's "7 (significant) digits";
# "10 digits" or "10 classes".
CONSTANT_PHRASES = re.compile(
    r"\[0, 1\]|(?<![\w.])0(?:\.\.| to |–)255\b|\b28 ?× ?28\b|\b20 ?× ?20\b|\b7 (?:significant )?digits"
    r"|\b10 (?:digits|classes)\b"
)
CITATION = re.compile(r"\]\(https?://|(?<!\()https?://|\bet al\b")
EXAMPLE = re.compile(r"(?:\bsay,?|\be\.g\.,?|\bfor example,?|\bfor instance,?)\s*$", re.I)


def skipped_spans(text):
    """(start, end) of every number of ``text`` that is a name, a label or a version, not a claim."""
    spans = []
    for pattern in (LABELS, VERSIONS, AUTHOR_YEAR, COPYRIGHT_YEAR):
        spans.extend(match.span(1) for match in pattern.finditer(text))
    for pattern in (
        DOTTED_VERSION,
        NOTEBOOK_TITLE,
        NOTEBOOK_POSSESSIVE,
        CLOCK,
        DECADE,
        ISSUE_NUMBER,
    ):
        spans.extend(match.span() for match in pattern.finditer(text))
    for line in re.finditer(r"(?m)^.*$", text):
        leading = LEADING_NUMBER.match(line.group())
        if leading:
            spans.append((line.start() + leading.start(1), line.start() + leading.end(1)))
    return spans


def is_citation(sentence):
    """Does this sentence cite an outside source (a web link, "et al.", an author and a year)?
    An address in `inline code` (`http://<server>:8000`) is something to type, not a source."""
    prose = INLINE_CODE.sub(" ", sentence)
    return bool(CITATION.search(prose) or AUTHOR_YEAR.search(prose))


# ---------------------------------------------------------------------------------------------
# 6. Claims


HEDGE = re.compile(
    r"(?:about|around|roughly|approximately|nearly|almost|some|~|≈|close to|over|under|more than|"
    r"less than|fewer than|up to|at least|at most|just|below|above|within)\s*$",
    re.I,
)
RANGE = re.compile(r"^\s*(?:–|-|to)\s*$")
EQUATION = re.compile(
    r"(?<![\w.,])(?:\(?\s*\d[\d,.]*\s*\)?\s*[-+×x*/·−]\s*)+\(?\s*\d[\d,.]*\s*\)?\s*=\s*\d[\d,.]*"
)


@dataclass
class Claim:
    """A number of the prose: where it is, its sentence, and what it was traced to (``how``)."""

    path: str
    cell: int | None
    number: Number
    sentence: str
    how: str = ""  # "printed", "code", a repository file, "arithmetic", "constant", "source", ...
    references: frozenset = frozenset()  # files its sentence (or table row) names
    cited: bool = False  # its sentence cites an outside source
    local_code: tuple = ()  # numbers of the inline code of its sentence
    example: bool = False
    arithmetic: bool = False
    constant: bool = False  # written as a constant phrase: "[0, 1]", "0..255"
    kind: str = "sentence"  # the kind of its Segment
    block: int | None = None  # a document's claim: the index of its block (document_blocks)

    @property
    def where(self):
        return self.path if self.cell is None else f"{self.path}, cell {self.cell}"

    def __str__(self):
        return f"{self.where}: {self.number} in {self.sentence!r}"


def read_claims(text, path, cell=None):
    """(claims, Markdown) of a markdown text: every number of its prose that is not a name or a
    label, with what its sentence names and cites. ``claim.how`` is left for ``trace``."""
    markdown = read_markdown(text)
    masked = markdown.masked
    skipped = covered(skipped_spans(masked))
    here = (ROOT / path).parent
    claims = []
    for segment in markdown.segments:
        sentence = text[segment.start : segment.end]
        context = " ".join(text[a:b] for a, b in segment.context) if segment.context else sentence
        spans = python_versions(text, masked, segment)
        if segment.column.lower() in ("#", "notebook"):  # a column that numbers the notebooks
            spans.append(leading_number(masked, segment))
        numbers = numbers_of(
            masked,
            segment,
            skipped.union(covered(spans)) if spans else skipped,
            markdown.exponents,
            header_unit(segment.column),
        )
        right = set(numbers_in_right_equations(masked, segment, numbers))
        constant = covered(
            m.span() for m in CONSTANT_PHRASES.finditer(masked, segment.start, segment.end)
        )
        details = dict(
            references=referenced_files(context, here) | notebooks_numbered(segment.row_notebook),
            cited=is_citation(sentence),
            local_code=inline_code_within(markdown, segment),
        )
        for number in numbers:
            before = masked[max(segment.start, number.start - 16) : number.start]
            claims.append(
                Claim(
                    path,
                    cell,
                    number,
                    " ".join(sentence.split()),
                    kind=segment.kind,
                    example=bool(EXAMPLE.search(before)),
                    arithmetic=number.start in right,
                    constant=number.start in constant,
                    **details,
                )
            )
    return claims, markdown


def inline_code_within(markdown, segment):
    """The numbers of the inline code spans inside a segment."""
    starts = [start for start, _, _ in markdown.inline_code]
    first = bisect_left(starts, segment.start)
    last = bisect_left(starts, segment.end)
    return tuple(
        number
        for _, end, numbers in markdown.inline_code[first:last]
        if end <= segment.end
        for number in numbers
    )


def leading_number(masked, segment):
    """The span of the number a table cell starts with ("| 10 Your own handwriting |")."""
    match = re.match(r"\s*(\d+)", masked[segment.start : segment.end])
    return (segment.start + match.start(1), segment.start + match.end(1)) if match else (0, 0)


def python_versions(text, masked, segment):
    """In a sentence about Python (or `python3`), 3.10 to 3.13 are its versions."""
    if not re.search(r"\bPython|\bpython3?\b", text[segment.start : segment.end]):
        return []
    sentence = masked[segment.start : segment.end]
    return [
        (segment.start + m.start(), segment.start + m.end())
        for m in PYTHON_VERSION.finditer(sentence)
    ]


def header_unit(header):
    """The unit a table column's header gives its numbers: "memory (MB)" -> "MB"."""
    match = re.search(r"\(([^()]+)\)\s*$", header)
    return UNITS.get(match.group(1).strip()) if match else None


def numbers_of(masked, segment, skipped, exponents, column_unit=None):
    """The claimed numbers of one segment of masked markdown, with their units and precision."""
    text, end_of_segment = masked, segment.end
    found = []
    dates = [
        m for m in DATE.finditer(text, segment.start, end_of_segment) if m.start() not in skipped
    ]
    for match in NUMBER.finditer(text, segment.start, end_of_segment):
        start, end = match.span()
        if start in skipped or any(d.start() <= start < d.end() for d in dates):
            continue
        if text[start - 1 : start] == "-" and re.match(r"[A-Za-z_]", text[start - 2 : start - 1]):
            continue  # SHA-256, utf-8: part of a name
        after = text[end:end_of_segment][:16]  # what follows the number, within its segment
        if in_a_name(after, 0) or re.match(r"(?:st|nd|rd|th)\b", after):
            continue  # 3D, 8M; or an ordinal, "the 10th", which counts rather than measures
        value, decimals = parse(match.group())
        if start in exponents:  # $6.1 \times 10^{-6}$
            value, decimals = value * 10.0 ** exponents[start], decimals - exponents[start]
        unit = unit_after(after, 0) or column_unit
        if re.match(r" million\b", after):  # "47 million": a count of millions
            value, decimals = value * 1e6, decimals - 6
        if decimals == 0 and value >= 100 and unit != "%":
            if HEDGE.search(text[max(segment.start, start - 24) : start]):
                digits = match.group().replace(",", "")
                decimals = len(digits.rstrip("0")) - len(digits)  # "about 25,800": to the hundred
        found.append(Number(match.group(), value, decimals, unit, start, end))
    found.extend(Number(m.group(), date_value(m), 0, "date", *m.span()) for m in dates)
    return share_units(sorted(found, key=lambda number: number.start), text)


def covered(spans):
    """The positions that (start, end) spans cover, as a set."""
    return {position for start, end in spans for position in range(start, end)}


def share_units(numbers, text):
    """In "92–94%", "24–25 s" or "5 to 10 minutes" the first number has the unit of the second."""
    shared = list(numbers)
    for i in range(len(shared) - 2, -1, -1):
        first, second = shared[i], shared[i + 1]
        if first.unit is None and second.unit and RANGE.match(text[first.end : second.start]):
            shared[i] = replace(first, unit=second.unit)
    return shared


def numbers_in_right_equations(masked, segment, numbers):
    """Starts of the numbers of every sum written out in the segment that is right:
    "784 × 128 + 128 = 100,480" (the result at its own precision)."""
    for match in EQUATION.finditer(masked[: segment.end], segment.start):
        left, _, right = match.group().rpartition("=")
        value = arithmetic_value(left)
        result, decimals = parse(right.strip().rstrip(".,"))
        if value is not None and abs(value - result) <= 0.5 * 10.0**-decimals:
            yield from (n.start for n in numbers if match.start() <= n.start < match.end())


def arithmetic_value(expression):
    """The value of "784 × 128 + 128" (numbers, + - × / and brackets), or None if it is not one."""
    expression = re.sub(r"(?<=\d),(?=\d{3})", "", expression)
    for sign, operator in (("×", "*"), ("·", "*"), ("x", "*"), ("−", "-")):
        expression = expression.replace(sign, operator)
    expression = expression.strip()
    while expression.count("(") > expression.count(")") and expression.startswith("("):
        expression = expression[1:]  # a sum that opens a bracket: "(2 × 25,818 = 51,636 ..."
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        return None
    try:
        return float(eval(compile(tree, "<sum>", "eval"), {"__builtins__": {}}))
    except (ZeroDivisionError, OverflowError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# 7. References: the notebooks and files a sentence names


PATH = re.compile(r"[\w.\-/]*[\w\-]\.(?:ipynb|json|md|py|txt|cfg|toml|yml|yaml)\b")
NOTEBOOK_MENTION = re.compile(
    rf"\bnotebooks?\s+({NOTEBOOK_NUMBER}(?:\s*(?:,|–|-|to|and|or|&)\s*{NOTEBOOK_NUMBER})*)(?!\d)"
    rf"|\[({NOTEBOOK_NUMBER})\s*·|(?<![\w.,])(0[1-9]|1[01])['’]s\b",
    re.I,
)


@cache
def committed_files():
    """The files of the repository: committed, or new and not ignored (so that a results file can
    be cited before it is committed; test-artifacts/ is ignored, so never a source)."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return frozenset(listing.split("\n")) - {""}


@cache
def referenced_files(text, here=ROOT):
    """The committed files a sentence names: notebooks by number or by file, other files by path
    (from the document's folder or the repository's root, or by a name no other file has)."""
    files = committed_files()
    found = set()
    for match in NOTEBOOK_MENTION.finditer(text):
        for listing in filter(None, match.groups()):
            found.update(notebooks_numbered(listing))
    for match in PATH.finditer(text):
        name = match.group()
        for candidate in (here / name, ROOT / name.lstrip("./")):
            relative = repository_path(candidate)
            if relative in files:
                found.add(relative)
                break
        else:
            same_name = [f for f in files if f.endswith("/" + name.lstrip("./"))]
            if len(same_name) == 1:
                found.add(same_name[0])
    return frozenset(found)


def repository_path(path):
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return None


def notebooks_numbered(listing):
    """ "05", "02–04", "05 and 06" -> the paths of those notebooks."""
    numbers = [int(n) for n in re.findall(r"\d+", listing)]
    if len(numbers) == 2 and re.search(r"–|-|\bto\b", listing):
        numbers = list(range(numbers[0], numbers[1] + 1))
    by_number = {int(Path(path).name[:2]): path for path in NOTEBOOKS}
    return {by_number[n] for n in numbers if n in by_number}


# ---------------------------------------------------------------------------------------------
# 8. The pools of notebooks and files, and the trace of every claim


FIGURE = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


def output_text(output):
    """What an output shows as text: a stream, text/plain, text/html without its tags, an error.
    A figure's repr ("<Figure size 1100x380 with 2 Axes>") shows no measurement: left out."""
    if output["output_type"] == "stream":
        return "".join(output["text"])
    if output["output_type"] == "error":
        return f"{output['ename']}: {output['evalue']}"
    data = output.get("data", {})
    html = re.sub(r"<[^<>]*>", " ", "".join(data.get("text/html", "")))
    plain = FIGURE.sub(" ", "".join(data.get("text/plain", "")))
    return "\n".join((plain, html, "".join(data.get("text/markdown", ""))))


@cache
def load_notebook(path):
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


@cache
def notebook_pool(path):
    """A notebook's outputs (printed numbers) and its code, inline code and solutions (code)."""
    pool = Pool(path, units_printed=True)
    for cell in load_notebook(path)["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            pool.add_code(code_numbers(source))
            for output in cell.get("outputs", []):
                pool.add_printed(output_text(output))
        elif cell["cell_type"] == "markdown":
            pool.add_code(read_markdown(source).code)
    return pool


@cache
def file_pool(path, notebooks=frozenset()):
    """A committed file's numbers, as printed ones (a notebook's pool for a notebook).

    A JSON record about one notebook (an object with a "notebook" key, as tools/measure_notebooks.py
    writes) counts only for a claim whose sentence or table row names that notebook, if it names
    any (``notebooks``: their paths)."""
    if path.endswith(".ipynb"):
        return notebook_pool(path)
    pool = Pool(path)
    text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
    if path.endswith(".json"):
        add_json(pool, json.loads(text), names={Path(p).name for p in notebooks})
        return pool
    pool.add_printed(text)
    if path.endswith(".py"):  # its constants as Python writes them: 50_000_000
        pool.add_code(code_numbers(text))
    return pool


KEY_UNITS = (  # how a JSON key that ends so names its numbers' unit: "peak_mb", "train_seconds"
    ("seconds", "s"),
    ("_s", "s"),
    ("_ms", "ms"),
    ("minutes", "min"),
    ("_mb", "MB"),
    ("_mib", "MiB"),
    ("_gb", "GB"),
    ("_gib", "GiB"),
)


def key_unit(key):
    """The unit a JSON key names ("kernel_peak_mb" -> "MB"), or None."""
    key = key.lower()
    return next(
        (unit for ending, unit in KEY_UNITS if key == ending.lstrip("_") or key.endswith(ending)),
        None,
    )


def add_json(pool, value, unit=None, names=frozenset()):
    """A JSON file's numbers, each with the unit its key names (lists take their key's unit);
    strings and keys are read as printed text. ``names``: if any, the notebooks (file names) whose
    records count; another notebook's record is left out."""
    if isinstance(value, dict):
        about = value.get("notebook")
        if names and isinstance(about, str) and about.endswith(".ipynb") and about not in names:
            return
        for key, item in value.items():
            pool.add_printed(key)
            add_json(pool, item, key_unit(key), names)
    elif isinstance(value, list):
        for item in value:
            add_json(pool, item, unit, names)
    elif isinstance(value, str):
        pool.add_printed(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = Number(repr(value), *parse(repr(value)))
        pool.add(number.value, number.decimals, unit, exact=False)


def trace(claim, own):
    """How ``claim`` is supported, or "" if nothing supports it. ``own``: the pool of its notebook
    or document."""
    number = claim.number
    how = own.supports(number)
    if how:
        return how
    local = Pool()
    local.add_code(claim.local_code)
    if local.supports(number):
        return "code"
    named = frozenset(path for path in claim.references if path in NOTEBOOKS)
    for reference in sorted(claim.references):
        if file_pool(reference, named).supports(number):
            return reference
    if claim.arithmetic:
        return "arithmetic"
    if claim.constant or is_constant(number):
        return "constant"
    if claim.cited:
        return "source"
    if claim.example:
        return "example"
    return ""


def is_constant(number):
    """Is ``number`` one of CONSTANTS: at its own precision, with two significant digits or more,
    and not a whole number the text rounded ("above 60000" is not the 60,000 training images)?"""
    digits = len(re.sub(r"\D", "", number.text.split("e")[0].split("E")[0]).lstrip("0"))
    stated = number.decimals >= 0 or number.value >= 1e6  # "47 million" is stated in millions
    return (
        digits >= 2
        and stated
        and any(
            number.unit == unit and abs(number.value - value) <= 0.5 * 10.0**-number.decimals
            for value, unit, _ in CONSTANTS
        )
    )


def notebook_claims(path):
    """Every claim of a notebook's markdown cells, traced."""
    claims = []
    for index, cell in enumerate(load_notebook(path)["cells"]):
        if cell["cell_type"] == "markdown":
            claims.extend(cell_claims(path, index, "".join(cell["source"])))
    return claims


def cell_claims(path, index, source):
    """The claims of one markdown cell of a notebook, traced."""
    claims, _ = read_claims(source, path, index)
    for claim in claims:
        claim.how = trace(claim, notebook_pool(path))
    return claims


def document_claims(path):
    """Every claim of a markdown document, traced, block by block (see document_blocks)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    own = document_pool(path, text)
    claims = []
    for index, (_, block) in enumerate(document_blocks(text)):
        claims.extend(block_claims(path, index, block, own))
    return claims


def document_pool(path, text):
    """A document's own pool: empty (its code counts only in the same sentence), except for
    README.md, whose Python examples print what the comments beside their print() say
    (tests/test_readme_code.py checks that by running them)."""
    own = Pool(path)
    if path == "README.md":
        for comment in read_markdown(text).printed_comments:
            own.add_printed(comment)
    return own


def block_claims(path, index, block, own):
    """The claims of one block of a document, traced; ``claim.cell`` is None, ``claim.block`` its
    block. README.md's comments beside print() are not claims here: they are run."""
    claims, _ = read_claims(block, path)
    if path == "README.md":
        claims = [claim for claim in claims if claim.kind != "printed comment"]
    for claim in claims:
        claim.block = index
        claim.how = trace(claim, own)
    return claims


def document_blocks(text):
    """A document cut into blocks, as a notebook is into cells: (offset, text) of each run of lines
    between blank lines. A fenced code block is never cut, and a table stays with the paragraph
    before it, which may introduce it ("every figure in results/classroom.json:")."""
    blocks, start, offset, fence = [], None, 0, None
    for line in text.splitlines(keepends=True):
        fence_match = FENCE.match(line)
        if fence is not None:
            fence = None if fence_match and line.strip() == fence else fence
        elif fence_match:
            fence = fence_match.group(1)
        if line.strip() or fence is not None:
            start = offset if start is None else start
        elif start is not None:
            blocks.append((start, offset))
            start = None
        offset += len(line)
    if start is not None:
        blocks.append((start, offset))
    merged = []
    for block in blocks:
        if merged and TABLE_ROW.match(text[block[0] : block[1]]):
            merged[-1] = (merged[-1][0], block[1])  # a table joins the paragraph before it
        else:
            merged.append(block)
    return [(start, text[start:end]) for start, end in merged]


def all_claims():
    """Every claim of the notebooks and the documents, traced."""
    claims = []
    for path in NOTEBOOKS:
        claims.extend(notebook_claims(path))
    for path in DOCUMENTS:
        claims.extend(document_claims(path))
    return claims


# ---------------------------------------------------------------------------------------------
# 9. Changing a number by one


def changed_by_one(token):
    """The number as written with its last digit changed by one (up, or down from 9)."""
    mantissa_end = len(re.match(r"[\d,.]+", token).group().rstrip(".,"))
    last = int(token[mantissa_end - 1])
    return (
        token[: mantissa_end - 1] + str(last + 1 if last < 9 else last - 1) + token[mantissa_end:]
    )


def worth_changing(number):
    """Numbers whose change by one the guard must see: two significant digits or a decimal point."""
    digits = re.sub(r"[^\d]", "", re.match(r"[\d,.]+", number.text).group()).lstrip("0")
    return number.unit != "date" and ("." in number.text or len(digits) >= 2)
