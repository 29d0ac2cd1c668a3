"""Tests for mlp_lib.data: unit tests on tiny IDX files in tmp_path, then the real MNIST facts in data/."""

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import peak_memory_of

import mlp_lib.data
from mlp_lib.data import DATASETS, class_names, dataset_dir, default_data_dir, load_mnist
from mlp_lib.download import verify
from mlp_lib.idx import IDXFormatError, write_idx

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
PROJECT_DATA = (
    Path(mlp_lib.data.__file__).resolve().parent.parent / "data"
)  # whatever MLP_LIB_DATA_DIR says


# ---------- unit tests on tiny files ----------


def test_load_mnist_returns_flat_float32_images_in_0_1_and_int64_labels(
    tmp_path, make_tiny_dataset
):
    images, labels = make_tiny_dataset()
    X, y = load_mnist(data_dir=tmp_path)
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(5, 784).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_keeps_0_255_values_when_not_normalized(tmp_path, make_tiny_dataset):
    images, _ = make_tiny_dataset(split="test")
    X, _ = load_mnist("test", data_dir=tmp_path, normalize=False, dtype=np.float64)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X, images.reshape(5, 784))


def test_data_dir_argument_wins_over_environment_variable(tmp_path, make_tiny_dataset, monkeypatch):
    make_tiny_dataset(n=3, root=tmp_path / "from_env")
    make_tiny_dataset(n=4, root=tmp_path / "from_arg")
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(tmp_path / "from_env"))
    assert load_mnist()[0].shape == (3, 784)
    assert load_mnist(data_dir=tmp_path / "from_arg")[0].shape == (4, 784)


def test_default_data_dir_is_env_variable_else_project_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MLP_LIB_DATA_DIR", raising=False)
    assert default_data_dir() == PROJECT_DATA
    monkeypatch.setenv("MLP_LIB_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    assert dataset_dir("fashion-mnist") == tmp_path / "fashion-mnist"


def test_missing_file_message_names_the_path_and_how_to_download(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"mnist/train-images-idx3-ubyte.gz not found"
    ) as info:
        load_mnist(data_dir=tmp_path)
    message = str(info.value)
    assert f"python -m mlp_lib download --dataset mnist --data-dir {tmp_path}" in message
    assert "MLP_LIB_DATA_DIR" in message


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"split": "validation"}, r"split must be one of train, test, got 'validation'"),
        (
            {"dataset": "cifar10"},
            r"dataset must be one of mnist, fashion-mnist, got 'cifar10'",
        ),
        (
            {"dtype": np.float16},
            r"dtype must be float32 or float64, got float16",
        ),
        ({"dtype": "floot32"}, r"dtype must be float32 or float64, got 'floot32'"),
        ({"dtype": None}, r"dtype must be float32 or float64, got None"),
    ],
)
def test_load_mnist_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_mnist(data_dir=tmp_path, **kwargs)


def test_load_mnist_rejects_images_that_are_not_28x28(tmp_path, make_tiny_dataset):
    make_tiny_dataset(image_shape=(27, 27))
    message = r"expected uint8 images of shape \(N, 28, 28\), got uint8 of shape \(5, 27, 27\)"
    with pytest.raises(IDXFormatError, match=message):
        load_mnist(data_dir=tmp_path)


def test_load_mnist_rejects_different_numbers_of_images_and_labels(tmp_path, make_tiny_dataset):
    make_tiny_dataset(n=5, n_labels=4)
    with pytest.raises(
        IDXFormatError,
        match=r"5 images but 4 labels for the 'train' split, expected the same number",
    ):
        load_mnist(data_dir=tmp_path)


def test_load_mnist_rejects_labels_out_of_range(tmp_path, make_tiny_dataset):
    make_tiny_dataset()
    write_idx(
        tmp_path / "mnist" / "train-labels-idx1-ubyte.gz",
        np.array([0, 1, 2, 3, 10], dtype=np.uint8),
    )
    with pytest.raises(
        IDXFormatError,
        match=r"train-labels-idx1-ubyte.gz: expected labels 0..9, but 1 of the 5 labels are "
        r"larger, up to 10; is this the right file\?",
    ):
        load_mnist(data_dir=tmp_path)
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros((5, 2), np.uint8))
    with pytest.raises(
        IDXFormatError, match=r"expected a vector of uint8 labels, got uint8 of shape \(5, 2\)"
    ):
        load_mnist(data_dir=tmp_path)


