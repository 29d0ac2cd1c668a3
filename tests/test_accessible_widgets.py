"""The widgets for screen readers without a browser: what Python sends, and what ships.

What the browser makes of them (an ``<img alt>``, named slider handles) is checked with axe-core
in tests/browser/test_accessibility_lab.py.
"""

import numpy as np
from matplotlib.figure import Figure

from mlp_lib.accessible_widgets import STATIC, AltImage, SliderNames
from mlp_lib.playground import show_png


def test_an_alt_image_keeps_its_picture_and_its_text():
    image = AltImage(value=b"\x89PNG...", alt="a test picture")
    assert (image.value, image.format, image.alt) == (b"\x89PNG...", "png", "a test picture")
    assert repr(image) == "AltImage(7 bytes of png, alt='a test picture')"


def test_show_png_puts_a_figure_its_size_and_its_text_into_an_alt_image():
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.subplots().plot(np.arange(3))
    image = AltImage()
    image.layout.display = "none"
    show_png(image, fig, "a straight line")
    assert image.value.startswith(b"\x89PNG") and image.alt == "a straight line"
    assert (image.layout.width, image.layout.height) == ("100px", "50px")
    assert image.layout.display is None


def test_the_es_modules_set_the_alt_text_and_name_the_slider_handles():
    alt_image = AltImage()._esm
    assert "img.alt = text" in alt_image and "export default { render }" in alt_image
    # An empty text would make the picture decoration, silently skipped: then no alt at all.
    assert 'else img.removeAttribute("alt")' in alt_image
    names = SliderNames()._esm
    assert 'handle.setAttribute("aria-label", name)' in names
    assert "new MutationObserver" in names  # again after ipywidgets redraws a slider


def test_a_non_editable_install_ships_the_es_modules():
    from helpers import read_pyproject

    package_data = read_pyproject()["tool"]["setuptools"]["package-data"]["mlp_lib"]
    assert "static/*.js" in package_data
    for name in ("alt_image.js", "slider_names.js"):
        assert (STATIC / name).is_file()
