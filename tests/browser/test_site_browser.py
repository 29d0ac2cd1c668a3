"""The website (tools/build_site.py) in a real browser: every page, in English and in Chinese.

The site is built once per session into a temporary folder and served on 127.0.0.1 by
`python -m http.server`. Chromium resolves no host name but 127.0.0.1
(--host-resolver-rules), so a page that needed another server would fail to load it; and every
request a page makes is recorded, so even an attempt is caught. Per page: no console error and no
request outside 127.0.0.1, every formula rendered by MathJax, every image loaded, the notebook's
download link serving the .ipynb, the link to the other language working, and no critical or
serious violation found by axe-core. The counts go to test-artifacts/site.json.

A second test builds the site with no network at all (`unshare -n`, which needs root).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, skip_or_fail

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BUILD = [sys.executable, str(REPO / "tools/build_site.py")]
BUILD_SECONDS = 600
# Chromium asks its resolver for every host but 127.0.0.1, which answers "not found".
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
LANGUAGES = {"en": "en", "zh": "zh-CN"}  # the site's folder: its pages' <html lang>
NOTEBOOKS = sorted(path.stem for path in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["README", *NOTEBOOKS, "the_whole_loop", "glossary", "shapes"]
WIDGET_PICTURES = {"07_playground": 3, "10_your_own_handwriting": 1}  # as in site/widgets.yml
BLOCKING = ("critical", "serious")  # axe's impacts that fail a page

# Every element Sphinx marks as math, and how many of them MathJax rendered (or rendered as an error).
MATH = """async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const math = [...document.querySelectorAll('.math')];
  return {
    formulas: math.length,
    rendered: math.filter(m => m.querySelector('mjx-container')).length,
    errors: math.filter(m => m.querySelector('mjx-merror')).map(m => m.textContent.slice(0, 80)),
  };
}"""
IMAGES_DONE = "() => [...document.images].every(img => img.complete)"
BROKEN_IMAGES = """() => [...document.images].filter(img => img.naturalWidth === 0)
                     .map(img => img.getAttribute('src'))"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(outdir, prefix=()):
    """Run tools/build_site.py (after ``prefix``, e.g. unshare -n); fail with its output if it does."""
    done = subprocess.run(
        [*prefix, *BUILD, str(outdir)], capture_output=True, text=True, timeout=BUILD_SECONDS
    )
    assert done.returncode == 0, f"the site did not build:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once; (its folder, the build's seconds)."""
    outdir = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    build(outdir)
    return outdir, round(time.perf_counter() - start, 1)


