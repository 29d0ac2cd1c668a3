"""classroom/k8s/: the course on Kubernetes for a class of 300, checked without a cluster.

values.yaml is validated as Helm validates it: merged over the chart's default values, against the
chart's values.schema.json, both vendored from the pinned release. Then we check that it uses the
same pieces as the one-server hub (classroom/jupyterhub_config.py): the hand-out, run for real on
a temporary home; the Jupyter settings per role, from the hub's own extraConfig code run with fake
users; data/; the same install command; the memory measured per student. Not checked here: a
cluster, the chart's templates (no Helm on this machine), the image (no Docker engine).
"""

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from helpers import read_pyproject
from jupyterhub.traitlets import ByteSpecification
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "classroom" / "k8s"
CHART_VERSION = "4.4.0"
CHART = K8S / "vendor" / f"jupyterhub-{CHART_VERSION}"  # the chart's values.yaml and schema
ONE_SERVER = ROOT / "classroom" / "jupyterhub_config.py"
COURSE_IN_IMAGE = "/srv/handwritten-digits"  # where the Dockerfile copies this repository
HOME_IN_POD = "/home/jovyan"


def measured_peaks():
    """The largest figures measured on one server, in MB: a student's jupyterhub-singleuser at its
    peak (results/classroom.json) and the largest kernel of any notebook (that file and
    results/notebooks*.json, made by tools/measure_notebooks.py), as classroom/README.md cites them."""
    results = ROOT / "results"
    classroom = json.loads((results / "classroom.json").read_text())
    server = max(run["server_peak_mb"] for run in classroom["notebook_05"])
    kernels = [run["kernel_peak_mb"] for run in classroom["notebook_05"]]
    for path in sorted(results.glob("notebooks*.json")):
        kernels += [notebook["peak_mb"] for notebook in json.loads(path.read_text())["notebooks"]]
    return server, max(kernels)


SERVER_MB, LARGEST_KERNEL_MB = measured_peaks()
MIB = 1024 * 1024


def read_yaml(path):
    return yaml.safe_load(path.read_text())


