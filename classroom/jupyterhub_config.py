"""JupyterHub for a course on one Linux server: "Handwritten digits from scratch".

    sudo /usr/bin/python3 -m venv /opt/course
    sudo /opt/course/bin/pip install "/srv/handwritten-digits[notebooks,classroom]" -c /srv/handwritten-digits/constraints.txt
    cd /srv/jupyterhub && sudo /opt/course/bin/jupyterhub -f /srv/handwritten-digits/classroom/jupyterhub_config.py

(classroom/README.md has every step; tests/classroom/ runs this file as it is, with real accounts.)
What it sets up:

- **Logins.** Students choose their password the first time they log in (FirstUseAuthenticator,
  as The Littlest JupyterHub does); nobody needs a password set by root. Only names the teacher
  added can log in: the teacher (COURSE_TEACHER, "teacher" by default) from the start, students
  added on the admin page or listed in classroom/students.txt (one name a line). Each name gets a
  system account on the server when it is added (its password locked: no ssh, only the hub).
- **A Jupyter server per person**, a local process running as that account (LocalProcessSpawner),
  from the hub's own Python, where the course is installed once.
- **The hand-out.** Before a server starts, classroom/handout.py runs *as that person* and gives
  ``~/handwritten-digits/`` the student edition (stubs, no solutions; the teacher gets the teacher
  edition and an nbgrader course folder), writing only what is missing, so nobody's work is ever
  overwritten, with links to the shared read-only data/, models/ and results/.
- **Privacy.** Homes are made private (0700): classmates cannot read each other's work.
- **nbgrader.** The exchange folder (COURSE_EXCHANGE, /srv/nbgrader/exchange by default) is
  created with mode 1777; every server reads classroom/jupyter/common/ (course id, exchange) and its
  role's folder: the formgrader and the assignment editor only for the teacher.
- **Kernels idle for 30 minutes are shut down**; BLAS threads are mlp_lib's own policy.

The course folder is the repository this file lives in. Everything here works with JupyterHub >= 5.
"""

import asyncio
import os
import pwd
import stat
import sys
from pathlib import Path

from firstuseauthenticator import FirstUseAuthenticator
from jupyterhub.auth import LocalAuthenticator

c = get_config()  # noqa: F821 -- JupyterHub defines get_config() when it reads this file

# ---------- the course ----------
HERE = Path(__file__).resolve().parent
COURSE_DIR = HERE.parent  # the clone: notebooks/, data/, models/, tools/, classroom/
STUDENT_FOLDER = "handwritten-digits"  # in each home
TEACHER = os.environ.get("COURSE_TEACHER", "teacher")
EXCHANGE = Path(os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange"))
BIN = Path(sys.executable).parent  # the hub's venv: jupyterhub-singleuser, nbgrader, python
HANDOUT_SECONDS = 120


# ---------- who can log in ----------
class CourseAuthenticator(FirstUseAuthenticator, LocalAuthenticator):
    """FirstUseAuthenticator's logins, with LocalAuthenticator's system accounts for new names."""


c.JupyterHub.authenticator_class = CourseAuthenticator
c.Authenticator.admin_users = {TEACHER}
# Only names already known to the hub (the teacher, students.txt, the admin page) can log in; a new
# name typed into the login form does not create an account.
c.FirstUseAuthenticator.create_users = False
c.Authenticator.allow_existing_users = True  # names added on the admin page may log in
c.LocalAuthenticator.create_system_users = True  # each name gets an account (adduser, 0700 home)
students_file = HERE / "students.txt"
if students_file.is_file():
    c.Authenticator.allowed_users = {
        name.strip() for name in students_file.read_text().splitlines() if name.strip()
    }
c.JupyterHub.template_vars = {
    "announcement_login": (
        "First time here? Type your user name and choose a password (at least 7 characters): "
        "it becomes your password for this course."
    )
}

# ---------- the proxy ----------
# The configurable-http-proxy installed beside this Python (PyPI's pure-Python one), found even when
# the environment is not activated; else the one on PATH (`npm install -g configurable-http-proxy`).
proxy = BIN / "configurable-http-proxy"
if proxy.is_file():
    c.ConfigurableHTTPProxy.command = [str(proxy)]

# ---------- one Jupyter server per person ----------
c.JupyterHub.spawner_class = "localprocess"  # a process on this machine, as the student
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]  # the hub's Python, with the course installed
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{STUDENT_FOLDER}/notebooks"
# A busy machine (30 students starting at 9:00) starts servers slowly: wait longer than the default.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.args = [
    # Shut down kernels idle for 30 minutes, even with the notebook still open in a browser tab;
    # never a kernel that is busy (training). The student re-runs the notebook when they come back.
    "--MappingKernelManager.cull_idle_timeout=1800",
    "--MappingKernelManager.cull_interval=300",
    "--MappingKernelManager.cull_connected=True",
]


