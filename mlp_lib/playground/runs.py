"""One playground run: train with the settings, watch it live, and say in words how it went.

``train_run(settings, data)`` trains one network synchronously (the panel calls it in a
background thread) and returns a ``RunResult`` whose ``message`` explains a divergence or a run
that did not learn, in a student's words, instead of raising.
"""

import html
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..batches import n_batches
from ..metrics import accuracy, confusion_matrix
from ..model import MLP
from ..optim import OPTIMIZERS
from ..recipe import split_training_data, train_recipe
from ..train import DivergenceError, History, StopTraining, divergence_advice
from .settings import MONITOR_SIZE, PlaygroundSettings

MONITOR_POINTS_PER_EPOCH = 10
OVERSHOOT_FACTOR = 1.5  # a loss 1.5x its first value: some steps were too big
RECOVERED_FACTOR = 10  # ...10x, in a run that learned nothing: it never recovered from them
LARGE_LR_FACTOR = 10  # 10x an optimizer's typical learning rate is "large"


@dataclass
class RunResult:
    """What one run produced.

    ``status`` is "finished", "stopped" (Stop was pressed; the model keeps what it learned),
    "diverged" (the loss became nan or infinite, or more than 100 times its first value: ``fit``
    stopped it, see ``train.EXPLOSION_FACTOR``) or "failed" (it ended, but learned nothing). ``message`` says so in words for the panel.
    ``validation`` (an ``Evaluation`` on the held-out training images), ``test`` (on all test
    images, measured once, when the run ends) and ``confusion`` (10, 10) are None when training
    diverged. ``monitor_steps`` / ``monitor_accuracy``: the live accuracy on the first
    ``MONITOR_SIZE`` validation images, measured every few steps.
    """

    settings: PlaygroundSettings
    model: MLP
    history: History
    status: str = "running"
    level: str = "info"  # how the panel colours the message: success/warning/error
    message: str = ""
    validation: object = None
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
        """One line: 'validation accuracy: 95.30% (9530/10000) · test accuracy: 95.12% (...)', or
        the reason there is none."""
        if self.test is None:
            return "no accuracy: training diverged"
        return f"validation accuracy: {self.validation} · test accuracy: {self.test}"


def train_run(settings, data, *, callback=None, stop_event=None, number=0):
    """Train one network with ``settings`` on ``data``; never raises for a too-large learning rate.

    Parameters
    ----------
    settings : PlaygroundSettings
    data : a ``Dataset`` (``load_data(settings.dataset, settings.normalize)``)
    callback : called as ``callback(step_info, result)`` after every step (live plots)
    stop_event : a ``threading.Event``; once set, training stops after the current step
    number : the run's number in the playground (1, 2, ...), kept in the result

    Returns a ``RunResult``; its ``status`` and ``message`` explain a divergence in words.
    """
    if not isinstance(settings, PlaygroundSettings):
        raise TypeError(f"settings must be a PlaygroundSettings, got {type(settings).__name__}")
    steps_per_epoch = n_batches(settings.train_size, settings.batch_size)
    result = RunResult(settings, None, History(steps_per_epoch=steps_per_epoch), number=number)
    split = split_training_data(settings, data)  # checks that data and settings match
    X_monitor, y_monitor = split.X_val[:MONITOR_SIZE], split.y_val[:MONITOR_SIZE]
    monitor_every = max(1, steps_per_epoch // MONITOR_POINTS_PER_EPOCH)

    def on_step(info):
        result.model, result.history = info.model, info.history  # growing step by step
        if info.epoch_end or info.step % monitor_every == 0:
            with np.errstate(over="ignore", invalid="ignore"):
                predicted = info.model.predict(X_monitor)
            result.monitor_steps.append(len(info.history.loss))
            result.monitor_accuracy.append(accuracy(y_monitor, predicted))
        if callback is not None:
            callback(info, result)
        if stop_event is not None and stop_event.is_set():
            raise StopTraining

    start = time.perf_counter()
    try:
        trained = train_recipe(settings, data=data, callback=on_step)
    except DivergenceError as exc:
        result.history = exc.history
        result.seconds = time.perf_counter() - start
        result.status, result.level = "diverged", "error"
        result.message = _divergence_message(exc, settings)
        return result
    result.model, result.history = trained.model, trained.history
    result.validation, result.test = trained.validation, trained.test
    with np.errstate(over="ignore", invalid="ignore"):  # a run that overshot has huge logits
        result.confusion = confusion_matrix(data.y_test, trained.model.predict(data.X_test))
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
    advice = divergence_advice(settings.lr, settings.dropout)  # the words fit uses
    return f"{advice[0].upper()}{advice[1:]}."


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
    if rise > RECOVERED_FACTOR:  # not far enough for fit to call it divergence, but far
        return (
            "failed",
            "error",
            (
                f"Training failed: the loss shot up to {losses.max():.3g} ({rise:.0f} times its "
                f"first value) at {where_peak}, and the network never recovered; its test accuracy "
                f"{test_accuracy} is no better than guessing ({chance}). {_hint(settings)}"
            ),
        )
    if (
        rise > OVERSHOOT_FACTOR
        or settings.lr > LARGE_LR_FACTOR * OPTIMIZERS[settings.optimizer].typical_lr
        or not settings.normalize
    ):
        rose = (
            f" (the loss rose to {rise:.1f} times its first value)"
            if rise > OVERSHOOT_FACTOR
            else ""
        )
        return (
            "failed",
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


def result_html(result):
    """One line of HTML for a finished run: its number, settings, outcome and time."""
    return (
        f"<b>Run {result.number}</b> ({html.escape(result.settings.describe())}): "
        f"<b>{html.escape(result.summary())}</b> · {result.seconds:.1f} s"
    )


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
        "validation",
        "test",
        "time",
    )
    rows = []
    for r in reversed(list(results)):
        s = r.settings
        outcome = f"{100 * r.validation.accuracy:.2f}%" if r.usable else "—"
        if r.status != "finished":
            outcome = f"{r.status} · {outcome}" if r.usable else r.status
        tested = f"{100 * r.test.accuracy:.2f}%" if r.usable else "—"
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
            ", ".join(s.extras()) or "—",
            outcome,
            tested,
            f"{r.seconds:.1f} s",
        )
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
    return (
        f'<table style="font-size:12px;border-collapse:collapse;white-space:nowrap;'
        f'margin-right:12px" cellpadding="3">{header}{"".join(rows)}</table>'
    )