def helm_merge(defaults, overrides):
    """What Helm does with --values: maps merged key by key, anything else replaced, null deletes."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def values(*files):
    """The values the chart sees: its defaults, then each of our files in order."""
    merged = read_yaml(CHART / "values.yaml")
    for name in files:
        merged = helm_merge(merged, read_yaml(K8S / name))
    return merged


def schema_errors(merged):
    schema = json.loads((CHART / "values.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(merged)
    ]


def course_extra_config(merged):
    """Run hub.extraConfig as the chart's hub does (exec, with `c`) on a bare Config.

    The chart has already set c.KubeSpawner.environment from singleuser.extraEnv; so do we.
    """
    c = Config()
    c.KubeSpawner.environment = dict(merged["singleuser"]["extraEnv"])
    for _, code in sorted(merged["hub"]["extraConfig"].items()):
        exec(code, {"c": c})
    return c


def spawner(admin):
    """What the extraConfig callables read of KubeSpawner: the user and its admin flag."""
    return SimpleNamespace(user=SimpleNamespace(name="ada", admin=admin), storage_capacity="1Gi")


def environment_of(c, admin):
    """The environment KubeSpawner gives a pod: callables called with the spawner, as it does."""
    person = spawner(admin)
    return {
        key: value(person) if callable(value) else value
        for key, value in c.KubeSpawner.environment.items()
    }


def in_repository(path):
    """The file of this repository that an image path under /srv/handwritten-digits is."""
    return ROOT / Path(path).relative_to(COURSE_IN_IMAGE)


def one_server_literal(target):
    """The literal assigned to `target` (e.g. "c.Spawner.args") in classroom/jupyterhub_config.py."""
    tree = ast.parse(ONE_SERVER.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(ast.unparse(t) == target for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{ONE_SERVER.name} no longer sets {target}; update this test with it")


def pip_install_arguments(line):
    """The words after `pip install` in a shell line: what is installed, and with which constraints."""
    words = shlex.split(line)
    return words[words.index("install") + 1 :]


def dockerfile_instructions():
    """(INSTRUCTION, arguments) of classroom/k8s/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (K8S / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


# ---------- the chart's own schema ----------


def test_the_values_pass_the_charts_schema_as_helm_checks_them():
    assert schema_errors(values("values.yaml")) == []


def test_the_single_sign_on_overlay_passes_the_schema_too():
    merged = values("values.yaml", "sso.yaml")
    assert schema_errors(merged) == []
    assert merged["hub"]["config"]["JupyterHub"]["authenticator_class"] == "generic-oauth"


def test_a_misspelt_setting_is_refused_by_the_schema():
    # The schema forbids unknown keys: a typo fails here rather than being ignored on the cluster.
    broken = values("values.yaml")
    broken["singleuser"]["lifecycleHook"] = broken["singleuser"].pop("lifecycleHooks")
    assert any("'lifecycleHook' was unexpected" in error for error in schema_errors(broken))


def test_the_vendored_schema_is_the_release_the_files_install():
    helm_commands = [
        line
        for name in ("values.yaml", "sso.yaml", "README.md")
        for line in (K8S / name).read_text().splitlines()
        if "--version" in line
    ]
    assert len(helm_commands) >= 3
    for line in helm_commands:
        assert re.search(rf"--version {re.escape(CHART_VERSION)}(\s|$)", line), line
    for name in ("values.schema.json", "values.yaml", "LICENSE"):
        assert (CHART / name).is_file(), f"{CHART / name} is missing: see classroom/k8s/vendor/"
    assert "BSD 3-Clause License" in (CHART / "LICENSE").read_text()
    assert CHART_VERSION in (K8S / "vendor" / "README.md").read_text()


# ---------- the same pieces as on one server ----------


def course_paths_named():
    """Every /srv/handwritten-digits/... path in values.yaml, the Dockerfile, and the hub's roles."""
    text = (K8S / "values.yaml").read_text() + (K8S / "Dockerfile").read_text()
    named = set(re.findall(rf"{COURSE_IN_IMAGE}/[\w./-]*\w", text))
    c = course_extra_config(values("values.yaml"))
    for admin in (True, False):
        named.update(environment_of(c, admin)["JUPYTER_CONFIG_PATH"].split(":"))
    return named


def test_every_course_path_the_configuration_names_is_in_this_repository():
    named = course_paths_named()
    assert {
        f"{COURSE_IN_IMAGE}/classroom/handout.py",
        f"{COURSE_IN_IMAGE}/classroom/jupyter/teacher",
        f"{COURSE_IN_IMAGE}/classroom/jupyter/student",
        f"{COURSE_IN_IMAGE}/classroom/jupyter/common",
        f"{COURSE_IN_IMAGE}/data",
    } <= named
    missing = sorted(path for path in named if not in_repository(path).exists())
    assert missing == [], f"named in classroom/k8s/values.yaml, not in this repository: {missing}"


def test_the_image_build_sends_every_file_the_configuration_names():
    # Dockerfile.dockerignore leaves everything out ("*"), then lets in a list of top-level names
    # ("!data"), then leaves out some paths inside them again ("classroom/students.txt").
    rules = (K8S / "Dockerfile.dockerignore").read_text().splitlines()
    rules = [rule.strip() for rule in rules if rule.strip() and not rule.startswith("#")]
    assert rules[0] == "*"
    let_in = {rule[1:] for rule in rules if rule.startswith("!")}
    left_out = [rule for rule in rules[1:] if not rule.startswith(("!", "**"))]
    needed = {in_repository(path).relative_to(ROOT) for path in course_paths_named()}
    needed |= {Path("pyproject.toml"), Path("README.md"), Path("tools/make_student_edition.py")}
    for path in sorted(needed):
        assert path.parts[0] in let_in, f"{path} is not sent to the image build"
        assert not any(path.is_relative_to(rule) for rule in left_out), f"{path} is left out"


def test_admins_are_teachers_and_everyone_else_a_student():
    c = course_extra_config(values("values.yaml"))
    teacher, student = environment_of(c, admin=True), environment_of(c, admin=False)
    assert teacher["COURSE_ROLE"] == "teacher"
    assert student["COURSE_ROLE"] == "student"
    # The role's folder first (it wins), then the common one: the order of the one-server hub.
    assert teacher["JUPYTER_CONFIG_PATH"] == (
        f"{COURSE_IN_IMAGE}/classroom/jupyter/teacher:{COURSE_IN_IMAGE}/classroom/jupyter/common"
    )
    assert student["JUPYTER_CONFIG_PATH"] == (
        f"{COURSE_IN_IMAGE}/classroom/jupyter/student:{COURSE_IN_IMAGE}/classroom/jupyter/common"
    )
    assert student["MLP_LIB_DATA_DIR"] == f"{COURSE_IN_IMAGE}/data"
    admin = values("values.yaml")["hub"]["config"]["Authenticator"]["admin_users"]
    assert admin == ["teacher"]  # the one-server hub's default teacher (COURSE_TEACHER)


def test_only_the_teachers_home_is_made_bigger():
    c = course_extra_config(values("values.yaml"))
    teacher, student = spawner(admin=True), spawner(admin=False)
    c.KubeSpawner.pre_spawn_hook(teacher)
    c.KubeSpawner.pre_spawn_hook(student)
    assert (teacher.storage_capacity, student.storage_capacity) == ("20Gi", "1Gi")
    assert values("values.yaml")["singleuser"]["storage"]["capacity"] == "1Gi"


@pytest.mark.slow  # runs the hand-out in a new Python, as a pod does: about a second each
@pytest.mark.parametrize("admin, edition", [(False, "student"), (True, "teacher")])
def test_the_pods_start_hook_hands_out_the_edition_of_the_role(tmp_path, admin, edition):
    # The postStart command as Kubernetes runs it (sh -c, in the pod's environment), with this
    # repository in place of /srv/handwritten-digits and this Python in place of the image's.
    merged = values("values.yaml")
    command = merged["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"] and command[2].startswith("python ")
    script = command[2].replace(COURSE_IN_IMAGE, str(ROOT)).replace("python", sys.executable, 1)
    pod_env = environment_of(course_extra_config(merged), admin)
    env = {"HOME": str(tmp_path), "PATH": os.defpath, "COURSE_ROLE": pod_env["COURSE_ROLE"]}
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    log = (tmp_path / ".handout.log").read_text()
    assert done.returncode == 0 and f"{edition} edition in {tmp_path}/handwritten-digits" in log
    folder = tmp_path / "handwritten-digits"
    assert (folder / "notebooks" / "05_minibatch_gradient_descent.ipynb").is_file()
    assert (folder / "course").is_dir() == (edition == "teacher")
    assert (folder / "data").resolve() == ROOT / "data"
    # The server opens on the notebooks it just got.
    assert merged["singleuser"]["defaultUrl"] == "/lab/tree/handwritten-digits/notebooks"


def test_the_image_installs_the_course_with_the_one_server_command():
    docstring = ast.get_docstring(ast.parse(ONE_SERVER.read_text()))
    one_server = [line for line in docstring.splitlines() if "pip install" in line]
    assert one_server, f"{ONE_SERVER.name}'s docstring no longer shows the install command"
    runs = [args for instruction, args in dockerfile_instructions() if instruction == "RUN"]
    installs = [args for args in runs if "pip install" in args and COURSE_IN_IMAGE in args]
    assert len(installs) == 1, f"expected one install of the course, got {installs}"
    assert (
        pip_install_arguments(installs[0])
        == pip_install_arguments(one_server[0])
        == [
            f"{COURSE_IN_IMAGE}[notebooks,classroom]",
            "-c",
            f"{COURSE_IN_IMAGE}/constraints.txt",
        ]
    )


def test_the_image_runs_the_course_as_the_chart_expects():
    instructions = dockerfile_instructions()
    base = next(args for instruction, args in instructions if instruction == "FROM")
    python = re.fullmatch(r"python:3\.(\d+)-slim-\w+", base)
    assert python, f"expected an official python:3.X-slim image, got {base}"
    requires = read_pyproject()["project"]["requires-python"]
    oldest = re.fullmatch(r">=3\.(\d+)", requires)  # pyproject.toml says ">=3.10"
    assert int(python.group(1)) >= int(oldest.group(1)), f"{base}, but requires-python {requires}"
    assert ("COPY", f". {COURSE_IN_IMAGE}") in instructions
    text = (K8S / "Dockerfile").read_text()
    merged = values("values.yaml")
    assert re.search(rf"NB_UID={merged['singleuser']['uid']}\b", text)
    assert f"HOME={merged['singleuser']['storage']['homeMountPath']}" in text
    assert merged["singleuser"]["storage"]["homeMountPath"] == HOME_IN_POD
    # nbgrader takes a submitter's name from JUPYTERHUB_USER only for the system user "jovyan".
    assert "NB_USER=jovyan" in text and ("USER", "${NB_USER}") in instructions
    assert ("CMD", '["jupyterhub-singleuser"]') in instructions
    assert merged["singleuser"]["cmd"] == "jupyterhub-singleuser"


def test_nbgrader_exchange_is_one_shared_volume_at_the_one_server_path():
    one_server_default = re.search(
        r'os\.environ\.get\("COURSE_EXCHANGE", "([^"]+)"\)', ONE_SERVER.read_text()
    )
    assert one_server_default, f"{ONE_SERVER.name} no longer reads COURSE_EXCHANGE"
    path = one_server_default.group(1)
    single = values("values.yaml")["singleuser"]
    assert single["extraEnv"]["COURSE_EXCHANGE"] == path
    mounts = list(single["storage"]["extraVolumeMounts"].values())
    volumes = list(single["storage"]["extraVolumes"].values())
    assert [m["mountPath"] for m in mounts] == [path]
    assert [v["name"] for v in volumes] == [m["name"] for m in mounts]
    claim = volumes[0]["persistentVolumeClaim"]["claimName"]
    manifests = list(yaml.safe_load_all((K8S / "exchange-volume.yaml").read_text()))
    claims = [m for m in manifests if m["kind"] == "PersistentVolumeClaim"]
    nfs = [m for m in manifests if m["kind"] == "PersistentVolume"]
    assert [m["metadata"]["name"] for m in claims] == [claim]
    assert claims[0]["spec"]["accessModes"] == ["ReadWriteMany"]  # every pod, on any node
    # The NFS volume is bound to that claim, and to no other.
    assert nfs[0]["spec"]["claimRef"]["name"] == claim
    assert claims[0]["spec"]["volumeName"] == nfs[0]["metadata"]["name"]
    assert nfs[0]["spec"]["accessModes"] == ["ReadWriteMany"] and "nfs" in nfs[0]["spec"]


def test_each_person_has_a_home_of_their_own_that_outlives_their_account():
    merged = values("values.yaml")
    storage = merged["singleuser"]["storage"]
    assert storage["type"] == "dynamic"  # a volume claim per user
    assert storage["dynamic"]["storageAccessModes"] == ["ReadWriteOnce"]  # the chart's default
    assert merged["hub"]["config"]["KubeSpawner"]["delete_pvc"] is False


def test_the_memory_fits_what_a_student_was_measured_to_need():
    single = values("values.yaml")["singleuser"]
    memory, cpu = single["memory"], single["cpu"]
    guarantee = ByteSpecification().validate(None, memory["guarantee"])  # as KubeSpawner reads it
    limit = ByteSpecification().validate(None, memory["limit"])
    # MB counted as MiB, the larger reading of the measurements.
    student = SERVER_MB + LARGEST_KERNEL_MB
    assert guarantee >= student * MIB, f"guarantee {memory['guarantee']} < {student} MB measured"
    two_notebooks = SERVER_MB + 2 * LARGEST_KERNEL_MB  # two kernels at their peak at once
    assert limit >= two_notebooks * MIB, f"limit {memory['limit']} < {two_notebooks} MB"
    assert 0 < cpu["guarantee"] <= 1 <= cpu["limit"]


def test_idle_kernels_and_servers_are_culled_as_on_one_server():
    merged = values("values.yaml")
    assert merged["hub"]["config"]["KubeSpawner"]["args"] == one_server_literal("c.Spawner.args")
    assert "--MappingKernelManager.cull_idle_timeout=1800" in one_server_literal("c.Spawner.args")
    assert merged["cull"]["enabled"] is True and merged["cull"]["timeout"] == 3600


def test_logins_are_first_use_passwords_for_names_the_teacher_added():
    config = values("values.yaml")["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "firstuseauthenticator"
    assert config["FirstUseAuthenticator"]["create_users"] is False
    assert config["Authenticator"]["allow_existing_users"] is True


def secret_like(key):
    """secretToken, cookieSecret, client_secret, api_token, password, keys: not min_password_length."""
    return bool(re.search(r"(secret|token|password|cookie)$", key, re.I)) or key in ("key", "keys")


@pytest.mark.parametrize("name", ["values.yaml", "sso.yaml"])
def test_no_secret_is_written_in_the_files(name):
    found = []

    def walk(node, path):
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{path}{key}.")
            elif secret_like(key) and value not in (None, "", []):
                found.append(f"{path}{key}")

    walk(read_yaml(K8S / name), "")
    assert found == [], f"{name} sets {found}: put secrets in a secrets.yaml outside the repository"
