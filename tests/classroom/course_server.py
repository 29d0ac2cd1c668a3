"""A course server set up as classroom/README.md tells a teacher, for the classroom tests.

What is real: the system Python every account can run (Debian's /usr/bin/python3, as `sudo python3`
finds it), the guide's own install commands (read from classroom/README.md, not copied here),
classroom/jupyterhub_config.py loaded as it ships, its FirstUseAuthenticator logins through the
login form with its `_xsrf`, LocalProcessSpawner servers running as real system accounts (made with
`useradd -m`, or by the hub's own `adduser` when the teacher adds a name), the pure-Python
configurable-http-proxy, nbgrader.

What differs from a server, and only this:
- paths: the course is a copy of this working tree (the files git tracks or would track) in a
  temporary folder every account can read, instead of `git clone ... /srv/handwritten-digits`; the
  venv, the hub's state folder and nbgrader's exchange are temporary folders too;
- ports: free loopback ports, passed on the command line (`--ip`, `--port`,
  `--JupyterHub.hub_port`, `--ConfigurableHTTPProxy.api_url`);
- the two environment variables the configuration reads for names and places: COURSE_TEACHER (a
  unique test name) and COURSE_EXCHANGE (the temporary exchange).

Every account a test makes, or the hub makes for it, is removed at the end (`userdel -r`), also when
a test fails; the hub is stopped by its PID and nothing it started may be left running.
"""

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "classroom" / "README.md"
SYSTEM_PYTHON = Path("/usr/bin/python3")  # what `sudo python3` runs on Debian and Ubuntu
# sudo's secure_path on Debian: what the guide's `sudo ...` commands see.
SUDO_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GUIDE_PATHS = {  # the guide's places -> the test's (keys are replaced in this order)
    "/srv/handwritten-digits": "course",
    "/opt/course": "venv",
    "/srv/jupyterhub": "state",
}
START_SECONDS = 180  # for the hub to answer; about 10 s on an idle 2-core machine
STOP_SECONDS = 90  # for the hub, the proxy, the servers and their kernels to exit
SERVER_SECONDS = 240  # for a person's server to be ready


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def why_not_here():
    """Why a real course server cannot be set up on this machine, or None."""
    if os.geteuid() != 0:
        return "the classroom tests need root: they create and remove system accounts"
    for tool in ("useradd", "userdel", "adduser", "pkill"):
        if not shutil.which(tool, path=SUDO_PATH):
            return f"{tool} is missing: the classroom tests make real accounts with it"
    if not SYSTEM_PYTHON.is_file():
        return f"{SYSTEM_PYTHON} is missing: the hub must run on the system's own Python"
    return None


# ---------- the guide's install commands ----------


def guide_commands(guide=GUIDE):
    """The shell lines of the guide's install block (the ```bash block under "### Install")."""
    text = guide.read_text()
    match = re.search(r"^### Install\b.*?^```bash\n(.*?)^```", text, re.S | re.M)
    if not match:
        raise AssertionError(f"{guide} has no ```bash block under a '### Install' heading")
    return [line.split("  #")[0].strip() for line in match.group(1).splitlines() if line.strip()]


def install_lines(guide=GUIDE):
    """The guide's two install lines: the venv, then pip (each must be there exactly once)."""
    lines = guide_commands(guide)
    venv = [line for line in lines if re.search(r"\bpython3 -m venv\b", line)]
    pip = [line for line in lines if re.search(r"/bin/pip install\b", line)]
    if len(venv) != 1 or len(pip) != 1:
        raise AssertionError(
            f"{guide}: expected one venv and one pip install line, got {venv + pip}"
        )
    return venv + pip


def as_here(line, places):
    """A guide line with the server's paths replaced by the test's, and `sudo ` dropped."""
    for server_path, key in GUIDE_PATHS.items():
        line = line.replace(server_path, str(places[key]))
    return re.sub(r"(^|&& )sudo ", r"\1", line)


