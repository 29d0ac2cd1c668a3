"""Names and paths at the system's limits: every name the system accepts can be written, every
one it refuses is refused before any work, and a finished training is never lost.

A file name has at most NAME_MAX bytes (255 here: bytes, so "é" counts 2) and a path fewer than
PATH_MAX (4096). An atomic write goes through a temporary file whose name adds about 25 bytes, so
a target of 240 bytes is fine while ``.<target>.<pid>-<hex>.tmp`` would not be.
"""

import errno
import os
import stat
import subprocess
import sys

import pytest

import mlp_lib.atomic as atomic
from mlp_lib import cli
from mlp_lib.atomic import (
    OutputPathError,
    remove_stale_temporary_files,
    temporary_name,
    write_bytes_atomically,
)
from mlp_lib.data import load_mnist
from mlp_lib.download import download
from mlp_lib.idx import IDXFormatError, read_idx
from mlp_lib.model import MLP, ModelFormatError

TINY = ["--validation", "5", "--epochs", "1", "--hidden-sizes", "8", "--no-progress"]


@pytest.fixture
def name_max(tmp_path):
    return os.pathconf(tmp_path, "PC_NAME_MAX")


def name_of(n_bytes, suffix=".npz", char="b"):
    """A file name of exactly ``n_bytes`` bytes ending in ``suffix`` (``char`` may be "é")."""
    room = n_bytes - len(suffix)
    stem = char * (room // len(char.encode())) + "x" * (room % len(char.encode()))
    name = stem + suffix
    assert len(name.encode()) == n_bytes
    return name


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0].removeprefix("python -m mlp_lib: error: ")


