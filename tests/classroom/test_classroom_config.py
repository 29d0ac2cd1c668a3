"""classroom/jupyterhub_config.py read as JupyterHub reads it, and its pieces that need no hub.

The whole configuration runs for real in test_classroom_hub.py (root, real accounts); these quick
checks say which piece broke when that test fails, and run everywhere.
"""

import os
import pwd
import shutil
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from firstuseauthenticator import FirstUseAuthenticator
from jupyterhub.auth import LocalAuthenticator
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def load(config_path=CONFIG):
    return PyFileConfigLoader(config_path.name, str(config_path.parent)).load_config()


@pytest.fixture
def config(monkeypatch):
    for name in ("COURSE_TEACHER", "COURSE_EXCHANGE"):
        monkeypatch.delenv(name, raising=False)
    return load()


def spawner(admin=False, name="ada"):
    return SimpleNamespace(user=SimpleNamespace(admin=admin, name=name))


def test_logins_are_first_use_passwords_for_names_the_teacher_added(config):
    authenticator = config.JupyterHub.authenticator_class
    assert issubclass(authenticator, FirstUseAuthenticator)
    assert issubclass(authenticator, LocalAuthenticator)  # a system account for each name
    assert config.FirstUseAuthenticator.create_users is False  # a new name typed in is refused
    assert config.Authenticator.allow_existing_users is True  # names added on the admin page
    assert config.LocalAuthenticator.create_system_users is True
    assert config.Authenticator.admin_users == {"teacher"}
    assert "allowed_users" not in config.Authenticator  # no students.txt in the repository
    assert "choose a password" in config.JupyterHub.template_vars["announcement_login"]


def test_students_txt_is_the_allow_list_and_the_teacher_and_exchange_come_from_the_environment(
    tmp_path, monkeypatch
):
    copy = tmp_path / "classroom"
    copy.mkdir()
    shutil.copy(CONFIG, copy / CONFIG.name)
    (copy / "students.txt").write_text("ada\n\n  alan  \n")
    monkeypatch.setenv("COURSE_TEACHER", "ms-lovelace")
    monkeypatch.setenv("COURSE_EXCHANGE", str(tmp_path / "exchange"))
    config = load(copy / CONFIG.name)
    assert config.Authenticator.allowed_users == {"ada", "alan"}
    assert config.Authenticator.admin_users == {"ms-lovelace"}
    assert config.Spawner.environment["COURSE_EXCHANGE"] == str(tmp_path / "exchange")
    assert config.Spawner.environment["MLP_LIB_DATA_DIR"] == str(tmp_path / "data")


