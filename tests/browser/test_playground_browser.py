"""The playground in a real browser: JupyterLab and Voilà, driven through headless Chromium.

Each test opens notebooks/07_playground.ipynb (a temporary copy), changes the learning-rate and
hidden-size sliders the way a student would (typing into the slider's value box), clicks Train,
and checks that the live plot and the printed test accuracy change. The JupyterLab test also
presses Stop during a long run (the kernel must stay responsive while it trains) and tries a
learning rate that diverges. Screenshots are saved in test-artifacts/.
"""

import re
import time

import pytest
from chromium import KERNEL_IDLE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACCURACY = r"test accuracy: \d{1,3}\.\d\d% \(\d+/10000\)"
VALIDATION = r"validation accuracy: \d{1,3}\.\d\d% \(\d+/10000\)"
NOTEBOOK_SECONDS = 180_000  # ms: start a kernel and run every cell, on a busy machine
RUN_SECONDS = 120_000  # ms: one training run and its figures


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def slider(scope, label):
    return scope.locator(".widget-slider").filter(has_text=label)


def set_value(page, scope, label, text):
    """Type a value into a slider's value box, as a student can (arrow keys do not work everywhere)."""
    readout = slider(scope, label).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(readout).to_have_text(re.compile("^" + re.escape(text) + "$"))


def train(scope, run):
    """Click Train; wait for run ``run``'s test accuracy; return the accuracy line."""
    scope.get_by_role("button", name="Train").click()
    accuracy = scope.locator(".mlp-accuracy")
    expect(accuracy).to_contain_text(
        re.compile(rf"Run {run} \(.*\): {VALIDATION} · {ACCURACY}"), timeout=RUN_SECONDS
    )
    expect(scope.get_by_role("button", name="Train")).to_be_enabled()
    return accuracy.inner_text()


def exercise_panel(page, panel, picker, artifacts, name):
    """Two runs with different sliders; the plot, the accuracy, the table and the picker follow."""
    live = panel.locator(".mlp-live-plot")
    panel.scroll_into_view_if_needed()
    blank = live.screenshot()

    set_value(page, panel, "learning rate", "0.1")
    set_value(page, panel, "hidden layer 1", "48")
    first = train(panel, 1)
    assert "784-48-32-10 · momentum lr 0.1 ·" in first
    first_plot = live.screenshot()
    assert first_plot != blank

    set_value(page, panel, "learning rate", "0.01")
    set_value(page, panel, "hidden layer 1", "16")
    second = train(panel, 2)
    assert "784-16-32-10 · momentum lr 0.01 ·" in second and second != first
    assert live.screenshot() != first_plot
    expect(panel.locator(".mlp-runs tr")).to_have_count(3)  # a header and two runs
    panel.screenshot(path=str(artifacts / f"{name}-playground.png"))

    set_value(page, picker, "test image", "1")
    expect(picker.locator(".mlp-picker-caption")).to_contain_text(
        "Run 2, test image 1: true class 2"
    )
    picker.screenshot(path=str(artifacts / f"{name}-image-picker.png"))


def test_playground_in_jupyterlab(lab, page, artifacts):
    url, token = lab
    page.goto(f"{url}/lab/tree/07_playground.ipynb?token={token}&reset")
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)  # a kernel, and idle
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    picker = notebook.locator(".mlp-image-picker")
    errors = notebook.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    expect(picker.or_(errors).first).to_be_attached(
        timeout=NOTEBOOK_SECONDS
    )  # the end, or an error
    assert errors.count() == 0, errors.first.inner_text()[-3000:]
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    expect(
        notebook.locator(".jp-OutputArea-output", has_text=re.compile(ACCURACY)).first
    ).to_be_attached()
    panel = notebook.locator(".mlp-playground")
    exercise_panel(page, panel, picker, artifacts, "lab")

    # A long run: the plot moves while it trains, the controls are locked, and Stop is heard.
    live, status = panel.locator(".mlp-live-plot"), panel.locator(".mlp-status")
    set_value(page, panel, "epochs", "20")
    set_value(page, panel, "training images", "50000")
    panel.get_by_role("button", name="Train").click()
    expect(status).to_contain_text(
        re.compile(r"Run 3: epoch \d+ of 20, step \d+"), timeout=RUN_SECONDS
    )
    expect(panel.get_by_role("button", name="Train")).to_be_disabled()
    expect(slider(panel, "learning rate").locator(".widget-readout")).to_have_attribute(
        "contenteditable", "false"
    )
    first_status, first_frame = status.inner_text(), live.screenshot()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # later frames, same run
        if status.inner_text() != first_status and live.screenshot() != first_frame:
            break
        page.wait_for_timeout(200)
    else:
        pytest.fail("the live plot and the status did not change during training")
    expect(status).to_contain_text(re.compile(r"Run 3: epoch [2-9]\d* of 20"), timeout=RUN_SECONDS)
    panel.screenshot(path=str(artifacts / "lab-training.png"))
    panel.get_by_role("button", name="Stop").click()
    expect(status).to_contain_text("Run 3: Stopped after", timeout=RUN_SECONDS)
    expect(panel.get_by_role("button", name="Train")).to_be_enabled()
    expect(panel.locator(".mlp-accuracy")).to_contain_text(
        re.compile(rf"Run 3 \(.*\): {VALIDATION} · {ACCURACY}")
    )

    # Far too large a learning rate: a message in words, no traceback.
    set_value(page, panel, "learning rate", "10")
    set_value(page, panel, "epochs", "1")
    set_value(page, panel, "training images", "10000")
    panel.get_by_role("button", name="Train").click()
    expect(status).to_contain_text(
        re.compile(
            r"Run 4: Training (diverged|failed): .*The learning rate "
            r"10 is too large; try 1 or smaller\."
        ),
        timeout=RUN_SECONDS,
    )
    assert "Traceback" not in panel.inner_text()
    panel.screenshot(path=str(artifacts / "lab-diverged.png"))
    page.screenshot(path=str(artifacts / "lab-page.png"))


def test_playground_in_voila(voila, page, artifacts):
    page.goto(voila)
    picker = page.locator(".mlp-image-picker")
    expect(picker).to_be_visible(timeout=NOTEBOOK_SECONDS)  # Voilà ran every cell
    expect(page.get_by_text(re.compile(ACCURACY)).first).to_be_visible()
    assert "NBVAL_IGNORE_OUTPUT" not in page.inner_text("body")  # no code on the page
    exercise_panel(page, page.locator(".mlp-playground"), picker, artifacts, "voila")
    page.locator(".mlp-playground").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "voila-page.png"))
