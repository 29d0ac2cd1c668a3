"""Widgets a screen reader can use: an image with a text alternative, and sliders with a name.

ipywidgets' ``Image`` has no alt text, and its sliders leave the handle that the keyboard moves
(the element with role "slider") without a name: a screen reader says "slider, 0.05", not which
one. Two small anywidgets (https://anywidget.dev) fill these gaps, each an ES module in
``static/`` (no build step, no network):

- ``AltImage``: the picture of an ``ipywidgets.Image`` (``value``: PNG bytes) with ``alt``, the
  text read instead of it, which Python keeps up to date ("Loss ... run 2: test accuracy 96.1%");
- ``SliderNames``: shows nothing; put in a box, it names the handle of every ipywidgets slider in
  that box after the slider's description ("learning rate"), again whenever one is redrawn.

    from mlp_lib.accessible_widgets import AltImage
    image = AltImage(value=png_bytes, alt="Loss per epoch of run 1")

tests/browser/test_accessibility_lab.py checks the panels with axe-core in JupyterLab.
"""

from pathlib import Path

try:
    import anywidget
    import traitlets
    from ipywidgets.widgets.trait_types import bytes_serialization
except ImportError:  # the library works without them; only the widgets need them
    anywidget = None

STATIC = Path(__file__).resolve().parent / "static"

if anywidget is not None:

    class AltImage(anywidget.AnyWidget):
        """An image with a text alternative: ``value`` the encoded image, ``alt`` what it shows.

        Like ``ipywidgets.Image``, but the ``<img>`` it shows has an ``alt`` attribute. Size it
        with ``layout.width`` and ``layout.height``; the picture fills that box.
        """

        _esm = STATIC / "alt_image.js"
        value = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
        format = traitlets.Unicode("png").tag(sync=True)
        alt = traitlets.Unicode("").tag(sync=True)

        def __repr__(self):
            return f"AltImage({len(self.value):,} bytes of {self.format}, alt={self.alt!r})"

    class SliderNames(anywidget.AnyWidget):
        """Shows nothing; names each ipywidgets slider handle in the box it is put in.

        The handle gets ``aria-label`` = its slider's description, so a screen reader says
        "learning rate, slider, 0.05".
        """

        _esm = STATIC / "slider_names.js"

        def __repr__(self):
            return "SliderNames()"

else:
    AltImage = SliderNames = None
