"""tools/build_site.py without a browser: its refusals, each in one line, the pieces it changes in
the notebooks it copies, and (slow) a whole build from a copy of the notebooks, in one piece or not
at all. tests/browser/test_site_browser.py opens the real site's pages in Chromium."""

import importlib.util
import json
import shutil
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_site", REPO / "tools/build_site.py")
build_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_site)

SiteError = build_site.SiteError
EN, ZH = build_site.LANGUAGES


def refusal(capsys, argv):
    """Run the tool; it must fail with exactly one line on stderr, which is returned."""
    assert build_site.main([str(arg) for arg in argv]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def tiny_notebooks(folder, names=("01_first.ipynb",), zh=True):
    """A notebooks folder: ``names`` (one markdown cell each), the pages, and zh/ if ``zh``."""
    folder.mkdir()
    for name in names:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}\n\nText.")])
        nbformat.write(nb, folder / name)
    for page in build_site.PAGES + build_site.SHARED_PAGES:
        (folder / page).write_text(f"# {page}\n")
    if zh:
        (folder / "zh").mkdir()
    return folder


def widget_notebook(text_plain):
    """A notebook whose one code cell shows a widget, as a stored output does."""
    output = nbformat.v4.new_output(
        "display_data",
        data={build_site.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": text_plain},
    )
    cell = nbformat.v4.new_code_cell("playground", outputs=[output])
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])


def test_an_outdir_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "site").write_text("mine")
    line = refusal(capsys, [tmp_path / "site"])
    assert (
        line == f"error: {tmp_path / 'site'} is a file, not a folder: give the name of a new folder"
    )
    assert (tmp_path / "site").read_text() == "mine"


@pytest.mark.parametrize("inside", [build_site.NOTEBOOKS, build_site.SITE])
def test_an_outdir_inside_the_sources_is_refused_and_not_made(capsys, inside):
    line = refusal(capsys, [inside / "_site"])
    assert f"is inside {inside}, which the site is built from" in line
    assert not (inside / "_site").exists()


def test_a_folder_with_files_the_tool_did_not_make_is_refused_and_left_alone(tmp_path, capsys):
    outdir = tmp_path / "site"
    outdir.mkdir()
    (outdir / "notes.txt").write_text("mine")
    line = refusal(capsys, [outdir])
    assert "already holds files that tools/build_site.py did not make" in line
    assert [path.name for path in outdir.iterdir()] == ["notes.txt"]


def test_missing_chinese_notebooks_name_the_command_that_makes_them(tmp_path, capsys):
    notebooks = tiny_notebooks(tmp_path / "notebooks", zh=False)
    line = refusal(capsys, ["--notebooks", notebooks, tmp_path / "site"])
    assert line == (
        f"error: {notebooks / 'zh'} not found: make the zh notebooks first with "
        "`python tools/translate_notebooks.py build`"
    )
    assert not (tmp_path / "site").exists()


