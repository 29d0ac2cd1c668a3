"""Make the Chinese notebooks (notebooks/zh/) from the English ones and translation files.

    python tools/translate_notebooks.py update     # English markdown -> translations/zh/*.po
    python tools/translate_notebooks.py build      # .po + English notebooks -> notebooks/zh/, run
    python tools/translate_notebooks.py status     # untranslated and stale cells, per notebook

The English notebooks are the source. Each notebook has one gettext file,
translations/zh/NN_name.po, with one entry per markdown cell: the cell's id is the entry's
context (msgctxt), the cell's English text its msgid, the Chinese its msgstr. Edit the .po files
with any PO editor (Poedit, Lokalize, a text editor).

- ``update`` (Babel's catalogue merge) adds new cells, and marks *fuzzy* (stale) every entry whose
  English cell has changed, keeping the old translation for the translator to revise; the entries
  of removed cells become obsolete (``#~``).
- ``build`` writes notebooks/zh/NN_name.ipynb: the English notebook with each markdown cell
  replaced by its translation, code cells untouched (same source, same ids), plus one pair of cells
  after the title that switches the exercise checks' feedback to Chinese (LANGUAGE_CELLS). Links to
  pages that have no Chinese copy (glossary.md, shapes.md) get ``../``. It then runs every notebook
  top to bottom, as tools/run_notebooks.py does, so the stored outputs are the Chinese run's:
  the same numbers and figures as the English ones, the checks' sentences in Chinese.
  A cell with no current translation keeps its English text, and ``build`` says how many.
- tests/test_translations.py fails while any cell is untranslated or stale, when a code cell
  differs from the English, or when an output differs from the English one.
"""

import argparse
import datetime
import io
import re
import sys
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ZH_NOTEBOOKS = NOTEBOOKS / "zh"
TRANSLATIONS = ROOT / "translations" / "zh"
LOCALE = "zh_CN"
PROJECT = "Handwritten digits from scratch"
DATE = datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)  # fixed: no churn in diffs
# The cells only the Chinese notebooks have, inserted after the title (cell 0).
LANGUAGE_CELLS = (
    (
        "markdown",
        "zh-language-note",
        "这是中文版。下面这一格让练习的检查用中文给出反馈（英文版没有这一格）。",
    ),
    ("code", "zh-language", 'from mlp_lib.exercises import set_language\nset_language("zh")'),
)
LINK = re.compile(r"(\]\()([^)\s#]+)([^)]*\))")  # ](target "title") in markdown


def english_notebooks():
    """The English series: notebooks/NN_*.ipynb, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def po_path(notebook):
    return TRANSLATIONS / f"{Path(notebook).stem}.po"


def template(notebook):
    """A catalogue of the notebook's markdown cells: context = cell id, msgid = the English text."""
    nb = nbformat.read(notebook, as_version=4)
    catalog = new_catalog()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.strip():
            catalog.add(cell.source, context=cell.id, locations=[(Path(notebook).name, index)])
    return catalog


def new_catalog():
    return Catalog(
        locale=LOCALE,
        project=PROJECT,
        version="1",
        copyright_holder="the project's authors",
        language_team="Chinese <zh@li.org>",
        creation_date=DATE,
        revision_date=DATE,
        fuzzy=False,
    )


def read_catalog(path):
    with open(path, "rb") as file:
        return read_po(file, locale=LOCALE)


