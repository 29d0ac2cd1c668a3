"""Load MNIST and Fashion-MNIST from the IDX files in the project's data/ folder.

    X_train, y_train = load_mnist("train")   # X (60000, 784) float32 in [0, 1]; y (60000,) int64
    X_test, y_test = load_mnist("test")      # X (10000, 784), y (10000,)

The folder holding the files is, in order of precedence: the `data_dir=` argument, the environment
variable MLP_LIB_DATA_DIR, a data/ folder in the working directory or one of its parents (a notebook's
kernel runs in notebooks/, so this finds the data/ beside it: how students have the course on a hub,
where the package is installed once, not editable), the project's own data/ (an editable install).
Each dataset lives in a subfolder of it (data/mnist/, data/fashion-mnist/). A folder given by the
argument or the variable is checked first (``check_data_dir``): an empty value, a name too long,
or a file or FIFO where the folder should be is refused with one line that says where it came from.
"""

import os
import stat
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .checks import check_choice, check_float_dtype, path_length_problem, special_file_kind
from .idx import IDXFormatError, read_idx, read_idx_header

_FILES = {
    "train": {"images": "train-images-idx3-ubyte.gz", "labels": "train-labels-idx1-ubyte.gz"},
    "test": {"images": "t10k-images-idx3-ubyte.gz", "labels": "t10k-labels-idx1-ubyte.gz"},
}

