"""Fixtures for the classroom tests: the course installed as the guide says, accounts, hubs.

The classroom tests need root (they create and remove system accounts): elsewhere they are
skipped with that reason; with the CI variable set, a missing requirement is an error. What is
real and what differs from a teacher's server is in course_server.py's docstring.
"""

import os

import pytest
from course_server import Accounts, install_course, start_hub, stop_hub, why_not_here


@pytest.fixture(scope="session")
def can_run_a_course_server():
    reason = why_not_here()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the classroom tests, but {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def course(can_run_a_course_server):
    """The course copied and installed with the guide's commands on the system's Python."""
    install = install_course(reuse_venv=os.environ.get("CLASSROOM_TEST_VENV"))
    print(f"\nthe guide's install commands took {install.seconds:.0f} s ({install.root})")
    yield install
    import shutil

    shutil.rmtree(install.root, ignore_errors=True)


@pytest.fixture(scope="module")
def accounts(can_run_a_course_server):
    """Accounts made by the tests or by the hub; all removed at the end, even after a failure."""
    made = Accounts()
    try:
        yield made
    finally:
        made.remove_all()


@pytest.fixture(scope="module")
def hub(course, accounts):
    """The shipped configuration, started as the guide says, with no classroom/students.txt."""
    running = start_hub(course, accounts)
    try:
        yield running
    finally:
        stop_hub(running)
