"""Where load_mnist finds data/ when no data_dir= is given (mlp_lib.data.default_data_dir).

On a course hub the package is installed once, not editable, and every student has the notebooks
and data/ in a folder of their own: the data is found from the kernel's working directory
(notebooks/) by looking for data/ there and in its parents. The last test checks that route from
a real wheel installed into a temporary folder, in a Python that cannot see this repository.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlp_lib.data
from mlp_lib.data import PROJECT_DATA_DIR, default_data_dir, load_mnist

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def student_folder(tmp_path, monkeypatch, make_tiny_dataset):
    """A student's course folder with notebooks/ and data/ (3 tiny training images), no env variable."""
    monkeypatch.delenv("MLP_LIB_DATA_DIR", raising=False)
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    make_tiny_dataset(n=3, root=course / "data")
    return course


def test_finds_data_beside_the_notebooks_folder(student_folder, monkeypatch):
    monkeypatch.chdir(student_folder / "notebooks")  # where a notebook's kernel runs
    assert default_data_dir() == student_folder / "data"
    assert load_mnist()[0].shape == (3, 784)


def test_finds_data_in_the_working_directory_and_in_any_parent(student_folder, monkeypatch):
    monkeypatch.chdir(student_folder)
    assert default_data_dir() == student_folder / "data"
    deeper = student_folder / "notebooks" / "my work" / "day 1"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    assert default_data_dir() == student_folder / "data"


def test_the_nearest_data_folder_wins(student_folder, monkeypatch, make_tiny_dataset):
    make_tiny_dataset("fashion-mnist", n=4, root=student_folder / "notebooks" / "data")
    monkeypatch.chdir(student_folder / "notebooks")
    assert default_data_dir() == student_folder / "notebooks" / "data"


def test_a_data_folder_without_a_dataset_inside_is_passed_over(student_folder, monkeypatch):
    (student_folder / "notebooks" / "data" / "my plots").mkdir(parents=True)
    monkeypatch.chdir(student_folder / "notebooks")
    assert default_data_dir() == student_folder / "data"


def test_environment_variable_wins_over_the_search(
    student_folder, tmp_path, monkeypatch, make_tiny_dataset
):
    make_tiny_dataset(n=2, root=tmp_path / "elsewhere")
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(student_folder / "notebooks")
    assert default_data_dir() == tmp_path / "elsewhere"
    assert load_mnist()[0].shape == (2, 784)


def test_data_dir_argument_wins_over_the_search(
    student_folder, tmp_path, monkeypatch, make_tiny_dataset
):
    make_tiny_dataset(n=4, root=tmp_path / "given")
    monkeypatch.chdir(student_folder / "notebooks")
    assert load_mnist(data_dir=tmp_path / "given")[0].shape == (4, 784)


