import math

import numpy as np
import pytest

from mlp_lib.augment import (
    Chain,
    ElasticDistortion,
    RandomShift,
    bilinear_sample,
    elastic_distort,
    gaussian_matrix,
    gaussian_smooth,
    shift_images,
)


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


# ---- elastic distortions: each piece against a reference computed another way ----------------
#
# The references below are deliberately plain: a Python loop over pixels for bilinear sampling,
# an explicit double sum with a 2-D kernel for the Gaussian, a 2x2 matrix product per image for
# the affine part. They are slow and obviously right; the library is fast and vectorised.


def reference_bilinear(image, row, col):
    """The value of one (H, W) image at the real position (row, col), zeros outside, by hand."""
    height, width = image.shape
    r0, c0 = math.floor(row), math.floor(col)
    value = 0.0
    for r in (r0, r0 + 1):
        for c in (c0, c0 + 1):
            weight = (1 - abs(row - r)) * (1 - abs(col - c))
            if 0 <= r < height and 0 <= c < width:
                value += weight * float(image[r, c])
    return value


def reference_gaussian_smooth(field, sigma):
    """out[i, j] = sum over (a, b) of k(a - i) k(b - j) field[a, b]: a direct 2-D sum.

    k(m) = exp(-m^2 / 2 sigma^2) / (its sum over |m| <= r) for |m| <= r = round(4 sigma), else 0,
    the kernel of scipy.ndimage.gaussian_filter(field, sigma, mode="constant").
    """
    radius = int(4 * sigma + 0.5)
    total = sum(math.exp(-(m**2) / (2 * sigma**2)) for m in range(-radius, radius + 1))
    height, width = field.shape
    out = np.zeros((height, width))
    for i in range(height):
        for j in range(width):
            for a in range(max(0, i - radius), min(height, i + radius + 1)):
                for b in range(max(0, j - radius), min(width, j + radius + 1)):
                    k2 = math.exp(-((a - i) ** 2 + (b - j) ** 2) / (2 * sigma**2)) / total**2
                    out[i, j] += k2 * field[a, b]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_sample_matches_a_per_pixel_loop(dtype):
    rng = np.random.default_rng(0)
    images = rng.random((3, 6, 5)).astype(dtype)  # (N, H, W), not square on purpose
    # Positions inside, between pixels, on the border and well outside the image.
    rows = rng.uniform(-2.5, 8.5, size=(3, 6, 5))
    cols = rng.uniform(-2.5, 7.5, size=(3, 6, 5))
    rows[0, 0, :3] = [-1.0, 5.0, 6.0]  # exactly on the last row and one row beyond each side
    cols[0, 0, :3] = [0.0, 4.0, -0.5]
    got = bilinear_sample(images, rows.astype(dtype), cols.astype(dtype))
    expected = np.array(
        [
            [
                [reference_bilinear(images[n], rows[n, i, j], cols[n, i, j]) for j in range(5)]
                for i in range(6)
            ]
            for n in range(3)
        ]
    )
    assert got.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, atol=tolerance)
    assert (got[rows.astype(dtype) <= -1] == 0).all() and (got[rows.astype(dtype) >= 6] == 0).all()


def test_bilinear_sample_halfway_between_pixels_is_their_mean():
    image = np.array([[[0.0, 1.0], [2.0, 4.0]]])  # (1, 2, 2)
    rows = np.array([[[0.0, 0.5], [0.5, 1.0]]])
    cols = np.array([[[0.5, 0.0], [0.5, 1.5]]])
    got = bilinear_sample(image, rows, cols)
    # (0, .5): mean of 0 and 1; (.5, 0): mean of 0 and 2; centre: mean of all four;
    # (1, 1.5): halfway between 4 and the zero outside.
    np.testing.assert_allclose(got, [[[0.5, 1.0], [1.75, 2.0]]])


def test_bilinear_sample_at_the_pixel_positions_is_the_identity():
    images = np.random.default_rng(1).random((4, 28, 28)).astype(np.float32)
    rows, cols = np.indices((28, 28), dtype=np.float32)
    got = bilinear_sample(
        images, np.broadcast_to(rows, images.shape), np.broadcast_to(cols, images.shape)
    )
    np.testing.assert_array_equal(got, images)


def test_bilinear_sample_at_integer_offsets_is_shift_images():
    rng = np.random.default_rng(2)
    images = rng.random((20, 28, 28))
    dy, dx = rng.integers(-3, 4, size=(2, 20))  # (N,) each, whole pixels
    rows, cols = np.indices((28, 28), dtype=np.float64)
    # Moving an image down by dy means reading it dy rows higher up.
    got = bilinear_sample(images, rows - dy[:, None, None], cols - dx[:, None, None])
    np.testing.assert_array_equal(got, shift_images(images, dy, dx, max_shift=3))


