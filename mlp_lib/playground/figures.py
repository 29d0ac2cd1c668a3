"""The playground's figures, drawn with matplotlib's Agg into PNG bytes (no pyplot, no window).

``LiveCurves`` is the live plot (one Figure, its lines updated in place); ``plot_runs`` compares
the last runs; ``plot_examples`` and ``plot_image_probabilities`` show test images with the
network's probabilities; ``show_png`` puts a figure and its text alternative into an
``AltImage`` (``alt_texts`` writes those texts).
"""

import io
import math
import threading

import matplotlib
import matplotlib.image
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..plots import plot_confusion_matrix, plot_probabilities
from .settings import MONITOR_SIZE

N_EXAMPLES = 6

_render_lock = threading.Lock()  # the training thread and the notebook may draw at the same time


def figure_to_png(fig):
    """PNG bytes of a matplotlib Figure, drawn with Agg (no pyplot, no window)."""
    buffer = io.BytesIO()
    with _render_lock:
        # Light compression: a live frame is drawn several times a second and sent only once.
        FigureCanvasAgg(fig).print_png(buffer, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def show_png(image, fig, alt):
    """Put a figure into an ``AltImage`` at its natural size, shown (never stretched), with
    ``alt``, what it shows in words, for those who cannot see it."""
    width, height = (fig.get_size_inches() * fig.dpi).round().astype(int)
    image.alt = alt  # first: the picture never stands without its text
    image.value = figure_to_png(fig)
    image.layout.width, image.layout.height = f"{width}px", f"{height}px"
    image.layout.display = None


def smooth_log(values, window):
    """Moving geometric mean over the last ``window`` values: smooth on a log-scale plot.

    Shapes: (T,) -> (T,); element t averages log(values[t-window+1 .. t]).
    """
    logs = np.log(np.maximum(np.asarray(values, dtype=np.float64), 1e-12))
    sums = np.concatenate([[0.0], np.cumsum(logs)])
    ends = np.arange(1, len(logs) + 1)
    starts = np.maximum(0, ends - window)
    return np.exp((sums[ends] - sums[starts]) / (ends - starts))


def _smoothing_window(steps_per_epoch):
    return max(1, min(50, steps_per_epoch // 5))


def _curve_data(result):
    """x in epochs (step / steps per epoch) and the loss, smoothed loss, accuracies in %."""
    spe = max(1, result.history.steps_per_epoch)
    loss = np.asarray(result.history.loss, dtype=np.float64)
    steps = np.arange(1, len(loss) + 1) / spe
    return {
        "x": steps,
        "loss": loss,
        "smooth": smooth_log(loss, _smoothing_window(spe)),
        "monitor_x": np.asarray(result.monitor_steps, dtype=np.float64) / spe,
        "monitor": 100 * np.asarray(result.monitor_accuracy, dtype=np.float64),
        "train_x": np.arange(1, len(result.history.train_accuracy) + 1, dtype=np.float64),
        "train": 100 * np.asarray(result.history.train_accuracy, dtype=np.float64),
    }


def _accuracy_limits(values):
    low = min(values) if len(values) else 0.0
    return max(0.0, 10 * math.floor((low - 2) / 10)), 100.5


def _curves_figure(loss_label, acc_label, dpi=80):
    """An empty two-panel figure: loss on a log axis (left), accuracy in % (right), x in epochs.

    Fixed margins instead of a layout engine, and plain labels at 1, 2, 5 x powers of ten with no
    minor ticks on the log axis: readable (0.2, 0.5, 1, 2), and about three times faster to draw.
    """
    fig = Figure(figsize=(7.2, 3.0), dpi=dpi)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.82, wspace=0.28)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.set(xlabel="epoch", ylabel=loss_label, yscale="log", title="Loss")
    ax_loss.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax_loss.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}"))
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_acc.set(xlabel="epoch", ylabel=acc_label, title="Accuracy", ylim=(0, 100.5))
    return fig, ax_loss, ax_acc


class LiveCurves:
    """The live plot: loss per step (left) and accuracy (right) against epochs.

    One Figure is made once and reused: each update only changes the lines' data, which is
    much faster than building a new figure a few times a second.
    """

    def __init__(self, dpi=80):
        self.fig, self.ax_loss, self.ax_acc = _curves_figure(
            "cross-entropy loss (log scale)", "accuracy (%)", dpi
        )
        (self.raw_line,) = self.ax_loss.plot(
            [], [], color="tab:blue", lw=0.6, alpha=0.35, label="mini-batch loss"
        )
        (self.smooth_line,) = self.ax_loss.plot(
            [], [], color="tab:blue", lw=1.8, label="moving average"
        )
        (self.monitor_line,) = self.ax_acc.plot(
            [], [], "o-", color="tab:orange", ms=3, label=f"{MONITOR_SIZE:,} validation images"
        )
        (self.train_line,) = self.ax_acc.plot(
            [], [], "s--", color="tab:green", ms=5, label="training batches (epoch average)"
        )
        self.ax_loss.legend(loc="upper right", fontsize=8)
        self.ax_acc.legend(loc="lower right", fontsize=8)
        self.ax_loss.set_xlim(0, 1)
        self.ax_acc.set_xlim(0, 1)
        self.fig.suptitle("Press Train to start", fontsize=11)

    def update(self, result, title=None):
        """Show ``result``'s curves so far; the x axis spans the whole run, so it fills up."""
        d = _curve_data(result)
        self.raw_line.set_data(d["x"], d["loss"])
        self.smooth_line.set_data(d["x"], d["smooth"])
        self.monitor_line.set_data(d["monitor_x"], d["monitor"])
        self.train_line.set_data(d["train_x"], d["train"])
        for ax in (self.ax_loss, self.ax_acc):
            ax.set_xlim(0, result.settings.epochs)
        finite = d["loss"][np.isfinite(d["loss"]) & (d["loss"] > 0)]
        if finite.size:
            self.ax_loss.set_ylim(finite.min() / 1.5, finite.max() * 1.5)
        self.ax_acc.set_ylim(*_accuracy_limits(np.concatenate([d["monitor"], d["train"]])))
        self.fig.suptitle(title or result.settings.describe(), fontsize=11)
        return self

    def png(self):
        return figure_to_png(self.fig)


def plot_runs(results, title="The last runs compared"):
    """Smoothed loss (left) and live test accuracy (right) of several runs, one colour each."""
    fig, ax_loss, ax_acc = _curves_figure(
        "loss (moving average, log)", f"accuracy on {MONITOR_SIZE:,} validation images (%)"
    )
    for result in results:
        d = _curve_data(result)
        label = f"run {result.number}"
        (line,) = ax_loss.plot(d["x"], d["smooth"], lw=1.5, label=label)
        ax_acc.plot(d["monitor_x"], d["monitor"], "o-", ms=2.5, color=line.get_color(), label=label)
    monitor = [a for r in results for a in r.monitor_accuracy]
    ax_acc.set_ylim(*_accuracy_limits(100 * np.asarray(monitor)))
    if results:
        ax_loss.legend(fontsize=8)
        ax_acc.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=11)
    return fig


