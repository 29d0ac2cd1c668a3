"""Tests for mlp_lib.atomic: whole files or none, stale temporary files, clear messages.

Some tests start a real Python process that saves a model and stops half-way through writing it
(it waits for a line on its standard input): the test then kills it with SIGKILL, or lets it go on.
"""

import os
import signal
import stat
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


def test_a_save_to_a_long_name_killed_half_way_is_cleaned_up_by_the_next_save(tmp_path, saver):
    # 240 bytes: a fine name, but ".<name>.<pid>-<hex>.tmp" would be longer than 255.
    path = tmp_path / ("b" * 236 + ".npz")
    process = saver(path, seed=1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (left,) = temporary_files(tmp_path)
    assert len(left.encode()) <= os.pathconf(tmp_path, "PC_NAME_MAX")
    assert left.startswith("." + "b" * 200) and "~" in left and f".{process.pid}-" in left
    model = MLP((784, 64, 10), seed=2)
    model.save(path)
    assert temporary_files(tmp_path) == []
    np.testing.assert_array_equal(MLP.load(path).parameters()["W0"], model.parameters()["W0"])


def test_a_path_whose_folder_is_a_file_says_so(tmp_path):
    (tmp_path / "notes").write_bytes(b"mine")
    with pytest.raises(
        OutputPathError,
        match=r"cannot write the file to \S+/notes/m.npz: \S+/notes is a file, not a folder; "
        r"choose a path in a folder$",
    ):
        write_bytes_atomically(tmp_path / "notes" / "m.npz", b"data")
    assert (tmp_path / "notes").read_bytes() == b"mine"


def test_a_full_disk_says_the_disk_is_full_and_leaves_the_old_file(tmp_path, monkeypatch):
    import errno

    import mlp_lib.atomic as atomic

    path = tmp_path / "m.npz"
    path.write_bytes(b"old model")
    path.chmod(0o640)

    class FullDisk:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    real_open = open
    monkeypatch.setattr(
        atomic, "open", lambda fd, mode: FullDisk(real_open(fd, mode)), raising=False
    )
    with pytest.raises(OutputPathError) as info:
        write_bytes_atomically(path, b"new model")
    assert str(info.value) == (
        f"cannot write {path}: the disk is full (No space left on device); free some space, or "
        f"choose a folder on another disk"
    )
    assert path.read_bytes() == b"old model" and (path.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["m.npz"]


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs mounted in tmp_path (root only; skipped where mounting is not allowed)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_disk_says_so_and_leaves_no_temporary_file(small_disk):
    (small_disk / "kept.bin").write_bytes(b"kept")
    with pytest.raises(OutputPathError, match=r"big.bin: the disk is full \(No space left"):
        write_bytes_atomically(small_disk / "big.bin", bytes(200_000))
    assert os.listdir(small_disk) == ["kept.bin"]
    assert (small_disk / "kept.bin").read_bytes() == b"kept"


def test_a_replaced_file_keeps_its_permissions_and_a_new_file_gets_the_umasks(tmp_path):
    private = tmp_path / "private.npz"
    private.write_bytes(b"old")
    private.chmod(0o600)
    write_bytes_atomically(private, b"new")
    assert private.read_bytes() == b"new" and stat.S_IMODE(private.stat().st_mode) == 0o600
    old = os.umask(0o022)
    try:
        write_bytes_atomically(tmp_path / "fresh.npz", b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fresh.npz").stat().st_mode) == 0o644
