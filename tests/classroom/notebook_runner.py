"""Run a notebook in a Jupyter server's kernel over its websocket and check it the way nbval does.

This is what a student's browser does: open a session for the notebook (the kernel starts in the
notebook's folder), then send each code cell as an `execute_request` on the kernel's websocket
(`/api/kernels/<id>/channels`) and collect what comes back on iopub until the kernel is idle.

The check follows nbval 0.11 (strict mode, `--nbval`), reusing its own functions where they are
public: which cells are run and compared (`# NBVAL_IGNORE_OUTPUT`, `# NBVAL_SKIP`, the
`raises-exception` tag, ...), stream outputs merged and `\\r` resolved (`coalesce_streams`), the
same output keys left out of the comparison (images, widget model ids, metadata, tracebacks,
execution counts) and the same sanitize file. `nbval.plugin.IPyNbCell.compare_outputs` cannot be
called outside a pytest run, so `compare_outputs` below repeats its rule: the outputs are
flattened into {key: [values in order]} and must have the same keys and equal values.
"""

import asyncio
import copy
import json
import re
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone

import nbformat
from jupyter_server.services.kernels.connection.base import deserialize_binary_message
from nbval.plugin import (
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
    get_sanitize_patterns,
    transform_streams_for_comparison,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

# nbval's IPyNbFile.skip_compare without --nbdime: these keys are never compared.
SKIP_COMPARE = (
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)
PEAK_RSS_EXPRESSION = (
    "__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss"
)


def read_sanitize_patterns(path):
    """The (regex, replacement) pairs of an nbval sanitize file, as nbval reads them."""
    return get_sanitize_patterns(path.read_text())


def cell_options(cell):
    """nbval's options for one code cell: check (compare outputs), skip, check_exception."""
    options = defaultdict(bool, find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    options.setdefault("check", True)  # strict --nbval: unmarked cells are compared
    return options


def sanitize(value, patterns):
    """nbval's IPyNbCell.sanitize: apply every regex replacement to strings, leave the rest."""
    if not isinstance(value, str):
        return value
    for regex, replace in patterns:
        value = re.sub(regex, replace, value)
    return value


def flatten(outputs, patterns):
    """{key: [sanitized values]} over the outputs, MIME types of `data` flattened in, as nbval does."""
    flat = defaultdict(list)
    for output in transform_streams_for_comparison(outputs):
        for key, value in output.items():
            if key in SKIP_COMPARE:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIP_COMPARE:
                        flat[mime].append(sanitize(content, patterns))
            else:
                flat[key].append(sanitize(value, patterns))
    return flat


def compare_outputs(fresh, stored, patterns):
    """None if the fresh outputs match the stored ones as nbval judges them, else what differs."""
    fresh, stored = flatten(fresh, patterns), flatten(stored, patterns)
    if set(stored) - set(fresh):
        return f"missing output fields from running code: {sorted(set(stored) - set(fresh))}"
    if set(fresh) - set(stored):
        return f"unexpected output fields from running code: {sorted(set(fresh) - set(stored))}"
    for key, stored_values in stored.items():
        fresh_values = fresh[key]
        if len(fresh_values) != len(stored_values):
            return f"{len(fresh_values)} outputs for {key!r}, stored {len(stored_values)}"
        for fresh_value, stored_value in zip(fresh_values, stored_values):
            if fresh_value != stored_value:
                return f"{key!r} differs:\n--- stored\n{stored_value}\n+++ fresh\n{fresh_value}"
    return None


class KernelChannel:
    """One websocket to one kernel: send requests, read replies with deadlines (never fixed sleeps)."""

    def __init__(self, connection):
        self.connection = connection
        self.session = uuid.uuid4().hex

    @classmethod
    async def open(cls, ws_url, headers):
        request = HTTPRequest(ws_url, headers=headers, request_timeout=120)
        return cls(await websocket_connect(request, max_message_size=256 * 1024 * 1024))

    def close(self):
        self.connection.close()

    async def send(self, msg_type, content, channel="shell"):
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "session": self.session,
                "username": "student",
                "version": "5.3",
                "date": datetime.now(timezone.utc).isoformat(),
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
        await self.connection.write_message(json.dumps(message))
        return msg_id

    async def receive(self, deadline):
        """The next message, or TimeoutError once `deadline` (time.monotonic()) has passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no message from the kernel before the deadline")
        raw = await asyncio.wait_for(self.connection.read_message(), remaining)
        if raw is None:
            raise ConnectionError("the kernel's websocket closed")
        if isinstance(raw, bytes):  # a message with binary buffers (widgets: tqdm's progress bar)
            return deserialize_binary_message(raw)
        return json.loads(raw)

    async def wait_until_ready(self, timeout=120, ask_every=5):
        """Send kernel_info_request until one is answered (a kernel just started may miss the first)."""
        deadline = time.monotonic() + timeout
        while True:
            msg_id = await self.send("kernel_info_request", {})
            ask_again = min(deadline, time.monotonic() + ask_every)
            try:
                while True:
                    message = await self.receive(ask_again)
                    if (
                        message["msg_type"] == "kernel_info_reply"
                        and message["parent_header"].get("msg_id") == msg_id
                    ):
                        return message["content"]
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"the kernel did not answer within {timeout} s") from None

    async def execute(self, code, timeout, user_expressions=None, silent=False):
        """Run `code`; return (outputs as nbval collects them, the execute_reply's content)."""
        msg_id = await self.send(
            "execute_request",
            {
                "code": code,
                "silent": silent,
                "store_history": not silent,
                "user_expressions": user_expressions or {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        deadline = time.monotonic() + timeout
        outputs, reply, idle = [], None, False
        while reply is None or not idle:
            message = await self.receive(deadline)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "execute_reply":
                reply = content
            elif kind == "status":
                idle = content["execution_state"] == "idle"
            elif kind in ("display_data", "execute_result"):
                output = {"output_type": kind, "data": content["data"]}
                output["metadata"] = content.get("metadata", {})
                if kind == "execute_result":
                    output["execution_count"] = content["execution_count"]
                outputs.append(nbformat.from_dict(output))
            elif kind == "stream":
                outputs.append(
                    nbformat.from_dict(
                        {"output_type": "stream", "name": content["name"], "text": content["text"]}
                    )
                )
            elif kind == "error":
                outputs.append(nbformat.from_dict({"output_type": "error", **content}))
            # execute_input, comm_*, clear_output, update_display_data: nbval ignores them too
        return coalesce_streams(outputs), reply

    async def peak_rss_bytes(self, timeout=60):
        """The kernel process's peak resident memory (ru_maxrss, in KiB on Linux) in bytes."""
        _, reply = await self.execute(
            "", timeout, user_expressions={"peak": PEAK_RSS_EXPRESSION}, silent=True
        )
        value = reply["user_expressions"]["peak"]
        if value.get("status") != "ok":
            raise RuntimeError(f"could not read the kernel's peak memory: {value}")
        return int(value["data"]["text/plain"]) * 1024


async def run_and_check(channel, notebook, patterns, cell_timeout):
    """Run every code cell of `notebook` that nbval runs, in order, and compare their outputs.

    Returns (problems, seconds): the differences found (empty: the notebook passes) and each
    cell's wall time, {cell index: seconds}.
    """
    problems, seconds = [], {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        options = cell_options(cell)
        if options["skip"]:
            continue
        start = time.perf_counter()
        outputs, _ = await channel.execute(cell.source, cell_timeout)
        seconds[index] = round(time.perf_counter() - start, 2)
        errors = [output for output in outputs if output.output_type == "error"]
        if errors and not options["check_exception"]:
            problems.append(f"cell {index} raised {errors[0].ename}: {errors[0].evalue}")
            continue
        if options["check_exception"] and not errors:
            problems.append(f"cell {index} was expected to raise and did not")
        if options["check"] and cell.execution_count is not None:
            stored = coalesce_streams(copy.deepcopy(cell.outputs))  # it merges in place
            difference = compare_outputs(outputs, stored, patterns)
            if difference:
                problems.append(f"cell {index}: {difference}")
    return problems, seconds
