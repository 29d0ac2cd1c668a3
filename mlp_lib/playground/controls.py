"""The panel's building blocks: a widget for each entry of ``CONTROLS``, and coloured messages."""

import html

from .settings import Choice, Number, Slider, Toggle, log10_range

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


def widget_bundle(widget, text):
    """The widget's display data, with a short text version instead of a repr of every child."""
    bundle = widget._repr_mimebundle_()
    if bundle is not None:
        bundle["text/plain"] = text
    return bundle


def require_widgets():
    if widgets is None:
        raise ImportError("the playground needs ipywidgets: pip install -e '.[notebooks]'")


def make_control(spec):
    """The ipywidget for one entry of ``CONTROLS``, with its bounds or options."""
    W = widgets
    common = dict(description=spec.label, style=LABEL_STYLE, layout=W.Layout(width=CONTROL_WIDTH))
    if isinstance(spec, Slider) and spec.log:
        low, high = log10_range(spec)
        return W.FloatLogSlider(
            base=10, min=low, max=high, step=spec.step, readout_format=".3", **common
        )
    if isinstance(spec, Slider) and spec.integer:
        return W.IntSlider(min=spec.low, max=spec.high, step=spec.step, **common)
    if isinstance(spec, Slider):
        return W.FloatSlider(
            min=spec.low, max=spec.high, step=spec.step, readout_format=".2f", **common
        )
    if isinstance(spec, Choice) and spec.label == "batch size":  # many ordered options: a slider
        return W.SelectionSlider(options=spec.options, **common)
    if isinstance(spec, Choice):
        return W.Dropdown(options=spec.options, **common)
    if isinstance(spec, Toggle):
        return W.Checkbox(indent=True, **common)
    if isinstance(spec, Number):
        return W.BoundedIntText(min=spec.low, max=spec.high, **common)
    raise TypeError(f"no widget for a {type(spec).__name__}")
