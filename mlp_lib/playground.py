"""The playground: train a network with sliders and watch it learn, live.

Two layers, so that everything can be tested without a browser:

- plain functions and small classes: ``PlaygroundSettings`` (every value checked in one place),
  ``load_data`` (each dataset read once and kept), ``train_run`` (one training run, synchronous,
  returning a ``RunResult``), and the figures (``LiveCurves``, ``plot_runs``, ``plot_examples``,
  ``plot_image_probabilities``) rendered to PNG bytes with matplotlib's Agg, without pyplot;
- the widgets: ``Playground`` (controls, Train and Stop, live curves, results, a table of the last
  runs) and ``ImageExplorer`` (pick a test image, see the network's probabilities).

    from mlp_lib.playground import Playground
    playground = Playground()
    playground                       # in a notebook: the panel; press Train
    playground.image_picker()        # the small second widget

Training runs in a background thread, so the notebook stays responsive and Stop can be clicked;
``Playground(blocking=True)`` trains in the calling thread instead (tests, scripts).
"""

import html
import io
import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .augment import RandomShift
from .batches import n_batches
from .data import DATASETS, class_names, load_mnist
from .layers import INITS
from .metrics import accuracy, confusion_matrix
from .model import MLP
from .optim import OPTIMIZERS, make_optimizer
from .plots import plot_confusion_matrix
from .train import LR_SCHEDULES, DivergenceError, History, StopTraining, evaluate, fit

try:
    import ipywidgets as widgets
except ImportError:  # the library works without it; only the widgets need it
    widgets = None

# ---- limits: the one place that says which values are possible ---------------------------------
# The settings check these, and the widgets take their bounds from them, so an impossible value
# can neither be typed into the panel nor passed in code.

LR_RANGE = (1e-4, 10.0)
HIDDEN1_RANGE = (1, 512)
HIDDEN2_RANGE = (0, 512)  # 0 means "no second hidden layer"
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
EPOCHS_RANGE = (1, 20)
TRAIN_SIZE_RANGE = (1000, 60_000)
TRAIN_SIZE_STEP = 1000
SEED_RANGE = (0, 9999)
DTYPES = ("float32", "float64")
WEIGHT_DECAYS = (0.0, 1e-4, 5e-4, 1e-3)
DROPOUT_RANGE = (0.0, 0.5)
DROPOUT_STEP = 0.05
SHIFT_RANGE = (0, 2)  # pixels (notebook 08: shifts of 1 pixel helped most)

MONITOR_SIZE = 1000  # test images checked during training for the live accuracy
MONITOR_POINTS_PER_EPOCH = 10
EXPLODED_FACTOR = 10  # a loss 10x its first value means the steps overshoot
OVERSHOOT_FACTOR = 1.5  # a loss 1.5x its first value: some steps were too big
LARGE_LR = {"sgd": 1.0, "momentum": 0.5, "adam": 0.01}  # 10x a learning rate that usually works
MAX_RUNS_KEPT = 5
MAX_DATASETS_KEPT = 2  # each (dataset, pixel scale) is ~220 MB of float32
REFRESH_SECONDS = 0.25  # live plot at most 4 times a second: smooth, and cheap
RENDER_SHARE = 3  # ...and never more often than every 3x the time a frame takes
N_EXAMPLES = 6


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class PlaygroundSettings:
    """Everything one training run needs, checked when it is made.

    ``hidden2=0`` gives a network with a single hidden layer (784-hidden1-10).
    ``normalize=False`` keeps the raw 0..255 pixels, as the seed program did.
    """

    lr: float = 0.05
    hidden1: int = 64
    hidden2: int = 32
    batch_size: int = 64
    epochs: int = 3
    optimizer: str = "momentum"
    init: str = "he"
    train_size: int = 10_000
    dataset: str = "mnist"
    normalize: bool = True
    seed: int = 0
    dtype: str = "float32"
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    dropout: float = 0.0
    shift: int = 0

    def __post_init__(self):
        lo, hi = LR_RANGE
        if (
            isinstance(self.lr, bool)
            or not isinstance(self.lr, (int, float, np.floating))
            or not math.isfinite(self.lr)
            or not lo <= self.lr <= hi
        ):
            raise ValueError(
                f"lr must be a number from {lo:g} to {hi:g}, got {self.lr!r}; try 0.05"
            )
        for name, (lo, hi) in (
            ("hidden1", HIDDEN1_RANGE),
            ("hidden2", HIDDEN2_RANGE),
            ("epochs", EPOCHS_RANGE),
            ("train_size", TRAIN_SIZE_RANGE),
            ("seed", SEED_RANGE),
            ("shift", SHIFT_RANGE),
            ("batch_size", (BATCH_SIZES[0], BATCH_SIZES[-1])),
        ):
            value = getattr(self, name)
            if not _is_int(value) or not lo <= value <= hi:
                hint = " (0 means no second hidden layer)" if name == "hidden2" else ""
                raise ValueError(
                    f"{name} must be an integer from {lo} to {hi}{hint}, got {value!r}"
                )
        for name, choices in (
            ("optimizer", OPTIMIZERS),
            ("init", INITS),
            ("dataset", tuple(DATASETS)),
            ("dtype", DTYPES),
            ("lr_schedule", LR_SCHEDULES),
            ("weight_decay", WEIGHT_DECAYS),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name} must be one of {', '.join(str(c) for c in choices)}, "
                    f"got {getattr(self, name)!r}"
                )
        if not isinstance(self.normalize, (bool, np.bool_)):
            raise ValueError(f"normalize must be True or False, got {self.normalize!r}")
        lo, hi = DROPOUT_RANGE
        if (
            isinstance(self.dropout, bool)
            or not isinstance(self.dropout, (int, float, np.floating))
            or not lo <= self.dropout <= hi
        ):
            raise ValueError(
                f"dropout must be a number from {lo:g} to {hi:g}, got {self.dropout!r}; try 0.1"
            )

    @property
    def layer_sizes(self):
        """(784, hidden1, hidden2, 10), or (784, hidden1, 10) when hidden2 is 0."""
        hidden = (self.hidden1, self.hidden2) if self.hidden2 else (self.hidden1,)
        return (784, *hidden, 10)

    def describe(self):
        """A one-line summary, e.g. '784-64-32-10 · momentum lr 0.05 · batch 64 · 3 epochs'."""
        network = "-".join(str(s) for s in self.layer_sizes)
        schedule = " (cosine)" if self.lr_schedule == "cosine" else ""
        extras = "".join(
            text
            for text, used in (
                (f" · weight decay {self.weight_decay:g}", self.weight_decay),
                (f" · dropout {self.dropout:g}", self.dropout),
                (f" · shifts ±{self.shift}", self.shift),
            )
            if used
        )
        return (
            f"{network} · {self.optimizer} lr {self.lr:.3g}{schedule} · batch {self.batch_size} · "
            f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}{extras}"
        )


