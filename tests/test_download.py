"""Tests for mlp_lib.download against a local HTTP server; the internet is never contacted.

The checksums in DATASETS are those of the real files, so most tests register a tiny dataset
"tiny" in DATASETS (with monkeypatch) whose files and checksums the test makes itself.
"""

import gzip
import hashlib
import http.server
import os
import socket
import threading
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import mlp_lib.data
from mlp_lib.data import DATASETS
from mlp_lib.download import MIRRORS, DownloadError, download, verify
from mlp_lib.idx import read_idx

PROJECT_MNIST = Path(mlp_lib.data.__file__).resolve().parent.parent / "data" / "mnist"
TINY_CONTENT = {  # file name -> decompressed content of the tiny dataset's files
    "a-idx1-ubyte.gz": bytes.fromhex("0000080100000003070201"),
    "b-idx1-ubyte.gz": bytes.fromhex("00000801000000020509"),
}


class Server:
    """A local HTTP server; `routes` maps a URL path to the bytes served there (anything else: 404).

    ``trickle(name, file_name)`` serves a file that never ends, 10 bytes a second, and
    ``unsized(name, files)`` files without a Content-Length (the body ends when the connection
    closes). ``stop`` ends every trickle at once; the fixture sets it before shutting down.
    """

    TRICKLE_GIVES_UP = 60  # seconds: then a trickle ends, so that a missing deadline fails a test

    def __init__(self):
        self.routes = {}
        self.trickles = set()
        self.unsized_routes = set()
        self.requests = Counter()  # URL path -> number of GET requests
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests[self.path] += 1
                if self.path in server.trickles:
                    self.send_response(200)
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    for _ in range(10 * server.TRICKLE_GIVES_UP):
                        if server.stop.wait(0.1):
                            return
                        try:
                            self.wfile.write(b"\x1f")  # one byte every 0.1 s
                            self.wfile.flush()
                        except ConnectionError:  # the client gave up
                            return
                    return
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                if self.path not in server.unsized_routes:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def mirror(self, name, files):
        """Serve `files` ({file name: bytes}) under /name/ and return that base URL."""
        for file_name, body in files.items():
            self.routes[f"/{name}/{file_name}"] = body
        return f"{self.url}/{name}/"

    def unsized(self, name, files):
        """Like ``mirror``, without a Content-Length header."""
        self.unsized_routes.update(f"/{name}/{file_name}" for file_name in files)
        return self.mirror(name, files)

    def trickle(self, name, file_names):
        """Serve the files under /name/ 10 bytes a second, without end; return that base URL."""
        self.trickles.update(f"/{name}/{file_name}" for file_name in file_names)
        return f"{self.url}/{name}/"


@pytest.fixture
def server():
    """A ``Server`` running in a thread; stopped (and its trickles ended) after the test."""
    server = Server()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.stop.set()  # ends the trickles at once
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()


@pytest.fixture
def closed_port_url():
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused, as when offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture
def tiny(monkeypatch):
    """Register the dataset "tiny" in DATASETS with the checksums of TINY_CONTENT."""
    sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in TINY_CONTENT.items()}
    monkeypatch.setitem(
        DATASETS, "tiny", {"files": {}, "sha256": sha256, "class_names": tuple("0123456789")}
    )
    return "tiny"


def gzipped(files):
    return {name: gzip.compress(content) for name, content in files.items()}


