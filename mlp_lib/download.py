"""Download MNIST or Fashion-MNIST into the data folder, checking every file's SHA-256.

    from mlp_lib.download import download, verify
    download("mnist")          # fetches the four .gz files into data/mnist/ (skips those already there)
    verify("mnist")            # {"train-images-idx3-ubyte.gz": True, ...}

Each file is tried on each mirror in turn (https mirrors first). It is streamed to a temporary
file, at most ``max_bytes`` of it and for at most ``max_seconds``, so that a mirror that sends too
much or too slowly is left for the next one. A file is kept only if its decompressed content has
the SHA-256 listed in mlp_lib.data.DATASETS; only then is it renamed into place, so an interrupted
download never leaves a broken file behind. The folder and the four file names are checked before
anything is fetched, and an error writing to the disk (a full disk) stops the download at once
with a message that says so: no other mirror would help.
"""

import gzip
import hashlib
import http.client
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.request
import zlib

from tqdm.auto import tqdm

from .atomic import OutputPathError, atomic_file, check_output_path, write_error
from .checks import open_regular_file
from .data import DATASETS, check_dataset, dataset_dir
from .idx import GZIP_ERRORS

# Base URLs tried in order; a file's URL is base + file name. The http mirrors come last; every
# file is checked against its SHA-256 anyway, so no mirror can slip in a changed file.
MIRRORS = {
    "mnist": [
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}
# The largest file, Fashion-MNIST's training images, is 26 MB compressed and 47 MB inflated:
# a mirror that sends more, or whose file inflates to more, is not sending a dataset file.
MAX_DOWNLOAD_BYTES = 64 * 2**20
CHUNK_BYTES = 2**16


class DownloadError(RuntimeError):
    """No mirror delivered a good copy of a file."""


def download(
    dataset="mnist",
    data_dir=None,
    *,
    mirrors=None,
    timeout=30,
    max_seconds=600,
    max_bytes=MAX_DOWNLOAD_BYTES,
    force=False,
    progress=True,
):
    """Download the four .gz files of `dataset` into `data_dir / dataset` and return that folder.

    Parameters
    ----------
    dataset : "mnist" or "fashion-mnist".
    data_dir : folder holding the dataset folders; default: mlp_lib.data.default_data_dir().
    mirrors : list of base URLs to try in order; default MIRRORS[dataset].
    timeout : seconds a server may stay silent (connecting, or in the middle of a file) before
        moving on to the next mirror.
    max_seconds : seconds one mirror may take for one file in all (a server that trickles data
        never goes silent); checked after every piece received.
    max_bytes : the most bytes a file may have, compressed and decompressed.
    force : download again even the files that are already present and correct.
    progress : show a progress bar per file.

    Returns
    -------
    pathlib.Path of the dataset folder. Raises DownloadError if some file could not be fetched,
    OutputPathError (an OSError) if the folder or a file cannot be written, before fetching
    anything, or when the disk is full.
    """
    check_dataset(dataset)
    mirrors = MIRRORS.get(dataset, []) if mirrors is None else mirrors
    folder = dataset_dir(dataset, data_dir)  # checked: not a file, a FIFO, or a name too long
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(
            f"cannot create the folder {folder} for the {dataset} files ({exc.strerror}); "
            f"choose a folder you can write to with --data-dir (data_dir=)"
        ) from None
    for name in DATASETS[dataset]["sha256"]:
        check_output_path(folder / name, f"{dataset} file")  # a FIFO there, a read-only folder
    limits = _Limits(timeout, max_seconds, max_bytes)
    for name, sha256 in DATASETS[dataset]["sha256"].items():
        path = folder / name
        if not force and _decompressed_sha256(path, max_bytes) == sha256:
            continue  # already here and correct
        failures = []  # (url, why it failed, the cause: "offline", "certificate" or "mirror")
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            # A temporary file without a name: nothing is left behind, even if we are killed.
            with _temporary_file(path) as received:
                try:
                    why, cause = _fetch_checked(url, received, sha256, limits, progress)
                except _WriteFailed as failed:  # our disk, not the mirror: no other mirror helps
                    raise write_error(path, failed.error) from failed.error
                if why is None:
                    received.seek(0)
                    with atomic_file(path) as f:
                        shutil.copyfileobj(received, f)
                    break
            failures.append((url, why, cause))
        else:  # no mirror succeeded
            raise DownloadError(_failure_message(dataset, name, folder, failures))
    return folder


def verify(dataset="mnist", data_dir=None):
    """Check each file of `dataset`: {file name: True if present with the right SHA-256, else False}."""
    folder = dataset_dir(dataset, data_dir)
    return {
        name: _decompressed_sha256(folder / name) == sha256
        for name, sha256 in DATASETS[dataset]["sha256"].items()
    }


def _temporary_file(path):
    """An unnamed temporary file beside ``path``, or an OutputPathError naming ``path``."""
    try:
        return tempfile.TemporaryFile(dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from exc


class _WriteFailed(Exception):
    """Writing what a mirror sent failed (a full disk): this computer's fault, not the mirror's.

    Not an OSError, so that it is never taken for a network error; ``error`` is the OSError.
    """

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class _Limits:
    """How long and how much one mirror may take for one file."""

    def __init__(self, timeout, max_seconds, max_bytes):
        self.timeout, self.max_seconds, self.max_bytes = timeout, max_seconds, max_bytes


class _Refused(Exception):
    """A mirror's answer broke a limit (too large, too slow); the message says which."""


def _fetch_checked(url, out, sha256, limits, progress):
    """Fetch `url` into the file `out` and check it: (None, None) if good, else (why, cause).

    The cause is "offline" (no answer at all), "certificate" (the https connection was refused
    by this computer's own checks: its clock or its certificates) or "mirror" (it answered badly).
    """
    try:
        _fetch(url, out, limits, progress)
    except _Refused as err:
        return str(err), "mirror"
    except urllib.error.HTTPError as err:  # the server answered, with an error (404, 500...)
        err.close()
        return f"HTTP error {err.code} {err.reason}", "mirror"
    except urllib.error.URLError as err:  # no answer: no network, unknown host, closed port...
        if isinstance(err.reason, ssl.SSLError):  # ...or an https connection this side refused
            return f"the secure connection failed ({err.reason})", "certificate"
        return f"could not connect ({err.reason})", "offline"
    except (http.client.HTTPException, OSError) as err:  # connected, then cut off or timed out
        return f"the transfer failed ({err!r})", "mirror"
    out.seek(0)
    try:
        got = _decompressed_sha256(out, limits.max_bytes, strict=True)
    except GZIP_ERRORS as err:
        return f"not a complete gzip file ({err})", "mirror"
    except _Refused as err:
        return str(err), "mirror"
    if got != sha256:
        return f"checksum mismatch: the content's SHA-256 is {got}, expected {sha256}", "mirror"
    return None, None


def _fetch(url, out, limits, progress):
    """Stream the body of `url` into the file `out`, within the limits, driving a progress bar."""
    deadline = time.monotonic() + limits.max_seconds
    # The socket timeout bounds each wait for the server; the deadline bounds them all together.
    with urllib.request.urlopen(url, timeout=min(limits.timeout, limits.max_seconds)) as response:
        size = int(response.headers.get("Content-Length") or 0) or None
        if size is not None and size > limits.max_bytes:
            raise _Refused(
                f"the file is {size:,} bytes, more than the {limits.max_bytes:,} a dataset file "
                f"can be (max_bytes)"
            )
        received = 0
        with tqdm(
            total=size, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], disable=not progress
        ) as bar:
            while chunk := response.read1(
                CHUNK_BYTES
            ):  # whatever has arrived, never waiting for more
                received += len(chunk)
                if received > limits.max_bytes:
                    raise _Refused(
                        f"the server sent more than {limits.max_bytes:,} bytes, more than a "
                        f"dataset file can be (max_bytes)"
                    )
                try:
                    out.write(chunk)
                except OSError as exc:  # a full disk, most likely
                    raise _WriteFailed(exc) from exc
                bar.update(len(chunk))
                if time.monotonic() > deadline:
                    raise _Refused(
                        f"too slow: {received:,} bytes in {limits.max_seconds:g} s, the most one "
                        f"mirror may take for one file (max_seconds)"
                    )


def _decompressed_sha256(source, max_bytes=MAX_DOWNLOAD_BYTES, strict=False):
    """SHA-256 (hex) of the decompressed content of a .gz file (a path or an open file).

    Inflates 1 MiB at a time, and at most ``max_bytes``. Returns None if the file is missing,
    damaged, too large or not a regular file (a FIFO is never opened), unless ``strict``: then
    the gzip error, or ``_Refused``, is raised.
    """
    try:
        if hasattr(source, "read"):
            return _gzip_sha256(source, max_bytes)
        with open_regular_file(source) as f:
            return _gzip_sha256(f, max_bytes)
    except (OSError, EOFError, zlib.error, _Refused):  # missing, unreadable, damaged, too large
        if strict:
            raise
        return None


def _gzip_sha256(file, max_bytes):
    """SHA-256 (hex) of what the open .gz ``file`` inflates to; ``_Refused`` past ``max_bytes``."""
    digest = hashlib.sha256()
    inflated = 0
    with gzip.GzipFile(fileobj=file, mode="rb") as f:
        while chunk := f.read(2**20):
            inflated += len(chunk)
            if inflated > max_bytes:
                raise _Refused(
                    f"the file inflates to more than {max_bytes:,} bytes, more than a dataset "
                    f"file can be (max_bytes)"
                )
            digest.update(chunk)
    return digest.hexdigest()


def _failure_message(dataset, name, folder, failures):
    """The DownloadError message, on one line: each mirror's failure, then what to do.

    Only when no mirror could be reached at all is the connection named as the cause; failed
    certificate checks point at this computer's clock and certificates; when the mirrors answered,
    with an error or a bad copy, retrying later is the advice.
    """
    tried = "; ".join(f"{url}: {why}" for url, why, _ in failures) or "no mirrors were given"
    causes = {cause for _, _, cause in failures}
    if causes == {"offline"}:
        advice = "You seem to be offline: no mirror could be reached; check your internet connection and retry"
    elif "certificate" in causes:
        advice = (
            "This computer refused the mirrors' certificates: check its date and time, and its "
            "certificates (on macOS, run the Install Certificates command of your Python)"
        )
    elif "offline" in causes:
        advice = "Check your internet connection and retry later (mirrors come and go)"
    elif failures:
        advice = (
            "The mirrors answered, but none with a good copy; retry later (mirrors come and go)"
        )
    else:
        advice = "Give at least one mirror"
    check = (
        f"from mlp_lib.download import verify; print(verify({dataset!r}, {str(folder.parent)!r}))"
    )
    return (
        f"could not download {name} of {dataset!r}; every mirror failed ({tried}). {advice}, "
        f"or copy the {dataset} .gz files by hand into {folder} (e.g. from a classmate's clone "
        f'of this project); then check them with `python -c "{check}"`.'
    )