@pytest.mark.parametrize("sigma", [0.8, 2.0, 4.0])
def test_gaussian_smooth_matches_a_direct_two_dimensional_sum(sigma):
    field = np.random.default_rng(3).uniform(-1, 1, size=(9, 11))
    got = gaussian_smooth(field[None], sigma)[0]
    np.testing.assert_allclose(got, reference_gaussian_smooth(field, sigma), atol=1e-12)


def test_gaussian_smooth_of_a_single_dot_is_the_normalised_kernel():
    field = np.zeros((2, 3, 21, 21))  # any leading shape
    field[1, 2, 10, 10] = 1.0
    got = gaussian_smooth(field, sigma=2.0)
    m = np.arange(-10, 11)
    k = np.where(np.abs(m) <= 8, np.exp(-(m**2) / 8.0), 0)  # truncated at round(4 sigma) = 8
    k /= k.sum()
    np.testing.assert_allclose(got[1, 2], np.outer(k, k), atol=1e-15)
    assert got[1, 2].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(got[0], 0)  # other fields are not touched


def test_gaussian_matrix_rows_sum_to_one_away_from_the_ends():
    g = gaussian_matrix(40, sigma=3.0)  # radius 12
    np.testing.assert_allclose(g[12:28].sum(axis=1), 1.0)
    assert g[0].sum() < 0.6  # half of the kernel falls beyond the end, where values are 0
    np.testing.assert_array_equal(g, g.T)
    assert g[0, 12] > 0 and g[0, 13] == 0  # truncated at round(4 sigma)


def reference_elastic_distort(images, seed, alpha, sigma, rotation, scale, shear):
    """The documented recipe, image by image and pixel by pixel, from the same random draws."""
    rng = np.random.default_rng(seed)
    n, height, width = images.shape
    if alpha:
        fields = 2 * rng.random(size=(2, n, height, width), dtype=images.dtype) - 1
    angles = np.deg2rad(rng.uniform(-rotation, rotation, size=n))
    shears = rng.uniform(-shear, shear, size=n)
    zooms = 1 + rng.uniform(-scale, scale, size=(2, n))
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    out = np.zeros(images.shape)
    for k in range(n):
        if alpha:
            dy = alpha * reference_gaussian_smooth(fields[0, k].astype(np.float64), sigma)
            dx = alpha * reference_gaussian_smooth(fields[1, k].astype(np.float64), sigma)
        else:
            dy = dx = np.zeros((height, width))
        c, s = math.cos(angles[k]), math.sin(angles[k])
        A = (
            np.array([[c, -s], [s, c]])
            @ np.array([[1, 0], [shears[k], 1]])
            @ np.diag([1 / zooms[0, k], 1 / zooms[1, k]])
        )
        for i in range(height):
            for j in range(width):
                row, col = centre + A @ (np.array([i, j]) - centre) + [dy[i, j], dx[i, j]]
                out[k, i, j] = reference_bilinear(images[k], row, col)
    return out


@pytest.mark.parametrize(
    "alpha, sigma, rotation, scale, shear",
    [
        (34.0, 4.0, 0.0, 0.0, 0.0),  # Simard et al.'s elastic field alone
        (0.0, 4.0, 30.0, 0.0, 0.0),  # rotation alone
        (0.0, 4.0, 0.0, 0.3, 0.0),  # scaling alone
        (0.0, 4.0, 0.0, 0.0, 0.4),  # shear alone
        (20.0, 3.0, 15.0, 0.15, 0.2),  # everything at once
    ],
)
def test_elastic_distort_matches_the_recipe_computed_pixel_by_pixel(
    alpha, sigma, rotation, scale, shear
):
    images = np.random.default_rng(4).random((3, 12, 10))  # (N, H, W), float64
    got = elastic_distort(images, np.random.default_rng(7), alpha, sigma, rotation, scale, shear)
    expected = reference_elastic_distort(images, 7, alpha, sigma, rotation, scale, shear)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    assert not np.allclose(got, images)  # the distortion did something


def test_elastic_distort_with_nothing_to_do_is_the_identity():
    images = np.random.default_rng(5).random((6, 28, 28)).astype(np.float32)
    got = elastic_distort(images, np.random.default_rng(0), alpha=0, rotation=0, scale=0, shear=0)
    np.testing.assert_array_equal(got, images)


