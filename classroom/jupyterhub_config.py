"""JupyterHub for a small course (20-40 students) on one Linux server: "Handwritten digits from scratch".

    sudo python3 -m venv /opt/course && sudo /opt/course/bin/pip install "/srv/handwritten-digits[notebooks]" jupyterhub configurable-http-proxy
    cd /srv/jupyterhub && sudo /opt/course/bin/jupyterhub -f /srv/handwritten-digits/classroom/jupyterhub_config.py

(see classroom/README.md). What it sets up:

- Students log in with an account on the server (PAM, the hub's default authenticator); the
  teacher is the hub's administrator and can add students from the admin page, which creates
  their accounts. An optional `students.txt` beside this file (one name a line) lists who may log in.
- Each student gets a Jupyter server of their own, a local process running as that student
  (LocalProcessSpawner), in their home folder, started from the same Python as the hub, where the
  course package is installed once (`pip install .`, not editable).
- Before a student's server starts for the first time, they get a working folder
  `~/handwritten-digits/` holding their own copy of the notebooks (their edits are theirs and are
  never overwritten; a notebook the teacher adds later is copied in at the next start) and links to
  the course's shared, read-only `data/`, `models/` and `results/`. JupyterLab opens on it.
- Each kernel's NumPy threads are set by mlp_lib itself (many students share few cores).
- Kernels nobody has used for 30 minutes are shut down: each notebook's kernel holds 0.1-1.3 GB
  (table in classroom/README.md), and a student who has moved on to the next notebook usually
  leaves the previous one running.

The course folder is the repository this file lives in, or $COURSE_DIR if set. Everything here
works with any JupyterHub >= 5; test-only settings (a dummy login, ports, a temporary home) are not
in this file: tests/classroom/ loads it and overrides those.
"""

import os
import pwd
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- JupyterHub defines get_config() when it reads this file

# ---------- the course ----------
HERE = Path(__file__).resolve().parent
COURSE_DIR = Path(os.environ.get("COURSE_DIR", HERE.parent))  # holds notebooks/ and data/
STUDENT_FOLDER = "handwritten-digits"  # in each student's home
SHARED = ("data", "models", "results")  # read-only for students: linked, not copied
TEACHER = os.environ.get("COURSE_TEACHER", "teacher")

# ---------- who can log in ----------
c.JupyterHub.authenticator_class = "pam"  # the server's own accounts and passwords
c.Authenticator.admin_users = {TEACHER}
c.LocalAuthenticator.create_system_users = True  # "Add users" on the admin page creates accounts
students_file = HERE / "students.txt"
if students_file.is_file():
    c.Authenticator.allowed_users = {
        name.strip() for name in students_file.read_text().splitlines() if name.strip()
    }

# ---------- the proxy ----------
# The configurable-http-proxy installed beside this Python (PyPI's pure-Python one, or conda-forge's
# Node.js one in a conda environment), found even when the environment is not activated; else the
# one on PATH (e.g. `npm install -g configurable-http-proxy`).
proxy = Path(sys.executable).with_name("configurable-http-proxy")
if proxy.is_file():
    c.ConfigurableHTTPProxy.command = [str(proxy)]

# ---------- one Jupyter server per student ----------
c.JupyterHub.spawner_class = "localprocess"  # a process on this machine, as the student
# The students' servers use the hub's own Python, where the course package is installed.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
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
# No BLAS thread settings here: mlp_lib sets them itself (one thread, more only while a training
# finds CPUs free; see mlp_lib/threads.py). With more students than cores, NumPy's default (one
# OpenBLAS thread per core in every kernel) made notebook 05 take about 520 s per student instead
# of about 58 s (4 students on 2 cores, tests/classroom/, before the library had its policy).


def student_home(spawner):
    """The home folder of the student whose server is starting."""
    home = getattr(spawner, "home_dir", "")  # SimpleLocalProcessSpawner (tests) has one
    return Path(home) if home else Path(pwd.getpwnam(spawner.user.name).pw_dir)


def give_to_student(paths, name):
    """chown the given files and folders to the student `name`, when the hub runs as root."""
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(name)
    except KeyError:  # not a system account (SimpleLocalProcessSpawner): nothing to hand over
        return
    for path in paths:
        os.lchown(path, account.pw_uid, account.pw_gid)


def copy_course_to_student(spawner):
    """Before a server starts: the student's own copy of notebooks/, and links to the shared folders.

    Copies only what the student does not have yet, so their work is never overwritten.
    """
    folder = student_home(spawner) / STUDENT_FOLDER
    notebooks = folder / "notebooks"
    created = [path for path in (folder.parent, folder, notebooks) if not path.exists()]
    notebooks.mkdir(parents=True, exist_ok=True)
    for source in sorted((COURSE_DIR / "notebooks").iterdir()):
        target = notebooks / source.name
        if source.is_file() and not source.name.startswith(".") and not target.exists():
            shutil.copy2(source, target)
            created.append(target)
    for name in SHARED:
        link = folder / name
        if (COURSE_DIR / name).is_dir() and not link.is_symlink() and not link.exists():
            link.symlink_to(COURSE_DIR / name, target_is_directory=True)
            created.append(link)
    give_to_student(created, spawner.user.name)


c.Spawner.pre_spawn_hook = copy_course_to_student

# ---------- idle servers (a note) ----------
# Kernels are culled above. To also stop whole servers of students who left (each idle server
# still holds about 100 MB), install jupyterhub-idle-culler (pip install jupyterhub-idle-culler)
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
