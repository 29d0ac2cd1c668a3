"""Paths that name a FIFO, a device or a socket are refused with one line, before they are opened.

Opening a FIFO (a named pipe) for reading waits until someone writes to it, and reading /dev/zero
never ends: a reader that opens first and checks later hangs. Every reader of mlp_lib (model files,
IDX files, data folders, downloads) and every writer (which would replace the file) must refuse
them at once. Each test runs the call against a deadline: if it blocks, the FIFO is opened for
writing to let it go, and the test fails. Each also checks that the special file is still there,
unchanged, and that no other file was touched.
"""

import os
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mlp_lib import cli
from mlp_lib.atomic import OutputPathError, write_bytes_atomically
from mlp_lib.data import load_mnist
from mlp_lib.download import download, verify
from mlp_lib.idx import IDXFormatError, read_idx, read_idx_header, write_idx
from mlp_lib.model import MLP, ModelFormatError

KINDS = {  # how each special file is made (see ``special``), and its name in the messages
    "fifo": "a named pipe (FIFO)",
    "socket": "a socket",
    "zero": "a character device",  # a symbolic link to /dev/zero
    "null": "a character device",  # ... to /dev/null
}
DEADLINE = 10  # seconds; every refusal here takes milliseconds


@pytest.fixture
def special(tmp_path):
    """``special(kind, path)`` makes a FIFO, a bound socket, or a link to /dev/zero or /dev/null."""
    sockets = []

    def make(kind, path):
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "socket":
            sock = socket.socket(socket.AF_UNIX)
            here = os.getcwd()
            os.chdir(path.parent)  # a socket's path has at most 107 bytes: bind a short name
            try:
                sock.bind(path.name)
            finally:
                os.chdir(here)
            sockets.append(sock)
        else:
            os.symlink(f"/dev/{kind}", path)
        return path

    yield make
    for sock in sockets:
        sock.close()


def file_type(path):
    """What ``path`` is now (following links), e.g. 'fifo', to check it was left alone."""
    mode = os.stat(path).st_mode
    for name, test in (("fifo", stat.S_ISFIFO), ("socket", stat.S_ISSOCK), ("chr", stat.S_ISCHR)):
        if test(mode):
            return name
    return "regular" if stat.S_ISREG(mode) else "other"


def within_deadline(function, path=None):
    """Call ``function()`` in a thread and re-raise what it raised; fail if it blocks.

    If it is still running after DEADLINE seconds, ``path`` (a FIFO) is opened for writing, which
    lets a blocked reader go on, and the test fails.
    """
    outcome = {}

    def call():
        try:
            outcome["result"] = function()
        except BaseException as exc:  # noqa: BLE001 -- handed to the test
            outcome["raised"] = exc

    thread = threading.Thread(target=call, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(DEADLINE)
    if thread.is_alive():
        if path is not None:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # end the blocked read
            except OSError:
                pass
        thread.join(5)
        pytest.fail(f"still blocked after {DEADLINE} s")
    assert time.perf_counter() - start < DEADLINE
    if "raised" in outcome:
        raise outcome["raised"]
    return outcome.get("result")


# ---- model files ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_model_file_that_is_not_a_regular_file_is_refused_before_opening(tmp_path, special, kind):
    path = special(kind, tmp_path / "m.npz")
    with pytest.raises(
        ModelFormatError, match=r"m.npz: is a (named pipe|socket|character)"
    ) as info:
        within_deadline(lambda: MLP.load(path), path)
    assert str(info.value) == (
        f"{path}: is {KINDS[kind]}, not a model file; give the path of a .npz file written by "
        f"MLP.save"
    )
    assert file_type(path) == {"zero": "chr", "null": "chr"}.get(kind, kind)


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_evaluate_of_a_fifo_or_dev_zero_is_one_line_at_once(tmp_path, special, kind):
    # The reproduction: `mkfifo x.npz; python -m mlp_lib evaluate x.npz` blocked forever
    # (and /dev/zero was read without end). A real process, killed if it takes over a minute.
    special(kind, tmp_path / "x.npz")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mlp_lib", "evaluate", "x.npz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"python -m mlp_lib: error: x.npz: is {KINDS[kind]}, not a model file; give the path of "
        f"a .npz file written by MLP.save\n"
    )
    assert time.perf_counter() - start < 30


# ---- IDX files and data folders -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reader", [read_idx, read_idx_header])
def test_an_idx_file_that_is_not_a_regular_file_is_refused_before_reading(
    tmp_path, special, kind, reader
):
    path = special(kind, tmp_path / "a-idx1-ubyte.gz")
    with pytest.raises(IDXFormatError) as info:
        within_deadline(lambda: reader(path), path)
    assert str(info.value) == (
        f"{path}: is {KINDS[kind]}, not an IDX file; remove it, then re-download it with "
        f"`python -m mlp_lib download` or copy a good version over it"
    )


def test_load_mnist_refuses_a_fifo_among_the_files_and_leaves_the_others(
    tmp_path, special, make_tiny_dataset
):
    make_tiny_dataset()
    folder = tmp_path / "mnist"
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.unlink()
    special("fifo", labels)
    images = folder / "train-images-idx3-ubyte.gz"
    before = images.read_bytes(), images.stat().st_mode
    with pytest.raises(IDXFormatError, match=r"train-labels-idx1-ubyte.gz: is a named pipe"):
        within_deadline(lambda: load_mnist(data_dir=tmp_path), labels)
    assert file_type(labels) == "fifo"
    assert (images.read_bytes(), images.stat().st_mode) == before


