"""Marks for the whole test run: every notebook cell (nbval), every browser test and the classroom
test are ``slow``.

``pytest -m "not slow"`` is then the quick loop for someone editing mlp_lib: the unit tests only,
without the notebooks, the browser tests and the trainings on all of MNIST.
"""

import pytest

SLOW_KINDS = ("browser", "classroom")  # a real browser, a real JupyterHub: many seconds each


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb" or any(item.get_closest_marker(k) for k in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)