def copy_working_tree(destination):
    """The files `git clone` would give, at this working tree's state (changes not yet committed
    included), copied to `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    destination.chmod(0o755)


@dataclass
class CourseInstall:
    """The course copied and installed as the guide says, under one world-readable folder."""

    root: Path  # /tmp/hd-classroom-XXXX, mode 0755
    course: Path  # stands for /srv/handwritten-digits
    venv: Path  # stands for /opt/course
    seconds: float  # how long the guide's install commands took

    @property
    def bin(self):
        return self.venv / "bin"


def install_course(reuse_venv=None):
    """Copy the course and run the guide's venv and pip commands with the system Python.

    `reuse_venv` (the CLASSROOM_TEST_VENV variable, for a developer re-running the tests) is an
    existing venv made the same way: then only the copy is made. CI never sets it.
    """
    root = Path(tempfile.mkdtemp(prefix="hd-classroom-", dir="/tmp"))
    root.chmod(0o755)  # every account must reach the course and the venv
    places = {"course": root / "srv" / "handwritten-digits", "venv": root / "opt" / "course"}
    places["state"] = root / "srv" / "jupyterhub"
    (root / "srv").mkdir(mode=0o755)
    (root / "opt").mkdir(mode=0o755)
    copy_working_tree(places["course"])
    start = time.monotonic()
    if reuse_venv:
        places["venv"].symlink_to(Path(reuse_venv).resolve())
    else:
        for line in install_lines():
            run_guide_line(as_here(line, places))
    seconds = time.monotonic() - start
    return CourseInstall(root, places["course"], places["venv"], seconds)


def run_guide_line(line):
    """Run one install line as root would with sudo, `python3` being the system's own."""
    words = shlex.split(line)
    if words[0] == "python3":
        words[0] = str(SYSTEM_PYTHON)
    result = subprocess.run(
        words, env={**os.environ, "PATH": SUDO_PATH}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(
            f"the guide's command failed: {line}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


# ---------- accounts ----------


class Accounts:
    """System accounts with unique names; every one is removed by `remove_all`."""

    def __init__(self):
        self.suffix = secrets.token_hex(2)
        self.names = []

    def name(self, base):
        """A unique account name for `base` (e.g. ada-4f1c), tracked for removal."""
        name = f"{base}-{self.suffix}"
        if name not in self.names:
            self.names.append(name)
        return name

    def useradd(self, base):
        """A real account made as an administrator does: useradd -m (a 0755 home on Debian)."""
        name = self.name(base)
        subprocess.run(
            ["useradd", "-m", "-s", "/bin/bash", name],
            env={"PATH": SUDO_PATH},
            check=True,
            capture_output=True,
        )
        return name

    def remove_all(self):
        """Stop every process of every tracked account, then remove the account and its home."""
        problems = []
        for name in self.names:
            if not exists(name):
                continue
            subprocess.run(["pkill", "-KILL", "-u", name], env={"PATH": SUDO_PATH})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and processes_of(name):
                time.sleep(0.2)  # between looks at /proc, until the killed processes are gone
            result = subprocess.run(
                ["userdel", "-r", name], env={"PATH": SUDO_PATH}, capture_output=True, text=True
            )
            if exists(name):
                problems.append(f"{name}: {result.stderr.strip()}")
        assert not problems, f"accounts left behind: {problems}"


def exists(name):
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def processes_of(name):
    """PIDs of the processes running as account `name`."""
    import pwd

    uid = pwd.getpwnam(name).pw_uid
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        real = re.search(r"^Uid:\s+(\d+)", text, re.M)
        if real and int(real.group(1)) == uid:
            pids.append(int(status.parent.name))
    return pids


def environment_of(pid):
    """The environment of process `pid` (root may read /proc/PID/environ)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def memory_of(pid):
    """{VmRSS, VmHWM} of process `pid`, in bytes."""
    text = Path(f"/proc/{pid}/status").read_text()
    return {
        key: int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024
        for key in ("VmRSS", "VmHWM")
    }


# ---------- the hub ----------


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
    """A running hub: classroom/jupyterhub_config.py as it ships, on loopback ports."""

    install: CourseInstall
    teacher: str
    exchange: Path
    state: Path
    url: str
    log: Path
    process: subprocess.Popen
    people: dict = field(default_factory=dict)  # name -> the password they chose

    def log_tail(self, lines=80):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def login(self, name, password):
        """Log in through the login form, as a browser does; return the Person or None if refused."""
        person = Person(self, name, password, requests.Session())
        person.session.get(
            f"{self.url}/hub/login", timeout=60
        ).raise_for_status()  # the _xsrf cookie
        response = person.session.post(
            f"{self.url}/hub/login?next=",
            data={"username": name, "password": password, "_xsrf": person.xsrf()},
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code == 302:
            person.session.get(f"{self.url}/hub/home", timeout=60)  # the session's new _xsrf cookie
            return person
        assert response.status_code in (200, 403), (response.status_code, response.text[-500:])
        return None


def start_hub(install, accounts, students=None):
    """Start the shipped configuration as the guide does: `cd /srv/jupyterhub && jupyterhub -f ...`.

    `students`: names for classroom/students.txt (written into the course copy), or None for none.
    """
    label = secrets.token_hex(3)
    state = install.root / "srv" / f"jupyterhub-{label}"
    state.mkdir(mode=0o700)  # the guide: install -d -m 700 /srv/jupyterhub
    exchange = install.root / "srv" / f"nbgrader-{label}" / "exchange"
    students_file = install.course / "classroom" / "students.txt"
    students_file.unlink(missing_ok=True)
    if students is not None:
        students_file.write_text("".join(f"{name}\n" for name in students))
    teacher = accounts.name("teacher")
    port = free_port()
    command = [
        str(install.bin / "jupyterhub"),
        "-f",
        str(install.course / "classroom" / "jupyterhub_config.py"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        f"--JupyterHub.hub_port={free_port()}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
    ]
    env = {
        "PATH": SUDO_PATH,
        "LANG": "C.UTF-8",
        "HOME": "/root",
        "COURSE_TEACHER": teacher,
        "COURSE_EXCHANGE": str(exchange),
    }
    log = state / "jupyterhub.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=state,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    hub = Hub(install, teacher, exchange, state, f"http://127.0.0.1:{port}", log, process)
    wait_until_answering(hub)
    return hub


def wait_until_answering(hub):
    """Poll GET /hub/api/ until the hub answers with its version, or fail with its log."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise AssertionError(
                f"JupyterHub exited with {hub.process.returncode}:\n{hub.log_tail()}"
            )
        try:
            if "version" in requests.get(f"{hub.url}/hub/api/", timeout=5).json():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)  # between polls of a state, not instead of one
    raise AssertionError(f"JupyterHub did not answer within {START_SECONDS} s:\n{hub.log_tail()}")


