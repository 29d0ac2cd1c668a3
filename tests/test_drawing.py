import numpy as np
import pytest

from mlp_lib import load_mnist, preprocess_drawing
from mlp_lib.drawing import (
    CENTRE,
    MNIST_STROKE_WIDTH,
    EmptyDrawingError,
    area_weights,
    centre_of_mass,
    crop_to_ink,
    draw_strokes,
    fit_in_box,
    ink_bounding_box,
    place_by_centre_of_mass,
    resize_area,
    stroke_width,
)


def bbox_shape(image):
    top, bottom, left, right = ink_bounding_box(image)
    return bottom - top, right - left


def test_ink_bounding_box_and_crop_of_a_small_example():
    image = np.zeros((5, 6))
    image[1, 2] = 0.5
    image[3, 4] = 1.0
    assert ink_bounding_box(image) == (1, 4, 2, 5)
    np.testing.assert_array_equal(crop_to_ink(image), image[1:4, 2:5])
    assert ink_bounding_box(np.zeros((3, 3))) is None


def test_area_weights_average_whole_blocks_and_split_pixels_by_overlap():
    np.testing.assert_allclose(area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    # 3 -> 2: each output pixel covers 1.5 input pixels
    np.testing.assert_allclose(area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    for n_in, n_out in ((280, 20), (7, 20), (50, 13)):
        np.testing.assert_allclose(area_weights(n_in, n_out).sum(axis=1), 1)


def test_resize_area_keeps_the_mean_and_a_thin_stroke_turns_grey_instead_of_vanishing():
    rng = np.random.default_rng(0)
    image = rng.random((60, 40))
    np.testing.assert_allclose(resize_area(image, (20, 20)).mean(), image.mean())
    line = np.zeros((100, 100))
    line[:, 50] = 1  # one pixel wide
    small = resize_area(line, (10, 10))
    np.testing.assert_allclose(small[:, 5], 0.1)  # 1 of the 10 columns in each block
    assert small.sum() == pytest.approx(line.sum() / 100)


def test_fit_in_box_scales_the_longer_side_to_20_and_keeps_the_aspect_ratio():
    assert fit_in_box(np.ones((200, 100))).shape == (20, 10)
    assert fit_in_box(np.ones((30, 90))).shape == (7, 20)  # 30 * 20 / 90 = 6.67 -> 7
    assert fit_in_box(np.ones((5, 5))).shape == (20, 20)  # small drawings are scaled up
    assert fit_in_box(np.ones((300, 2))).shape == (20, 1)  # never thinner than a pixel


def test_centre_of_mass_of_a_small_example():
    image = np.zeros((4, 4))
    image[0, 0], image[2, 3] = 1, 3
    assert centre_of_mass(image) == pytest.approx((1.5, 2.25))


def test_place_by_centre_of_mass_puts_it_at_the_centre_and_keeps_every_pixel():
    rng = np.random.default_rng(1)
    image = rng.random((20, 12)) * (rng.random((20, 12)) > 0.7)
    placed = place_by_centre_of_mass(image)
    assert placed.shape == (28, 28)
    assert placed.sum() == pytest.approx(image.sum())
    row, col = centre_of_mass(placed)
    assert abs(row - CENTRE[0]) <= 0.5 and abs(col - CENTRE[1]) <= 0.5


def test_place_by_centre_of_mass_clips_so_that_nothing_falls_off():
    image = np.zeros((20, 20))
    image[-1, -1] = 1  # centre of mass in the corner: a shift of 14 - 19 = -5 is clipped to 0
    placed = place_by_centre_of_mass(image)
    assert placed.sum() == 1 and placed[19, 19] == 1
    with pytest.raises(ValueError, match=r"does not fit in 28 x 28"):
        place_by_centre_of_mass(np.ones((29, 3)))


def test_preprocess_drawing_returns_784_float32_in_0_1():
    x = preprocess_drawing(draw_strokes([[(50, 50), (200, 220)]]))
    assert x.shape == (784,) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1


def test_preprocess_drawing_centres_a_digit_wherever_it_was_drawn():
    strokes = [[(0, 0), (60, 0), (20, 90)]]  # a 7 in a 60 x 90 box
    images = [
        preprocess_drawing(draw_strokes([np.add(s, offset) for s in strokes]))
        for offset in ((20, 20), (190, 170), (100, 40))
    ]
    for x in images[1:]:  # the same pixels, up to the anti-aliasing of a sub-pixel offset
        np.testing.assert_allclose(x, images[0], atol=1e-6)
    row, col = centre_of_mass(images[0].reshape(28, 28))
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_preprocess_drawing_scales_the_longer_side_to_20_whatever_the_size():
    for size in (40, 120, 250):
        x = preprocess_drawing(draw_strokes([[(10, 10), (10 + size, 10 + size / 2)]], width=8))
        height, width = bbox_shape(x.reshape(28, 28))
        assert width == 20 and 9 <= height <= 13  # aspect ratio kept, give or take the brush


def test_preprocess_drawing_keeps_a_vertical_bar_a_bar():
    x = preprocess_drawing(draw_strokes([[(140, 40), (140, 240)]])).reshape(28, 28)
    height, width = bbox_shape(x)
    assert height == 20 and width <= 3  # not stretched into a square


@pytest.mark.parametrize("shape", [(28, 28), (100, 37), (280, 280), (1000, 600)])
def test_preprocess_drawing_works_for_any_canvas_size(shape):
    image = np.zeros(shape)
    image[shape[0] // 4 : shape[0] // 2, shape[1] // 3 : shape[1] // 2] = 1
    x = preprocess_drawing(image)
    assert x.shape == (784,) and x.sum() > 0


def test_preprocess_drawing_leaves_mnist_digits_almost_unchanged():
    # MNIST's digits were made this way: preparing them again changes (almost) nothing.
    X, y = load_mnist("test")
    X = X[:500]
    again = np.stack([preprocess_drawing(x.reshape(28, 28)) for x in X])
    unchanged = np.all(np.abs(again - X) < 1e-6, axis=1)
    assert unchanged.mean() >= 0.99


def test_preprocess_drawing_accepts_integer_images_with_ink_in_0_1():
    image = np.zeros((50, 50), dtype=np.int64)
    image[10:40, 20:25] = 1
    assert preprocess_drawing(image).max() == pytest.approx(1)


def test_an_empty_drawing_is_refused_with_a_clear_message():
    with pytest.raises(EmptyDrawingError, match=r"the drawing is empty .* draw a digit first"):
        preprocess_drawing(np.zeros((280, 280)))
    assert issubclass(EmptyDrawingError, ValueError)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros(784), r"expected a 2-D image .* got shape \(784,\); .*reshape\(28, 28\)"),
        (np.zeros((0, 5)), r"expected a 2-D image .* got shape \(0, 5\)"),
        (np.zeros((28, 28, 4)), r"got a colour image of shape \(28, 28, 4\); pass one channel"),
        (
            np.full((5, 5), 255.0),
            r"must be in \[0, 1\] .* from 255 to 255; for 0..255 pixels divide",
        ),
        (np.full((5, 5), -1.0), r"must be in \[0, 1\] .* from -1 to -1$"),
        (np.full((5, 5), np.nan), r"nan or inf"),
        (np.array([["a", "b"]]), r"expected a numeric image, got dtype <U1"),
    ],
)
def test_bad_images_are_refused_with_a_message_that_says_what_to_do(image, message):
    with pytest.raises(ValueError, match=message):
        preprocess_drawing(image)