# For each dataset: the files of each split, the SHA-256 of each file's DECOMPRESSED content
# (mirrors compress differently, so the .gz bytes differ while the content does not), the class names.
DATASETS = {
    "mnist": {
        "files": _FILES,
        "sha256": {
            "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        "class_names": ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
    },
    "fashion-mnist": {
        "files": _FILES,
        "sha256": {
            "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        "class_names": (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    },
}
SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 60_000, "test": 10_000}  # images per split, MNIST and Fashion-MNIST alike
IMAGE_SHAPE = (28, 28)


PROJECT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"  # an editable install's data/


ENVIRONMENT_VARIABLE = "MLP_LIB_DATA_DIR"


def check_data_dir(folder, source="data_dir"):
    """``folder`` as a Path if it can be a data folder: not empty, not too long for the system,
    and a folder if it exists (it may not exist yet: ``download`` makes it).

    ``source``: where the value came from, "data_dir" (the argument, or ``--data-dir``) or
    ENVIRONMENT_VARIABLE; the message names it and says how to change it. Raises ValueError for
    an empty or too long value, NotADirectoryError for a file, a FIFO or a device.
    """
    if source == ENVIRONMENT_VARIABLE:
        given = f"the environment variable {ENVIRONMENT_VARIABLE} ({str(folder)!r})"
        fix = (
            f"set it to the folder that holds mnist/ and fashion-mnist/, or unset it "
            f"(unset {ENVIRONMENT_VARIABLE}) to use the data/ folder found automatically"
        )
    else:
        given = f"the data folder {str(folder)!r} (data_dir=, or --data-dir)"
        fix = "give the folder that holds mnist/ and fashion-mnist/, or leave it out"
    if isinstance(folder, str) and not folder:
        raise ValueError(f"{given} is empty; {fix}")
    too_long = path_length_problem(folder)
    if too_long:
        raise ValueError(f"{given} is too long: {too_long}; {fix}")
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        return Path(folder)  # not there yet
    except OSError as exc:  # a part of it is a file, a symbolic link loop, no permission
        raise NotADirectoryError(f"{given} cannot be used ({exc.strerror}); {fix}") from None
    if not stat.S_ISDIR(mode):
        kind = special_file_kind(mode) or "a file"
        raise NotADirectoryError(f"{given} is {kind}, not a folder; {fix}")
    return Path(folder)


def default_data_dir():
    """The folder that holds the dataset folders, the first of:

    $MLP_LIB_DATA_DIR if set (checked by ``check_data_dir``: set but empty is an error); a data/
    folder holding mnist/ or fashion-mnist/ in the working directory or its nearest parent that
    has one; the project's own data/ if it holds them. When none is found: ./data in the working
    directory, where `python -m mlp_lib download` then puts the files.
    """
    env = os.environ.get(ENVIRONMENT_VARIABLE)
    if env is not None:
        return check_data_dir(env, ENVIRONMENT_VARIABLE)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if _has_a_dataset(folder / "data"):
            return folder / "data"
    if _has_a_dataset(PROJECT_DATA_DIR):
        return PROJECT_DATA_DIR
    return here / "data"


def project_file(relative):
    """The project's file ``relative`` (e.g. ``"models/best.npz"``), as a Path: found in the working
    directory or its nearest parent that has it, else the installed project's own.

    So a notebook finds the trained models and results from notebooks/, from notebooks/zh/, from a
    student edition inside the project folder, or from a hub's copy. When it is nowhere, the path in
    the installed project is returned, and opening it says what is missing.
    """
    here = Path.cwd()
    for folder in (here, *here.parents):
        if os.path.exists(folder / relative):
            return folder / relative
    return PROJECT_DATA_DIR.parent / relative


def _has_a_dataset(folder):
    """True if `folder` has a subfolder named after one of the DATASETS."""
    return any(os.path.isdir(folder / name) for name in DATASETS)  # False on any error


def _where_default_data_dir_looked(found):
    """How default_data_dir() came to `found`, in words, for a "not found" message."""
    env = os.environ.get(ENVIRONMENT_VARIABLE)
    if env:
        missing = "" if os.path.isdir(env) else ", which does not exist"
        return f"the environment variable {ENVIRONMENT_VARIABLE} is set to {env}{missing}"
    if _has_a_dataset(found):
        return f"{found} was the first data/ folder found with a dataset in it, but not this one"
    return (
        f"MLP_LIB_DATA_DIR is not set; no data/ folder with mnist/ or fashion-mnist/ in "
        f"{Path.cwd()} or its parents, nor in the installed project ({PROJECT_DATA_DIR})"
    )


def dataset_dir(dataset="mnist", data_dir=None):
    """The folder of one dataset's files: `data_dir / dataset`, data_dir defaulting to default_data_dir().

    Both are checked (``check_data_dir``); neither needs to exist yet.
    """
    check_dataset(dataset)
    root = default_data_dir() if data_dir is None else check_data_dir(data_dir)
    folder = root / dataset
    try:
        mode = os.stat(folder).st_mode
    except OSError:  # not there yet (or unreadable): reading its files will say which
        return folder
    if not stat.S_ISDIR(mode):
        kind = special_file_kind(mode) or "a file"
        raise NotADirectoryError(
            f"{folder} is {kind}, not the folder of the {dataset} files; remove or rename it, "
            f"then download them with `python -m mlp_lib download --dataset {dataset} "
            f"--data-dir {root}`"
        )
    return folder


def check_dataset(dataset):
    """Raise ValueError unless `dataset` is a key of DATASETS."""
    check_choice("dataset", dataset, DATASETS)


def class_names(dataset="mnist"):
    """The names of the classes 0..9 of `dataset`, e.g. class_names("fashion-mnist")[9] == "Ankle boot"."""
    check_dataset(dataset)
    return DATASETS[dataset]["class_names"]


def load_mnist(split="train", dataset="mnist", *, data_dir=None, normalize=True, dtype=np.float32):
    """Load one split of MNIST (or Fashion-MNIST) as a flat image matrix and a label vector.

    Shapes: X (N, 784), one image per row, pixels in row-major order; y (N,). N = 60000 or 10000.

    Parameters
    ----------
    split : "train" or "test".
    dataset : "mnist" or "fashion-mnist".
    data_dir : folder holding the dataset folders; default: default_data_dir() finds it.
    normalize : if True, pixels are divided by 255 into [0, 1]; if False, they keep their values 0..255.
    dtype : np.float32 (default) or np.float64, the dtype of X.

    Returns
    -------
    X : (N, 784) array of `dtype`.
    y : (N,) int64 array of labels 0..9.
    """
    check_choice("split", split, SPLITS)
    folder = dataset_dir(dataset, data_dir)
    dtype = check_float_dtype(dtype)

    paths = {kind: folder / name for kind, name in DATASETS[dataset]["files"][split].items()}
    # The headers first: sizes and counts are checked before a byte of the values is inflated.
    headers = {kind: _read_header(path, dataset, folder, data_dir) for kind, path in paths.items()}
    _check_split(headers["images"], headers["labels"], paths, split, dataset)
    # (N, 28, 28) already in `dtype`: converted as it is read, without a uint8 copy of it all
    images = read_idx(paths["images"], max_bytes=headers["images"].nbytes, dtype=dtype)
    labels = read_idx(paths["labels"], max_bytes=headers["labels"].nbytes)  # (N,) uint8

    n_classes = len(DATASETS[dataset]["class_names"])
    largest = int(labels.max(initial=0))
    if largest >= n_classes:
        too_large = int((labels >= n_classes).sum())
        raise IDXFormatError(
            f"{paths['labels']}: expected labels 0..{n_classes - 1}, but {too_large} of the "
            f"{len(labels)} labels are larger, up to {largest}; is this the right file? "
            f"Re-download it with `python -m mlp_lib download`"
        )

    X = images.reshape(len(images), -1)  # (N, 784), a view
    if normalize:
        X /= 255  # in place, stays in `dtype`
    y = labels.astype(np.int64)  # (N,)
    return X, y


def _read_header(path, dataset, folder, data_dir):
    """The IDX header of one of the dataset's files, or an error that says how to get the file."""
    try:
        return read_idx_header(path)
    except FileNotFoundError:
        if data_dir is None:
            looked = f" (looked for it: {_where_default_data_dir_looked(folder.parent)})"
        elif not os.path.isdir(data_dir):
            looked = f" (the folder {data_dir} does not exist)"
        else:
            looked = ""
        raise FileNotFoundError(
            f"{path} not found{looked}. Download the {dataset} files with "
            f"`python -m mlp_lib download --dataset {dataset} --data-dir {folder.parent}` "
            f"(in Python: `from mlp_lib.download import download; download({dataset!r}, {str(folder.parent)!r})`), "
            f"or point data_dir= or the MLP_LIB_DATA_DIR environment variable at a folder "
            f"that has a {dataset}/ subfolder with the four .gz files"
        ) from None


def _check_split(images, labels, paths, split, dataset):
    """Check the dtypes, shapes and counts of a split's images and labels.

    ``images`` and ``labels`` are arrays, or the files' ``IDXHeader``s (which have a dtype and
    a shape too): the counts must agree and be at most the split's real size (60,000 or 10,000),
    which the real files have and the tiny test files stay below.
    """
    redownload = "Re-download it with `python -m mlp_lib download`"
    if images.dtype != np.uint8 or tuple(images.shape[1:]) != IMAGE_SHAPE:
        raise IDXFormatError(
            f"{paths['images']}: expected uint8 images of shape (N, 28, 28), got "
            f"{images.dtype.name} of shape {tuple(images.shape)}; is this the right file? {redownload}"
        )
    if labels.dtype != np.uint8 or len(labels.shape) != 1:
        raise IDXFormatError(
            f"{paths['labels']}: expected a vector of uint8 labels, got {labels.dtype.name} "
            f"of shape {tuple(labels.shape)}; is this the right file? {redownload}"
        )
    expected = SPLIT_SIZES[split]
    for kind, count in (("images", images.shape[0]), ("labels", labels.shape[0])):
        if count > expected:
            raise IDXFormatError(
                f"{paths[kind]}: the header promises {count:,} {kind}, but the {split!r} split of "
                f"{dataset} has {expected:,}; is this the right file? {redownload}"
            )
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError(
            f"{paths['images'].parent}: {images.shape[0]} images but {labels.shape[0]} labels for "
            f"the {split!r} split, expected the same number; the files do not belong together. "
            f"Re-download them with `python -m mlp_lib download`"
        )


class Dataset(NamedTuple):
    """Both splits of a dataset in memory.

    Shapes: X_train (60000, 784), y_train (60000,), X_test (10000, 784), y_test (10000,).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    dataset: str
    normalize: bool

    @property
    def class_names(self):
        return class_names(self.dataset)


def load_dataset(dataset="mnist", *, normalize=True, dtype=np.float32, data_dir=None):
    """Both splits of ``dataset`` as a ``Dataset`` (see ``load_mnist`` for the arguments)."""
    X_train, y_train = load_mnist(
        "train", dataset, data_dir=data_dir, normalize=normalize, dtype=dtype
    )
    X_test, y_test = load_mnist(
        "test", dataset, data_dir=data_dir, normalize=normalize, dtype=dtype
    )
    return Dataset(X_train, y_train, X_test, y_test, dataset, bool(normalize))
