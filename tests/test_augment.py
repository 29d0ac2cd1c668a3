import numpy as np
import pytest

from mlp_lib.augment import RandomShift, shift_images


def test_shift_images_moves_each_image_by_its_own_offset_and_fills_with_zeros():
    images = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4)
    shifted = shift_images(
        np.concatenate([images, images]), dy=np.array([1, 0]), dx=np.array([-1, 2]), max_shift=2
    )
    np.testing.assert_array_equal(
        shifted[0],
        [
            [0, 0, 0, 0],  # one down, one left
            [2, 3, 4, 0],
            [6, 7, 8, 0],
            [10, 11, 12, 0],
        ],
    )
    np.testing.assert_array_equal(
        shifted[1],
        [
            [0, 0, 1, 2],  # two right
            [0, 0, 5, 6],
            [0, 0, 9, 10],
            [0, 0, 13, 14],
        ],
    )


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -2), (-1, 1), (-2, 0)])
def test_shift_images_matches_roll_with_the_wrapped_border_cleared(dy, dx):
    rng = np.random.default_rng(0)
    image = rng.random((28, 28))
    expected = np.roll(image, (dy, dx), axis=(0, 1))
    if dy > 0:
        expected[:dy] = 0
    if dy < 0:
        expected[dy:] = 0
    if dx > 0:
        expected[:, :dx] = 0
    if dx < 0:
        expected[:, dx:] = 0
    got = shift_images(image[None], np.array([dy]), np.array([dx]), max_shift=2)[0]
    np.testing.assert_array_equal(got, expected)


def test_random_shift_keeps_shape_dtype_and_pixels_and_does_not_touch_its_input():
    rng = np.random.default_rng(0)
    X = np.zeros((50, 784), dtype=np.float32)
    X[:, 14 * 28 + 14] = 1.0  # one lit pixel in the centre
    before = X.copy()
    out = RandomShift(2)(X, rng)
    assert out.shape == X.shape and out.dtype == np.float32
    np.testing.assert_array_equal(X, before)
    assert (out.sum(axis=1) == 1).all()  # the pixel moved, never lost
    rows, cols = np.divmod(out.argmax(axis=1), 28)
    assert np.abs(rows - 14).max() == 2 and np.abs(cols - 14).max() == 2  # every offset used...
    assert len(set(zip(rows, cols))) > 10  # ...independently for each image


def test_random_shift_is_reproducible_with_a_seed():
    X = np.random.default_rng(1).random((8, 784))
    a = RandomShift(1)(X, np.random.default_rng(5))
    b = RandomShift(1)(X, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_random_shift_zero_is_the_identity():
    X = np.random.default_rng(1).random((4, 784))
    assert RandomShift(0)(X, np.random.default_rng(0)) is X


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_random_shift_rejects_bad_max_shift(bad):
    with pytest.raises(
        ValueError, match=r"max_shift must be an integer >= 0, got .*; pixels; try 1 or 2"
    ):
        RandomShift(bad)


def test_random_shift_rejects_a_shift_as_large_as_the_image():
    with pytest.raises(
        ValueError, match=r"max_shift 28 would move a 28x28 image out of view; use at most 27"
    ):
        RandomShift(28)


def test_random_shift_rejects_images_of_the_wrong_size():
    with pytest.raises(
        ValueError,
        match=r"RandomShift expected flattened 28x28 images, shape \(N, 784\), got \(3, 100\)",
    ):
        RandomShift(2)(np.zeros((3, 100)), np.random.default_rng(0))


def test_random_shift_describes_itself():
    assert repr(RandomShift(2)) == "RandomShift(max_shift=2)"
