"""Build the series as a website, in English and in Chinese, with Jupyter Book 1, offline.

    python tools/build_site.py _site          # _site/en/, _site/zh/ and _site/index.html
    python -m http.server -d _site            # then open http://127.0.0.1:8000/

The pages are made from the notebooks' stored outputs (nothing is executed): notebooks/NN_*.ipynb,
README.md (the first page) and the_whole_loop.md in English, the same pages from notebooks/zh/ in
Chinese (a page missing there is taken from notebooks/, and said so), and in both the bilingual
glossary.md and shapes.md.
The book's settings are in site/ (_config.yml, _toc.yml, the templates, MathJax and the other
static files); they are copied with the pages into a temporary folder, and the book is built there,
so nothing is ever written into notebooks/ or site/.

Every page links to the same page in the other language; every notebook page links to its .ipynb
(copied into the site, as it is in the repository) and to Binder. The widgets of notebooks 07 and
10, which need a running kernel, are shown as screenshots (site/widgets.yml). A page loads nothing
from another server: MathJax, fonts and pictures are all in the site.

The site is built in a temporary folder beside OUTDIR and moved into place only once complete: on
any error OUTDIR is left as it was. OUTDIR must be new, empty, or a site this tool built before.
"""

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SITE = REPO / "site"  # the book's settings and static files
ARTIFACTS = REPO / "test-artifacts"  # where the browser tests save the widgets' screenshots
PAGES = ("README.md", "the_whole_loop.md")  # besides the notebooks; each language has its own
SHARED_PAGES = ("glossary.md", "shapes.md")  # bilingual: one file for both languages
NOT_IN_BOOK = ["README.md", "choose-language.html", "widgets.yml"]  # site/'s files for the tool
MARKER = ".made-by-build-site"  # in OUTDIR: a folder this tool may replace
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PICTURE_MAX_BYTES = 200_000  # each screenshot on the site
TRANSLATE_COMMAND = "python tools/translate_notebooks.py build"


@dataclass(frozen=True)
class Language:
    """One edition of the site: where its pages come from and how Sphinx names its language."""

    code: str  # the site's folder, and the key in site/widgets.yml
    sphinx: str  # Sphinx's `language`: the theme's own words, and <html lang>
    title: str
    subfolder: str  # its notebooks, inside notebooks/


LANGUAGES = (
    Language("en", "en", "Handwritten digits from scratch", ""),
    Language("zh", "zh_CN", "从零开始的手写数字识别", "zh"),
)


# Appended to the conf.py that `jupyter-book config sphinx` writes: what _config.yml cannot say.
CONF_EXTRA = """
# From tools/build_site.py: thebe (live code from a CDN) is off, and sphinx_thebe would still declare
# its settings twice on every page, an error in the browser's console.
extensions.remove("sphinx_thebe")
"""


class SiteError(ValueError):
    """A reason the site cannot be built, in one line that says what to do."""


