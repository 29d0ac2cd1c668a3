"""Shared test setup: a non-interactive matplotlib backend for plain tests (not for nbval kernels),
and the small datasets the tests train and load, made one way each:

- ``make_tiny_dataset``: random images and labels written as real IDX files under ``tmp_path``
  (for the loaders); ``tiny_data_dir``: both splits of both datasets, ready to load;
- ``blobs``: separable clusters in a few dimensions (any working network learns them at once);
- ``mnist_sample``: the first 500 real MNIST test images, for tests that need real digits;
- ``browser`` and ``page``: Debian's Chromium driven by Playwright, one browser for the whole run
  (Playwright's sync API allows one at a time), for tests/browser/ and tests/classroom/. Without
  chromium or playwright they are skipped with the reason, except in CI (the variable CI set),
  where that is an error: CI installs both and must never skip a browser test silently.
"""

import os

import matplotlib
import numpy as np
import pytest
from chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_missing, skip_or_fail

from mlp_lib.data import DATASETS, load_mnist
from mlp_lib.idx import write_idx

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    reason = browser_missing()
    if reason:
        skip_or_fail(reason, "the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(tmp_path_factory.mktemp("chromium-home"))},
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1900})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


@pytest.fixture
def make_tiny_dataset(tmp_path):
    """A function writing ``n`` random images and labels as ``root/dataset/<split's files>``.

    It returns (images (n, 28, 28) uint8, labels (n,) uint8); ``root`` defaults to ``tmp_path``.
    """

    def make(
        dataset="mnist", split="train", n=5, image_shape=(28, 28), n_labels=None, seed=0, root=None
    ):
        rng = np.random.default_rng(seed)
        images = rng.integers(0, 256, size=(n, *image_shape), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n if n_labels is None else n_labels, dtype=np.uint8)
        folder = (tmp_path if root is None else root) / dataset
        folder.mkdir(parents=True, exist_ok=True)
        files = DATASETS[dataset]["files"][split]
        write_idx(folder / files["images"], images)
        write_idx(folder / files["labels"], labels)
        return images, labels

    return make


@pytest.fixture
def tiny_data_dir(tmp_path, make_tiny_dataset):
    """A data folder with 20 training and 10 test images of each dataset."""
    for seed, dataset in enumerate(DATASETS):
        make_tiny_dataset(dataset, "train", n=20, seed=2 * seed)
        make_tiny_dataset(dataset, "test", n=10, seed=2 * seed + 1)
    return tmp_path


def make_blobs(n=300, d=20, classes=3, seed=0):
    """Well separated clusters. Shapes: X (n, d) float32, y (n,) int64 labels 0..classes-1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centers = rng.standard_normal((classes, d)) * 3
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


@pytest.fixture(scope="session")
def blobs():
    """``make_blobs``: a function (n=300, d=20, classes=3, seed=0) -> (X, y)."""
    return make_blobs


@pytest.fixture(scope="session")
def mnist_sample():
    """The first 500 MNIST test images: X (500, 784) float32 in [0, 1], y (500,) int64."""
    X, y = load_mnist("test")
    return X[:500].copy(), y[:500].copy()