def gz_idx(path, header_hex, zero_bytes=0):
    """Write a .gz file: an IDX header, then ``zero_bytes`` zeros, compressed piece by piece."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(bytes.fromhex(header_hex))
        for start in range(0, zero_bytes, 1 << 20):
            f.write(bytes(min(1 << 20, zero_bytes - start)))
    return path


def test_a_header_promising_millions_of_images_is_refused_before_inflating(
    tmp_path, make_tiny_dataset
):
    make_tiny_dataset()
    # 2.5 million images (2 GB) promised by the header; 50 MB of zeros follow, compressed to 0.2 MB.
    images = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    gz_idx(images, "00000803" + "002625a0" + "0000001c" * 2, zero_bytes=50 * 2**20)
    assert images.stat().st_size < 1_000_000
    raised, peak = peak_memory_of(lambda: load_mnist(data_dir=tmp_path))
    assert isinstance(raised, IDXFormatError)
    assert re.search(
        r"train-images-idx3-ubyte.gz: the header promises 2,500,000 images, but the 'train' "
        r"split of mnist has 60,000; is this the right file\? Re-download it",
        str(raised),
    )
    assert peak < 5_000_000


def test_images_and_labels_counts_are_compared_before_inflating(tmp_path, make_tiny_dataset):
    make_tiny_dataset(n=5)
    images = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    gz_idx(images, "00000803" + "0000ea60" + "0000001c" * 2, zero_bytes=50 * 2**20)  # 60,000
    raised, peak = peak_memory_of(lambda: load_mnist(data_dir=tmp_path))
    assert isinstance(raised, IDXFormatError)
    assert "60000 images but 5 labels for the 'train' split" in str(raised)
    assert peak < 5_000_000  # the 47 MB of images were never inflated


@pytest.mark.parametrize("kind", ["a folder", "a symbolic link loop"])
def test_a_data_file_that_cannot_be_read_is_not_reported_as_missing(
    tmp_path, make_tiny_dataset, kind
):
    make_tiny_dataset()
    labels = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    labels.unlink()
    if kind == "a folder":
        labels.mkdir()
        message = r"train-labels-idx1-ubyte.gz: is a folder, not an IDX file; remove or rename it"
    else:
        os.symlink(labels, labels)
        message = (
            r"train-labels-idx1-ubyte.gz: cannot be read \(Too many levels of symbolic links\); "
            r"re-download it"
        )
    with pytest.raises(IDXFormatError, match=message):
        load_mnist(data_dir=tmp_path)


def test_class_names():
    assert class_names("mnist") == tuple("0123456789")
    assert (
        class_names("fashion-mnist")[0] == "T-shirt/top"
        and class_names("fashion-mnist")[9] == "Ankle boot"
    )
    with pytest.raises(ValueError, match=r"dataset must be one of .* got 'emnist'"):
        class_names("emnist")


# ---------- the real data shipped in data/ ----------


@pytest.fixture(scope="module")
def mnist_train():
    return load_mnist("train", data_dir=PROJECT_DATA)


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist("test", data_dir=PROJECT_DATA)


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_every_shipped_file_has_the_published_sha256(dataset):
    assert verify(dataset, PROJECT_DATA) == {name: True for name in DATASETS[dataset]["sha256"]}


def test_mnist_train_shapes_dtypes_and_range(mnist_train):
    X, y = mnist_train
    assert X.shape == (60000, 784) and X.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0


def test_mnist_train_facts(mnist_train):
    X, y = mnist_train
    assert np.bincount(y).tolist() == MNIST_TRAIN_COUNTS
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert round(float(X.mean(dtype=np.float64)), 4) == 0.1307
    assert round(float(X.std(dtype=np.float64)), 4) == 0.3081


def test_mnist_test_facts(mnist_test):
    X, y = mnist_test
    assert X.shape == (10000, 784)
    assert np.bincount(y).tolist() == MNIST_TEST_COUNTS
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_mnist_float64_and_unnormalized_options_agree_with_default(mnist_test):
    X32, _ = mnist_test
    X64, _ = load_mnist("test", data_dir=PROJECT_DATA, dtype=np.float64)
    raw, _ = load_mnist("test", data_dir=PROJECT_DATA, normalize=False, dtype=np.float64)
    assert X64.dtype == np.float64 and raw.dtype == np.float64
    assert raw.min() == 0.0 and raw.max() == 255.0 and np.array_equal(raw, np.round(raw))
    np.testing.assert_allclose(X64, raw / 255, rtol=0, atol=1e-15)
    np.testing.assert_allclose(X32, X64, rtol=0, atol=1e-7)


@pytest.mark.parametrize("split, n", [("train", 6000), ("test", 1000)])
def test_fashion_mnist_has_shape_28x28_and_balanced_classes(split, n):
    X, y = load_mnist(split, "fashion-mnist", data_dir=PROJECT_DATA)
    assert X.shape == (10 * n, 784) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [n] * 10
