"""Draw a digit with the mouse and watch a trained network read it.

Two widgets:

- ``DrawingCanvas``: a canvas to draw on with the mouse, a pen or a finger, and a Clear button.
  It is an anywidget (https://anywidget.dev): one small ES module, ``static/draw.js``, shipped in
  this package, so it needs no build step and no network, and runs in JupyterLab, Notebook 7,
  Voilà and VS Code. ``canvas.image`` is the drawing as a (size, size) float32 array in [0, 1].
- ``DigitReader``: the canvas, what the network sees (the 28 x 28 image ``preprocess_drawing``
  makes), its ten probabilities as bars, and a chooser of models; the answer follows every
  stroke. Models are added or swapped from Python with ``add_model``. The canvas and every
  control have a name, and the picture of what the network sees an alt text, for screen readers.

    from mlp_lib import MLP
    from mlp_lib.draw_widget import DigitReader
    reader = DigitReader({"best": MLP.load("models/best.npz")})
    reader                      # in a notebook: draw!

The brush: 22 pixels on a 280-pixel canvas. ``preprocess_drawing`` scales a drawing's longer side
to 20 pixels, so its strokes get thinner the larger you draw. Measured with
``drawing.stroke_width`` (notebook 10, section 4): a 7 drawn 160 to 200 pixels tall comes out 2.9
to 2.2 pixels wide, around the median of MNIST's digits (2.5, ``drawing.MNIST_STROKE_WIDTH``), and
sizes from 120 to 240 pixels stay within the widths of 90% of MNIST's digits (1.6 to 3.9).
"""

import html
import struct
import zlib
from pathlib import Path

import numpy as np

from .accessible_widgets import AltImage
from .drawing import EmptyDrawingError, preprocess_drawing

try:
    import anywidget
    import ipywidgets as widgets
    import traitlets
    from ipywidgets.widgets.trait_types import bytes_serialization
except ImportError:  # the library works without them; only the widgets need them
    anywidget = widgets = traitlets = None

STATIC = Path(__file__).resolve().parent / "static"
CANVAS_SIZE = 280  # pixels: ten canvas pixels for every MNIST pixel
BRUSH = 22.0  # pixels; why 22: see the module docstring
SEND_INTERVAL = 100  # ms: while drawing, the ink goes to Python at most this often


def _require_widgets():
    if anywidget is None:
        raise ImportError(
            "the drawing widgets need anywidget and ipywidgets: pip install -e '.[notebooks]'"
        )


def gray_png(image, scale=1):
    """Encode a grey image as PNG bytes (0 white, 1 black), each pixel a ``scale`` x ``scale`` block.

    Small and dependency-free (zlib and struct): fast enough to redraw after every stroke.
    Shapes: image (H, W) in [0, 1].
    """
    pixels = np.round(255 * (1 - np.clip(np.asarray(image, dtype=np.float64), 0, 1)))
    pixels = np.kron(pixels.astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))  # (sH, sW)
    height, width = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)  # filter byte 0 before each row

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


if anywidget is not None:

    class DrawingCanvas(anywidget.AnyWidget):
        """A square canvas to draw on, with a Clear button.

        ``pixels``: the ink, one byte per canvas pixel, row by row (b"" when empty); ``image``:
        the same as a (size, size) float32 array in [0, 1]; ``clear()`` empties it.
        """

        _esm = STATIC / "draw.js"
        _css = STATIC / "draw.css"
        size = traitlets.Int(CANVAS_SIZE).tag(sync=True)
        brush = traitlets.Float(BRUSH).tag(sync=True)
        interval = traitlets.Int(SEND_INTERVAL).tag(sync=True)
        # From the browser the ink arrives as a memoryview: bytes_serialization makes it bytes.
        pixels = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)

        def __repr__(self):
            ink = self.image.sum()
            return f"DrawingCanvas(size={self.size}, ink={ink:.0f} pixels' worth)"

        @property
        def image(self):
            """The drawing as a (size, size) float32 array, 0 paper, 1 full ink."""
            data = np.frombuffer(self.pixels, dtype=np.uint8)
            if data.size != self.size * self.size:
                return np.zeros((self.size, self.size), dtype=np.float32)
            return data.reshape(self.size, self.size).astype(np.float32) / 255

        @image.setter
        def image(self, image):
            image = np.asarray(image)
            if image.shape != (self.size, self.size):
                raise ValueError(
                    f"the canvas is {self.size} x {self.size}, got an image of shape {image.shape}"
                )
            self.pixels = np.round(255 * np.clip(image, 0, 1)).astype(np.uint8).tobytes()

        def clear(self):
            """Empty the canvas (what the Clear button does)."""
            self.pixels = b""

else:
    DrawingCanvas = None


def probability_bars(probs, class_names):
    """The probabilities as an HTML table of horizontal bars, the most probable in colour."""
    best = int(np.argmax(probs))
    rows = []
    for i, (name, p) in enumerate(zip(class_names, probs)):
        color = "#1f77b4" if i == best else "#b8c7d9"
        rows.append(
            f'<tr><td style="text-align:right;padding-right:6px">{html.escape(str(name))}</td>'
            f'<td style="width:200px"><div style="width:{max(1, round(200 * p))}px;height:14px;'
            f'background:{color}"></div></td>'
            f'<td style="padding-left:6px;font-variant-numeric:tabular-nums">{100 * p:5.1f}%</td></tr>'
        )
    return f'<table style="border-collapse:collapse;font-size:13px">{"".join(rows)}</table>'


