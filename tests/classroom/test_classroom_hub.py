"""A class on one shared server: 4 students log in to a real JupyterHub at once and run notebooks.

Each student, concurrently with the others: logs in through the hub's REST API (a token requested
with their name and password), starts their Jupyter server, opens their own copy of the notebooks
(made by classroom/jupyterhub_config.py's pre-spawn hook), runs notebook 05 top to bottom and then
notebook 07's cells in a kernel of their server over the kernel websocket, as a browser does. Every
output must equal the stored one, compared as nbval compares them (tests/nbval-sanitize.cfg).

Recorded in test-artifacts/classroom.json and printed: each student's wall time (login to the end
of 07) and, for every kernel, its peak resident memory (ru_maxrss read inside the kernel).

Notebook 07's "checked cells" are those strict nbval checks: every code cell runs (later cells
need the earlier ones), and all but the two `# NBVAL_IGNORE_OUTPUT` cells that display the
widgets are compared.
"""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from notebook_runner import KernelChannel, read_sanitize_patterns, run_and_check
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

pytestmark = [pytest.mark.classroom, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "classroom.json"
SANITIZE = ROOT / "tests" / "nbval-sanitize.cfg"
STUDENTS = ("ada", "alan", "grace", "katherine")
NOTEBOOKS = ("05_minibatch_gradient_descent.ipynb", "07_playground.ipynb")
STUDENT_NOTEBOOKS = "handwritten-digits/notebooks"  # in each student's home, from the config
CELL_TIMEOUT = 900  # seconds; one cell of 05 takes about 20 s alone on 2 idle cores
SERVER_TIMEOUT = 240  # seconds for a student's server to be ready
MB = 1e6

# The course's goal: every notebook's kernel peaks at <= 400 MB, so that a 16 GB server holds a
# class of 30. Not met yet (see classroom/README.md); set this to 400 to make the test enforce it.
PEAK_MEMORY_LIMIT_MB = None


class Api:
    """JSON requests to the hub and the students' servers, each with a token."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.client = AsyncHTTPClient()

    async def request(self, method, path, token=None, body=None, expect=(200, 201, 202, 204)):
        headers = {"Authorization": f"token {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self.client.fetch(
                self.base_url + path,
                method=method,
                headers=headers,
                body=None if body is None else json.dumps(body),
                allow_nonstandard_methods=True,
                request_timeout=120,
            )
        except HTTPClientError as error:
            if error.code in expect:
                return error.code, None
            detail = error.response.body.decode(errors="replace") if error.response else ""
            raise AssertionError(f"{method} {path}: HTTP {error.code} {detail}") from None
        assert response.code in expect, f"{method} {path}: HTTP {response.code}"
        return response.code, json.loads(response.body) if response.body else None


async def wait_for_server(api, name, token):
    """Poll the hub until the student's default server is ready (a state, with a deadline)."""
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        _, user = await api.request("GET", f"/hub/api/users/{name}", token)
        server = user.get("servers", {}).get("")
        if server and server.get("ready"):
            return
        await asyncio.sleep(0.5)  # between polls of the hub, not instead of one
    raise TimeoutError(f"{name}'s server was not ready within {SERVER_TIMEOUT} s")


async def run_notebook_as(api, name, token, notebook_name, patterns):
    """Open `notebook_name` in the student's server, run it, check it; return its record."""
    path = f"{STUDENT_NOTEBOOKS}/{notebook_name}"
    _, model = await api.request("GET", f"/user/{name}/api/contents/{path}?content=1", token)
    notebook = nbformat.from_dict(model["content"])  # the student's own copy
    stored = nbformat.read(ROOT / "notebooks" / notebook_name, as_version=4)
    assert [cell.source for cell in notebook.cells] == [cell.source for cell in stored.cells]

    start = time.perf_counter()
    _, session = await api.request(
        "POST",
        f"/user/{name}/api/sessions",
        token,
        {"path": path, "name": notebook_name, "type": "notebook", "kernel": {"name": "python3"}},
    )
    kernel_id = session["kernel"]["id"]
    ws_url = (
        api.base_url.replace("http://", "ws://") + f"/user/{name}/api/kernels/{kernel_id}/channels"
    )
    channel = await KernelChannel.open(ws_url, {"Authorization": f"token {token}"})
    try:
        await channel.wait_until_ready()
        problems, cell_seconds = await run_and_check(channel, notebook, patterns, CELL_TIMEOUT)
        peak = await channel.peak_rss_bytes()
    finally:
        channel.close()
    seconds = time.perf_counter() - start
    await api.request("DELETE", f"/user/{name}/api/sessions/{session['id']}", token)
    return {
        "notebook": notebook_name,
        "seconds": round(seconds, 1),
        "kernel_peak_mb": round(peak / MB),
        "slowest_cells_seconds": dict(sorted(cell_seconds.items(), key=lambda item: -item[1])[:3]),
        "problems": problems,
    }


async def student_works_through_the_course(api, hub, name, patterns):
    """One student's whole session: log in, start the server, run 05 then 07."""
    start = time.perf_counter()
    _, answer = await api.request(
        "POST",
        f"/hub/api/users/{name}/tokens",
        body={"auth": {"username": name, "password": hub.password}, "note": "classroom test"},
    )
    token = answer["token"]
    await api.request("POST", f"/hub/api/users/{name}/server", token, {})  # no options
    await wait_for_server(api, name, token)
    server_seconds = time.perf_counter() - start
    notebooks = [
        await run_notebook_as(api, name, token, notebook, patterns) for notebook in NOTEBOOKS
    ]
    return {
        "student": name,
        "server_ready_seconds": round(server_seconds, 1),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "notebooks": notebooks,
    }


async def the_class(hub):
    api = Api(hub.url)
    patterns = read_sanitize_patterns(SANITIZE)
    # The teacher has added the class list (the admin page does this through the same API).
    await api.request(
        "POST", "/hub/api/users", hub.service_token, {"usernames": list(STUDENTS)}, expect=(201,)
    )
    # A wrong password is refused: the login below really goes through the authenticator.
    status, _ = await api.request(
        "POST",
        f"/hub/api/users/{STUDENTS[0]}/tokens",
        body={"auth": {"username": STUDENTS[0], "password": "not the password"}},
        expect=(403,),
    )
    assert status == 403
    start = time.perf_counter()
    students = await asyncio.gather(
        *(student_works_through_the_course(api, hub, name, patterns) for name in STUDENTS)
    )
    return {"class_wall_seconds": round(time.perf_counter() - start, 1), "students": students}


def summary_table(report):
    lines = [
        "| student | server ready (s) | "
        + " | ".join(
            f"{notebook[:2]} time (s) | {notebook[:2]} kernel peak (MB)" for notebook in NOTEBOOKS
        )
        + " | total (s) |",
        "|---|---:|" + "---:|---:|" * len(NOTEBOOKS) + "---:|",
    ]
    for student in report["students"]:
        cells = " | ".join(
            f"{record['seconds']:.1f} | {record['kernel_peak_mb']}"
            for record in student["notebooks"]
        )
        lines.append(
            f"| {student['student']} | {student['server_ready_seconds']:.1f} | {cells} | "
            f"{student['wall_seconds']:.1f} |"
        )
    return "\n".join(lines)


def test_four_students_run_notebooks_05_and_07_at_once_with_the_stored_outputs(hub):
    # In a thread of its own: earlier tests in the same run (Playwright's sync API, nbval's
    # kernels) may leave an event loop running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(asyncio.run, the_class(hub)).result()

    # Each student worked in a folder of their own, made by the course's pre-spawn hook.
    for name in STUDENTS:
        folder = hub.homes / name / "handwritten-digits"
        assert sorted(path.name for path in (folder / "notebooks").glob("*.ipynb")) == sorted(
            path.name for path in (ROOT / "notebooks").glob("[0-9]*.ipynb")
        )
        assert (folder / "data").resolve() == ROOT / "data"

    report["students_at_once"] = len(STUDENTS)
    report["peak_memory_limit_mb"] = PEAK_MEMORY_LIMIT_MB
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{len(STUDENTS)} students at once, {report['class_wall_seconds']:.1f} s in all:")
    print(summary_table(report))

    problems = [
        f"{student['student']}, {record['notebook']}: {problem}"
        for student in report["students"]
        for record in student["notebooks"]
        for problem in record["problems"]
    ]
    assert not problems, "outputs differ from the stored ones:\n" + "\n".join(problems)
    if PEAK_MEMORY_LIMIT_MB is not None:
        over = [
            f"{student['student']}, {record['notebook']}: {record['kernel_peak_mb']} MB"
            for student in report["students"]
            for record in student["notebooks"]
            if record["kernel_peak_mb"] > PEAK_MEMORY_LIMIT_MB
        ]
        assert not over, f"kernels over {PEAK_MEMORY_LIMIT_MB} MB: {over}"