def test_a_folder_with_no_notebooks_is_refused(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    line = refusal(capsys, ["--notebooks", tmp_path / "notebooks", tmp_path / "site"])
    assert (
        line
        == f"error: {tmp_path / 'notebooks'} has no notebooks NN_*.ipynb to build the site from"
    )


def test_a_missing_page_is_named(tmp_path):
    notebooks = tiny_notebooks(tmp_path / "notebooks")
    (notebooks / "shapes.md").unlink()
    with pytest.raises(SiteError, match=r"shapes.md not found: the site's page shapes.md is made"):
        build_site.page_sources(EN, notebooks)


def test_chinese_pages_come_from_zh_when_there_and_the_shared_pages_from_notebooks(tmp_path):
    notebooks = tiny_notebooks(tmp_path / "notebooks", names=("01_a.ipynb", "02_b.ipynb"))
    for name in ("01_a.ipynb", "README.md", "glossary.md"):
        shutil.copyfile(notebooks / name, notebooks / "zh" / name)
    sources = build_site.page_sources(ZH, notebooks)
    assert list(sources) == ["01_a.ipynb", "02_b.ipynb", "README.md", "the_whole_loop.md",
                             "glossary.md", "shapes.md"]  # fmt: skip
    zh = notebooks / "zh"
    assert sources["01_a.ipynb"] == zh / "01_a.ipynb" and sources["README.md"] == zh / "README.md"
    assert sources["02_b.ipynb"] == notebooks / "02_b.ipynb"
    assert sources["glossary.md"] == notebooks / "glossary.md"  # bilingual: never the zh/ copy


def test_a_notebook_missing_from_the_table_of_contents_is_refused(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: README\nchapters:\n  - file: 01_a\n")
    build_site.check_toc(["01_a.ipynb", "README.md"], toc)
    with pytest.raises(SiteError, match=r"does not list 12_new.ipynb: add a `- file:` line each"):
        build_site.check_toc(["01_a.ipynb", "12_new.ipynb", "README.md"], toc)


def test_the_real_table_of_contents_lists_every_page():
    build_site.check_toc(build_site.page_sources(EN))


def test_binder_links_open_the_notebook_in_jupyterlab():
    url = build_site.binder_url(
        "https://github.com/OWNER/handwritten-digits-from-scratch", "notebooks/zh/07_p.ipynb"
    )
    assert url == (
        "https://mybinder.org/v2/gh/OWNER/handwritten-digits-from-scratch/HEAD"
        "?urlpath=lab/tree/notebooks/zh/07_p.ipynb"
    )
    with pytest.raises(SiteError, match=r"'https://gitlab.com/x/y' is not on GitHub"):
        build_site.binder_url("https://gitlab.com/x/y", "notebooks/01.ipynb")


def test_the_binder_owner_is_set_in_one_place():
    settings = build_site.read_settings()
    assert settings["repository"] == "https://github.com/OWNER/handwritten-digits-from-scratch"


def test_links_go_under_the_title_and_widgets_become_pictures_with_alt_text(tmp_path):
    source = tmp_path / "07_playground.ipynb"
    nbformat.write(widget_notebook("Playground(runs=0, running=False)"), source)
    target = tmp_path / "book.ipynb"
    build_site.prepare_notebook(source, target, ZH, build_site.read_settings())
    nb = nbformat.read(target, as_version=4)
    title, links = nb.cells[0].source.splitlines()[:3:2]
    assert title == "# Title"
    assert 'href="notebooks/07_playground.ipynb" download' in links
    assert "?urlpath=lab/tree/notebooks/zh/07_playground.ipynb" in links
    (output,) = nb.cells[1].outputs
    assert list(output.data) == ["text/html"]
    figure = output.data["text/html"]
    assert '<img src="_static/widgets/playground.png" alt="JupyterLab 中的练习场' in figure
    assert "<code>voila notebooks/zh/07_playground.ipynb</code>" in figure


def test_every_widget_picture_is_in_the_site_and_small(tmp_path):
    pictures = build_site.read_settings()["pictures"]["pictures"]
    for entry in pictures:
        path = build_site.SITE / "static/widgets" / entry["picture"]
        assert 0 < path.stat().st_size <= build_site.PICTURE_MAX_BYTES
        assert entry["alt"]["en"] and entry["alt"]["zh"]


def test_a_widget_with_no_picture_is_refused_naming_the_cell():
    nb = widget_notebook("Gauge(value=3)")
    with pytest.raises(
        SiteError,
        match=r"03_x.ipynb, cell 1: a Gauge widget with no picture in site/widgets.yml: add an "
        r'entry with notebook: "03" and widget: Gauge',
    ):
        build_site.replace_widgets(
            nb, "03_x.ipynb", build_site.read_settings()["pictures"], EN, "x"
        )


def test_links_up_to_a_page_of_the_book_become_links_beside_it():
    text = "See the [glossary](../glossary.md#relu) and [the class](../classroom/README.md)."
    assert build_site.local_links(text, ["glossary.md"]) == (
        "See the [glossary](glossary.md#relu) and [the class](../classroom/README.md)."
    )


def test_a_file_that_is_not_a_notebook_is_refused_in_one_line(tmp_path, capsys):
    name = "01_mnist_and_the_idx_format.ipynb"  # a page the table of contents lists
    notebooks = tiny_notebooks(tmp_path / "notebooks", names=[name])
    (notebooks / name).write_text("not json")
    line = refusal(capsys, ["--notebooks", notebooks, tmp_path / "site"])
    assert line.startswith(f"error: {notebooks / name} is not a notebook that nbformat can read")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notebooks"]  # nothing left behind


def test_update_pictures_names_the_missing_screenshot(tmp_path):
    with pytest.raises(
        SiteError, match=r"lab-playground.png not found: run the browser tests first"
    ):
        list(build_site.update_pictures(artifacts=tmp_path, site=tmp_path))


def copy_of_the_notebooks(tmp_path):
    """The real notebooks, with a zh/ that has two of them (the rest fall back to English)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for path in build_site.NOTEBOOKS.glob("*"):
        if path.is_file() and (
            path.suffix == ".ipynb" or path.name in build_site.PAGES + build_site.SHARED_PAGES
        ):
            shutil.copyfile(path, notebooks / path.name)
    (notebooks / "zh").mkdir()
    for path in sorted(notebooks.glob("0[12]_*.ipynb")):
        shutil.copyfile(path, notebooks / "zh" / path.name)
    return notebooks


@pytest.mark.slow
def test_a_build_replaces_its_own_earlier_site_in_one_piece(tmp_path, capsys):
    notebooks = copy_of_the_notebooks(tmp_path)
    before = sorted(p.relative_to(REPO) for p in (REPO / "notebooks").rglob("*"))
    outdir = tmp_path / "out" / "site"
    outdir.mkdir(parents=True)
    (outdir / build_site.MARKER).write_text("")
    (outdir / "stale.html").write_text("from an earlier build")
    assert build_site.main(["--notebooks", str(notebooks), str(outdir)]) == 0
    out = capsys.readouterr().out
    assert "zh: not in" in out and "03_relu_and_softmax_cross_entropy.ipynb" in out
    assert not (outdir / "stale.html").exists()
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["site"]  # no staging left
    assert (outdir / "index.html").is_file() and (outdir / build_site.MARKER).is_file()
    for language, lang in (("en", 'lang="en"'), ("zh", 'lang="zh-CN"')):
        pages = outdir / language
        for name in [p.name for p in notebooks.glob("*.ipynb")]:
            html = (pages / name).with_suffix(".html").read_text(encoding="utf-8")
            assert f"<html {lang}" in html
            assert (pages / "notebooks" / name).read_bytes() == (notebooks / name).read_bytes()
        assert not any(pages.rglob("*googleapis*")) and (pages / "_static/mathjax").is_dir()
    zh_02 = (outdir / "zh/02_the_fully_connected_layer.html").read_text(encoding="utf-8")
    assert 'href="../en/02_the_fully_connected_layer.html"' in zh_02
    assert "mathjax/tex-mml-chtml.js" in zh_02 and "cdn.jsdelivr" not in zh_02
    assert sorted(p.relative_to(REPO) for p in (REPO / "notebooks").rglob("*")) == before


@pytest.mark.slow
def test_a_failed_build_leaves_the_earlier_site_as_it_was(tmp_path, capsys):
    notebooks = copy_of_the_notebooks(tmp_path)
    (notebooks / "zh" / "02_the_fully_connected_layer.ipynb").write_text(json.dumps({"cells": 1}))
    outdir = tmp_path / "out" / "site"
    outdir.mkdir(parents=True)
    (outdir / build_site.MARKER).write_text("")
    (outdir / "earlier.html").write_text("the earlier site")
    line = refusal(capsys, ["--notebooks", notebooks, outdir])
    assert "02_the_fully_connected_layer.ipynb is not a notebook that nbformat can read" in line
    assert sorted(path.name for path in outdir.iterdir()) == [build_site.MARKER, "earlier.html"]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["site"]