def confusion_figure(result, class_names):
    """Run ``result``'s confusion matrix, sized for the panel."""
    fig = plot_confusion_matrix(
        result.confusion, class_names=class_names, title=f"Run {result.number}: confusion matrix"
    )
    fig.set_size_inches(5.2, 4.4)
    fig.set_dpi(80)
    return fig


def pick_examples(y_true, predicted, n=N_EXAMPLES):
    """Indices of the first n//2 mistakes and first correct answers (more of one if the other runs out)."""
    wrong = np.flatnonzero(y_true != predicted)
    right = np.flatnonzero(y_true == predicted)
    n_wrong = min(len(wrong), n // 2)
    chosen = np.concatenate([right[: n - n_wrong], wrong[:n_wrong]])
    return np.sort(chosen).astype(int)


def example_indices(model, data, n=N_EXAMPLES):
    """The test images ``plot_examples`` shows: ``pick_examples`` of the model's answers."""
    with np.errstate(over="ignore", invalid="ignore"):
        predicted = model.predict(data.X_test)
    return pick_examples(data.y_test, predicted, n)


def plot_examples(model, data, indices=None):
    """A few test images (top) with the network's probabilities (bottom); wrong ones in red."""
    indices = example_indices(model, data) if indices is None else np.asarray(indices)
    probs = model.predict_proba(data.X_test[indices])  # (n, 10)
    names = data.class_names
    fig = Figure(figsize=(1.25 * len(indices) + 0.5, 3.1), dpi=80)
    axes = fig.subplots(
        2,
        len(indices),
        squeeze=False,
        height_ratios=[1.2, 1],
        gridspec_kw=dict(left=0.08, right=0.99, bottom=0.12, top=0.78, wspace=0.15, hspace=0.45),
    )
    for col, (i, p) in enumerate(zip(indices, probs)):
        label, guess = data.y_test[i], int(p.argmax())
        ax = axes[0, col]
        ax.imshow(data.X_test[i].reshape(28, 28).copy(), cmap="gray_r")  # not a view of X_test
        ax.set_axis_off()
        ax.set_title(
            f"#{i}: {names[label]}\nsays {names[guess]} {100 * p[guess]:.0f}%",
            fontsize=8,
            color="black" if guess == label else "red",
        )
        plot_probabilities(p, true_label=label, ax=axes[1, col], title="")
        axes[1, col].set(xlabel="", ylabel="")
        axes[1, col].tick_params(labelleft=(col == 0), labelsize=7)
    axes[1, 0].set_ylabel("probability", fontsize=8)
    fig.suptitle(
        "Test images and the network's probabilities (green bar: the true class)", fontsize=10
    )
    return fig


def plot_image_probabilities(image, probs, true_label, names, title=""):
    """One image (left) and its predicted probabilities (right). Shapes: image (784,), probs (10,)."""
    fig = Figure(figsize=(6.4, 2.5), dpi=80)
    bottom = 0.38 if len(names[0]) > 1 else 0.2  # room for long, slanted class names
    ax_img, ax_bar = fig.subplots(
        1,
        2,
        width_ratios=[1, 2.4],
        gridspec_kw=dict(left=0.02, right=0.98, bottom=bottom, top=0.88, wspace=0.25),
    )
    ax_img.imshow(np.array(image).reshape(28, 28), cmap="gray_r")  # a copy, not a view
    ax_img.set_axis_off()
    ax_img.set_title(title, fontsize=9)
    plot_probabilities(
        probs,
        class_names=names,
        true_label=true_label,
        ax=ax_bar,
        title="Predicted probabilities (green: true class)",
    )
    ax_bar.set(xlabel="")
    ax_bar.title.set_fontsize(9)
    return fig


def weights_png(W0, n_units=16, ncols=8, zoom=3):
    """The first layer's weights of ``n_units`` hidden units as 28 x 28 tiles, as PNG bytes.

    Red: a positive weight, ink at that pixel raises the unit's input; blue: a negative one, ink
    there lowers it; white: no effect (the colours of notebook 11). Each tile is scaled to its own
    largest weight. Drawn straight into pixels (no matplotlib figure), so it is
    cheap enough to redraw while training. Shapes: W0 (784, H).
    """
    n = min(n_units, W0.shape[1])
    tiles = np.asarray(W0[:, :n], dtype=np.float64).T.reshape(n, 28, 28)  # (n, 28, 28)
    limits = np.abs(tiles).max(axis=(1, 2), keepdims=True)
    scaled = 0.5 + 0.5 * tiles / np.where(limits > 0, limits, 1)  # (n, 28, 28) in [0, 1]
    nrows = -(-n // ncols)
    grid = np.full((nrows * 29 + 1, ncols * 29 + 1), np.nan)  # nan: a 1-pixel line between tiles
    for i in range(n):
        row, col = divmod(i, ncols)
        grid[1 + 29 * row : 29 * (row + 1), 1 + 29 * col : 29 * (col + 1)] = scaled[i]
    rgb = matplotlib.colormaps["RdBu_r"](np.nan_to_num(grid, nan=0.5))[..., :3]  # (H, W, 3)
    rgb[np.isnan(grid)] = 1.0  # the lines white
    rgb = np.kron(rgb, np.ones((zoom, zoom, 1)))  # each pixel a zoom x zoom block
    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, rgb, format="png")
    return buffer.getvalue()