def test_each_person_gets_a_local_server_from_the_hubs_python_opening_on_their_notebooks(config):
    assert config.JupyterHub.spawner_class == "localprocess"
    assert config.Spawner.cmd == [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    assert Path(config.Spawner.cmd[0]).is_file()
    proxy = Path(sys.executable).with_name("configurable-http-proxy")
    assert config.ConfigurableHTTPProxy.command == [str(proxy)] and proxy.is_file()
    assert config.Spawner.default_url == "/lab/tree/handwritten-digits/notebooks"
    assert "--MappingKernelManager.cull_idle_timeout=1800" in config.Spawner.args
    assert "--allow-root" not in config.Spawner.args  # servers never run as root
    assert config.Spawner.pre_spawn_hook.__name__ == "hand_out"


def test_servers_find_the_hubs_tools_the_data_and_their_roles_settings(config):
    environment = config.Spawner.environment
    assert environment["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert environment["MLP_LIB_DATA_DIR"] == str(ROOT / "data")
    assert environment["COURSE_EXCHANGE"] == "/srv/nbgrader/exchange"
    folders = ROOT / "classroom" / "jupyter"
    paths = environment["JUPYTER_CONFIG_PATH"]
    assert paths(spawner(admin=True)).split(os.pathsep) == [
        str(folders / "teacher"),
        str(folders / "common"),
    ]
    assert paths(spawner(admin=False)).split(os.pathsep) == [
        str(folders / "student"),
        str(folders / "common"),
    ]
    for role in ("teacher", "student", "common"):
        assert (folders / role).is_dir()
    assert not any(name in environment for name in THREAD_VARIABLES)  # mlp_lib's own policy


def test_system_accounts_and_unknown_names_never_get_a_server(config):
    person_account = config.Spawner.pre_spawn_hook.__globals__["person_account"]
    with pytest.raises(RuntimeError, match=r"'root' is a system account \(uid 0, outside 1000-"):
        person_account("root")
    if any(account.pw_name == "nobody" for account in pwd.getpwall()):
        with pytest.raises(RuntimeError, match=r"'nobody' is a system account \(uid 65534"):
            person_account("nobody")
    with pytest.raises(RuntimeError, match="there is no account 'no-such-student' on this server"):
        person_account("no-such-student")


def test_a_home_open_to_others_is_made_private_and_only_the_owners(config, tmp_path):
    make_home_private = config.Spawner.pre_spawn_hook.__globals__["make_home_private"]
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)  # useradd -m on Debian
    make_home_private(SimpleNamespace(pw_dir=str(home), pw_uid=os.getuid()))
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    home.chmod(0o755)
    make_home_private(SimpleNamespace(pw_dir=str(home), pw_uid=os.getuid() + 1))  # not theirs
    assert stat.S_IMODE(home.stat().st_mode) == 0o755


def test_the_exchange_is_made_for_everyone_to_hand_in(config, tmp_path, monkeypatch):
    hook_globals = config.Spawner.pre_spawn_hook.__globals__
    monkeypatch.setitem(hook_globals, "EXCHANGE", tmp_path / "srv" / "nbgrader" / "exchange")
    hook_globals["make_exchange"]()
    assert stat.S_IMODE((tmp_path / "srv" / "nbgrader" / "exchange").stat().st_mode) == 0o1777


def test_students_do_not_get_the_formgrader_or_the_assignment_editor():
    import json

    student = ROOT / "classroom" / "jupyter" / "student"
    server = json.loads((student / "jupyter_server_config.d" / "nbgrader-student.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    }
    lab = json.loads((student / "labconfig" / "page_config.json").read_text())
    assert lab["disabledExtensions"] == {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True,
    }
    teacher = ROOT / "classroom" / "jupyter" / "teacher"
    assert not (teacher / "jupyter_server_config.d").exists()
    assert not (teacher / "labconfig").exists()


def test_nbgrader_reads_the_course_exchange_and_folders(monkeypatch, tmp_path):
    from nbgrader.apps import NbGraderAPI  # noqa: F401 -- nbgrader is installed
    from traitlets.config import Config

    monkeypatch.setenv("COURSE_EXCHANGE", str(tmp_path / "exchange"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folders = ROOT / "classroom" / "jupyter"
    merged = Config()
    for role in ("common", "teacher"):  # lowest priority first, as Jupyter merges them
        merged.merge(load(folders / role / "nbgrader_config.py"))
    assert merged.CourseDirectory.course_id == "digits"
    assert merged.Exchange.root == str(tmp_path / "exchange")
    assert merged.Exchange.assignment_dir == str(tmp_path / "home" / "handwritten-digits")
    assert merged.CourseDirectory.root == str(tmp_path / "home" / "handwritten-digits" / "course")
    assert merged.Execute.timeout == 120
    sys.path.insert(0, str(ROOT / "tools"))
    import make_student_edition

    assert make_student_edition.MANIFEST in merged.CourseDirectory.ignore  # never sent to students
    assert ".ipynb_checkpoints" in merged.CourseDirectory.ignore  # nbgrader's own defaults kept


def test_the_guide_installs_the_classroom_extra_into_the_systems_python_with_the_pins():
    from course_server import install_lines

    venv, pip = install_lines()  # what test_classroom_hub.py runs
    assert venv == "sudo python3 -m venv /opt/course"  # the system's Python, not root's pyenv
    assert pip == (
        'sudo /opt/course/bin/pip install "/srv/handwritten-digits[notebooks,classroom]" '
        "-c /srv/handwritten-digits/constraints.txt"
    )
    assert pip.removeprefix("sudo ") in CONFIG.read_text()  # the configuration's docstring agrees
