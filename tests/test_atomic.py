"""Tests for mlp_lib.atomic: whole files or none, stale temporary files, clear messages.

Some tests start a real Python process that saves a model and stops half-way through writing it
(it waits for a line on its standard input): the test then kills it with SIGKILL, or lets it go on.
"""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mlp_lib.atomic import (
    OutputPathError,
    atomic_file,
    check_output_path,
    remove_stale_temporary_files,
    write_bytes_atomically,
)
from mlp_lib.model import MLP

# Saves MLP((784, 64, 10), seed=SEED) to PATH, pausing after half of the bytes are written.
SAVER = textwrap.dedent(
    """
    import sys
    import mlp_lib.atomic as atomic
    from mlp_lib.model import MLP

    real_open = open

    class PausesHalfWay:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def write(self, data):
            half = len(data) // 2
            self.f.write(data[:half])
            self.f.flush()
            print("half written", flush=True)
            sys.stdin.readline()  # the test kills us here, or sends a line to go on
            return self.f.write(data[half:])

    atomic.open = lambda path, mode: PausesHalfWay(real_open(path, mode))
    MLP((784, 64, 10), seed=int(sys.argv[2])).save(sys.argv[1])
    print("saved", flush=True)
    """
)


@pytest.fixture
def saver(tmp_path):
    """Start savers: ``saver(path, seed)`` -> a process paused half-way through saving ``path``.

    Every process started is killed (by its PID) and waited for at the end of the test.
    """
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    started = []

    def start(path, seed):
        process = subprocess.Popen(
            [sys.executable, str(script), str(path), str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline() == "half written\n"  # waits for that state
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdin.close()
        process.stdout.close()


def temporary_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_save_killed_half_way_leaves_a_temporary_file_the_next_save_removes(tmp_path, saver):
    path = tmp_path / "m.npz"
    process = saver(path, seed=1)
    os.kill(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait()
    (left,) = temporary_files(tmp_path)
    assert left.startswith(f".m.npz.{process.pid}-") and not path.exists()

    model = MLP((784, 64, 10), seed=2)
    model.save(path)  # the next save to the same target removes what the killed one left
    assert temporary_files(tmp_path) == []
    np.testing.assert_array_equal(MLP.load(path).parameters()["W0"], model.parameters()["W0"])


def test_a_save_in_progress_in_another_process_is_never_touched(tmp_path, saver):
    path = tmp_path / "m.npz"
    other = saver(path, seed=1)
    (theirs,) = temporary_files(tmp_path)
    partial = (tmp_path / theirs).read_bytes()

    MLP((784, 64, 10), seed=2).save(path)  # ours, while theirs is half written
    assert temporary_files(tmp_path) == [theirs]
    assert (tmp_path / theirs).read_bytes() == partial

    other.stdin.write("go on\n")
    other.stdin.flush()
    assert other.stdout.readline() == "saved\n"
    assert other.wait() == 0
    assert temporary_files(tmp_path) == []  # the last save won, whole
    expected = MLP((784, 64, 10), seed=1).parameters()["W0"]
    np.testing.assert_array_equal(MLP.load(path).parameters()["W0"], expected)


def test_only_this_modules_temporary_files_for_this_target_are_removed(tmp_path):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead = finished.pid  # a process that no longer runs
    names = [
        f".m.npz.{dead}-0123abcd.tmp",  # ours, for m.npz, its process gone: removed
        f".other.npz.{dead}-0123abcd.tmp",  # another target
        f".m.npz.{dead}-0123abcd.tmp.bak",  # not our pattern
        f".m.npz.{dead}-XYZ.tmp",
        ".m.npz.tmp",
        f"m.npz.{dead}-0123abcd.tmp",  # not hidden
        f".m.npz.{os.getpid()}-0123abcd.tmp",  # a process that runs: this one
        ".m.npz.99999999999999-0123abcd.tmp",  # no process can have that number
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    removed = remove_stale_temporary_files(tmp_path / "m.npz")
    assert [p.name for p in removed] == [names[0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


def test_atomic_file_writes_in_pieces_and_leaves_the_old_file_if_the_block_fails(tmp_path):
    path = tmp_path / "data.bin"
    with atomic_file(path) as f:
        f.write(b"first ")
        f.write(b"version")
    assert path.read_bytes() == b"first version"
    with pytest.raises(RuntimeError, match="stopped"), atomic_file(path) as f:
        f.write(b"second")
        raise RuntimeError("stopped")
    assert path.read_bytes() == b"first version"
    assert os.listdir(tmp_path) == ["data.bin"]


def test_writing_into_a_missing_folder_names_the_users_path_not_the_temporary_one(tmp_path):
    path = tmp_path / "missing" / "m.npz"
    with pytest.raises(
        OutputPathError,
        match=r"cannot write the file to .*missing/m.npz: the folder .*missing does not exist; "
        r"create it first \(mkdir -p .*missing\) or choose another path",
    ) as info:
        write_bytes_atomically(path, b"data")
    assert ".tmp" not in str(info.value)


def test_writing_onto_a_folder_says_it_is_a_folder(tmp_path):
    (tmp_path / "m.npz").mkdir()
    with pytest.raises(
        OutputPathError, match=r"cannot write the file to .*m.npz: it is a folder; give a file name"
    ) as info:
        write_bytes_atomically(tmp_path / "m.npz", b"data")
    assert ".tmp" not in str(info.value)
    assert os.listdir(tmp_path) == ["m.npz"]


def test_check_output_path_names_what_is_written(tmp_path):
    assert check_output_path(tmp_path / "m.npz", "model") == tmp_path / "m.npz"
    with pytest.raises(
        OutputPathError, match=r"cannot write the model to .*nope/m.npz: the folder"
    ):
        check_output_path(tmp_path / "nope" / "m.npz", "model")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_refused_before_writing(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(
            OutputPathError,
            match=r"cannot write the model to .*read-only/m.npz: the folder .*read-only is not "
            r"writable; choose a folder you can write to",
        ):
            check_output_path(folder / "m.npz", "model")
        with pytest.raises(
            OutputPathError, match=r"read-only/m.npz: the folder .* is not writable"
        ):
            write_bytes_atomically(folder / "m.npz", b"data")
    finally:
        folder.chmod(0o755)
