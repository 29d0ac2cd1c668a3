"""classroom/jupyterhub_config.py, read as JupyterHub reads it; its pre-spawn hook run on a folder."""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"


@pytest.fixture
def config(monkeypatch):
    monkeypatch.delenv("COURSE_DIR", raising=False)
    monkeypatch.delenv("COURSE_TEACHER", raising=False)
    return PyFileConfigLoader(CONFIG.name, str(CONFIG.parent)).load_config()


def test_a_small_course_server_with_local_processes_and_system_accounts(config):
    assert config.JupyterHub.authenticator_class == "pam"
    assert config.JupyterHub.spawner_class == "localprocess"
    assert config.Authenticator.admin_users == {"teacher"}
    assert config.Spawner.cmd == [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    assert Path(config.Spawner.cmd[0]).is_file()
    proxy = Path(sys.executable).with_name("configurable-http-proxy")
    assert config.ConfigurableHTTPProxy.command == [str(proxy)] and proxy.is_file()
    assert config.Spawner.default_url == "/lab/tree/handwritten-digits/notebooks"
    assert "--MappingKernelManager.cull_idle_timeout=1800" in config.Spawner.args
    assert "--allow-root" not in config.Spawner.args  # students' servers never run as root
    # No thread settings: the library's own policy (mlp_lib/threads.py) decides.
    assert "environment" not in config.Spawner  # so no OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, ...


def student(home):
    return SimpleNamespace(home_dir=str(home), user=SimpleNamespace(name="ada"))


def test_each_student_gets_a_copy_of_the_notebooks_and_links_to_the_shared_data(config, tmp_path):
    config.Spawner.pre_spawn_hook(student(tmp_path / "ada"))
    folder = tmp_path / "ada" / "handwritten-digits"
    copied = sorted(path.name for path in (folder / "notebooks").iterdir())
    assert copied == sorted(path.name for path in (ROOT / "notebooks").iterdir() if path.is_file())
    assert not (folder / "notebooks").is_symlink()
    for name in ("data", "models", "results"):
        assert (folder / name).is_symlink() and (folder / name).resolve() == ROOT / name


def test_a_students_work_is_never_overwritten_and_missing_notebooks_come_back(config, tmp_path):
    hook = config.Spawner.pre_spawn_hook
    hook(student(tmp_path / "ada"))
    notebooks = tmp_path / "ada" / "handwritten-digits" / "notebooks"
    mine = notebooks / "05_minibatch_gradient_descent.ipynb"
    mine.write_text('{"my": "work"}')
    (notebooks / "09_fashion_mnist.ipynb").unlink()
    hook(student(tmp_path / "ada"))  # the next start of the server
    assert mine.read_text() == '{"my": "work"}'
    assert (notebooks / "09_fashion_mnist.ipynb").read_bytes() == (
        ROOT / "notebooks" / "09_fashion_mnist.ipynb"
    ).read_bytes()


def test_course_dir_and_teacher_come_from_the_environment(monkeypatch, tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_only.ipynb").write_text("{}")
    monkeypatch.setenv("COURSE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_TEACHER", "ms-lovelace")
    config = PyFileConfigLoader(CONFIG.name, str(CONFIG.parent)).load_config()
    assert config.Authenticator.admin_users == {"ms-lovelace"}
    config.Spawner.pre_spawn_hook(student(tmp_path / "home" / "ada"))
    folder = tmp_path / "home" / "ada" / "handwritten-digits"
    assert [path.name for path in (folder / "notebooks").iterdir()] == ["01_only.ipynb"]
    assert not (folder / "data").exists()  # this course folder has no data/ to link
