"""Debian's Chromium for the tests that drive a real browser (tests/browser/, tests/classroom/)."""

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # screenshots, reports
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
# Needed as root on a machine with no network: no sandbox, GPU, QUIC or background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]


def browser_missing():
    """Why no browser can be driven here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]' (its browser download is not needed)"
    if not CHROMIUM or not os.access(CHROMIUM, os.X_OK):
        return "chromium not found: apt-get install chromium (or set CHROMIUM_PATH)"
    return None


def skip_or_fail(reason, what):
    """Skip with `reason`, or fail in CI, which must run `what`."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run {what}, but {reason}", pytrace=False)
    pytest.skip(reason)


# True when the open notebook has a kernel and it is idle. The indicator alone reads "idle" before
# a kernel exists, and a cell run then is lost (shared/notes/browser-testing.md, pitfall 2).
KERNEL_IDLE = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const name = panel && panel.querySelector('.jp-Toolbar-kernelName');
  const state = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!(name && state && !/No Kernel/.test(name.textContent) && state.dataset.status === 'idle');
}"""


def run_cell(page, cell, count, timeout):
    """Click `cell`, run it with Shift+Enter and wait until its prompt reads [count]: (it has run)."""
    import re

    from playwright.sync_api import expect

    cell.click()
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(
        re.compile(rf"^\[{count}\]:$"), timeout=timeout
    )