# ---- data: each dataset read once, at most two kept ---------------------------------------------


class PlaygroundData(NamedTuple):
    """One dataset in memory. Shapes: X_train (60000, 784), y_train (60000,), X_test (10000, 784)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    dataset: str
    normalize: bool

    @property
    def class_names(self):
        return class_names(self.dataset)


_data_cache = OrderedDict()  # (dataset, normalize) -> PlaygroundData, oldest first
_data_lock = threading.Lock()  # two runs never read the same files at once


def load_data(dataset="mnist", normalize=True, *, data_dir=None):
    """Both splits of ``dataset`` as float32; read from disk once, then kept (the last two)."""
    key = (dataset, bool(normalize), None if data_dir is None else str(data_dir))
    with _data_lock:
        if key in _data_cache:
            _data_cache.move_to_end(key)
            return _data_cache[key]
        X_train, y_train = load_mnist("train", dataset, data_dir=data_dir, normalize=normalize)
        X_test, y_test = load_mnist("test", dataset, data_dir=data_dir, normalize=normalize)
        data = PlaygroundData(X_train, y_train, X_test, y_test, dataset, bool(normalize))
        _data_cache[key] = data
        while len(_data_cache) > MAX_DATASETS_KEPT:
            _data_cache.popitem(last=False)
        return data


# ---- one run -------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one run produced.

    ``status`` is "finished", "stopped" (Stop was pressed; the model keeps what it learned) or
    "diverged" (the learning rate was too large). ``message`` says so in words for the panel.
    ``test`` (an ``Evaluation`` on all test images) and ``confusion`` (10, 10) are None when
    training diverged. ``monitor_steps`` / ``monitor_accuracy``: the live accuracy on the first
    ``MONITOR_SIZE`` test images, measured every few steps.
    """

    settings: PlaygroundSettings
    model: MLP
    history: History
    status: str = "running"
    level: str = "info"  # how the panel colours the message: success/warning/error
    message: str = ""
    test: object = None
    confusion: np.ndarray = None
    monitor_steps: list = field(default_factory=list)
    monitor_accuracy: list = field(default_factory=list)
    seconds: float = 0.0
    number: int = 0  # set by the Playground: run 1, 2, ...

    @property
    def steps(self):
        """Mini-batch updates done."""
        return len(self.history.loss)

    @property
    def total_steps(self):
        """Mini-batch updates a full run would do."""
        return self.settings.epochs * self.history.steps_per_epoch

    @property
    def usable(self):
        """True if the model has finite weights and was evaluated."""
        return self.test is not None

    @property
    def learned(self):
        """True if the test accuracy is at least twice chance (20% for 10 classes)."""
        return self.usable and self.test.accuracy >= 2 / len(self.confusion)

    def summary(self):
        """One line, e.g. 'test accuracy: 95.12% (9512/10000)' or the reason there is none."""
        if self.test is None:
            return "no test accuracy: training diverged"
        return f"test accuracy: {self.test}"