def check_outdir(outdir, notebooks=NOTEBOOKS):
    """Refuse an OUTDIR that is a file, lies inside the sources, or holds files not made here."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise SiteError(f"{outdir} is a file, not a folder: give the name of a new folder")
    resolved = outdir.resolve()
    for source in {Path(notebooks).resolve(), NOTEBOOKS, SITE}:
        if resolved == source or source in resolved.parents:
            raise SiteError(
                f"{outdir} is inside {source}, which the site is built from: "
                "give a folder outside it (for example _site)"
            )
    if outdir.is_dir() and any(outdir.iterdir()) and not (outdir / MARKER).exists():
        raise SiteError(
            f"{outdir} already holds files that tools/build_site.py did not make (it has no "
            f"{MARKER}): give a new or empty folder"
        )


def page_sources(language, notebooks=NOTEBOOKS):
    """{page file name: the file it is made from} for one language, the notebooks first.

    The English notebooks decide which pages there are; a Chinese page missing from notebooks/zh/
    is taken from notebooks/.
    """
    notebooks = Path(notebooks)
    names = sorted(path.name for path in notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        raise SiteError(f"{notebooks} has no notebooks NN_*.ipynb to build the site from")
    folder = notebooks / language.subfolder
    if not folder.is_dir():
        raise SiteError(
            f"{folder} not found: make the {language.code} notebooks first with "
            f"`{TRANSLATE_COMMAND}`"
        )
    sources = {}
    for name in names + list(PAGES) + list(SHARED_PAGES):
        own = folder / name
        sources[name] = own if own.is_file() and name not in SHARED_PAGES else notebooks / name
        if not sources[name].is_file():
            raise SiteError(f"{sources[name]} not found: the site's page {name} is made from it")
    return sources


def check_toc(names, toc_path=SITE / "_toc.yml"):
    """Every page must be in the table of contents, or Jupyter Book would leave it out silently."""
    toc = yaml.safe_load(Path(toc_path).read_text(encoding="utf-8"))
    listed = {toc["root"]} | {chapter["file"] for chapter in toc.get("chapters", [])}
    missing = sorted(name for name in names if Path(name).stem not in listed)
    if missing:
        raise SiteError(f"{toc_path} does not list {', '.join(missing)}: add a `- file:` line each")


def binder_url(repository_url, path):
    """The mybinder.org link that opens ``path`` (from the repository's root) in JupyterLab."""
    prefix = "https://github.com/"
    if not repository_url.startswith(prefix):
        raise SiteError(
            f"site/_config.yml: repository url {repository_url!r} is not on GitHub "
            f"(expected {prefix}OWNER/NAME), so there is no Binder link to make"
        )
    owner_name = repository_url[len(prefix) :].strip("/")
    return f"https://mybinder.org/v2/gh/{owner_name}/HEAD?urlpath=lab/tree/{path}"


def add_links(nb, text):
    """Put ``text`` (the download and Binder links) right under the notebook's title."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.startswith("# "):
        title, _, rest = first.source.partition("\n")
        first.source = f"{title}\n\n{text}\n{rest}"
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))


def widget_class(output):
    """The class of the widget an output shows ("Playground"), or None if it shows no widget."""
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return None
    return data.get("text/plain", "").split("(", 1)[0].strip()


def replace_widgets(nb, name, pictures, language, path):
    """Replace each widget output by its screenshot and a sentence on running it live.

    ``pictures`` is site/widgets.yml as read; a widget output with no picture there is an error.
    """
    number = name[:2]
    for index, cell in enumerate(nb.cells):
        for position, output in enumerate(cell.get("outputs", [])):
            kind = widget_class(output)
            if kind is None:
                continue
            entry = next(
                (p for p in pictures["pictures"] if (p["notebook"], p["widget"]) == (number, kind)),
                None,
            )
            if entry is None:
                raise SiteError(
                    f"{name}, cell {index}: a {kind} widget with no picture in site/widgets.yml: "
                    f'add an entry with notebook: "{number}" and widget: {kind}'
                )
            alt = html.escape(entry["alt"][language.code], quote=True)
            live = pictures["run_live"][language.code].format(path=path)
            figure = (
                f'<figure class="widget-picture">'
                f'<img src="_static/widgets/{entry["picture"]}" alt="{alt}">'
                f"<figcaption>{live}</figcaption></figure>"
            )
            cell.outputs[position] = nbformat.v4.new_output(
                "display_data", data={"text/html": figure}
            )


def local_links(text, names):
    """``text`` with links to ``../NAME`` made ``NAME`` for each page in ``names``.

    A Chinese notebook in notebooks/zh/ links to ../glossary.md; in the book, every page of a
    language sits in one folder.
    """
    for name in names:
        text = text.replace(f"](../{name}", f"]({name}")
    return text


def prepare_notebook(source, target, language, settings, names=()):
    """Copy one notebook into the book with its links added and its widgets made pictures."""
    try:
        nb = nbformat.read(source, as_version=4)
    except (ValueError, TypeError, KeyError, AttributeError, nbformat.ValidationError) as error:
        reason = str(error).splitlines()[0]
        raise SiteError(f"{source} is not a notebook that nbformat can read: {reason}") from None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = local_links(cell.source, names)
    path = "/".join(filter(None, ["notebooks", language.subfolder, source.name]))
    links = settings["pictures"]["links"][language.code].format(
        download=f"notebooks/{source.name}",
        notebook=source.name,
        binder=binder_url(settings["repository"], path),
    )
    add_links(nb, links)
    replace_widgets(nb, source.name, settings["pictures"], language, path)
    nbformat.write(nb, target)


def read_settings(site=SITE):
    """The repository url (for Binder) from _config.yml and the pictures from widgets.yml."""
    config = yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8"))
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise SiteError(f"{site / '_config.yml'} has no repository url: the Binder links need one")
    pictures = yaml.safe_load((site / "widgets.yml").read_text(encoding="utf-8"))
    return {"repository": url, "pictures": pictures}


def run(cmd, cwd):
    """Run a build step; on failure raise SiteError with the end of its output."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise SiteError(f"{' '.join(map(str, cmd[:4]))} ... failed:\n{tail}")
    return done.stdout + done.stderr


def build_language(language, sources, settings, workdir, outdir):
    """Build one language's book from ``sources`` into ``outdir`` (a new folder)."""
    book = workdir / f"book-{language.code}"
    shutil.copytree(
        SITE, book, ignore=lambda folder, names: NOT_IN_BOOK if folder == str(SITE) else []
    )
    for name, source in sources.items():
        if name.endswith(".ipynb"):
            prepare_notebook(source, book / name, language, settings, names=sources)
        else:
            text = local_links(source.read_text(encoding="utf-8"), sources)
            (book / name).write_text(text, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    run([bin_dir / "jupyter-book", "config", "sphinx", book], cwd=book)
    with open(book / "conf.py", "a", encoding="utf-8") as conf:
        conf.write(CONF_EXTRA)
    html_dir = workdir / f"sphinx-{language.code}" / "html"  # myst-nb writes beside it too
    log = run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q",
         "-D", f"language={language.sphinx}", "-D", f"html_title={language.title}",
         "-d", html_dir.parent / "doctrees", book, html_dir],
        cwd=book,
    )  # fmt: skip
    html_dir.rename(outdir)
    downloads = outdir / "notebooks"
    downloads.mkdir()
    for name, source in sources.items():
        if name.endswith(".ipynb"):  # as in the repository, for our link and the theme's button
            shutil.copyfile(source, downloads / name)
            shutil.copyfile(source, outdir / "_sources" / name)
    return log


