"""The drawing widgets without a browser: set the canvas from Python, read what the panel shows."""

import struct
import zlib

import numpy as np
import pytest

from mlp_lib import MLP
from mlp_lib.accessible_widgets import AltImage
from mlp_lib.draw_widget import DigitReader, DrawingCanvas, gray_png, probability_bars
from mlp_lib.drawing import EmptyDrawingError, draw_strokes

SEVEN = [[(80, 60), (200, 60), (120, 230)]]
BAR = [[(140, 40), (140, 240)]]


@pytest.fixture(scope="module")
def best():
    return MLP.load("models/best.npz", dtype=np.float64)


def test_the_es_module_and_style_sheet_ship_inside_the_package():
    canvas = DrawingCanvas()
    assert "export default { render }" in canvas._esm
    assert ".mlp-draw-canvas" in canvas._css


def test_canvas_image_round_trips_through_the_bytes_sent_to_the_browser():
    canvas = DrawingCanvas(size=50)
    assert canvas.image.shape == (50, 50) and canvas.image.sum() == 0
    image = np.zeros((50, 50))
    image[10:20, 5:8] = 1.0
    image[30, 30] = 0.5
    canvas.image = image
    assert len(canvas.pixels) == 2500
    np.testing.assert_allclose(canvas.image, image, atol=1 / 255)
    canvas.clear()
    assert canvas.pixels == b"" and canvas.image.sum() == 0
    with pytest.raises(
        ValueError, match=r"the canvas is 50 x 50, got an image of shape \(28, 28\)"
    ):
        canvas.image = np.zeros((28, 28))


def test_reader_reads_a_drawn_seven_and_a_bar_and_says_so(best):
    reader = DigitReader({"best": best})
    reader.canvas.image = draw_strokes(SEVEN)
    assert reader.last_reading.digit == 7
    assert (
        'class="mlp-reader-digit"' in reader.prediction.value
        and ">7</b>" in reader.prediction.value
    )
    assert bytes(reader.preview.value).startswith(b"\x89PNG")
    assert reader.preview.alt == (
        "What the network sees: the drawing cropped, scaled and centred in 28 x 28 pixels, "
        "read as 7"
    )
    reader.canvas.image = draw_strokes(BAR)
    assert reader.preview.alt.endswith("read as 1")
    assert reader.last_reading.digit == 1
    assert repr(reader.last_reading).startswith("Reading('1' with probability")


def test_an_empty_canvas_gets_a_message_not_a_prediction(best):
    reader = DigitReader({"best": best})
    assert reader.last_reading is None
    assert "Draw a digit" in reader.prediction.value and reader.bars.value == ""
    empty = "What the network sees: an empty 28 x 28 image, nothing drawn yet"
    assert reader.preview.alt == empty
    reader.canvas.image = draw_strokes(SEVEN)
    reader.canvas.clear()
    assert reader.last_reading is None and "Draw a digit" in reader.prediction.value
    assert reader.preview.alt == empty
    with pytest.raises(EmptyDrawingError):
        reader.read()


def test_models_can_be_added_and_swapped_from_python(best):
    reader = DigitReader()
    assert "no model to read with: add one with reader.add_model" in reader.prediction.value
    with pytest.raises(RuntimeError, match=r"no model to read with"):
        reader.read(draw_strokes(SEVEN))
    reader.add_model("best", best)
    # A network trained on raw 0..255 pixels (the playground can train one) reads x * 255.
    raw = MLP(best.layer_sizes, dtype=np.float64)
    raw.set_parameters({**best.parameters(), "W0": best.parameters()["W0"] / 255})
    reader.add_model("raw pixels", raw, pixel_scale=255)
    assert reader.chooser.value == "raw pixels" and reader.chooser.options == ("best", "raw pixels")
    image = draw_strokes(SEVEN)
    np.testing.assert_allclose(reader.read(image).probs, DigitReader({"b": best}).read(image).probs)
    reader.chooser.value = "best"
    assert repr(reader) == "DigitReader(models=['best', 'raw pixels'], using='best')"


def test_a_model_that_does_not_read_28_by_28_images_is_refused():
    with pytest.raises(ValueError, match=r"expects 10 inputs; choose a model trained on MNIST"):
        DigitReader().add_model("small", MLP((10, 3)))


def test_gray_png_is_a_valid_png_of_the_scaled_size():
    png = gray_png(np.eye(3), scale=4)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (12, 12)
    length = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41 : 41 + length])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(12, 13)[:, 1:]  # drop the filter bytes
    assert rows[0, 0] == 0 and rows[0, 4] == 255  # ink black on white


def test_probability_bars_colour_the_most_probable_class():
    bars = probability_bars(np.array([0.1, 0.7, 0.2]), ("a", "b", "c"))
    assert bars.count("<tr>") == 3 and "70.0%" in bars
    assert bars.index("#1f77b4") > bars.index(">b<")


def test_a_non_editable_install_ships_the_es_module_and_style_sheet():
    from pathlib import Path

    from helpers import read_pyproject

    from mlp_lib.draw_widget import STATIC

    package_data = read_pyproject()["tool"]["setuptools"]["package-data"]["mlp_lib"]
    for name in ("draw.js", "draw.css"):
        assert (STATIC / name).is_file()
        assert f"static/*{Path(name).suffix}" in package_data


def test_the_canvas_the_controls_and_the_picture_have_names_for_screen_readers():
    reader = DigitReader()
    # The canvas, drawn in the browser by draw.js, is a named picture; Clear is named by its text.
    esm = reader.canvas._esm
    assert 'canvas.setAttribute("role", "img")' in esm
    assert '"Drawing area: draw a digit here with the mouse, a pen or a finger;' in esm
    assert 'clear.textContent = "Clear"' in esm
    assert reader.chooser.description == "model"
    assert isinstance(reader.preview, AltImage) and reader.preview.alt.startswith("What the")
    assert "mlp-digit-reader" in reader.widget._dom_classes  # the browser test's handle on it