def test_falls_back_to_the_projects_own_data_folder(tmp_path, monkeypatch):
    """An editable install run from anywhere: the repository's data/."""
    monkeypatch.delenv("MLP_LIB_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert PROJECT_DATA_DIR == ROOT / "data"
    assert default_data_dir() == PROJECT_DATA_DIR


def test_not_found_says_where_it_looked_and_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("MLP_LIB_DATA_DIR", raising=False)
    monkeypatch.setattr(mlp_lib.data, "PROJECT_DATA_DIR", tmp_path / "site-packages" / "data")
    monkeypatch.chdir(tmp_path)
    assert default_data_dir() == tmp_path / "data"  # where the download command puts the files
    with pytest.raises(
        FileNotFoundError, match=r"mnist/train-images-idx3-ubyte.gz not found"
    ) as info:
        load_mnist()
    message = str(info.value)
    assert f"no data/ folder with mnist/ or fashion-mnist/ in {tmp_path} or its parents" in message
    assert f"nor in the installed project ({tmp_path / 'site-packages' / 'data'})" in message
    assert f"python -m mlp_lib download --dataset mnist --data-dir {tmp_path / 'data'}" in message
    assert "MLP_LIB_DATA_DIR" in message


def test_not_found_says_which_data_folder_lacked_the_dataset(student_folder, monkeypatch):
    monkeypatch.chdir(student_folder / "notebooks")  # data/ has mnist/ only
    with pytest.raises(
        FileNotFoundError,
        match=r"fashion-mnist/train-images-idx3-ubyte.gz not found \(looked for it: .*course/data "
        r"was the first data/ folder found with a dataset in it, but not this one\)",
    ):
        load_mnist(dataset="fashion-mnist")


def test_not_found_names_the_environment_variable_when_it_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(
        FileNotFoundError,
        match=r"looked for it: the environment variable MLP_LIB_DATA_DIR is set to .*typo",
    ):
        load_mnist("test")


# ---------- a bad MLP_LIB_DATA_DIR: one clear line, never a traceback or a hang ----------

ENV_FIX = (
    "set it to the folder that holds mnist/ and fashion-mnist/, or unset it (unset "
    "MLP_LIB_DATA_DIR) to use the data/ folder found automatically"
)


def bad_value(kind, tmp_path):
    """(the value, the error type, the message) for a bad MLP_LIB_DATA_DIR of this ``kind``."""
    given = "the environment variable MLP_LIB_DATA_DIR"
    if kind == "empty":
        return "", ValueError, f"{given} ('') is empty; {ENV_FIX}"
    if kind == "too long":
        value = str(tmp_path / ("d" * 300))
        limit = os.pathconf(tmp_path, "PC_NAME_MAX")
        return (
            value,
            ValueError,
            f"{given} ({value!r}) is too long: the name 'dddddddddddd…dddddddd' is 300 bytes "
            f"long, more than the {limit} a file name can have here; {ENV_FIX}",
        )
    path = tmp_path / kind
    if kind == "a file":
        path.write_bytes(b"notes")
    elif kind == "a named pipe (FIFO)":
        os.mkfifo(path)
    else:  # a character device
        path.symlink_to("/dev/zero")
    return (
        str(path),
        NotADirectoryError,
        f"{given} ({str(path)!r}) is {kind}, not a folder; {ENV_FIX}",
    )


BAD_VALUES = ["empty", "too long", "a file", "a named pipe (FIFO)", "a character device"]


@pytest.mark.parametrize("kind", BAD_VALUES)
def test_a_bad_environment_variable_is_a_clear_error_from_load_mnist(tmp_path, monkeypatch, kind):
    value, error, message = bad_value(kind, tmp_path)
    monkeypatch.setenv("MLP_LIB_DATA_DIR", value)
    with pytest.raises(error) as info:
        load_mnist("test")
    assert str(info.value) == message
    with pytest.raises(error):
        default_data_dir()


@pytest.mark.parametrize("command", ["evaluate", "train", "download"])
@pytest.mark.parametrize("kind", BAD_VALUES)
def test_a_bad_environment_variable_is_one_line_from_the_command_line(
    tmp_path, monkeypatch, capsys, kind, command
):
    from mlp_lib import cli
    from mlp_lib.model import MLP

    model = MLP((784, 10)).save(tmp_path / "m.npz")
    value, _, message = bad_value(kind, tmp_path)
    monkeypatch.setenv("MLP_LIB_DATA_DIR", value)
    argv = {"evaluate": ["evaluate", str(model)], "train": ["train", "--no-progress"]}
    code = cli.main(argv.get(command, ["download"]))
    out, err = capsys.readouterr()
    assert code == 1
    assert err == f"python -m mlp_lib: error: {message}\n"
    assert "test accuracy" not in out and "epoch 1" not in out  # nothing was trained


def test_a_missing_folder_in_the_environment_variable_says_it_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("test")
    assert (
        f"t10k-images-idx3-ubyte.gz not found (looked for it: the environment variable "
        f"MLP_LIB_DATA_DIR is set to {tmp_path / 'typo'}, which does not exist). Download"
    ) in str(info.value)
    assert not (tmp_path / "typo").exists()  # loading never makes it


def test_an_empty_data_dir_argument_is_refused_not_taken_for_the_working_folder(tmp_path, capsys):
    from mlp_lib import cli
    from mlp_lib.model import MLP

    with pytest.raises(ValueError, match=r"^the data folder '' \(data_dir=, or --data-dir\) is "):
        load_mnist(data_dir="")
    model = MLP((784, 10)).save(tmp_path / "m.npz")
    assert cli.main(["evaluate", str(model), "--data-dir", ""]) == 1
    assert capsys.readouterr().err == (
        "python -m mlp_lib: error: the data folder '' (data_dir=, or --data-dir) is empty; give "
        "the folder that holds mnist/ and fashion-mnist/, or leave it out\n"
    )


# ---------- the hub route: a non-editable install, a student's folder ----------

STUDENT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import mlp_lib
    from mlp_lib.data import default_data_dir, load_mnist
    X, y = load_mnist("test")
    print(json.dumps({"mlp_lib": mlp_lib.__file__, "sys_path": sys.path,
                      "data_dir": str(default_data_dir()), "shape": list(X.shape)}))
    """
)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """The project built as a wheel and installed (not editable) into a temporary folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: building in the repository would leave build/ there
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    shutil.copytree(
        ROOT / "mlp_lib", source / "mlp_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(work / "wheels"), str(source)], check=True
    )
    (wheel,) = (work / "wheels").glob("handwritten_digits_from_scratch-*.whl")
    target = work / "site-packages"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    assert not (target / "data").exists()  # the wheel carries the library only, not the data
    return target


def run_as_student(target, cwd):
    """Run STUDENT_SCRIPT in `cwd` with the installed wheel and NumPy, but not this repository.

    `python -S` skips site-packages' .pth files, so the editable install of this venv is not
    active; PYTHONPATH gives the wheel's folder first, then the venv's site-packages for NumPy.
    """
    numpy_site = Path(__import__("numpy").__file__).parent.parent
    env = {key: value for key, value in os.environ.items() if key != "MLP_LIB_DATA_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(target), str(numpy_site)])
    return subprocess.run(
        [sys.executable, "-S", "-c", STUDENT_SCRIPT],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # builds and installs a wheel once, several seconds
def test_non_editable_install_finds_the_students_data_beside_the_notebooks(
    installed_wheel, tmp_path
):
    course = tmp_path / "student" / "handwritten-digits"
    (course / "notebooks").mkdir(parents=True)
    (course / "data").mkdir()
    (course / "data" / "mnist").symlink_to(ROOT / "data" / "mnist")  # as a hub shares one copy

    result = run_as_student(installed_wheel, cwd=course / "notebooks")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert Path(seen["mlp_lib"]).is_relative_to(installed_wheel)
    assert not any(entry and Path(entry).resolve() == ROOT for entry in seen["sys_path"])
    assert seen["data_dir"] == str(course / "data")
    assert seen["shape"] == [10000, 784]


@pytest.mark.slow  # builds and installs a wheel once, several seconds
def test_non_editable_install_without_data_says_where_it_looked(installed_wheel, tmp_path):
    result = run_as_student(installed_wheel, cwd=tmp_path)
    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr
    assert f"no data/ folder with mnist/ or fashion-mnist/ in {tmp_path} or its parents" in (
        result.stderr
    )
    assert f"--data-dir {tmp_path / 'data'}" in result.stderr  # not into site-packages


def test_project_file_is_found_from_a_subfolder_of_the_notebooks(tmp_path, monkeypatch):
    """notebooks/zh/ and notebooks/ both find the course's models/best.npz, the nearest first."""
    from mlp_lib.data import project_file

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "best.npz").write_bytes(b"")
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    for where in ("notebooks", "notebooks/zh", "."):
        monkeypatch.chdir(tmp_path / where)
        assert project_file("models/best.npz") == tmp_path / "models" / "best.npz"
    (tmp_path / "notebooks" / "models").mkdir()
    (tmp_path / "notebooks" / "models" / "best.npz").write_bytes(b"")
    monkeypatch.chdir(tmp_path / "notebooks" / "zh")
    assert project_file("models/best.npz") == tmp_path / "notebooks" / "models" / "best.npz"


def test_project_file_falls_back_to_the_installed_project(tmp_path, monkeypatch):
    from mlp_lib.data import project_file

    monkeypatch.chdir(tmp_path)
    assert project_file("models/no-such.npz") == PROJECT_DATA_DIR.parent / "models" / "no-such.npz"
    assert project_file("models/best.npz") == ROOT / "models" / "best.npz"