@pytest.fixture(scope="session")
def site_url(site, tmp_path_factory):
    """The site served by python -m http.server on 127.0.0.1; stopped (by its PID) afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "http.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", str(site[0])],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"http.server exited: {log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "http.server did not answer in 30 s"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)


@pytest.fixture(scope="session")
def offline_browser(browser, tmp_path_factory):
    """A second Chromium, from the same Playwright, that resolves no host but 127.0.0.1."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, OFFLINE],
        env={**os.environ, "HOME": str(tmp_path_factory.mktemp("chromium-home"))},
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def summary(site, artifacts):
    """What each page showed, written to test-artifacts/site.json at the end of the session."""
    pages = {}
    yield pages
    by_language = {}
    for (language, _), page in sorted(pages.items()):
        totals = by_language.setdefault(
            language, {"pages": 0, "formulas": 0, "images": 0, "violations": Counter()}
        )
        totals["pages"] += 1
        totals["formulas"] += page["formulas"]
        totals["images"] += page["images"]
        totals["violations"].update(page["violations"])
    report = {
        "build_seconds": site[1],
        "languages": by_language,
        "pages": {f"{language}/{name}": page for (language, name), page in sorted(pages.items())},
    }
    (artifacts / "site.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def open_page(browser, url):
    """Open ``url`` in a fresh tab; returns (tab, context, requests, errors) with the page loaded."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    requests, errors = [], []
    tab.on("request", lambda request: requests.append(request.url))

    def console(message):
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    tab.on("console", console)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    tab.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status}: {r.url}"))
    tab.goto(url, wait_until="load")
    return tab, context, requests, errors


def axe_violations(tab):
    """axe-core's violations on the page: {impact: [rule ids]}."""
    from axe_playwright_python.sync_playwright import Axe

    found = {}
    for violation in Axe().run(tab).response["violations"]:
        found.setdefault(violation["impact"], []).append(violation["id"])
    return found


def outside(requests, base):
    return [url for url in requests if not url.startswith((base, "data:", "blob:"))]


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_offline_renders_its_formulas_and_images_and_passes_axe(
    offline_browser, site_url, summary, language, name
):
    tab, context, requests, errors = open_page(
        offline_browser, f"{site_url}/{language}/{name}.html"
    )
    try:
        assert tab.locator("html").get_attribute("lang") == LANGUAGES[language]
        math = tab.evaluate(MATH)
        tab.wait_for_function(IMAGES_DONE)
        broken = tab.evaluate(BROKEN_IMAGES)
        images = tab.evaluate("document.images.length")
        other = tab.locator("a.language-switch")
        other_url = other.evaluate("a => a.href")
        other_status = tab.request.get(other_url).status
        if name in NOTEBOOKS:
            download = tab.locator(f'a[download][href="notebooks/{name}.ipynb"]')
            answer = tab.request.get(download.evaluate("a => a.href"))
            notebook = json.loads(answer.body())
            binder = tab.locator('a[href^="https://mybinder.org/v2/gh/"]').first
            binder_href = binder.get_attribute("href")
            pictures = tab.locator("figure.widget-picture img")
            assert pictures.count() == WIDGET_PICTURES.get(name, 0)
            for alt in pictures.evaluate_all("images => images.map(img => img.alt)"):
                assert len(alt) > 40, f"a widget picture's alt text is too short: {alt!r}"
        page_errors = list(errors)  # axe fetches style sheets itself, and resolves @import wrongly
        violations = axe_violations(tab)
    finally:
        context.close()
    summary[(language, name)] = {
        "formulas": math["formulas"],
        "images": images,
        "violations": {impact: len(rules) for impact, rules in violations.items()},
        "rules": violations,
    }
    assert not outside(requests, site_url), (
        f"requests outside the site: {outside(requests, site_url)}"
    )
    assert not page_errors, f"errors in the console or failed requests: {page_errors}"
    assert math["rendered"] == math["formulas"], (
        f"{math['formulas'] - math['rendered']} formulas not rendered"
    )
    assert not math["errors"], f"formulas MathJax could not read: {math['errors']}"
    assert not broken, f"images that did not load: {broken}"
    assert other_status == 200, f"the other language's page {other_url} answered {other_status}"
    if name in NOTEBOOKS:
        assert answer.status == 200 and notebook["nbformat"] == 4 and notebook["cells"]
        folder = "notebooks/zh" if language == "zh" else "notebooks"
        assert binder_href.endswith(f"?urlpath=lab/tree/{folder}/{name}.ipynb")
    blocking = {impact: violations[impact] for impact in BLOCKING if impact in violations}
    assert not blocking, f"axe-core: {blocking}"


@pytest.mark.browser
def test_the_front_page_links_to_both_languages_and_passes_axe(offline_browser, site_url):
    tab, context, requests, errors = open_page(offline_browser, f"{site_url}/index.html")
    try:
        targets = tab.locator("a").evaluate_all("links => links.map(a => a.href)")
        statuses = [tab.request.get(url).status for url in targets]
        page_errors = list(errors)
        violations = axe_violations(tab)
    finally:
        context.close()
    assert targets == [f"{site_url}/en/index.html", f"{site_url}/zh/index.html"]
    assert statuses == [200, 200]
    assert not outside(requests, site_url) and not page_errors
    assert not violations, f"axe-core: {violations}"


def test_the_site_builds_with_no_network_at_all(tmp_path):
    unshare = shutil.which("unshare")
    if unshare is None:
        skip_or_fail("unshare is not installed (util-linux)", "the offline build test")
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip_or_fail(
            f"unshare -n needs root here: {probe.stderr.strip()}", "the offline build test"
        )
    outdir = tmp_path / "site"
    build(outdir, prefix=[unshare, "-n"])
    for language in LANGUAGES:
        assert (outdir / language / "02_the_fully_connected_layer.html").is_file()
        assert (outdir / language / "_static/mathjax/tex-mml-chtml.js").is_file()
