"""A Chinese reader's path, in a real browser: README's 中文版 section says `jupyter lab notebooks/zh/`;
a Chinese notebook opens in JupyterLab, runs top to bottom, and its checks answer in Chinese.
"""

import re

import pytest
from chromium import KERNEL_IDLE
from test_playground_browser import NOTEBOOK_SECONDS, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "zh/02_the_fully_connected_layer.ipynb"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
STORED_CHECKS = 7  # the ✓ lines stored in the notebook's outputs


def test_a_chinese_notebook_runs_in_jupyterlab_and_its_checks_answer_in_chinese(
    lab, page, artifacts
):
    url, token = lab
    page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}&reset")
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)  # a kernel, and idle
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(notebook.locator(".jp-MarkdownOutput h1").first).to_have_text(re.compile("全连接层"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    last = notebook.locator(".jp-CodeCell").last
    expect(last.locator(".jp-InputPrompt")).to_have_text(
        re.compile(r"^\[\d+\]:$"), timeout=NOTEBOOK_SECONDS
    )  # the last cell has run: Run All stops at a cell that raises
    page.wait_for_function(KERNEL_IDLE, polling=100, timeout=NOTEBOOK_SECONDS)
    checks = notebook.locator(".jp-OutputArea-output", has_text=re.compile(r"^✓ \w+: ")).all()
    assert len(checks) == STORED_CHECKS, [check.inner_text() for check in checks]
    for check in checks:
        assert CHINESE.search(check.inner_text()), check.inner_text()
    expect(
        notebook.locator(".jp-OutputArea-output", has_text="✓ linear_forward: ")
    ).to_contain_text("x 为 (3, 5)、W 为 (5, 4) 时形状为 (3, 4)")
    page.screenshot(path=str(artifacts / "lab-chinese-notebook.png"))
