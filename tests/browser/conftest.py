"""Fixtures for the real-browser tests: a JupyterLab or Voilà server on 127.0.0.1 serving a
temporary copy of notebooks/, and Debian's Chromium driven by Playwright.

Without chromium or playwright the tests are skipped with the reason, except in CI (the
environment variable CI is set), where that is an error: CI installs both and must never skip
these tests silently. Screenshots go to test-artifacts/ at the repository root.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from chromium import browser_missing, skip_or_fail

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
BIN = Path(sys.executable).parent  # the venv's jupyter and voila
SERVER_START_SECONDS = 90


def missing_requirement():
    """Why the browser tests cannot run here, or None."""
    reason = browser_missing()
    if reason:
        return reason
    for tool in ("jupyter", "voila"):
        if not (BIN / tool).exists():
            return f"{tool} is not installed next to {Path(sys.executable).name}: pip install -e '.[notebooks]'"
    return None


@pytest.fixture(scope="session")
def browser_ready():
    reason = missing_requirement()
    if reason:
        skip_or_fail(reason, "the browser tests")


@pytest.fixture(scope="session")
def served(tmp_path_factory, browser_ready):
    """A temporary copy of notebooks/ (autosave must never touch the real ones) and a clean HOME."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    for folder in ("models", "data"):  # notebooks read ../models/ and ../data/; never written
        (root / folder).symlink_to(REPO / folder, target_is_directory=True)
    home = root / "home"
    notify = home / "settings/@jupyterlab/apputils-extension"
    notify.mkdir(parents=True)  # no "fetch Jupyter news?" toast over the page
    (notify / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    notebook = home / "settings/@jupyterlab/notebook-extension"
    notebook.mkdir(parents=True)  # every cell in the page, even those scrolled away
    (notebook / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "MLP_LIB_DATA_DIR": str(REPO / "data"),
        # The kernel imports this checkout's mlp_lib, whichever one the venv was installed from.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # Small matrices gain nothing from BLAS threads, and the browser and the server need the
        # cores: one thread keeps the training speed steady while everything else runs.
        "OPENBLAS_NUM_THREADS": "1",
    }
    env.pop("MPLBACKEND", None)  # Agg there would remove the notebook's inline plots
    return root, env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(cmd, env, port, log_path):
    """Run a server in its own process group; wait until its port answers; stop it and its kernels."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited: {Path(log_path).read_text()[-2000:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"{cmd[0]} did not answer in {SERVER_START_SECONDS} s"
                        ) from None
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def lab(served):
    """JupyterLab serving the copy; yields (base url, token)."""
    root, env = served
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses root without it; Voilà does not ask
    with server(cmd, env, port, root / "lab.log") as url:
        yield url, token


@pytest.fixture(scope="session")
def voila_app(served):
    """A factory: ``voila_app("10_x.ipynb")`` serves that notebook (a temporary copy) as an app
    with Voilà, started once per notebook and session, and returns its url."""
    root, env = served
    with ExitStack() as stack:
        urls = {}

        def start(name):
            if name not in urls:
                port = free_port()
                cmd = [
                    str(BIN / "voila"),
                    str(root / "notebooks" / name),
                    "--no-browser",
                    f"--port={port}",
                    "--Voila.ip=127.0.0.1",
                    "--Voila.port_retries=0",
                ]
                log = root / f"voila-{Path(name).stem}.log"
                urls[name] = stack.enter_context(server(cmd, env, port, log))
            return urls[name]

        yield start


@pytest.fixture(scope="session")
def voila(voila_app):
    """Voilà serving the copy of the playground notebook as an app; yields its url."""
    return voila_app("07_playground.ipynb")