GOOD = gzipped(TINY_CONTENT)
CORRUPT = gzipped(
    {name: content[:-1] + b"\xff" for name, content in TINY_CONTENT.items()}
)  # valid gzip, wrong bytes
TRUNCATED = {name: gz[: len(gz) // 2] for name, gz in GOOD.items()}


def test_download_from_a_good_mirror_writes_verified_files_and_no_temporary_file(
    tmp_path, server, tiny
):
    folder = download(tiny, tmp_path, mirrors=[server.mirror("good", GOOD)], progress=False)
    assert folder == tmp_path / "tiny"
    assert sorted(os.listdir(folder)) == sorted(TINY_CONTENT)
    assert verify(tiny, tmp_path) == {name: True for name in TINY_CONTENT}
    assert read_idx(folder / "a-idx1-ubyte.gz").tolist() == [7, 2, 1]


def test_download_moves_on_from_a_corrupt_mirror_to_a_good_one(tmp_path, server, tiny):
    mirrors = [
        server.mirror("corrupt", CORRUPT),
        server.mirror("missing", {}),
        server.mirror("good", GOOD),
    ]
    download(tiny, tmp_path, mirrors=mirrors, progress=False)
    assert verify(tiny, tmp_path) == {name: True for name in TINY_CONTENT}
    assert sorted(os.listdir(tmp_path / "tiny")) == sorted(TINY_CONTENT)
    for name in TINY_CONTENT:
        assert server.requests[f"/corrupt/{name}"] == server.requests[f"/missing/{name}"] == 1


def test_download_fails_with_each_mirrors_reason_and_leaves_no_file(
    tmp_path, server, tiny, closed_port_url
):
    mirrors = [
        server.mirror("corrupt", CORRUPT),
        server.mirror("truncated", TRUNCATED),
        server.mirror("missing", {}),
        closed_port_url,
    ]
    with pytest.raises(DownloadError) as info:
        download(tiny, tmp_path, mirrors=mirrors, progress=False)
    message = str(info.value)
    assert "\n" not in message  # one line
    assert message.startswith("could not download a-idx1-ubyte.gz of 'tiny'; every mirror failed (")
    assert (
        f"{server.url}/corrupt/a-idx1-ubyte.gz: checksum mismatch: the content's SHA-256 is"
        in message
    )
    assert (
        f"{server.url}/truncated/a-idx1-ubyte.gz: not a complete gzip file (Compressed file ended"
        in message
    )
    assert f"{server.url}/missing/a-idx1-ubyte.gz: HTTP error 404 Not Found" in message
    assert f"{closed_port_url}a-idx1-ubyte.gz: could not connect (" in message
    assert "offline" not in message  # some servers did answer
    assert "Check your internet connection and retry later (mirrors come and go)" in message
    assert f"copy the tiny .gz files by hand into {tmp_path / 'tiny'}" in message
    assert os.listdir(tmp_path / "tiny") == []  # neither the final file nor a temporary one


def test_download_when_offline_says_so(tmp_path, tiny, closed_port_url):
    with pytest.raises(
        DownloadError,
        match=r"could not connect .*\)\. You seem to be offline: no mirror could be reached; "
        r"check your internet connection and retry, or copy",
    ) as info:
        download(
            tiny, tmp_path, mirrors=[closed_port_url, closed_port_url], timeout=5, progress=False
        )
    assert str(info.value).count("could not connect") == 2
    assert os.listdir(tmp_path / "tiny") == []


def test_download_without_mirrors_raises(tmp_path, tiny):
    with pytest.raises(
        DownloadError, match=r"every mirror failed \(no mirrors were given\)\. Give at least one"
    ):
        download(tiny, tmp_path, mirrors=[], progress=False)


def test_download_skips_files_already_present_and_valid(tmp_path, server, tiny):
    good = server.mirror("good", GOOD)
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "a-idx1-ubyte.gz").write_bytes(
        gzip.compress(TINY_CONTENT["a-idx1-ubyte.gz"], 1)
    )
    download(tiny, tmp_path, mirrors=[good], progress=False)
    assert server.requests == Counter({"/good/b-idx1-ubyte.gz": 1})
    download(
        tiny, tmp_path, mirrors=[good], progress=False
    )  # everything present: no request at all
    assert server.requests == Counter({"/good/b-idx1-ubyte.gz": 1})


def test_download_replaces_a_damaged_file_and_force_downloads_again(tmp_path, server, tiny):
    good = server.mirror("good", GOOD)
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "a-idx1-ubyte.gz").write_bytes(GOOD["a-idx1-ubyte.gz"][:-3])
    download(tiny, tmp_path, mirrors=[good], progress=False)
    assert verify(tiny, tmp_path) == {name: True for name in TINY_CONTENT}
    download(tiny, tmp_path, mirrors=[good], force=True, progress=False)
    assert server.requests == Counter({"/good/a-idx1-ubyte.gz": 2, "/good/b-idx1-ubyte.gz": 2})


def test_verify_reports_missing_and_damaged_files(tmp_path, tiny):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "a-idx1-ubyte.gz").write_bytes(CORRUPT["a-idx1-ubyte.gz"])
    assert verify(tiny, tmp_path) == {"a-idx1-ubyte.gz": False, "b-idx1-ubyte.gz": False}