def test_stroke_width_of_a_ring_is_close_to_the_brush():
    # A ring has edges at every angle, which is what the pi/4 in stroke_width assumes.
    angles = np.linspace(0, 2 * np.pi, 200)
    ring = np.stack([140 + 90 * np.cos(angles), 140 + 90 * np.sin(angles)], axis=1)
    for brush in (6, 12, 24):
        assert stroke_width(draw_strokes([ring], width=brush)) == pytest.approx(brush, rel=0.1)
    assert stroke_width(np.zeros((5, 5))) == 0.0


def test_the_brush_gives_mnist_like_strokes_for_digits_drawn_at_usual_sizes():
    # The drawing widget's brush (22 px on 280) was chosen for this; see mlp_lib/draw_widget.py.
    from mlp_lib.draw_widget import BRUSH

    for height in (160, 180, 200):  # the digit's height on the canvas, brush included
        top = (280 - height) / 2
        size = height - BRUSH
        seven = [[(top, top), (top + 0.6 * size, top), (top + 0.25 * size, top + size)]]
        x = preprocess_drawing(draw_strokes(seven, width=BRUSH)).reshape(28, 28)
        assert stroke_width(x) == pytest.approx(MNIST_STROKE_WIDTH, abs=0.5)


def test_draw_strokes_draws_a_dot_for_a_single_point_and_antialiases_the_edge():
    image = draw_strokes([[(10, 10)]], shape=(20, 20), width=6)
    assert image[9, 9] == 1 and image[0, 0] == 0
    assert 0 < image[9, 12] < 1 or 0 < image[9, 13] < 1