def test_elastic_distort_moves_a_dot_by_about_its_expected_displacement():
    # With sigma 4 the smoothed field has standard deviation sqrt(1/3 * sum k^2) per direction
    # (the variance of uniform [-1, 1] noise is 1/3); times alpha 34 that is about 1.4 pixels.
    g = gaussian_matrix(28, 4.0)
    interior = np.outer(g[14], g[14])  # the 2-D kernel at the centre pixel
    expected_std = 34 * math.sqrt(np.sum(interior**2) / 3)
    assert 1.2 < expected_std < 1.6
    rng = np.random.default_rng(6)
    images = np.zeros((2000, 28, 28))
    images[:, 14, 14] = 1.0
    out = elastic_distort(images, rng, alpha=34, sigma=4)
    rows, cols = np.indices((28, 28))
    mass = out.sum(axis=(1, 2))
    row_centre = (out * rows).sum(axis=(1, 2)) / mass  # where the dot went
    col_centre = (out * cols).sum(axis=(1, 2)) / mass
    assert abs(row_centre.mean() - 14) < 0.1 and abs(col_centre.mean() - 14) < 0.1
    assert np.std(row_centre) == pytest.approx(expected_std, rel=0.1)
    assert np.std(col_centre) == pytest.approx(expected_std, rel=0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elastic_distortion_keeps_shape_and_dtype_and_does_not_touch_its_input(dtype):
    X = np.random.default_rng(8).random((16, 784)).astype(dtype)
    before = X.copy()
    out = ElasticDistortion(alpha=34, sigma=4, rotation=10, scale=0.1, shear=0.2)(
        X, np.random.default_rng(0)
    )
    assert out.shape == X.shape and out.dtype == dtype
    np.testing.assert_array_equal(X, before)
    assert 0 <= out.min() and out.max() <= 1  # bilinear mixing never leaves [0, 1]
    assert not np.allclose(out, X)


def test_elastic_distortion_is_the_batch_version_of_elastic_distort():
    X = np.random.default_rng(9).random((5, 784))
    got = ElasticDistortion(20, 3, rotation=5)(X, np.random.default_rng(1))
    expected = elastic_distort(X.reshape(5, 28, 28), np.random.default_rng(1), 20, 3, rotation=5)
    np.testing.assert_array_equal(got, expected.reshape(5, 784))


def test_elastic_distortion_is_reproducible_with_a_seed_and_differs_per_image():
    X = np.tile(np.random.default_rng(1).random((1, 784)), (4, 1))  # the same image 4 times
    distort = ElasticDistortion(34, 4, rotation=10, scale=0.1, shear=0.2)
    a = distort(X, np.random.default_rng(5))
    b = distort(X, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, distort(X, np.random.default_rng(6)))
    assert len({row.tobytes() for row in a}) == 4  # each image gets its own distortion


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            dict(alpha=-1),
            r"alpha must be a number >= 0, got -1; pixels; try 34, or 0 for no elastic",
        ),
        (dict(alpha="34"), r"alpha must be a number >= 0, got '34'"),
        (
            dict(sigma=0),
            r"sigma must be a positive number, got 0; pixels; try 4 \(larger is smoother",
        ),
        (dict(sigma=float("nan")), r"sigma must be a positive number, got nan"),
        (dict(rotation=180), r"rotation must be a number in \[0, 180\), got 180; degrees; try 10"),
        (dict(scale=1.0), r"scale must be a number in \[0, 1\), got 1.0; a fraction of the size"),
        (
            dict(shear=True),
            r"shear must be a number in \[0, 1\), got True; a shear factor; try 0.2",
        ),
    ],
)
def test_elastic_distortion_rejects_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        ElasticDistortion(**settings)
    with pytest.raises(ValueError, match=message):
        elastic_distort(np.zeros((1, 28, 28)), np.random.default_rng(0), **settings)


def test_elastic_distortion_rejects_images_of_the_wrong_size():
    with pytest.raises(
        ValueError,
        match=r"ElasticDistortion expected flattened 28x28 images, shape \(N, 784\), got \(3, 100\)",
    ):
        ElasticDistortion()(np.zeros((3, 100)), np.random.default_rng(0))


@pytest.mark.parametrize("images", [np.zeros((3, 784)), np.zeros((3, 28, 28), dtype=np.uint8)])
def test_elastic_distort_rejects_flat_or_integer_images(images):
    with pytest.raises(
        ValueError,
        match=r"elastic_distort expected a float32 or float64 array of images of shape \(N, H, W\), "
        r"got .*; for flattened images use ElasticDistortion",
    ):
        elastic_distort(images, np.random.default_rng(0))


def test_elastic_distortion_describes_itself():
    assert (
        repr(ElasticDistortion(34, 4, rotation=10, scale=0.1, shear=0.2))
        == "ElasticDistortion(alpha=34, sigma=4, rotation=10, scale=0.1, shear=0.2)"
    )


def test_chain_applies_the_augmentations_in_turn():
    X = np.random.default_rng(0).random((4, 784)).astype(np.float32)
    both = Chain(RandomShift(1), ElasticDistortion(20, 3))
    got = both(X, np.random.default_rng(1))
    rng = np.random.default_rng(1)
    np.testing.assert_array_equal(got, ElasticDistortion(20, 3)(RandomShift(1)(X, rng), rng))
    assert repr(both) == (
        "Chain(RandomShift(max_shift=1), "
        "ElasticDistortion(alpha=20, sigma=3, rotation=0, scale=0, shear=0))"
    )