def role(spawner):
    """ "teacher" for the hub's administrators, "student" for everyone else."""
    return "teacher" if spawner.user.admin else "student"


def jupyter_config_path(spawner):
    """The course's Jupyter settings: the role's folder first (it wins), then the common one."""
    folders = (HERE / "jupyter" / role(spawner), HERE / "jupyter" / "common")
    return os.pathsep.join(str(folder) for folder in folders)


c.Spawner.environment = {
    # Terminals find the hub's python, jupyter and nbgrader first.
    "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
    # MNIST wherever a notebook runs (an nbgrader assignment, a copy in another folder).
    "MLP_LIB_DATA_DIR": str(COURSE_DIR / "data"),
    "COURSE_EXCHANGE": str(EXCHANGE),
    "JUPYTER_CONFIG_PATH": jupyter_config_path,
}
# No BLAS thread settings: mlp_lib sets them itself (one thread, more only while a training finds
# CPUs free; see mlp_lib/threads.py). With more students than cores, NumPy's default (one OpenBLAS
# thread per core in every kernel) makes the kernels' threads wait for each other: training 5 to 20
# times slower in benchmarks/README.md's measurements.


# ---------- before a server starts: the account, the exchange, the hand-out ----------
def login_defs(key, default):
    """A number from /etc/login.defs (UID_MIN, UID_MAX), or the default."""
    try:
        for line in Path("/etc/login.defs").read_text().splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == key and fields[1].isdigit():
                return int(fields[1])
    except OSError:
        pass
    return default


def person_account(name):
    """The system account of a hub user, refused if it belongs to the system (root, daemons)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"there is no account {name!r} on this server; add the name on the admin page "
            "(the hub creates the account) or create it with useradd -m"
        ) from None
    low, high = login_defs("UID_MIN", 1000), login_defs("UID_MAX", 60000)
    if not low <= account.pw_uid <= high:
        raise RuntimeError(
            f"{name!r} is a system account (uid {account.pw_uid}, outside {low}-{high}); a course "
            "server never runs notebooks as it: give this person another name"
        )
    if not Path(account.pw_dir).is_dir():
        raise RuntimeError(f"{name}'s home folder {account.pw_dir} does not exist; create it")
    return account


def make_home_private(account):
    """chmod 0700 the home folder: useradd -m on Debian makes it 0755, readable by classmates."""
    home = Path(account.pw_dir)
    info = home.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == account.pw_uid and info.st_mode & 0o077:
        os.chmod(home, stat.S_IMODE(info.st_mode) & 0o700)


def make_exchange():
    """nbgrader's exchange: everyone may create in it, nobody may delete what is not theirs."""
    EXCHANGE.mkdir(parents=True, exist_ok=True)
    os.chmod(EXCHANGE, 0o1777)


async def hand_out(spawner):
    """Give the person their edition, as them: a hand-out running as root could be led by a link
    in their folder to write anywhere."""
    account = person_account(spawner.user.name)
    make_home_private(account)
    make_exchange()
    process = await asyncio.create_subprocess_exec(
        str(BIN / "python"),
        str(HERE / "handout.py"),
        f"{account.pw_dir}/{STUDENT_FOLDER}",
        "--edition",
        role(spawner),
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],
        cwd=account.pw_dir,
        env={"HOME": account.pw_dir, "PATH": os.defpath, "LANG": "C.UTF-8"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), HANDOUT_SECONDS)
    message = output.decode(errors="replace").strip()
    if process.returncode != 0:
        raise RuntimeError(f"the course hand-out for {spawner.user.name} failed: {message}")
    spawner.log.info("%s: %s", spawner.user.name, message)


c.Spawner.pre_spawn_hook = hand_out

# ---------- idle servers (a note) ----------
# Kernels are culled above. To also stop whole servers of students who left (each idle server
# holds 160 MB just started: results/classroom.json), install jupyterhub-idle-culler (pip install jupyterhub-idle-culler)
# and uncomment; it asks the hub's REST API for last activity and stops servers idle for an hour.
# c.JupyterHub.load_roles = [
#     {
#         "name": "idle-culler",
#         "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
#         "services": ["idle-culler"],
#     }
# ]
# c.JupyterHub.services = [
#     {
#         "name": "idle-culler",
#         "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"],
#     }
# ]