def train_run(settings, data, *, callback=None, stop_event=None):
    """Train one network with ``settings`` on ``data``; never raises for a too-large learning rate.

    Parameters
    ----------
    settings : PlaygroundSettings
    data : PlaygroundData (``load_data(settings.dataset, settings.normalize)``)
    callback : called as ``callback(step_info, result)`` after every step (live plots)
    stop_event : a ``threading.Event``; once set, training stops after the current step

    Returns a ``RunResult``; its ``status`` and ``message`` explain a divergence in words.
    """
    if not isinstance(settings, PlaygroundSettings):
        raise TypeError(f"settings must be a PlaygroundSettings, got {type(settings).__name__}")
    if (data.dataset, data.normalize) != (settings.dataset, settings.normalize):
        raise ValueError(
            f"data is {data.dataset} with normalize={data.normalize}, but the settings "
            f"ask for {settings.dataset} with normalize={settings.normalize}; "
            f"pass load_data({settings.dataset!r}, {settings.normalize})"
        )
    n = settings.train_size
    if n > len(data.X_train):
        raise ValueError(f"train_size {n} is larger than the {len(data.X_train)} training images")
    model = MLP(
        settings.layer_sizes,
        init=settings.init,
        seed=settings.seed,
        dtype=settings.dtype,
        dropout=settings.dropout,
    )
    optimizer = make_optimizer(settings.optimizer, settings.lr, weight_decay=settings.weight_decay)
    augment = RandomShift(settings.shift) if settings.shift else None
    steps_per_epoch = n_batches(n, settings.batch_size)
    result = RunResult(settings, model, History(steps_per_epoch=steps_per_epoch))
    X_monitor, y_monitor = data.X_test[:MONITOR_SIZE], data.y_test[:MONITOR_SIZE]
    monitor_every = max(1, steps_per_epoch // MONITOR_POINTS_PER_EPOCH)

    def on_step(info):
        result.history = info.history  # fit's own History, growing step by step
        if info.epoch_end or info.step % monitor_every == 0:
            with np.errstate(over="ignore", invalid="ignore"):
                predicted = model.predict(X_monitor)
            result.monitor_steps.append(len(info.history.loss))
            result.monitor_accuracy.append(accuracy(y_monitor, predicted))
        if callback is not None:
            callback(info, result)
        if stop_event is not None and stop_event.is_set():
            raise StopTraining

    start = time.perf_counter()
    try:
        result.history = fit(
            model,
            data.X_train[:n],
            data.y_train[:n],
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            optimizer=optimizer,
            seed=settings.seed,
            lr_schedule=settings.lr_schedule,
            augment=augment,
            callback=on_step,
            progress=False,
        )
    except DivergenceError as exc:
        result.seconds = time.perf_counter() - start
        result.status, result.level = "diverged", "error"
        result.message = _divergence_message(exc, settings)
        return result
    with np.errstate(over="ignore", invalid="ignore"):  # a run that overshot has huge logits
        result.test = evaluate(model, data.X_test, data.y_test)
        result.confusion = confusion_matrix(data.y_test, model.predict(data.X_test))
    result.seconds = time.perf_counter() - start
    result.status, result.level, result.message = _outcome(result)
    return result


def _hint(settings):
    """What to change after a failed run."""
    if not settings.normalize:
        return (
            "The pixels are raw 0..255 values, 255 times larger than scaled ones, so every "
            "step is far too big: tick 'pixels in [0, 1]', or make the learning rate about "
            "100 times smaller."
        )
    lr = settings.lr
    return f"The learning rate {lr:g} is too large: try {lr / 10:g} or smaller."


def _divergence_message(exc, settings):
    """The DivergenceError raised by ``fit`` (loss nan/inf, or exploded), in a student's words."""
    if math.isfinite(exc.loss):
        what = (
            f"the loss shot up to {exc.loss:.3g} (it started at {exc.first_loss:.3g}) at "
            f"epoch {exc.epoch}, step {exc.step}"
        )
    else:
        value = "nan (not a number)" if math.isnan(exc.loss) else "infinite"
        what = f"the loss became {value} at epoch {exc.epoch}, step {exc.step}"
    return f"Training diverged: {what}, because the weights grew without bound. {_hint(settings)}"


def _outcome(result):
    """(status, level, message) of a run whose weights stayed finite.

    ``level`` colours the message: "success", "warning" (it learned, but something is off) or
    "error" (it learned nothing). The loss curve tells *why* a run learned nothing: a loss that
    rose well above where it started means the steps were too big; a flat one, too small.
    """
    settings, history = result.settings, result.history
    status = "stopped" if history.stopped_early else "finished"
    if history.stopped_early:
        epoch, step = divmod(result.steps, history.steps_per_epoch)
        where = f"epoch {epoch}" if step == 0 else f"epoch {epoch + 1}, step {step}"
        text = (
            f"Stopped after {where} ({result.steps} of {result.total_steps} steps); "
            f"the network keeps what it learned so far."
        )
    else:
        text = f"Finished {settings.epochs} epoch{'s' if settings.epochs > 1 else ''}."
    losses = np.asarray(history.loss)
    rise = losses.max() / losses[0]  # how far the loss climbed above its start
    peak_epoch, peak_step = divmod(int(losses.argmax()), history.steps_per_epoch)
    where_peak = f"epoch {peak_epoch + 1}, step {peak_step + 1}"
    if result.learned:
        if rise > OVERSHOOT_FACTOR:
            return (
                status,
                "warning",
                (
                    f"{text} On the way the loss jumped to {rise:.1f} times its first value "
                    f"(at {where_peak}): some steps were too big. A smaller learning rate (or a "
                    f"larger batch) would learn more steadily."
                ),
            )
        return status, "success", text
    chance = f"{100 / len(result.confusion):.0f}%"
    test_accuracy = f"{100 * result.test.accuracy:.2f}%"
    if rise > EXPLODED_FACTOR:
        return (
            "diverged",
            "error",
            (
                f"Training diverged: the loss shot up to {losses.max():.3g} at {where_peak}, and the "
                f"network never recovered; its test accuracy {test_accuracy} is no better than "
                f"guessing ({chance}). {_hint(settings)}"
            ),
        )
    if (
        rise > OVERSHOOT_FACTOR
        or settings.lr > LARGE_LR[settings.optimizer]
        or not settings.normalize
    ):
        rose = (
            f" (the loss rose to {rise:.1f} times its first value)"
            if rise > OVERSHOOT_FACTOR
            else ""
        )
        return (
            "diverged",
            "error",
            (
                f"Training failed: the steps were so big that the network got stuck{rose}; its test "
                f"accuracy {test_accuracy} is no better than guessing ({chance}). {_hint(settings)}"
            ),
        )
    if history.stopped_early:
        return (
            status,
            "warning",
            (f"{text} It had not learned much yet: test accuracy {test_accuracy}."),
        )
    advice = "Try a larger learning rate or more epochs."
    if settings.init == "normal":
        advice = (
            "The tiny N(0, 0.01²) starting weights let almost no signal through the "
            "layers: try He initial weights, or a larger learning rate."
        )
    return (
        status,
        "error",
        (
            f"{text} The network has barely learned: test accuracy "
            f"{test_accuracy} is close to guessing ({chance}). {advice}"
        ),
    )


# ---- figures, rendered to PNG bytes --------------------------------------------------------------

_render_lock = threading.Lock()  # the training thread and the notebook may draw at the same time


def figure_to_png(fig):
    """PNG bytes of a matplotlib Figure, drawn with Agg (no pyplot, no window)."""
    buffer = io.BytesIO()
    with _render_lock:
        # Light compression: a live frame is drawn several times a second and sent only once.
        FigureCanvasAgg(fig).print_png(buffer, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def show_png(image, fig):
    """Put a figure into an ``ipywidgets.Image`` at its natural size, shown (never stretched)."""
    width, height = (fig.get_size_inches() * fig.dpi).round().astype(int)
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
            [], [], "o-", color="tab:orange", ms=3, label=f"{MONITOR_SIZE:,} test images"
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
        "loss (moving average, log)", f"accuracy on {MONITOR_SIZE:,} test images (%)"
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


def pick_examples(y_true, predicted, n=N_EXAMPLES):
    """Indices of the first n//2 mistakes and first correct answers (more of one if the other runs out)."""
    wrong = np.flatnonzero(y_true != predicted)
    right = np.flatnonzero(y_true == predicted)
    n_wrong = min(len(wrong), n // 2)
    chosen = np.concatenate([right[: n - n_wrong], wrong[:n_wrong]])
    return np.sort(chosen).astype(int)


def _draw_probabilities(ax, probs, true_label, names=None):
    colors = ["tab:green" if c == true_label else "tab:blue" for c in range(len(probs))]
    ax.bar(range(len(probs)), probs, color=colors)
    ax.set_ylim(0, 1)
    ax.set_xticks(range(len(probs)))
    ax.set_xticklabels(
        names if names is not None else [str(c) for c in range(len(probs))],
        fontsize=7,
        rotation=60 if names is not None else 0,
    )


def plot_examples(model, data, indices=None):
    """A few test images (top) with the network's probabilities (bottom); wrong ones in red."""
    with np.errstate(over="ignore", invalid="ignore"):
        predicted = model.predict(data.X_test)
    indices = pick_examples(data.y_test, predicted) if indices is None else np.asarray(indices)
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
        ax.imshow(data.X_test[i].reshape(28, 28), cmap="gray_r")
        ax.set_axis_off()
        ax.set_title(
            f"#{i}: {names[label]}\nsays {names[guess]} {100 * p[guess]:.0f}%",
            fontsize=8,
            color="black" if guess == label else "red",
        )
        _draw_probabilities(axes[1, col], p, label)
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
    ax_img.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
    ax_img.set_axis_off()
    ax_img.set_title(title, fontsize=9)
    _draw_probabilities(ax_bar, probs, true_label, list(names) if len(names[0]) > 1 else None)
    ax_bar.set(ylabel="probability", title="Predicted probabilities (green: true class)")
    ax_bar.title.set_fontsize(9)
    return fig


# ---- the widgets ---------------------------------------------------------------------------------


def _box(text, kind="info"):
    """Text in a coloured box for an HTML widget; the text is escaped."""
    colors = {"info": "#eef4fb", "success": "#e8f5e9", "warning": "#fff4e0", "error": "#fdecea"}
    return (
        f'<div style="padding:6px 10px;border-radius:4px;background:{colors[kind]};'
        f'line-height:1.4">{html.escape(text)}</div>'
    )


def _widget_bundle(widget, text):
    """The widget's display data, with a short text version instead of a repr of every child."""
    bundle = widget._repr_mimebundle_()
    if bundle is not None:
        bundle["text/plain"] = text
    return bundle


def _require_widgets():
    if widgets is None:
        raise ImportError("the playground needs ipywidgets: pip install -e '.[notebooks]'")


class Playground:
    """The interactive panel: controls, Train / Stop, live curves, results and the last runs.

    Parameters
    ----------
    settings : PlaygroundSettings with the initial values (default: a run of a couple of seconds)
    blocking : if True, Train trains in the calling thread (tests); else in a background thread
    max_runs : how many past runs the comparison keeps
    refresh_seconds : the live plot is redrawn at most this often
    data_loader : ``load_data``, or a function (dataset, normalize) -> PlaygroundData
    """

    def __init__(
        self,
        settings=None,
        *,
        blocking=False,
        max_runs=MAX_RUNS_KEPT,
        refresh_seconds=REFRESH_SECONDS,
        data_loader=load_data,
    ):
        _require_widgets()
        self.defaults = settings if settings is not None else PlaygroundSettings()
        self.blocking = blocking
        self.refresh_seconds = refresh_seconds
        self.data_loader = data_loader
        self.runs = deque(maxlen=max_runs)
        self.last_result = None
        self.last_trained = None  # the last run with a usable model (for the image picker)
        self.last_error = None
        self._run_count = 0
        self._listeners = []
        self._stop_event = threading.Event()
        self._thread = None
        self._busy = False
        self._next_refresh = 0.0
        self.live = LiveCurves()
        self._build_widgets()
        self.set_settings(self.defaults)

    # -- building ---------------------------------------------------------------------------------

    def _build_widgets(self):
        W = widgets
        style = {"description_width": "120px"}
        row = W.Layout(width="370px")
        self.controls = {
            "lr": W.FloatLogSlider(
                base=10,
                min=math.log10(LR_RANGE[0]),
                max=math.log10(LR_RANGE[1]),
                step=0.1,
                readout_format=".3",
                description="learning rate",
            ),
            "hidden1": W.IntSlider(
                min=HIDDEN1_RANGE[0], max=HIDDEN1_RANGE[1], description="hidden layer 1"
            ),
            "hidden2": W.IntSlider(
                min=HIDDEN2_RANGE[0], max=HIDDEN2_RANGE[1], description="hidden layer 2"
            ),
            "batch_size": W.SelectionSlider(options=BATCH_SIZES, description="batch size"),
            "epochs": W.IntSlider(min=EPOCHS_RANGE[0], max=EPOCHS_RANGE[1], description="epochs"),
            "optimizer": W.Dropdown(
                options=[("SGD", "sgd"), ("SGD + momentum", "momentum"), ("Adam", "adam")],
                description="optimizer",
            ),
            "init": W.Dropdown(
                options=[("He", "he"), ("Xavier", "xavier"), ("N(0, 0.01²), the seed's", "normal")],
                description="initial weights",
            ),
            "train_size": W.IntSlider(
                min=TRAIN_SIZE_RANGE[0],
                max=TRAIN_SIZE_RANGE[1],
                step=TRAIN_SIZE_STEP,
                description="training images",
            ),
            "dataset": W.Dropdown(
                options=[("MNIST digits", "mnist"), ("Fashion-MNIST clothes", "fashion-mnist")],
                description="dataset",
            ),
            "normalize": W.Checkbox(description="pixels in [0, 1]", indent=True),
            "seed": W.BoundedIntText(min=SEED_RANGE[0], max=SEED_RANGE[1], description="seed"),
            # Notebook 08's extras: a schedule and three ways to fight overfitting.
            "lr_schedule": W.Dropdown(
                options=[("constant", "constant"), ("cosine, down to 0", "cosine")],
                description="lr schedule",
            ),
            "weight_decay": W.Dropdown(
                options=[("none", 0.0), *((f"{wd:g}", wd) for wd in WEIGHT_DECAYS[1:])],
                description="weight decay",
            ),
            "dropout": W.FloatSlider(
                min=DROPOUT_RANGE[0],
                max=DROPOUT_RANGE[1],
                step=DROPOUT_STEP,
                readout_format=".2f",
                description="dropout",
            ),
            "shift": W.IntSlider(
                min=SHIFT_RANGE[0], max=SHIFT_RANGE[1], description="random shift (px)"
            ),
        }
        for control in self.controls.values():
            control.style = style
            control.layout = row
        self.train_button = W.Button(
            description="Train",
            button_style="primary",
            icon="play",
            tooltip="Train a new network with these settings",
        )
        self.stop_button = W.Button(
            description="Stop",
            button_style="danger",
            icon="stop",
            disabled=True,
            tooltip="Stop now; keep what was learned",
        )
        self.progress = W.IntProgress(
            value=0, min=0, max=1, description="progress", style=style, layout=row
        )
        self.status = W.HTML(_box("Choose the settings, then press Train."))
        self.live_image = W.Image(format="png", layout=W.Layout(flex="0 0 auto"))
        show_png(self.live_image, self.live.fig)
        self.accuracy_html = W.HTML("")
        hidden = dict(display="none", flex="0 0 auto")  # shown after the first run
        self.confusion_image = W.Image(format="png", layout=W.Layout(**hidden))
        self.examples_image = W.Image(format="png", layout=W.Layout(**hidden))
        self.runs_html = W.HTML("")
        self.compare_image = W.Image(format="png", layout=W.Layout(**hidden))
        self.train_button.on_click(lambda _button: self.train())
        self.stop_button.on_click(lambda _button: self.stop())

        controls = W.VBox(
            [*self.controls.values(), W.HBox([self.train_button, self.stop_button]), self.progress],
            layout=W.Layout(flex="0 0 auto"),
        )
        live = W.VBox([self.live_image, self.status], layout=W.Layout(width="590px"))

        def row(*children):  # side by side when there is room, else one under the other
            return W.HBox(children, layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))

        def heading(text):
            return W.HTML(f"<h4 style='margin:8px 0 2px'>{text}</h4>")

        self.widget = W.VBox(
            [
                row(controls, live),
                heading("After training"),
                self.accuracy_html,
                row(self.confusion_image, self.examples_image),
                heading("The last runs"),
                row(self.runs_html, self.compare_image),
            ]
        )
        # CSS class names: stable handles for the browser tests (and for custom styling).
        for widget, name in (
            (self.widget, "playground"),
            (self.live_image, "live-plot"),
            (self.status, "status"),
            (self.accuracy_html, "accuracy"),
            (self.runs_html, "runs"),
            (self.progress, "progress"),
        ):
            widget.add_class(f"mlp-{name}")

    def _repr_mimebundle_(self, **kwargs):
        """Display the panel when the Playground is the last expression of a cell."""
        return _widget_bundle(self.widget, repr(self))

    def __repr__(self):
        return f"Playground(runs={len(self.runs)}, running={self.running})"

    # -- settings ---------------------------------------------------------------------------------

    def settings(self):
        """The PlaygroundSettings the controls show now (checked)."""
        values = {name: control.value for name, control in self.controls.items()}
        values["dtype"] = self.defaults.dtype
        return PlaygroundSettings(**values)

    def set_settings(self, settings=None, **changes):
        """Move the controls to ``settings`` (and/or keyword changes), checked first."""
        settings = replace(settings if settings is not None else self.settings(), **changes)
        for f in fields(settings):
            if f.name in self.controls:
                self.controls[f.name].value = getattr(settings, f.name)
        self.defaults = replace(self.defaults, dtype=settings.dtype)
        return settings

    # -- running ----------------------------------------------------------------------------------

    @property
    def running(self):
        return self._busy

    def train(self, blocking=None):
        """Start a run with the current settings (what Train does). Returns the result if blocking."""
        if self._busy:
            return None  # one run at a time
        try:
            settings = self.settings()
        except ValueError as exc:
            self.status.value = _box(f"Cannot train: {exc}", "error")
            return None
        self._busy = True
        self._stop_event.clear()
        self._set_controls_enabled(False)
        self._run_count += 1
        if self.blocking if blocking is None else blocking:
            return self._run(settings, self._run_count)
        self._thread = threading.Thread(
            target=self._run,
            args=(settings, self._run_count),
            name="playground-training",
            daemon=True,
        )
        self._thread.start()
        return None

    def stop(self):
        """Ask the run to stop after its current step (what Stop does)."""
        if self._busy:
            self._stop_event.set()
            self.status.value = _box("Stopping…", "warning")

    def wait(self, timeout=None):
        """Wait for the background run to end; True if nothing is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self._busy

    def add_listener(self, listener):
        """Call ``listener(result, data)`` after every run that produced a usable model."""
        self._listeners.append(listener)

    def image_picker(self):
        """The small second widget: a slider over the test images and this network's answer."""
        return ImageExplorer(self)

    def _set_controls_enabled(self, enabled):
        for control in (*self.controls.values(), self.train_button):
            control.disabled = not enabled
        self.stop_button.disabled = enabled

    def _run(self, settings, number):
        """One run, start to end; every error ends up in the panel, never lost in the thread."""
        result = None
        try:
            name = "MNIST" if settings.dataset == "mnist" else "Fashion-MNIST"
            self.status.value = _box(f"Run {number}: loading {name}…")
            data = self.data_loader(settings.dataset, settings.normalize)
            self.progress.max = settings.epochs * n_batches(
                settings.train_size, settings.batch_size
            )
            self.progress.value = 0
            self.progress.bar_style = ""
            self._next_refresh = 0.0
            result = train_run(settings, data, callback=self._on_step, stop_event=self._stop_event)
            result.number = number
            self._show_result(result, data)
        except Exception as exc:  # noqa: BLE001 -- shown to the student, kept for tests
            self.last_error = exc
            self.status.value = _box(
                f"Run {number} failed with an unexpected error: {type(exc).__name__}: {exc}",
                "error",
            )
            self.progress.bar_style = "danger"
        finally:
            self._busy = False
            self._set_controls_enabled(True)
        return result

    def _on_step(self, info, result):
        """After every step: redraw the progress and the live plot, at most every ``refresh_seconds``."""
        now = time.perf_counter()
        if now < self._next_refresh:
            return
        self.progress.value = len(info.history.loss)
        self.status.value = _box(
            f"Run {self._run_count}: epoch {info.epoch} of {result.settings.epochs}, "
            f"step {info.step} of {info.steps_per_epoch}, loss {info.loss:.3g}"
        )
        title = f"Run {self._run_count}: {result.settings.describe()}"
        show_png(self.live_image, self.live.update(result, title).fig)
        # On a busy machine drawing is slow: wait RENDER_SHARE x as long as the last drawing took,
        # so drawing never takes more than about a quarter of the time and training goes on.
        drawn = time.perf_counter()
        self._next_refresh = drawn + max(self.refresh_seconds, RENDER_SHARE * (drawn - now))

    def _show_result(self, result, data):
        self.progress.value = result.steps
        show_png(
            self.live_image,
            self.live.update(result, f"Run {result.number}: {result.settings.describe()}").fig,
        )
        kind = (
            "warning" if result.level == "success" and result.status == "stopped" else result.level
        )
        self.status.value = _box(f"Run {result.number}: {result.message}", kind)
        self.progress.bar_style = {"success": "success", "warning": "warning", "error": "danger"}[
            kind
        ]
        self.accuracy_html.value = (
            f"<b>Run {result.number}</b> ({html.escape(result.settings.describe())}): "
            f"<b>{html.escape(result.summary())}</b> · {result.seconds:.1f} s"
        )
        self.runs.append(result)
        self.last_result = result
        self.runs_html.value = runs_table(self.runs)
        # The figures last: they take a moment, and the text above already tells the outcome.
        if result.usable:
            names = data.class_names
            confusion = plot_confusion_matrix(
                result.confusion, class_names=names, title=f"Run {result.number}: confusion matrix"
            )
            confusion.set_size_inches(5.2, 4.4)
            confusion.set_dpi(80)
            show_png(self.confusion_image, confusion)
            show_png(self.examples_image, plot_examples(result.model, data))
        else:
            for image in (self.confusion_image, self.examples_image):
                image.layout.display = "none"
        show_png(self.compare_image, plot_runs(list(self.runs)))
        if result.usable:
            self.last_trained = result
            for listener in self._listeners:
                listener(result, data)


def _extras(settings):
    """Notebook 08's extras in a few words, e.g. 'cosine, dropout 0.1, shift 1'; '' if none."""
    s = settings
    parts = [
        ("cosine", s.lr_schedule == "cosine"),
        (f"wd {s.weight_decay:g}", s.weight_decay),
        (f"dropout {s.dropout:g}", s.dropout),
        (f"shift {s.shift}", s.shift),
    ]
    return ", ".join(text for text, used in parts if used)


def runs_table(results):
    """An HTML table of runs, newest first: their settings and how they ended."""
    head = (
        "run",
        "dataset",
        "network",
        "optimizer",
        "lr",
        "batch",
        "epochs",
        "images",
        "init",
        "pixels",
        "seed",
        "extras",
        "result",
        "time",
    )
    rows = []
    for r in reversed(list(results)):
        s = r.settings
        outcome = f"{100 * r.test.accuracy:.2f}%" if r.usable else "—"
        if r.status != "finished":
            outcome = f"{r.status} · {outcome}" if r.usable else r.status
        cells = (
            r.number,
            s.dataset,
            "-".join(map(str, s.layer_sizes[1:-1])),
            s.optimizer,
            f"{s.lr:.3g}",
            s.batch_size,
            s.epochs,
            f"{s.train_size:,}",
            s.init,
            "0..1" if s.normalize else "0..255",
            s.seed,
            _extras(s) or "—",
            outcome,
            f"{r.seconds:.1f} s",
        )
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
    return (
        f'<table style="font-size:12px;border-collapse:collapse;white-space:nowrap;'
        f'margin-right:12px" cellpadding="3">{header}{"".join(rows)}</table>'
    )


class ImageExplorer:
    """Pick a test image with a slider; see the trained network's probabilities for it.

    Follows a Playground: each new usable run replaces the model shown. Until then the slider is
    disabled and a hint says to train first.
    """

    def __init__(self, playground=None):
        _require_widgets()
        W = widgets
        self.model = None
        self.data = None
        self.slider = W.IntSlider(
            value=0,
            min=0,
            max=9999,
            description="test image",
            disabled=True,
            continuous_update=False,
            style={"description_width": "120px"},
            layout=W.Layout(width="500px"),
        )
        self.image = W.Image(format="png", layout=W.Layout(display="none", flex="0 0 auto"))
        self.caption = W.HTML(
            _box(
                "Train a network in the playground first: then pick any "
                "test image here and see what the network thinks it is."
            )
        )
        self.widget = W.VBox([self.slider, self.caption, self.image])
        self.widget.add_class("mlp-image-picker")
        self.caption.add_class("mlp-picker-caption")
        self.slider.observe(lambda _change: self.redraw(), names="value")
        if playground is not None:
            playground.add_listener(self.show_model)
            last = playground.last_trained
            if last is not None:
                self.show_model(
                    last, playground.data_loader(last.settings.dataset, last.settings.normalize)
                )

    def _repr_mimebundle_(self, **kwargs):
        return _widget_bundle(self.widget, repr(self))

    def __repr__(self):
        state = (
            "waiting for a trained network"
            if self.model is None
            else f"test image {self.slider.value}"
        )
        return f"ImageExplorer({state})"

    def show_model(self, result, data):
        """Use ``result.model`` on ``data``'s test images from now on."""
        self.model, self.data, self.run_number = result.model, data, result.number
        self.slider.max = len(data.X_test) - 1
        self.slider.disabled = False
        self.redraw()

    def probabilities(self):
        """The model's probabilities for the chosen image, (10,); None before a model exists."""
        if self.model is None:
            return None
        return self.model.predict_proba(
            self.data.X_test[self.slider.value : self.slider.value + 1]
        )[0]

    def redraw(self):
        """Show the chosen test image and the model's probabilities for it."""
        if self.model is None:
            return
        i = self.slider.value
        probs = self.probabilities()
        names = self.data.class_names
        label, guess = int(self.data.y_test[i]), int(probs.argmax())
        verdict = "right" if guess == label else "wrong"
        text = (
            f"Run {self.run_number}, test image {i}: true class {names[label]}; the network "
            f"says {names[guess]} with probability {100 * probs[guess]:.1f}% ({verdict})."
        )
        fig = plot_image_probabilities(
            self.data.X_test[i], probs, label, names, title=f"test image {i}: {names[label]}"
        )
        show_png(self.image, fig)
        self.caption.value = _box(text, "success" if guess == label else "warning")  # last: "done"