def write_catalog(catalog, path):
    """Write ``catalog`` to ``path`` in one step (lines broken only where the text breaks)."""
    from mlp_lib.atomic import atomic_file

    buffer = io.BytesIO()
    catalog.creation_date = catalog.revision_date = DATE
    for message in catalog:  # Babel guesses "python-format" from a "%" in the text: it is markdown
        message.flags.discard("python-format")
    # Without the previous English (#| msgid): Babel writes it on one line that it cannot read back.
    # A translator finds what changed with git diff of the English notebook.
    write_po(buffer, catalog, width=0, sort_output=False, include_previous=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as file:
        file.write(buffer.getvalue())


def update(notebook):
    """Bring the notebook's .po up to date with its English cells; return (new, stale) counts."""
    path = po_path(notebook)
    fresh = template(notebook)
    if not path.exists():
        write_catalog(fresh, path)
        return len(fresh), 0
    catalog = read_catalog(path)
    catalog.update(fresh, update_header_comment=False)
    write_catalog(catalog, path)
    new = sum(1 for message in catalog if message.id and not message.string)
    stale = sum(1 for message in catalog if message.id and message.fuzzy)
    return new, stale


def translations(notebook):
    """{(cell id, English text): Chinese} for the entries that are translated and not stale."""
    path = po_path(notebook)
    if not path.exists():
        return {}
    return {
        (message.context, message.id): message.string
        for message in read_catalog(path)
        if message.id and message.string and not message.fuzzy
    }


def missing_cells(notebook):
    """The ids of the notebook's markdown cells with no current translation (untranslated or stale)."""
    done = translations(notebook)
    nb = nbformat.read(notebook, as_version=4)
    return [
        cell.id
        for cell in nb.cells
        if cell.cell_type == "markdown"
        and cell.source.strip()
        and not done.get((cell.id, cell.source))
    ]


def relink(markdown):
    """Point links at pages with no Chinese copy (glossary.md, shapes.md) one folder up."""

    def fix(match):
        target = match.group(2)
        if "://" in target or target.startswith(("/", "../", "mailto:")):
            return match.group(0)
        here = (ZH_NOTEBOOKS / target).exists() or (NOTEBOOKS / target).suffix == ".ipynb"
        return match.group(0) if here else f"{match.group(1)}../{target}{match.group(3)}"

    return LINK.sub(fix, markdown)


def chinese_notebook(notebook):
    """The Chinese notebook (sources only, English outputs kept) and how many cells are English."""
    nb = nbformat.read(notebook, as_version=4)
    done = translations(notebook)
    missing = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        chinese = done.get((cell.id, cell.source))
        missing += not chinese
        cell.source = relink(chinese or cell.source)
    added = []
    for kind, cell_id, source in LANGUAGE_CELLS:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = cell_id
        added.append(cell)
    nb.cells[1:1] = added
    return nb, missing


def language_cell_ids():
    return {cell_id for _, cell_id, _ in LANGUAGE_CELLS}


def build(notebooks, run=True):
    """Write notebooks/zh/ for ``notebooks`` and run them; return {name: English cells left}."""
    from run_notebooks import run_notebook, save

    ZH_NOTEBOOKS.mkdir(exist_ok=True)
    left = {}
    for notebook in notebooks:
        nb, missing = chinese_notebook(notebook)
        target = ZH_NOTEBOOKS / Path(notebook).name
        target.touch()  # save() replaces a file, keeping its permissions: a new one gets a user's
        save(nb, target)
        if run:
            seconds = run_notebook(target)
            print(f"{target.relative_to(ROOT)}: run in {seconds:.1f} s", flush=True)
        left[target.name] = missing
    return left


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "build", "status"))
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="build: write the notebooks without running them (a quick look at the text; they keep the English outputs, so the tests fail until a build that runs)",
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or english_notebooks()
    for notebook in notebooks:
        if notebook.resolve().parent != NOTEBOOKS:
            print(f"error: {notebook} is not an English notebook in {NOTEBOOKS}", file=sys.stderr)
            return 1
    if args.command == "update":
        for notebook in notebooks:
            new, stale = update(notebook)
            print(f"{po_path(notebook).relative_to(ROOT)}: {new} untranslated, {stale} stale")
        return 0
    if args.command == "status":
        total = 0
        for notebook in notebooks:
            missing = missing_cells(notebook)
            total += len(missing)
            print(f"{notebook.name}: {len(missing)} cells untranslated or stale")
        return 1 if total else 0
    left = build(notebooks, run=not args.no_run)
    english = sum(left.values())
    print(f"{len(left)} Chinese notebooks written to {ZH_NOTEBOOKS.relative_to(ROOT)}/", end="")
    print(
        f"; {english} cells are still English: translate them in translations/zh/"
        if english
        else ""
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