def listing(folder):
    """{name: (bytes, permission bits)} of the files in ``folder``."""
    return {
        path.name: (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        for path in folder.iterdir()
        if path.is_file()
    }


# ---- atomic writes: every name the system accepts ----------------------------------------


@pytest.mark.parametrize("extra", [-255, -60, -25, -24, -15, 0])  # bytes from NAME_MAX
@pytest.mark.parametrize("char", ["b", "é"])
def test_every_name_the_system_accepts_can_be_written_atomically(tmp_path, name_max, extra, char):
    name = name_of(max(5, name_max + extra), char=char)
    assert len(temporary_name(name, name_max).encode()) <= name_max
    write_bytes_atomically(tmp_path / name, b"first")
    write_bytes_atomically(tmp_path / name, b"second")  # over an existing file
    assert os.listdir(tmp_path) == [name]  # no temporary file left
    assert (tmp_path / name).read_bytes() == b"second"


def test_a_model_with_the_longest_name_saves_and_loads(tmp_path, name_max):
    path = tmp_path / name_of(name_max)
    MLP((4, 3, 2), seed=1).save(path)
    assert MLP.load(path).layer_sizes == (4, 3, 2)
    assert os.listdir(tmp_path) == [path.name]


def test_stale_temporary_files_of_long_names_are_removed_for_their_own_target_only(
    tmp_path, name_max
):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    ours, theirs = name_of(240, ".npz"), name_of(240, ".png")  # the same first 221 bytes
    stale = {
        name: temporary_name(name, name_max).replace(f".{os.getpid()}-", f".{finished.pid}-")
        for name in (ours, theirs)
    }
    assert stale[ours][:200] == stale[theirs][:200] and stale[ours] != stale[theirs]
    for name in stale.values():
        (tmp_path / name).write_bytes(b"partial")
    assert remove_stale_temporary_files(tmp_path / ours) == [tmp_path / stale[ours]]
    assert sorted(os.listdir(tmp_path)) == [stale[theirs]]


def test_a_path_just_under_path_max_is_written_though_its_temporary_path_would_be_too_long(
    tmp_path,
):
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    # Folders made one inside the other through open folders: their paths are too long to use.
    names, length = [], len(os.fsencode(tmp_path)) + len("/m.npz")
    folder = os.open(tmp_path, os.O_RDONLY)
    while length + 201 < path_max - 10:
        names.append("f" * 200)
        length += 201
        os.mkdir(names[-1], dir_fd=folder)
        inner = os.open(names[-1], os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    last = "g" * (path_max - 10 - length - 1)
    os.mkdir(last, dir_fd=folder)
    os.close(folder)
    target = tmp_path.joinpath(*names, last, "m.npz")
    assert len(os.fsencode(target)) == path_max - 10  # fits; ".m.npz.<pid>-<hex>.tmp" would not
    write_bytes_atomically(target, b"data")
    with open(target, "rb") as f:
        assert f.read() == b"data"
    too_long = target.with_name("m" * 20 + ".npz")  # 19 bytes more: past PATH_MAX
    with pytest.raises(
        OutputPathError,
        match=rf"the path is {len(os.fsencode(too_long)):,} bytes long, more than the {path_max - 1:,} this "
        r"system allows; choose a shorter name$",
    ):
        write_bytes_atomically(too_long, b"data")


def test_a_name_too_long_is_refused_before_anything_is_written(tmp_path, name_max):
    path = tmp_path / name_of(name_max + 1)
    with pytest.raises(OutputPathError) as info:
        write_bytes_atomically(path, b"data")
    assert str(info.value) == (
        f"cannot write the file to {path}: the name 'bbbbbbbbbbbb…bbbb.npz' is {name_max + 1} "
        f"bytes long, more than the {name_max} a file name can have here; choose a shorter name"
    )
    assert os.listdir(tmp_path) == []


# ---- the command line: checked before training, never lost after --------------------------


@pytest.mark.parametrize(
    "argv, what, suffix",
    [
        (["train", "--save"], "model", ".npz"),
        (["train", "--plot"], "training curves", ".png"),
        (["train", "--history"], "history", ".json"),
        (["ladder", "--output"], "ladder results", ".json"),
    ],
)
def test_every_output_name_too_long_is_refused_before_training(
    tmp_path, capsys, name_max, argv, what, suffix
):
    (tmp_path / "no-data").mkdir()  # had training started, the error would be the missing data
    path = tmp_path / name_of(name_max + 1, suffix)
    code = cli.main([*argv, str(path), "--data-dir", str(tmp_path / "no-data")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert one_error_line(err) == (
        f"cannot write the {what} to {path}: the name 'bbbbbbbbbbbb…{path.name[-8:]}' is "
        f"{name_max + 1} bytes long, more than the {name_max} a file name can have here; choose a "
        f"shorter name"
    )
    assert os.listdir(tmp_path) == ["no-data"]


def test_train_writes_outputs_with_the_longest_names(tmp_path, tiny_data_dir, capsys, name_max):
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    model, curves, history = (
        out_folder / name_of(name_max, suffix) for suffix in (".npz", ".png", ".json")
    )
    argv = ["train", *TINY, "--data-dir", str(tiny_data_dir), "--save", str(model)]
    code = cli.main([*argv, "--plot", str(curves), "--history", str(history)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert MLP.load(model).layer_sizes == (784, 8, 10)
    assert curves.read_bytes()[:4] == b"\x89PNG" and history.read_bytes()[:1] == b"{"
    assert sorted(os.listdir(out_folder)) == sorted([model.name, curves.name, history.name])


@pytest.fixture
def after_training(monkeypatch):
    """``after_training(action)``: run ``action()`` when ``cli.train_recipe`` has finished."""

    def install(action):
        real_train_recipe = cli.train_recipe

        def train_then_act(*args, **kwargs):
            result = real_train_recipe(*args, **kwargs)
            action()
            return result

        monkeypatch.setattr(cli, "train_recipe", train_then_act)

    return install


def test_a_model_whose_name_fails_after_training_is_saved_under_a_shorter_name(
    tmp_path, tiny_data_dir, capsys, monkeypatch, name_max, after_training
):
    # The check before training is skipped (as if the name had become too long meanwhile: a
    # folder moved to another file system, say); the write after training fails on the name.
    working = tmp_path / "work"
    working.mkdir()
    monkeypatch.chdir(working)
    checking = {"on": False}
    real_check = cli.check_output_path
    monkeypatch.setattr(
        cli,
        "check_output_path",
        lambda p, what="file": real_check(p, what) if checking["on"] else p,
    )
    after_training(lambda: checking.update(on=True))
    target = tmp_path / name_of(name_max + 1)
    code = cli.main(["train", *TINY, "--data-dir", str(tiny_data_dir), "--save", str(target)])
    out, err = capsys.readouterr()
    assert code == 1 and out.strip().splitlines()[-1].startswith("test accuracy: ")
    (saved,) = working.iterdir()  # the rescue's own name fits: it was checked too
    assert len(os.fsencode(saved.name)) <= name_max and saved.name.endswith("-2.npz")
    assert one_error_line(err) == (
        f"cannot write the file to {target}: the name 'bbbbbbbbbbbb…bbbb.npz' is {name_max + 1} "
        f"bytes long, more than the {name_max} a file name can have here; choose a shorter name. "
        f"The trained model was saved to {saved} instead; move it where you want it."
    )
    assert MLP.load(saved).layer_sizes == (784, 8, 10)
    assert sorted(os.listdir(tmp_path)) == ["fashion-mnist", "mnist", "work"]  # nothing else


def test_the_rescue_shortens_a_long_name_that_is_taken_and_overwrites_nothing(
    tmp_path, tiny_data_dir, capsys, monkeypatch, name_max, after_training
):
    out_folder, working = tmp_path / "out", tmp_path / "work"
    out_folder.mkdir()
    working.mkdir()
    name = name_of(name_max)
    (working / name).write_bytes(b"someone else's file")  # taken: never overwritten
    (working / name).chmod(0o600)
    before = listing(working)
    monkeypatch.chdir(working)
    after_training(out_folder.rmdir)  # the folder disappears while training
    code = cli.main(
        ["train", *TINY, "--data-dir", str(tiny_data_dir), "--save", str(out_folder / name)]
    )
    _, err = capsys.readouterr()
    assert code == 1
    (saved,) = set(working.iterdir()) - {working / name}
    assert saved.name.endswith("-2.npz") and len(os.fsencode(saved.name)) == name_max
    assert one_error_line(err).endswith(
        f"The trained model was saved to {saved} instead; move it where you want it."
    )
    assert MLP.load(saved).layer_sizes == (784, 8, 10)
    assert {k: v for k, v in listing(working).items() if k != saved.name} == before


def test_the_rescue_never_writes_to_the_path_that_just_failed(
    tmp_path, tiny_data_dir, capsys, monkeypatch
):
    # m.npz in the working folder fails once (a full disk that frees up at once): the rescue
    # in the working folder must not be m.npz again.
    monkeypatch.chdir(tmp_path)
    real_open = open
    failures = []

    def open_failing_once(fd, mode):
        if not failures:
            failures.append(fd)
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(fd, mode)

    monkeypatch.setattr(atomic, "open", open_failing_once, raising=False)
    code = cli.main(["train", *TINY, "--data-dir", str(tiny_data_dir), "--save", "m.npz"])
    _, err = capsys.readouterr()
    assert code == 1 and len(failures) == 1
    assert one_error_line(err) == (
        "cannot write m.npz: the disk is full (No space left on device); free some space, or "
        f"choose a folder on another disk. The trained model was saved to {tmp_path}/m-2.npz "
        f"instead; move it where you want it."
    )
    assert MLP.load(tmp_path / "m-2.npz").layer_sizes == (784, 8, 10)
    assert not (tmp_path / "m.npz").exists()


def test_unused_name_skips_taken_and_avoided_names_and_fits_the_folder(tmp_path, name_max):
    (tmp_path / "m.npz").write_bytes(b"")
    os.symlink(tmp_path / "nowhere", tmp_path / "m-2.npz")  # a dangling link is taken too
    assert atomic.unused_name(tmp_path / "m.npz") == tmp_path / "m-3.npz"
    avoid = {str(tmp_path / "m-3.npz")}
    assert atomic.unused_name(tmp_path / "m.npz", avoid=avoid) == tmp_path / "m-4.npz"
    long = atomic.unused_name(tmp_path / name_of(name_max + 40))  # its start, shortened to fit
    assert long == tmp_path / ("b" * (name_max - 6) + "-2.npz")


# ---- readers: names too long say so --------------------------------------------------------


def test_reading_a_name_too_long_says_so_and_not_that_the_file_is_damaged(tmp_path, name_max):
    path = tmp_path / name_of(name_max + 1)
    too_long = (
        f"the name 'bbbbbbbbbbbb…bbbb.npz' is {name_max + 1} bytes long, more than the "
        f"{name_max} a file name can have here"
    )
    with pytest.raises(ModelFormatError) as info:
        MLP.load(path)
    assert str(info.value) == f"{path}: cannot be read ({too_long})"
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    assert str(info.value) == f"{path}: cannot be read ({too_long}); check the path"


@pytest.mark.parametrize("reader", ["load_mnist", "download"])
def test_a_data_folder_name_too_long_is_refused_before_any_work(tmp_path, name_max, reader):
    folder = tmp_path / ("d" * (name_max + 1))
    call = {
        "load_mnist": lambda: load_mnist(data_dir=folder),
        "download": lambda: download("mnist", folder, mirrors=["http://127.0.0.1:9/"]),
    }[reader]
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == (
        f"the data folder '{folder}' (data_dir=, or --data-dir) is too long: the name "
        f"'dddddddddddd…dddddddd' is {name_max + 1} bytes long, more than the {name_max} a file "
        f"name can have here; give the folder that holds mnist/ and fashion-mnist/, or leave it out"
    )
    assert os.listdir(tmp_path) == []


def test_run_ladder_checks_its_output_before_training_a_step(tmp_path, name_max, monkeypatch):
    import mlp_lib.ladder as ladder

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the output")

    monkeypatch.setattr(ladder, "train_recipe", no_training)
    output = tmp_path / name_of(name_max + 1, ".json")
    with pytest.raises(
        OutputPathError, match=rf"cannot write the ladder results to .* is {name_max + 1} bytes"
    ):
        ladder.run_ladder(output, steps=1)
    assert os.listdir(tmp_path) == []