def _message(text, kind="info"):
    colors = {"info": "#eef4fb", "success": "#e8f5e9", "warning": "#fff4e0", "error": "#fdecea"}
    return (
        f'<div style="padding:6px 10px;border-radius:4px;background:{colors[kind]};'
        f'max-width:300px">{html.escape(text)}</div>'
    )


class Reading:
    """What a model made of one drawing: ``x`` (784,) its input, ``probs`` (C,), ``digit``."""

    def __init__(self, x, probs, class_names):
        self.x, self.probs, self.class_names = x, probs, class_names
        self.digit = int(np.argmax(probs))

    def __repr__(self):
        name = self.class_names[self.digit]
        return f"Reading({name!r} with probability {self.probs[self.digit]:.1%})"


class DigitReader:
    """Draw a digit; see what the network sees and what it reads, after every stroke.

    Parameters
    ----------
    models : optional dict {name: MLP} of models to choose from (pixels in [0, 1]); more with
        ``add_model``, e.g. a playground run trained on 0..255 pixels with ``pixel_scale=255``.
    canvas_size : the canvas's side in pixels.
    """

    def __init__(self, models=None, *, canvas_size=CANVAS_SIZE):
        _require_widgets()
        W = widgets
        self.models = {}  # name -> (model, pixel_scale, class_names)
        self.canvas = DrawingCanvas(size=canvas_size)
        self.chooser = W.Dropdown(description="model", options=[], layout=W.Layout(width="320px"))
        self.prediction = W.HTML()
        self.preview = AltImage(  # alt: what it shows, for those who cannot see it
            layout=W.Layout(width="112px", height="112px", border="1px solid #ccc")
        )
        self.bars = W.HTML()
        self.last_reading = None
        side = W.VBox(
            [
                self.prediction,
                W.HTML("<small>what the network sees (28 x 28):</small>"),
                self.preview,
                self.bars,
            ],
            layout=W.Layout(margin="0 0 0 16px"),
        )
        self.widget = W.VBox(
            [self.chooser, W.HBox([self.canvas, side], layout=W.Layout(align_items="flex-start"))]
        )
        for widget, name in (
            (self.widget, "digit-reader"),
            (self.prediction, "reader-prediction"),
            (self.bars, "reader-bars"),
            (self.preview, "reader-preview"),
        ):
            widget.add_class(f"mlp-{name}")
        self.canvas.observe(lambda _change: self.update(), names="pixels")
        self.chooser.observe(lambda _change: self.update(), names="value")
        for name, model in (models or {}).items():
            self.add_model(name, model, select=False)
        if self.models:
            self.chooser.value = next(iter(self.models))
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_()
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self):
        return f"DigitReader(models={list(self.models)}, using={self.chooser.value!r})"

    def add_model(self, name, model, *, pixel_scale=1.0, class_names=None, select=True):
        """Offer ``model`` in the chooser as ``name`` (replacing a model of that name).

        pixel_scale : 1.0 for a model trained on pixels in [0, 1], 255 for raw 0..255 pixels.
        class_names : the names of its classes (default the digits 0..9).
        select : switch the reader to this model now.
        """
        n_inputs = model.layer_sizes[0]
        if n_inputs != 784:
            raise ValueError(
                f"the reader feeds 28 x 28 = 784 pixels, but the model {name!r} expects "
                f"{n_inputs} inputs; choose a model trained on MNIST images"
            )
        names = tuple(class_names) if class_names is not None else tuple(map(str, range(10)))
        self.models[name] = (model, float(pixel_scale), names)
        self.chooser.options = list(self.models)
        if select:
            self.chooser.value = name
        self.update()

    def read(self, image=None):
        """The chosen model's ``Reading`` of ``image`` (default: the canvas).

        Raises EmptyDrawingError for an empty drawing and RuntimeError when there is no model.
        """
        if not self.models or self.chooser.value is None:
            raise RuntimeError("no model to read with: add one with reader.add_model(name, model)")
        model, pixel_scale, names = self.models[self.chooser.value]
        x = preprocess_drawing(self.canvas.image if image is None else image)  # (784,)
        probs = model.predict_proba(x[None, :] * pixel_scale)[0]  # (C,)
        return Reading(x, probs, names)

    def update(self):
        """Read the canvas again and redraw the answer (called after every stroke)."""
        try:
            reading = self.read()
        except EmptyDrawingError:
            self._show_empty("Draw a digit in the box with the mouse, a pen or a finger.")
            return
        except RuntimeError as exc:
            self._show_empty(str(exc), "warning")
            return
        self.last_reading = reading
        name = html.escape(reading.class_names[reading.digit])
        self.preview.alt = (
            f"What the network sees: the drawing cropped, scaled and centred in 28 x 28 pixels, "
            f"read as {reading.class_names[reading.digit]}"
        )
        self.preview.value = gray_png(reading.x.reshape(28, 28), scale=4)
        self.bars.value = probability_bars(reading.probs, reading.class_names)
        model = html.escape(str(self.chooser.value))
        self.prediction.value = (
            f'<div style="font-size:15px">The network <span class="mlp-reader-model">{model}'
            f'</span> reads <b class="mlp-reader-digit" style="font-size:32px">{name}</b> '
            f"({100 * reading.probs[reading.digit]:.1f}%)</div>"
        )

    def _show_empty(self, text, kind="info"):
        self.last_reading = None
        self.preview.alt = "What the network sees: an empty 28 x 28 image, nothing drawn yet"
        self.preview.value = gray_png(np.zeros((28, 28)), scale=4)
        self.bars.value = ""
        self.prediction.value = _message(text, kind)
