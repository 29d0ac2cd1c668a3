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