def borrowed_pages(language, pages, notebooks):
    """The pages of a translation that are taken from the English ones (not yet translated)."""
    if not language.subfolder:
        return []
    return [name for name, source in pages.items()
            if name not in SHARED_PAGES and source.parent == Path(notebooks)]  # fmt: skip


def build_site(outdir, notebooks=NOTEBOOKS, report=print):
    """Build both languages into ``outdir``, all at once or (on any error) not at all."""
    outdir = Path(outdir)
    check_outdir(outdir, notebooks)
    sources = {language.code: page_sources(language, notebooks) for language in LANGUAGES}
    check_toc(sources["en"])
    settings = read_settings()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        site = staging / "site"
        site.mkdir()
        for language in LANGUAGES:
            pages = sources[language.code]
            borrowed = borrowed_pages(language, pages, notebooks)
            if borrowed:
                report(f"{language.code}: not in {Path(notebooks) / language.subfolder}, so taken "
                       f"from {notebooks}: {', '.join(borrowed)}")  # fmt: skip
            log = build_language(language, pages, settings, staging, site / language.code)
            warnings = [line for line in log.splitlines() if "WARNING" in line]
            report(f"{language.code}: {len(pages)} pages, {len(warnings)} warnings")
            for line in warnings:
                report(f"  {line}")
        shutil.copyfile(SITE / "choose-language.html", site / "index.html")
        (site / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _images/ as they are
        (site / MARKER).write_text("Made by tools/build_site.py, which may replace this folder.\n")
        if outdir.exists():
            outdir.rename(staging / "old")
        try:
            site.rename(outdir)
        except OSError:
            if (staging / "old").exists():
                (staging / "old").rename(outdir)  # the earlier site, back in its place
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def update_pictures(pictures_file=SITE / "widgets.yml", artifacts=ARTIFACTS, site=SITE):
    """Copy the widgets' screenshots from test-artifacts/ into site/static/widgets/, smaller."""
    from PIL import Image

    pictures = yaml.safe_load(Path(pictures_file).read_text(encoding="utf-8"))["pictures"]
    for entry in pictures:
        source = Path(artifacts) / entry["screenshot"]
        if not source.is_file():
            raise SiteError(
                f"{source} not found: run the browser tests first "
                "(python -m pytest tests/browser -k lab), which save it"
            )
        target = Path(site) / "static/widgets" / entry["picture"]
        target.parent.mkdir(parents=True, exist_ok=True)
        image = Image.open(source).convert("RGB")
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        if target.stat().st_size > PICTURE_MAX_BYTES:
            raise SiteError(
                f"{target} is {target.stat().st_size:,} bytes, more than {PICTURE_MAX_BYTES:,}: "
                "take a smaller screenshot"
            )
        yield target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", type=Path, help="the folder to build the site into")
    parser.add_argument(
        "--update-pictures",
        action="store_true",
        help="copy the widgets' screenshots from test-artifacts/ into site/static/widgets/",
    )
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.update_pictures:
            for target in update_pictures():
                print(f"{target.relative_to(REPO)}: {target.stat().st_size:,} bytes")
            if args.outdir is None:
                return 0
        if args.outdir is None:
            parser.error("give the folder to build the site into, e.g. _site")
        build_site(args.outdir, args.notebooks)
    except SiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a folder one may not write to
        print(f"error: {error.filename or args.outdir}: {error.strerror or error}; "
              f"{args.outdir} was left as it was", file=sys.stderr)  # fmt: skip
        return 1
    print(f"built {args.outdir}: open it with python -m http.server -d {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