@pytest.mark.parametrize("kind", ["fifo", "socket", "file"])
def test_a_dataset_folder_that_is_not_a_folder_is_refused(tmp_path, special, kind):
    path = tmp_path / "mnist"
    if kind == "file":
        path.write_bytes(b"not a folder")
    else:
        special(kind, path)
    with pytest.raises(NotADirectoryError) as info:
        within_deadline(lambda: load_mnist(data_dir=tmp_path), path)
    words = {"file": "a file"}.get(kind) or KINDS[kind]
    assert str(info.value) == (
        f"{path} is {words}, not the folder of the mnist files; remove or rename it, then "
        f"download them with `python -m mlp_lib download --dataset mnist --data-dir {tmp_path}`"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_data_dir_that_is_not_a_folder_is_refused(tmp_path, special, kind):
    path = special(kind, tmp_path / "data")
    with pytest.raises(NotADirectoryError) as info:
        within_deadline(lambda: load_mnist(data_dir=path), path)
    assert str(info.value) == (
        f"the data folder '{path}' (data_dir=, or --data-dir) is {KINDS[kind]}, not a folder; "
        f"give the folder that holds mnist/ and fashion-mnist/, or leave it out"
    )


# ---- outputs: never replaced ----------------------------------------------------------------

WRITERS = {
    "write_bytes_atomically": lambda path: write_bytes_atomically(path, b"data"),
    "MLP.save": lambda path: MLP((4, 2)).save(path),
    "write_idx": lambda path: write_idx(path, np.zeros(3, np.uint8)),
}


@pytest.mark.parametrize("kind", ["fifo", "socket", "null"])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_special_file_is_never_replaced_by_a_write(tmp_path, special, kind, writer):
    path = special(kind, tmp_path / "out.npz")
    (tmp_path / "other.npz").write_bytes(b"other")
    with pytest.raises(OutputPathError) as info:
        within_deadline(lambda: WRITERS[writer](path), path)
    assert str(info.value) == (
        f"cannot write the file to {path}: it is {KINDS[kind]}, not a regular file, and writing "
        f"would replace it; remove it or choose another name"
    )
    assert sorted(os.listdir(tmp_path)) == ["other.npz", "out.npz"]  # no temporary file left
    assert file_type(path) == {"null": "chr"}.get(kind, kind)
    assert os.path.islink(path) == (kind == "null")
    assert (tmp_path / "other.npz").read_bytes() == b"other"


def test_train_refuses_special_outputs_before_training(tmp_path, special, capsys):
    fifo = special("fifo", tmp_path / "m.npz")
    (tmp_path / "no-data").mkdir()  # had training started, the error would be the missing data
    code = cli.main(["train", "--save", str(fifo), "--data-dir", str(tmp_path / "no-data")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == (
        f"python -m mlp_lib: error: cannot write the model to {fifo}: it is a named pipe (FIFO), "
        f"not a regular file, and writing would replace it; remove it or choose another name\n"
    )
    assert file_type(fifo) == "fifo"


# ---- downloads ------------------------------------------------------------------------------


def test_download_refuses_a_fifo_where_a_file_goes_before_fetching_anything(tmp_path, special):
    folder = tmp_path / "mnist"
    folder.mkdir()
    fifo = special("fifo", folder / "train-labels-idx1-ubyte.gz")
    kept = folder / "t10k-labels-idx1-ubyte.gz"
    kept.write_bytes(b"a classmate's copy")
    kept.chmod(0o640)
    # No mirror is ever contacted: port 9 on this machine is not an HTTP server.
    with pytest.raises(OutputPathError) as info:
        within_deadline(
            lambda: download("mnist", tmp_path, mirrors=["http://127.0.0.1:9/"], progress=False),
            fifo,
        )
    assert str(info.value) == (
        f"cannot write the mnist file to {fifo}: it is a named pipe (FIFO), not a regular file, "
        f"and writing would replace it; remove it or choose another name"
    )
    assert file_type(fifo) == "fifo"
    assert kept.read_bytes() == b"a classmate's copy" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert sorted(os.listdir(folder)) == sorted([fifo.name, kept.name])


def test_verify_says_a_fifo_is_not_a_good_file_without_blocking(tmp_path, special):
    (tmp_path / "mnist").mkdir()
    fifo = special("fifo", tmp_path / "mnist" / "train-images-idx3-ubyte.gz")
    result = within_deadline(lambda: verify("mnist", tmp_path), fifo)
    assert result["train-images-idx3-ubyte.gz"] is False
    assert file_type(fifo) == "fifo"


def test_ladder_results_that_are_a_fifo_are_refused_not_waited_on(tmp_path, special):
    from mlp_lib.checks import SpecialFileError
    from mlp_lib.ladder import load_ladder

    fifo = special("fifo", tmp_path / "ladder.json")
    with pytest.raises(SpecialFileError, match=r"ladder.json: is a named pipe \(FIFO\), not a"):
        within_deadline(lambda: load_ladder(fifo), fifo)
