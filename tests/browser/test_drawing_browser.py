"""The drawing widget of notebook 10 in a real browser: JupyterLab and Voilà, headless Chromium.

Playwright draws with the mouse on the canvas (press, move in small steps, release), as a student
does: a vertical bar must be read as 1 and a 7-shaped stroke as 7 by the best network; Clear must
empty the canvas, in the browser and in Python (the panel then asks for a drawing again). The
JupyterLab test also switches to the seed network in the model chooser. Screenshots are saved in
test-artifacts/.
"""

import re

import numpy as np
import pytest
from chromium import KERNEL_IDLE
from test_playground_browser import NOTEBOOK_SECONDS, expect

pytestmark = pytest.mark.browser

NOTEBOOK = "10_your_own_handwriting.ipynb"
ANSWER_SECONDS = 30_000  # ms: the ink reaches the kernel, which prepares it and predicts


def arc(cx, cy, rx, ry, start, stop, n):
    """n points on an ellipse around (cx, cy), from angle ``start`` to ``stop`` in degrees."""
    t = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Point paths on the 280 x 280 canvas, (x, y) in canvas pixels, one list per stroke. The same paths,
# drawn in Chromium with the mouse on the widget, made data/drawings/mouse-digits.npz.
DIGIT_STROKES = {
    "0": [arc(140, 140, 55, 88, -90, 275, 30)],
    "1": [[(140, 50), (140, 235)]],  # a vertical bar
    "2": [arc(140, 100, 55, 45, 190, 380, 16) + [(170, 150), (130, 190), (85, 232), (200, 232)]],
    "3": [arc(140, 95, 52, 42, 200, 450, 18) + arc(140, 182, 58, 50, -90, 160, 18)],
    "4": [[(165, 55), (85, 170), (205, 170)], [(165, 55), (165, 235)]],
    "7": [[(85, 65), (150, 63), (200, 62), (185, 95), (160, 140), (140, 190), (130, 232)]],
}
CANVAS_INK = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) ink += data[i];
  return ink;
}"""


LOCAL = ("http://127.0.0.1", "data:", "blob:http://127.0.0.1")
# Voilà's page template asks a CDN for Font Awesome's style sheets; offline that fails, harmlessly.
VOILA_OWN = "cdn.jsdelivr.net/npm/@fortawesome/"


def record_requests(page):
    """The url of every request the page makes, from now on (a list that grows)."""
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def draw(page, canvas, strokes):
    """Draw ``strokes`` with the mouse: press, move in small steps along each path, release."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def clear(reader):
    """Press Clear; the canvas is blank and Python, reading an empty array, asks for a drawing."""
    canvas = reader.locator(".mlp-draw-canvas")
    reader.locator(".mlp-draw-clear").click()
    expect(reader.locator(".mlp-reader-prediction")).to_contain_text(
        "Draw a digit", timeout=ANSWER_SECONDS
    )
    expect(reader.locator(".mlp-reader-digit")).to_have_count(0)
    assert canvas.evaluate(CANVAS_INK) == 0


def read_digits(page, reader, artifacts, name):
    """Draw a bar and a 7 (Clear between them); check the answers; save screenshots."""
    canvas, digit = reader.locator(".mlp-draw-canvas"), reader.locator(".mlp-reader-digit")
    expect(reader.locator(".mlp-reader-prediction")).to_contain_text("Draw a digit")
    for label in ("1", "7"):
        draw(page, canvas, DIGIT_STROKES[label])
        assert canvas.evaluate(CANVAS_INK) > 0
        expect(digit).to_have_text(label, timeout=ANSWER_SECONDS)
        expect(reader.locator(".mlp-reader-bars")).to_contain_text("%")
        reader.screenshot(path=str(artifacts / f"{name}-drawing-{label}.png"))
        clear(reader)


def test_drawing_in_jupyterlab(lab, page, artifacts):
    url, token = lab
    requests = record_requests(page)
    page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}&reset")
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    reader = notebook.locator(".mlp-digit-reader")
    errors = notebook.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    expect(reader.or_(errors).first).to_be_attached(timeout=NOTEBOOK_SECONDS)
    assert errors.count() == 0, errors.first.inner_text()[-3000:]
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    read_digits(page, reader, artifacts, "lab")

    # Swap the model: the seed network reads the same drawing with other probabilities. Both can
    # be sure of an easy digit to the shown decimal (100.0%), so try the digits until one shows it.
    bars, chooser = reader.locator(".mlp-reader-bars"), reader.locator("select")
    best = chooser.evaluate("select => select.options[select.selectedIndex].text")
    seed = "seed (models/seed.npz)"
    answers = {}
    for digit, strokes in DIGIT_STROKES.items():
        draw(page, reader.locator(".mlp-draw-canvas"), strokes)
        expect(reader.locator(".mlp-reader-digit")).to_have_text(digit, timeout=ANSWER_SECONDS)
        best_bars = bars.inner_text()
        chooser.select_option(label=seed)
        model = reader.locator(".mlp-reader-model")
        expect(model).to_have_text(seed, timeout=ANSWER_SECONDS)  # read again, by the seed network
        answers[digit] = (best_bars, bars.inner_text())
        reader.screenshot(path=str(artifacts / f"lab-drawing-seed-model-{digit}.png"))
        chooser.select_option(label=best)
        expect(model).to_have_text(best, timeout=ANSWER_SECONDS)
        clear(reader)
        if answers[digit][0] != answers[digit][1]:
            break
    assert any(by_best != by_seed for by_best, by_seed in answers.values()), answers
    assert [url for url in requests if not url.startswith(LOCAL)] == []  # no CDN, no network


def test_drawing_in_voila(voila_app, page, artifacts):
    requests = record_requests(page)
    page.goto(voila_app(NOTEBOOK))
    reader = page.locator(".mlp-digit-reader")
    expect(reader).to_be_visible(timeout=NOTEBOOK_SECONDS)  # Voilà ran every cell
    assert "NBVAL_IGNORE_OUTPUT" not in page.inner_text("body")  # no code on the page
    read_digits(page, reader, artifacts, "voila")
    page.screenshot(path=str(artifacts / "voila-drawing-page.png"))
    outside = [url for url in requests if not url.startswith(LOCAL) and VOILA_OWN not in url]
    assert outside == []  # the widget needs no network
