"""A real JupyterHub on 127.0.0.1 for the classroom test, started from classroom/jupyterhub_config.py.

The hub loads the course's own configuration and overrides only what a test needs: a dummy login
(any name, one password), SimpleLocalProcessSpawner (no system accounts; each student's home is a
temporary folder), free loopback ports, and a "teacher-bot" service whose token can create users.
The proxy is the `configurable-http-proxy` command installed beside this Python, which the course's
configuration chooses: from PyPI (the dev extra), the pure-Python implementation, so `pip install`
alone sets everything up, no Node.js needed; in the conda environment it is conda-forge's Node.js
one, which works the same.

Stopping: SIGTERM to the hub's PID; the hub stops the proxy and the students' servers, which stop
their kernels. The fixture then waits until every process the hub had started is gone, and fails
(after killing them by PID) if one is left behind.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLASSROOM_CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
BIN = Path(sys.executable).parent
START_TIMEOUT = 180  # seconds for the hub to answer; about 15 s on an idle 2-core machine
STOP_TIMEOUT = 90  # seconds for the hub, the proxy, the servers and the kernels to exit


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid):
    """PIDs of every process below `pid` in the process tree (read from /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # exited while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid):
    """True if `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (FileNotFoundError, ProcessLookupError):
        return "?"


@dataclass
class Hub:
    url: str  # the proxy's public URL, what a browser opens
    service_token: str  # the teacher-bot service: may create users
    password: str  # the dummy authenticator's shared password
    homes: Path  # each student's home is homes/<name>
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines=60):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


TEST_CONFIG = """\
# Written by tests/classroom/conftest.py: the course's configuration, then test-only overrides.
c = get_config()
load_subconfig({classroom_config!r})

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.db_url = "sqlite:///{work}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{work}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{work}/proxy.pid"

# TEST ONLY: any user name, one shared password; no system accounts, homes in a temporary folder.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.Authenticator.admin_users = set()
c.Authenticator.allowed_users = set()
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{homes}/{{username}}"
if {as_root!r}:
    c.Spawner.args = [*c.Spawner.args, "--allow-root"]  # the tests run as root in a container

c.JupyterHub.services = [{{"name": "teacher-bot", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "teacher-bot",
        "services": ["teacher-bot"],
        "scopes": ["admin:users", "admin:servers", "list:users"],
    }}
]
"""


def wait_until_answering(hub, deadline):
    """Poll GET /hub/api/ until the hub answers with its version, or fail with its log."""
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            pytest.fail(f"JupyterHub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=5) as response:
                if "version" in json.load(response):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.5)  # between polls of a state, not instead of one
    pytest.fail(f"JupyterHub did not answer within {START_TIMEOUT} s:\n{hub.log_tail()}")


def stop_and_check_nothing_is_left(hub):
    """SIGTERM the hub by PID, wait for it and everything it started to exit; fail if any is left."""
    started = descendants(hub.process.pid)
    hub.process.send_signal(signal.SIGTERM)
    try:
        hub.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        hub.process.kill()
        hub.process.wait()
        started |= {hub.process.pid}
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.2)
    left = {pid: command_line(pid) for pid in started if alive(pid)}
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"processes left behind after stopping JupyterHub: {left}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("hub")
    homes = work / "home"
    homes.mkdir()
    port = free_port()
    settings = {
        "classroom_config": str(CLASSROOM_CONFIG),
        "port": port,
        "hub_port": free_port(),
        "proxy_api_port": free_port(),
        "work": work,
        "homes": homes,
        "password": secrets.token_hex(8),
        "service_token": secrets.token_hex(32),
        "as_root": os.geteuid() == 0,
    }
    config = work / "jupyterhub_config.py"
    config.write_text(TEST_CONFIG.format(**settings))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("JUPYTERHUB_API_TOKEN", None)
    log = work / "jupyterhub.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)],
            cwd=work,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    hub = Hub(
        url=f"http://127.0.0.1:{port}",
        service_token=settings["service_token"],
        password=settings["password"],
        homes=homes,
        log=log,
        process=process,
    )
    try:
        wait_until_answering(hub, time.monotonic() + START_TIMEOUT)
        yield hub
    finally:
        stop_and_check_nothing_is_left(hub)