def test_download_of_the_real_mnist_label_files(tmp_path, server, monkeypatch):
    names = ["train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    real = {name: (PROJECT_MNIST / name).read_bytes() for name in names}
    sha256 = {name: DATASETS["mnist"]["sha256"][name] for name in names}  # the published checksums
    monkeypatch.setitem(
        DATASETS,
        "mnist-labels",
        {"files": {}, "sha256": sha256, "class_names": tuple("0123456789")},
    )
    broken = {name: gz[:-100] for name, gz in real.items()}
    mirrors = [server.mirror("truncated", broken), server.mirror("good", real)]
    folder = download("mnist-labels", tmp_path, mirrors=mirrors, progress=False)
    assert sorted(os.listdir(folder)) == sorted(names)
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(read_idx(folder / "train-labels-idx1-ubyte.gz")).sum() == 60000


def test_download_rejects_an_unknown_dataset(tmp_path):
    with pytest.raises(
        ValueError, match=r"dataset must be one of mnist, fashion-mnist, got 'cifar10'"
    ):
        download("cifar10", tmp_path)


def test_a_mirror_that_trickles_data_is_given_up_after_max_seconds(tmp_path, server, tiny):
    slow = server.trickle("slow", TINY_CONTENT)
    with pytest.raises(
        DownloadError,
        match=r"slow/a-idx1-ubyte.gz: too slow: \d+ bytes in 1 s, the most one mirror may take "
        r"for one file \(max_seconds\)",
    ):
        download(tiny, tmp_path, mirrors=[slow], timeout=30, max_seconds=1, progress=False)
    assert os.listdir(tmp_path / "tiny") == []
    # ...and with a good mirror after it, each file comes from there.
    good = server.mirror("good", GOOD)
    download(tiny, tmp_path, mirrors=[slow, good], timeout=30, max_seconds=1, progress=False)
    assert verify(tiny, tmp_path) == {name: True for name in TINY_CONTENT}


def test_a_file_larger_than_max_bytes_is_refused_from_its_content_length(tmp_path, server, tiny):
    big = server.mirror("big", {name: bytes(2000) for name in TINY_CONTENT})
    with pytest.raises(
        DownloadError,
        match=r"big/a-idx1-ubyte.gz: the file is 2,000 bytes, more than the 1,000 a dataset file "
        r"can be \(max_bytes\)",
    ):
        download(tiny, tmp_path, mirrors=[big], max_bytes=1000, progress=False)
    assert os.listdir(tmp_path / "tiny") == []


def test_a_server_sending_more_than_max_bytes_without_saying_so_is_cut_off(tmp_path, server, tiny):
    big = server.unsized("big", {name: bytes(200_000) for name in TINY_CONTENT})
    with pytest.raises(
        DownloadError,
        match=r"big/a-idx1-ubyte.gz: the server sent more than 1,000 bytes, more than a dataset "
        r"file can be \(max_bytes\)",
    ):
        download(tiny, tmp_path, mirrors=[big], max_bytes=1000, progress=False)
    assert os.listdir(tmp_path / "tiny") == []


def test_a_file_that_inflates_beyond_max_bytes_is_refused(tmp_path, server, tiny):
    bomb = server.mirror("bomb", {name: gzip.compress(bytes(100_000)) for name in TINY_CONTENT})
    with pytest.raises(
        DownloadError,
        match=r"bomb/a-idx1-ubyte.gz: the file inflates to more than 1,000 bytes, more than a "
        r"dataset file can be \(max_bytes\)",
    ):
        download(tiny, tmp_path, mirrors=[bomb], max_bytes=1000, progress=False)


def test_the_download_streams_to_a_file_and_never_holds_it_in_memory(tmp_path, server, tiny):
    body = gzip.compress(np.random.default_rng(0).bytes(8 * 2**20), compresslevel=1)  # 8 MB
    mirror = server.mirror("big", {name: body for name in TINY_CONTENT})
    tracemalloc.start()
    try:
        with pytest.raises(DownloadError, match=r"big/a-idx1-ubyte.gz: checksum mismatch"):
            download(tiny, tmp_path, mirrors=[mirror], progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20  # the file was 8 MB, compressed and inflated
    assert os.listdir(tmp_path / "tiny") == []


def test_every_dataset_is_tried_on_https_mirrors_first():
    for dataset, mirrors in MIRRORS.items():
        schemes = [url.split("://")[0] for url in mirrors]
        assert schemes[0] == "https" and schemes == sorted(schemes, reverse=True), dataset


def test_mirrors_that_all_answer_badly_are_not_blamed_on_the_connection(tmp_path, server, tiny):
    mirrors = [server.mirror("corrupt", CORRUPT), server.mirror("missing", {})]
    with pytest.raises(DownloadError) as info:
        download(tiny, tmp_path, mirrors=mirrors, progress=False)
    message = str(info.value)
    assert "\n" not in message and "internet connection" not in message
    assert (
        "). The mirrors answered, but none with a good copy; retry later (mirrors come and go), "
        f"or copy the tiny .gz files by hand into {tmp_path / 'tiny'}"
    ) in message


class FullDiskFile:
    """A temporary file on a full disk: every write fails with ENOSPC."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_a_download_says_so_and_tries_no_other_mirror(
    tmp_path, server, tiny, monkeypatch
):
    import mlp_lib.download as download_module

    folder = tmp_path / "tiny"
    folder.mkdir()
    kept = folder / "b-idx1-ubyte.gz"
    kept.write_bytes(b"a file being replaced")
    kept.chmod(0o640)
    monkeypatch.setattr(download_module.tempfile, "TemporaryFile", FullDiskFile)
    mirrors = [server.mirror("first", GOOD), server.mirror("second", GOOD)]
    with pytest.raises(OSError) as info:
        download(tiny, tmp_path, mirrors=mirrors, progress=False)
    assert str(info.value) == (
        f"cannot write {folder / 'a-idx1-ubyte.gz'}: the disk is full (No space left on device); "
        f"free some space, or choose a folder on another disk"
    )
    assert server.requests == Counter({"/first/a-idx1-ubyte.gz": 1})  # the mirror was fine
    assert sorted(os.listdir(folder)) == ["b-idx1-ubyte.gz"]
    assert kept.read_bytes() == b"a file being replaced" and (kept.stat().st_mode & 0o777) == 0o640


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs mounted in tmp_path (root only; skipped where mounting is not allowed)."""
    import subprocess

    folder = tmp_path / "small-disk"
    folder.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_download_onto_a_really_full_disk_is_one_line_naming_the_disk(
    small_disk, server, capsys, monkeypatch
):
    # The real MNIST files from a local mirror: the training images (9.9 MB) cannot fit in 64 KiB.
    from mlp_lib import cli
    from mlp_lib import download as download_module

    files = {path.name: path.read_bytes() for path in PROJECT_MNIST.glob("*.gz")}
    monkeypatch.setitem(download_module.MIRRORS, "mnist", [server.mirror("mnist", files)])
    code = cli.main(["download", "--data-dir", str(small_disk)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    # Before the last line: the progress bar, and the test server's complaint that the
    # connection was closed; never a traceback through mlp_lib.
    last = err.strip().splitlines()[-1]
    assert "mlp_lib/" not in err
    assert last == (
        f"python -m mlp_lib: error: cannot write {small_disk}/mnist/train-images-idx3-ubyte.gz: "
        f"the disk is full (No space left on device); free some space, or choose a folder on "
        f"another disk"
    )
    assert os.listdir(small_disk / "mnist") == []
    assert server.requests == Counter({"/mnist/train-images-idx3-ubyte.gz": 1})


def test_a_refused_certificate_is_not_blamed_on_the_connection(tmp_path, tiny, monkeypatch):
    import ssl
    import urllib.error

    import mlp_lib.download as download_module

    def refuse_the_certificate(url, timeout):
        reason = ssl.SSLCertVerificationError(1, "certificate verify failed: certificate expired")
        raise urllib.error.URLError(reason)

    monkeypatch.setattr(download_module.urllib.request, "urlopen", refuse_the_certificate)
    with pytest.raises(DownloadError) as info:
        download(tiny, tmp_path, mirrors=["https://mirror.example/"], progress=False)
    message = str(info.value)
    assert "https://mirror.example/a-idx1-ubyte.gz: the secure connection failed (" in message
    assert "offline" not in message and "internet connection" not in message
    assert (
        "). This computer refused the mirrors' certificates: check its date and time, and its "
        "certificates (on macOS, run the Install Certificates command of your Python), or copy"
    ) in message
    assert os.listdir(tmp_path / "tiny") == []