def stop_hub(hub):
    """SIGTERM the hub by PID; wait for it and everything it started; fail if anything is left."""
    started = descendants(hub.process.pid)
    hub.process.send_signal(signal.SIGTERM)
    try:
        hub.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        hub.process.kill()
        hub.process.wait()
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.2)
    left = {pid: command_line(pid) for pid in started if alive(pid)}
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    (hub.install.course / "classroom" / "students.txt").unlink(missing_ok=True)
    assert not left, f"processes left behind after stopping JupyterHub: {left}"


# ---------- a person with a browser session ----------


@dataclass
class Person:
    """Someone logged in through the form: the hub's cookies in a requests session."""

    hub: Hub
    name: str
    password: str
    session: requests.Session
    _token: str = ""

    def xsrf(self):
        return self.session.cookies.get("_xsrf", path="/hub/") or self.session.cookies.get("_xsrf")

    def hub_api(self, method, path, body=None, expect=(200, 201, 204)):
        """A request to the hub's REST API with the session's cookie, as the hub's own pages make."""
        response = self.session.request(
            method,
            f"{self.hub.url}/hub/api{path}",
            data=None if body is None else json.dumps(body),
            headers={"X-XSRFToken": self.xsrf(), "Content-Type": "application/json"},
            timeout=120,
        )
        assert response.status_code in expect, (
            f"{method} {path}: {response.status_code} {response.text[-800:]}"
        )
        return response.json() if response.content else None

    @property
    def token(self):
        """An API token made on the hub's token page (for the server's API and kernels)."""
        if not self._token:
            self._token = self.hub_api(
                "POST", f"/users/{self.name}/tokens", {"note": "classroom test"}
            )["token"]
        return self._token

    def start_server(self):
        self.hub_api("POST", f"/users/{self.name}/server", {}, expect=(201, 202))

    def stop_server(self):
        self.hub_api("DELETE", f"/users/{self.name}/server", expect=(202, 204))
        deadline = time.monotonic() + SERVER_SECONDS
        while time.monotonic() < deadline:
            if not self.hub_api("GET", f"/users/{self.name}")["servers"]:
                return
            time.sleep(0.5)  # between polls of the hub, not instead of one
        raise AssertionError(f"{self.name}'s server did not stop within {SERVER_SECONDS} s")

    def wait_for_server(self):
        """Poll the hub until the default server is ready; return its model."""
        deadline = time.monotonic() + SERVER_SECONDS
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"/users/{self.name}")["servers"].get("")
            if server and server.get("ready"):
                return server
            if server is None and self.spawn_failed():
                raise AssertionError(
                    f"{self.name}'s server failed to start:\n{self.hub.log_tail(30)}"
                )
            time.sleep(0.5)  # between polls of the hub, not instead of one
        raise AssertionError(
            f"{self.name}'s server was not ready within {SERVER_SECONDS} s:\n{self.hub.log_tail(30)}"
        )

    def spawn_failed(self):
        return f"Unhandled error starting {self.name}'s server" in self.hub.log.read_text(
            errors="replace"
        )

    def server(self, method, path, body=None, expect=(200, 201, 204), **kwargs):
        """A request to the person's own Jupyter server, with their token."""
        response = requests.request(
            method,
            f"{self.hub.url}/user/{self.name}{path}",
            data=None if body is None else json.dumps(body),
            headers={"Authorization": f"token {self.token}"},
            timeout=300,
            **kwargs,
        )
        assert response.status_code in expect, (
            f"{method} {path}: {response.status_code} {response.text[-800:]}"
        )
        return response

    def server_pid(self):
        """The PID of the person's jupyterhub-singleuser process."""
        pids = [
            pid for pid in processes_of(self.name) if "jupyterhub-singleuser" in command_line(pid)
        ]
        assert len(pids) == 1, f"{self.name}: {pids}"
        return pids[0]

    def run(self, *command, cwd=None, timeout=600):
        """A command as this person, with their server's environment: a terminal in their JupyterLab."""
        env = environment_of(self.server_pid())
        return subprocess.run(
            [str(word) for word in command],
            user=self.name,
            group=self.name,
            extra_groups=[],
            env=env,
            cwd=cwd or env["HOME"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
