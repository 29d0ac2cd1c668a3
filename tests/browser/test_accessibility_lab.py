"""Accessibility of the project's widgets in JupyterLab, checked with axe-core in headless Chromium.

Notebook 07 (the playground after one training run, the image picker, the Draw panel with a digit
drawn) and notebook 10 (the drawing panel with a digit drawn) are run in JupyterLab, then axe-core
checks the whole page. A violation whose element lies in this project's own markup (inside an
element with a class starting with ``mlp-``, which every project widget carries) fails the test,
whatever its impact; those elsewhere (JupyterLab itself, its code editors, the notebook's own
matplotlib outputs) are printed and saved, not counted. The report of both notebooks:
test-artifacts/axe-lab.json.
"""

import json
import re
from collections import Counter

import pytest
from chromium import KERNEL_IDLE
from test_drawing_browser import ANSWER_SECONDS, DIGIT_STROKES, draw
from test_playground_browser import NOTEBOOK_SECONDS, expect, train

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDGET_ROOT = ".jp-OutputArea-output > .jupyter-widgets"  # the top element of a widget output

# For each CSS selector axe gives, whether the element or one of its ancestors has a class that
# starts with "mlp-"; null when the selector matches nothing (the page changed under axe).
IN_OWN_MARKUP = """selectors => selectors.map(selector => {
  const element = document.querySelector(selector);
  if (element === null) return null;
  for (let e = element; e !== null; e = e.parentElement) {
    if ([...e.classList].some(name => name.startsWith('mlp-'))) return true;
  }
  return false;
})"""


@pytest.fixture(scope="module")
def axe_report(artifacts):
    """{notebook: its axe report}, written to test-artifacts/axe-lab.json after the tests."""
    reports = {}
    yield reports
    (artifacts / "axe-lab.json").write_text(json.dumps(reports, indent=2))


def run_all(page, lab, notebook_name, last_widget):
    """Open a notebook in JupyterLab, Run All, and wait for ``last_widget`` and an idle kernel."""
    url, token = lab
    page.goto(f"{url}/lab/tree/{notebook_name}?token={token}&reset")
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    errors = notebook.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    widget = notebook.locator(last_widget)
    expect(widget.or_(errors).first).to_be_attached(timeout=NOTEBOOK_SECONDS)
    assert errors.count() == 0, errors.first.inner_text()[-3000:]
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    return notebook


def check_widget_roots(notebook, expected):
    """Every widget output is one of the project's widgets, and carries an mlp- class."""
    roots = notebook.locator(WIDGET_ROOT)
    expect(roots).to_have_count(expected)
    for classes in roots.evaluate_all("roots => roots.map(root => [...root.classList])"):
        assert any(name.startswith("mlp-") for name in classes), classes


def audit(page, name, axe_report):
    """Run axe-core on the page; save its violations, split into ours and the others; return ours."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    own, others = [], []
    for rule in violations:
        selectors = [node["target"][-1] for node in rule["nodes"]]
        inside = page.evaluate(IN_OWN_MARKUP, selectors)
        assert None not in inside, f"axe's selectors no longer match: {selectors}"
        for node, ours in zip(rule["nodes"], inside):
            entry = {
                "rule": rule["id"],
                "impact": node["impact"] or rule["impact"],
                "help": rule["help"],
                "target": node["target"],
                "html": node["html"][:300],
                "summary": node["failureSummary"],
            }
            (own if ours else others).append(entry)
    axe_report[name] = {"project_widgets": own, "elsewhere": others}
    print(f"\n{name}: {len(own)} violations in the project's widgets, {len(others)} elsewhere")
    rules = Counter((entry["rule"], entry["impact"]) for entry in others)
    for (rule, impact), count in rules.items():
        print(f"  elsewhere, not counted: {rule} ({impact}) x {count}")
    for entry in own:
        print(f"  the project's: {entry['rule']} ({entry['impact']}) {entry['html'][:200]}")
    return own


def check_names(scope, role, names):
    """Each name in ``names`` is the accessible name of one element of ``role`` in ``scope``
    (after the glyph of a button's icon, if any)."""
    for name in names:
        named = re.compile(rf"^\W*{re.escape(name)}$")
        expect(scope.get_by_role(role, name=named)).to_have_count(1)


def describe(violations):
    return "\n".join(
        f"{v['rule']} ({v['impact']}): {v['help']}\n    {v['html']}\n    {v['summary']}"
        for v in violations
    )


def test_the_playground_notebook_has_no_violation_in_our_widgets(lab, page, artifacts, axe_report):
    notebook = run_all(page, lab, "07_playground.ipynb", ".mlp-digit-reader")
    panel = notebook.locator(".mlp-playground")
    panel.scroll_into_view_if_needed()
    train(panel, 1)
    live = panel.locator(".mlp-live-plot img")
    expect(live).to_have_attribute(  # what is plotted, and the latest figures
        "alt",
        re.compile(r"^Loss and validation accuracy per epoch, run 1 .*test accuracy [\d.]+%$"),
    )
    picker = notebook.locator(".mlp-image-picker")
    expect(picker.locator(".mlp-picker-caption")).to_contain_text("Run 1, test image 0")
    reader = notebook.locator(".mlp-digit-reader")
    draw(page, reader.locator(".mlp-draw-canvas"), DIGIT_STROKES["1"])
    expect(reader.locator(".mlp-reader-preview img")).to_have_attribute(
        "alt",
        re.compile("^What the network sees: the drawing .*, read as 1$"),
        timeout=ANSWER_SECONDS,
    )
    check_names(panel, "slider", ["learning rate", "hidden layer 1", "hidden layer 2", "epochs"])
    check_names(picker, "slider", ["test image"])
    check_names(panel, "button", ["Train", "Stop"])
    expect(
        reader.get_by_role("img", name=re.compile("^Drawing area: draw a digit"))
    ).to_be_visible()
    check_widget_roots(notebook, 3)  # the playground, the image picker, the Draw panel
    own = audit(page, "07_playground.ipynb", axe_report)
    page.screenshot(path=str(artifacts / "axe-lab-07.png"))
    assert own == [], describe(own)


def test_the_drawing_notebook_has_no_violation_in_our_widgets(lab, page, artifacts, axe_report):
    notebook = run_all(page, lab, "10_your_own_handwriting.ipynb", ".mlp-digit-reader")
    reader = notebook.locator(".mlp-digit-reader")
    draw(page, reader.locator(".mlp-draw-canvas"), DIGIT_STROKES["7"])
    expect(reader.locator(".mlp-reader-digit")).to_have_text("7", timeout=ANSWER_SECONDS)
    expect(reader.locator(".mlp-reader-preview img")).to_have_attribute(
        "alt", re.compile("^What the network sees: the drawing .*, read as 7$")
    )
    check_names(reader, "combobox", ["model"])
    check_names(reader, "button", ["Clear"])
    check_widget_roots(notebook, 1)
    own = audit(page, "10_your_own_handwriting.ipynb", axe_report)
    page.screenshot(path=str(artifacts / "axe-lab-10.png"))
    assert own == [], describe(own)
