"""classroom/students.txt as the allow-list, on the shipped hub with real accounts.

A hub of its own (course_server.py lists what differs from a teacher's server) starts with a
students.txt naming two students: one already has an account (useradd -m), the other gets one from
the hub when it starts. The teacher, who is not on the list, logs in; so do the two; a classmate who
has an account on the server but is not on the list does not. A name added later on the admin page
can log in too, a system account added by mistake never gets a server, a student changes their
password, and the teacher resets a forgotten one (delete and add again) without losing the work.
"""

import pwd
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from course_server import SERVER_SECONDS, exists, start_hub, stop_hub

pytestmark = [pytest.mark.classroom, pytest.mark.slow]


@pytest.fixture(scope="module")
def listed(course, accounts):
    ada, grace = accounts.useradd("ada"), accounts.name("grace")
    outsider = accounts.useradd("mallory")  # an account on the server, not on the list
    hub = start_hub(course, accounts, students=[ada, grace])
    try:
        yield SimpleNamespace(hub=hub, ada=ada, grace=grace, outsider=outsider)
    finally:
        stop_hub(hub)


def test_the_teacher_and_the_listed_students_log_in_and_nobody_else(listed):
    hub = listed.hub
    assert exists(listed.grace)  # made by the hub when it started, from students.txt
    assert hub.login(hub.teacher, "teacher-password") is not None, hub.log_tail()
    for name in (listed.ada, listed.grace):
        assert hub.login(name, f"{name}-secret") is not None
    assert hub.login(listed.outsider, "outsider-password") is None


def test_a_name_the_teacher_adds_later_on_the_admin_page_can_log_in(listed, accounts):
    hub = listed.hub
    teacher = hub.login(hub.teacher, "teacher-password")
    alan = accounts.name("alan")
    assert hub.login(alan, "alan-secret") is None  # not yet
    teacher.hub_api("POST", "/users", {"usernames": [alan]}, expect=(201,))
    assert exists(alan)
    assert hub.login(alan, "alan-secret") is not None


def test_a_system_account_added_by_mistake_never_gets_a_server(listed):
    hub = listed.hub
    teacher = hub.login(hub.teacher, "teacher-password")
    teacher.hub_api("POST", "/users", {"usernames": ["daemon"]}, expect=(201,))
    daemon = hub.login("daemon", "daemon-password")
    assert daemon is not None  # the hub knows the name now
    daemon.hub_api("POST", "/users/daemon/server", {}, expect=(201, 202, 500))
    deadline = time.monotonic() + SERVER_SECONDS
    while daemon.hub_api("GET", "/users/daemon")["servers"] and time.monotonic() < deadline:
        time.sleep(0.5)  # between polls of the hub, until the failed start is cleared
    assert not daemon.hub_api("GET", "/users/daemon")["servers"]  # no server runs
    assert "'daemon' is a system account (uid 1, outside 1000-60000)" in hub.log.read_text()
    teacher.hub_api(
        "DELETE", "/users/daemon", expect=(204,)
    )  # the hub forgets it; the account stays
    assert exists("daemon")


def test_a_student_changes_their_password_and_the_teacher_resets_a_forgotten_one(listed):
    hub, name = listed.hub, listed.ada
    ada = hub.login(name, f"{name}-secret")
    form = ada.session.get(f"{hub.url}/hub/auth/change-password", timeout=60)  # the page, then
    assert form.ok and 'name="password"' in form.text, hub.log_tail(40)
    page = ada.session.post(
        f"{hub.url}/hub/auth/change-password",
        data={"password": "a-new-secret", "_xsrf": ada.xsrf()},
        timeout=60,
    )
    assert page.ok and "Your password has been changed successfully!" in page.text, hub.log_tail(40)
    assert hub.login(name, f"{name}-secret") is None
    assert hub.login(name, "a-new-secret") is not None

    work = Path(pwd.getpwnam(name).pw_dir) / "my-work.txt"
    work.write_text("mine")
    teacher = hub.login(hub.teacher, "teacher-password")
    teacher.hub_api("DELETE", f"/users/{name}", expect=(204,))  # forgotten: delete, add again
    teacher.hub_api("POST", "/users", {"usernames": [name]}, expect=(201,))
    assert hub.login(name, "chosen-again") is not None  # a new first login
    assert hub.login(name, "a-new-secret") is None
    assert exists(name) and work.read_text() == "mine"  # the account and the work stay
