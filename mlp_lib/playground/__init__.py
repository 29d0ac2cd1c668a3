"""The playground: train a network with sliders and watch it learn, live.

One concern per module, so that everything can be read top to bottom and tested without a browser:

- ``settings``  what each control can be set to (``CONTROLS``) and ``PlaygroundSettings``, a
                ``Recipe`` checked against them;
- ``data``      ``load_data``: each dataset read once and kept;
- ``runs``      ``train_run``: one run, synchronous, returning a ``RunResult`` whose message
                explains in words how it went; ``runs_table``;
- ``figures``   the live curves and the result figures, rendered to PNG with matplotlib's Agg;
- ``alt_texts`` the same pictures in words: the text a screen reader reads for each image;
- ``panel``     the ``Playground`` widget; ``explorer``: the ``ImageExplorer`` widget.

    from mlp_lib.playground import Playground
    playground = Playground()
    playground                       # in a notebook: the panel; press Train
    playground.image_picker()        # the small second widget
"""

from .data import PlaygroundData, load_data
from .explorer import ImageExplorer
from .figures import (
    LiveCurves,
    figure_to_png,
    pick_examples,
    plot_examples,
    plot_image_probabilities,
    plot_runs,
    show_png,
    smooth_log,
)
from .panel import Playground
from .runs import RunResult, runs_table, train_run
from .settings import BATCH_SIZES, CONTROLS, MONITOR_SIZE, PlaygroundSettings

__all__ = [
    "BATCH_SIZES",
    "CONTROLS",
    "MONITOR_SIZE",
    "ImageExplorer",
    "LiveCurves",
    "Playground",
    "PlaygroundData",
    "PlaygroundSettings",
    "RunResult",
    "figure_to_png",
    "load_data",
    "pick_examples",
    "plot_examples",
    "plot_image_probabilities",
    "plot_runs",
    "runs_table",
    "show_png",
    "smooth_log",
    "train_run",
]
