"""The panel's building blocks: a widget for each entry of ``CONTROLS``, and coloured messages.

The type of a control decides its widget (``WIDGETS``); every widget has a ``value`` (the
setting's value) and ``disabled``, so the panel treats them all alike.
"""

import html

from ..accessible_widgets import AltImage
from .settings import Choice, ChoiceSlider, LayerSliders, Number, Slider, Toggle, log10_range

try:
    import ipywidgets as widgets
except ImportError:  # the library works without it; only the widgets need it
    widgets = None

LABEL_STYLE = {"description_width": "120px"}
CONTROL_WIDTH = "370px"


def box(text, kind="info"):
    """Text in a coloured box for an HTML widget; the text is escaped."""
    colors = {"info": "#eef4fb", "success": "#e8f5e9", "warning": "#fff4e0", "error": "#fdecea"}
    return (
        f'<div style="padding:6px 10px;border-radius:4px;background:{colors[kind]};'
        f'line-height:1.4">{html.escape(text)}</div>'
    )


def named(widget, name):
    """``widget`` with the CSS class ``mlp-<name>``: a stable handle for the browser tests (and for
    styling), and the mark of the project's own markup in the accessibility test."""
    widget.add_class(f"mlp-{name}")
    return widget


def widget_bundle(widget, text):
    """The widget's display data, with a short text version instead of a repr of every child."""
    bundle = widget._repr_mimebundle_()
    if bundle is not None:
        bundle["text/plain"] = text
    return bundle


def require_widgets():
    if widgets is None or AltImage is None:
        raise ImportError(
            "the playground needs ipywidgets and anywidget: pip install -e '.[notebooks]'"
        )


def make_control(spec):
    """The ipywidget for one entry of ``CONTROLS``, with its bounds or options."""
    common = dict(
        description=spec.label, style=LABEL_STYLE, layout=widgets.Layout(width=CONTROL_WIDTH)
    )
    try:
        make = WIDGETS[type(spec)]
    except KeyError:
        raise TypeError(f"no widget for a {type(spec).__name__}") from None
    return make(spec, common)


def slider_widget(spec, common):
    """A log slider, or one of whole numbers, or of numbers with decimals."""
    W = widgets
    if spec.log:
        low, high = log10_range(spec)
        return W.FloatLogSlider(
            base=10, min=low, max=high, step=spec.step, readout_format=".3", **common
        )
    if spec.integer:
        return W.IntSlider(min=spec.low, max=spec.high, step=spec.step, **common)
    return W.FloatSlider(
        min=spec.low, max=spec.high, step=spec.step, readout_format=".2f", **common
    )


def layer_sliders_widget(spec, common):
    """Two integer sliders in a box whose ``value`` is the hidden sizes: (64, 32) or (64,)."""
    sliders = [
        widgets.IntSlider(min=low, max=spec.high, **{**common, "description": label})
        for low, label in zip(spec.lows, spec.labels)
    ]
    return LayerSlidersBox(spec, sliders)


def dropdown_widget(spec, common):
    return widgets.Dropdown(options=spec.options, **common)


def selection_slider_widget(spec, common):
    return widgets.SelectionSlider(options=spec.options, **common)


def checkbox_widget(spec, common):
    return widgets.Checkbox(indent=True, **common)


def int_box_widget(spec, common):
    return widgets.BoundedIntText(min=spec.low, max=spec.high, **common)


WIDGETS = {  # the widget each type of control is shown as
    Slider: slider_widget,
    LayerSliders: layer_sliders_widget,
    Choice: dropdown_widget,
    ChoiceSlider: selection_slider_widget,
    Toggle: checkbox_widget,
    Number: int_box_widget,
}

if widgets is not None:

    class LayerSlidersBox(widgets.VBox):
        """The two sliders of a ``LayerSliders`` control, read and set as one value, the sizes."""

        def __init__(self, spec, sliders):
            super().__init__(sliders)
            self.spec = spec

        @property
        def value(self):
            first, second = (slider.value for slider in self.children)
            return self.spec.sizes(first, second)

        @value.setter
        def value(self, sizes):
            for slider, value in zip(self.children, self.spec.slider_values(sizes)):
                slider.value = value

        @property
        def disabled(self):
            return all(slider.disabled for slider in self.children)

        @disabled.setter
        def disabled(self, disabled):
            for slider in self.children:
                slider.disabled = disabled
