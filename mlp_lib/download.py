"""Download MNIST or Fashion-MNIST into the data folder, checking every file's SHA-256.

    from mlp_lib.download import download, verify
    download("mnist")          # fetches the four .gz files into data/mnist/ (skips those already there)
    verify("mnist")            # {"train-images-idx3-ubyte.gz": True, ...}

Each file is tried on each mirror in turn. A file is kept only if its decompressed content has the
SHA-256 listed in mlp_lib.data.DATASETS; it is written under a temporary name and then renamed,
so an interrupted download never leaves a broken file behind.
"""

import gzip
import hashlib
import http.client
import urllib.error
import urllib.request
import zlib

from tqdm.auto import tqdm

from .atomic import write_bytes_atomically
from .data import DATASETS, check_dataset, dataset_dir
from .idx import GZIP_ERRORS

# Base URLs tried in order; a file's URL is base + file name.
MIRRORS = {
    "mnist": [
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ],
}


class DownloadError(RuntimeError):
    """No mirror delivered a good copy of a file."""


def download(
    dataset="mnist", data_dir=None, *, mirrors=None, timeout=30, force=False, progress=True
):
    """Download the four .gz files of `dataset` into `data_dir / dataset` and return that folder.

    Parameters
    ----------
    dataset : "mnist" or "fashion-mnist".
    data_dir : folder holding the dataset folders; default: mlp_lib.data.default_data_dir().
    mirrors : list of base URLs to try in order; default MIRRORS[dataset].
    timeout : seconds to wait for a server before moving on to the next mirror.
    force : download again even the files that are already present and correct.
    progress : show a progress bar per file.

    Returns
    -------
    pathlib.Path of the dataset folder. Raises DownloadError if some file could not be fetched.
    """
    check_dataset(dataset)
    mirrors = MIRRORS.get(dataset, []) if mirrors is None else mirrors
    folder = dataset_dir(dataset, data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, sha256 in DATASETS[dataset]["sha256"].items():
        path = folder / name
        if not force and _decompressed_sha256(path) == sha256:
            continue  # already here and correct
        failures = []  # (url, why it failed, was it a connection problem?)
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            gz_bytes, why, offline = _fetch_checked(url, sha256, timeout, progress)
            if gz_bytes is not None:
                write_bytes_atomically(path, gz_bytes)
                break
            failures.append((url, why, offline))
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


def _fetch_checked(url, sha256, timeout, progress):
    """Fetch `url` and check it: (gz_bytes, None, False) if good, else (None, why it failed, offline?)."""
    try:
        gz_bytes = _fetch(url, timeout, progress)
    except urllib.error.HTTPError as err:  # the server answered, with an error (404, 500...)
        err.close()
        return None, f"HTTP error {err.code} {err.reason}", False
    except urllib.error.URLError as err:  # no answer at all: no network, unknown host, closed port
        return None, f"could not connect ({err.reason})", True
    except (http.client.HTTPException, OSError) as err:  # connected, then cut off or timed out
        return None, f"the transfer failed ({err!r})", False
    try:
        got = hashlib.sha256(gzip.decompress(gz_bytes)).hexdigest()
    except GZIP_ERRORS as err:
        return None, f"not a complete gzip file ({err})", False
    if got != sha256:
        return None, f"checksum mismatch: the content's SHA-256 is {got}, expected {sha256}", False
    return gz_bytes, None, False


def _fetch(url, timeout, progress):
    """The body of `url` as bytes, read in chunks to drive a progress bar."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        size = int(response.headers.get("Content-Length") or 0) or None
        chunks = []
        with tqdm(
            total=size, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], disable=not progress
        ) as bar:
            while chunk := response.read(1 << 16):
                chunks.append(chunk)
                bar.update(len(chunk))
    return b"".join(chunks)


def _decompressed_sha256(path):
    """SHA-256 (hex) of the decompressed content of the .gz file at `path`; None if missing or damaged."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):  # missing, unreadable, or not a complete gzip file
        return None
    return digest.hexdigest()


def _failure_message(dataset, name, folder, failures):
    """The DownloadError message: each mirror's failure, then what to do."""
    lines = [f"could not download {name} of {dataset!r}; every mirror failed:"]
    lines += [f"  - {url}: {why}" for url, why, _ in failures] or ["  (no mirrors were given)"]
    if failures and all(offline for _, _, offline in failures):
        lines.append(
            "You seem to be offline: no mirror could be reached. Check your internet connection and retry,"
        )
    else:
        lines.append("Check your internet connection and retry later (mirrors come and go),")
    check = (
        f"from mlp_lib.download import verify; print(verify({dataset!r}, {str(folder.parent)!r}))"
    )
    lines.append(
        f"or copy the {dataset} .gz files by hand into {folder} (e.g. from a classmate's clone of this project); "
        f'then check them with `python -c "{check}"`.'
    )
    return "\n".join(lines)
