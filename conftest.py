"""Marks for the whole test run: every notebook cell (nbval) is ``slow``.

``pytest -m "not slow"`` is then the quick loop for someone editing mlp_lib: the unit tests only,
without the notebooks, the browser tests and the trainings on all of MNIST.
"""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
