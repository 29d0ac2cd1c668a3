"""The playground panel: controls, Train and Stop, live curves, the results and the last runs.

    from mlp_lib.playground import Playground
    playground = Playground()
    playground                       # in a notebook: the panel; press Train

Training runs in a background thread, so the notebook stays responsive and Stop can be clicked;
``Playground(blocking=True)`` trains in the calling thread instead (tests, scripts).

Every image has a text alternative that follows the run (``alt_texts``), every control a name,
and the panel's headings are level 3: it sits under a notebook's ``##`` section.
"""

import threading
import time
from collections import deque
from dataclasses import replace

from ..accessible_widgets import AltImage, SliderNames
from ..batches import n_batches
from .alt_texts import CURVES_BEFORE, confusion_alt, curves_alt, examples_alt, runs_alt, weights_alt
from .controls import (
    CONTROL_WIDTH,
    LABEL_STYLE,
    box,
    make_control,
    named,
    require_widgets,
    widget_bundle,
    widgets,
)
from .data import load_data
from .figures import (
    LiveCurves,
    confusion_figure,
    example_indices,
    plot_examples,
    plot_runs,
    show_png,
    weights_png,
)
from .runs import result_html, runs_table, train_run
from .settings import CONTROLS, PlaygroundSettings

MAX_RUNS_KEPT = 5
REFRESH_SECONDS = 0.25  # live plot at most 4 times a second: smooth, and cheap
RENDER_SHARE = 3  # ...and never more often than every 3x the time a frame takes
N_WEIGHT_TILES = 16  # hidden units whose first-layer weights are shown


def check_settings_type(settings):
    """Refuse anything but a PlaygroundSettings (or None) with a TypeError that shows how."""
    if settings is not None and not isinstance(settings, PlaygroundSettings):
        raise TypeError(
            f"settings must be a PlaygroundSettings (checked against the controls), got "
            f"{type(settings).__name__}; try PlaygroundSettings(lr=0.05, epochs=3)"
        )


class Playground:
    """The interactive panel: controls, Train / Stop, live curves, results and the last runs.

    Parameters
    ----------
    settings : PlaygroundSettings with the initial values (default: a run of a couple of seconds);
        those without a control (``settings.KEPT``: dtype, validation, elastic distortions)
        are used for every run; anything but a PlaygroundSettings is refused (TypeError)
    blocking : if True, Train trains in the calling thread (tests); else in a background thread
    max_runs : how many past runs the comparison keeps
    refresh_seconds : the live plot is redrawn at most this often
    data_loader : ``load_data``, or a function (dataset, normalize) -> Dataset
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
        require_widgets()
        check_settings_type(settings)
        # The settings of the next run. Those without a control (KEPT: dtype, validation, ...)
        # are read from here at every Train; the others from the controls.
        self.defaults = settings if settings is not None else PlaygroundSettings()
        self.blocking = blocking
        self.refresh_seconds = refresh_seconds
        self.data_loader = data_loader
        self.runs = deque(maxlen=max_runs)
        self.last_result = None
        self.last_trained = None  # the last run with a usable model (for the image picker)
        self.last_error = None
        self._run_count = 0
        self._listeners = []  # called after each run with a usable model
        self._live_listeners = []  # called at every redraw while a run trains
        self._stop_event = threading.Event()
        self._thread = None
        self._busy = False
        self._next_refresh = 0.0
        self.live = LiveCurves()
        self.controls = {name: make_control(spec) for name, spec in CONTROLS.items()}
        self._build_buttons_and_outputs()
        self.widget = self._layout()
        self.set_settings(self.defaults)

    # -- building ---------------------------------------------------------------------------------

    def _build_buttons_and_outputs(self):
        W = widgets
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
        self.train_button.on_click(lambda _button: self.train())
        self.stop_button.on_click(lambda _button: self.stop())
        self.progress = named(
            W.IntProgress(
                value=0,
                min=0,
                max=1,
                description="progress",
                style=LABEL_STYLE,
                layout=W.Layout(width=CONTROL_WIDTH),
            ),
            "progress",
        )
        self.status = named(W.HTML(box("Choose the settings, then press Train.")), "status")
        self.live_image = named(AltImage(layout=W.Layout(flex="0 0 auto")), "live-plot")
        show_png(self.live_image, self.live.fig, CURVES_BEFORE)
        self.accuracy_html = named(W.HTML(""), "accuracy")
        self.runs_html = named(W.HTML(""), "runs")
        hidden = dict(display="none", flex="0 0 auto")  # shown after the first run
        self.confusion_image = named(AltImage(layout=W.Layout(**hidden)), "confusion")
        self.examples_image = named(AltImage(layout=W.Layout(**hidden)), "examples")
        self.compare_image = named(AltImage(layout=W.Layout(**hidden)), "compare")
        self.weights_image = named(AltImage(layout=W.Layout(**hidden)), "weights")

    def _layout(self):
        """Controls beside the live plot; the results and the last runs below."""
        W = widgets

        def side_by_side(*children):  # side by side when there is room, else one under the other
            return W.HBox(children, layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))

        def heading(text):  # level 3: the panel sits under a notebook's ## section
            return W.HTML(f"<h3 style='margin:8px 0 2px;font-size:1.1em'>{text}</h3>")

        controls = W.VBox(
            [*self.controls.values(), W.HBox([self.train_button, self.stop_button]), self.progress],
            layout=W.Layout(flex="0 0 auto"),
        )
        weights = W.VBox(
            [
                W.HTML(
                    f"<small>First-layer weights of {N_WEIGHT_TILES} hidden units, live: red where ink raises "
                    "the unit's input, blue where it lowers it</small>"
                ),
                self.weights_image,
            ]
        )
        live = W.VBox([self.live_image, self.status, weights], layout=W.Layout(width="590px"))
        panel = W.VBox(
            [
                side_by_side(controls, live),
                heading("After training"),
                self.accuracy_html,
                side_by_side(self.confusion_image, self.examples_image),
                heading("The last runs"),
                side_by_side(self.runs_html, self.compare_image),
                SliderNames(),  # a name for each slider's handle, read by screen readers
            ]
        )
        return named(panel, "playground")

    def _repr_mimebundle_(self, **kwargs):
        """Display the panel when the Playground is the last expression of a cell."""
        return widget_bundle(self.widget, repr(self))

    def __repr__(self):
        return f"Playground(runs={len(self.runs)}, running={self.running})"

    # -- settings ---------------------------------------------------------------------------------

    def settings(self):
        """The PlaygroundSettings the controls show now (checked), with the settings that have no
        control (``KEPT``) as the playground was given them."""
        values = {name: control.value for name, control in self.controls.items()}
        return replace(self.defaults, **values)

    def set_settings(self, settings=None, **changes):
        """Move the controls to ``settings`` and/or keyword changes; returns the new settings.

        Everything is checked before any control moves, so a bad value changes nothing. The
        settings without a control (``KEPT``) are kept for every later run, as given here.
        """
        check_settings_type(settings)
        base = settings if settings is not None else self.settings()
        settings = replace(base, **changes)  # checked here, or a ValueError
        for name, control in self.controls.items():
            control.value = getattr(settings, name)
        self.defaults = settings
        kept = settings.kept_changes()
        if kept and not self._busy:
            self.status.value = box(
                f"Choose the settings, then press Train. Set in code, kept for every run: {kept}."
            )
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
            self.status.value = box(f"Cannot train: {exc}", "error")
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
            self.status.value = box("Stopping…", "warning")

    def wait(self, timeout=None):
        """Wait for the background run to end; True if nothing is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self._busy

    def add_listener(self, listener, *, while_training=False):
        """Call ``listener(result, data)`` after every run that produced a usable model; or,
        ``while_training``, ``listener(result)`` at every redraw of the live plot."""
        (self._live_listeners if while_training else self._listeners).append(listener)

    def image_picker(self):
        """The small second widget: a slider over the test images and this network's answer."""
        from .explorer import ImageExplorer

        return ImageExplorer(self)

    def draw_panel(self):
        """Draw a digit and watch this playground's network read it, even while it trains."""
        from .drawing import PlaygroundReader

        return PlaygroundReader(self)

    def _set_controls_enabled(self, enabled):
        for control in (*self.controls.values(), self.train_button):
            control.disabled = not enabled
        self.stop_button.disabled = enabled

    def _run(self, settings, number):
        """One run, start to end; every error ends up in the panel, never lost in the thread."""
        result = None
        try:
            name = "MNIST" if settings.dataset == "mnist" else "Fashion-MNIST"
            self.status.value = box(f"Run {number}: loading {name}…")
            data = self.data_loader(settings.dataset, settings.normalize)
            self.progress.max = settings.epochs * n_batches(
                settings.train_size, settings.batch_size
            )
            self.progress.value = 0
            self.progress.bar_style = ""
            self._next_refresh = 0.0
            result = train_run(
                settings, data, callback=self._on_step, stop_event=self._stop_event, number=number
            )
            self._show_result(result, data)
            if result.usable:
                self.last_trained = result
                self._notify_listeners(result, data)  # after the run: their errors are theirs
        except Exception as exc:  # noqa: BLE001 -- shown to the student, kept for tests
            self.last_error = exc
            self.status.value = box(
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
        self.status.value = box(
            f"Run {self._run_count}: epoch {info.epoch} of {result.settings.epochs}, "
            f"step {info.step} of {info.steps_per_epoch}, loss {info.loss:.3g}"
        )
        title = f"Run {self._run_count}: {result.settings.describe()}"
        show_png(self.live_image, self.live.update(result, title).fig, curves_alt(result))
        self._show_weights(info.model, result.number, training=True)
        for listener in self._live_listeners:
            listener(result)
        # On a busy machine drawing is slow: wait RENDER_SHARE x as long as the last drawing took,
        # so drawing never takes more than about a quarter of the time and training goes on.
        drawn = time.perf_counter()
        self._next_refresh = drawn + max(self.refresh_seconds, RENDER_SHARE * (drawn - now))

    def _show_result(self, result, data):
        self.progress.value = result.steps
        show_png(
            self.live_image,
            self.live.update(result, f"Run {result.number}: {result.settings.describe()}").fig,
            curves_alt(result),
        )
        kind = (
            "warning" if result.level == "success" and result.status == "stopped" else result.level
        )
        self.status.value = box(f"Run {result.number}: {result.message}", kind)
        self.progress.bar_style = {"success": "success", "warning": "warning", "error": "danger"}[
            kind
        ]
        self.accuracy_html.value = result_html(result)
        self.runs.append(result)
        self.last_result = result
        self.runs_html.value = runs_table(self.runs)
        # The figures last: they take a moment, and the text above already tells the outcome.
        if result.usable:
            names = data.class_names
            show_png(
                self.confusion_image,
                confusion_figure(result, names),
                confusion_alt(result.confusion, names, result.number),
            )
            indices = example_indices(result.model, data)
            probs = result.model.predict_proba(data.X_test[indices])  # (n, C)
            show_png(
                self.examples_image,
                plot_examples(result.model, data, indices),
                examples_alt(indices, data.y_test[indices], probs, names),
            )
        else:
            for image in (self.confusion_image, self.examples_image):
                image.layout.display = "none"
        show_png(self.compare_image, plot_runs(list(self.runs)), runs_alt(list(self.runs)))
        if result.model is not None:
            self._show_weights(result.model, result.number)

    def _show_weights(self, model, number, training=False):
        W0 = model.parameters()["W0"]  # (784, H)
        self.weights_image.alt = weights_alt(number, min(N_WEIGHT_TILES, W0.shape[1]), training)
        self.weights_image.value = weights_png(W0, n_units=N_WEIGHT_TILES)
        self.weights_image.layout.display = None

    def _notify_listeners(self, result, data):
        """Call every listener; one that fails does not undo the finished run, nor stop the others.

        Its error is kept in ``last_error`` and added to the run's message.
        """
        for listener in self._listeners:
            try:
                listener(result, data)
            except Exception as exc:  # noqa: BLE001 -- shown to the student, kept for tests
                self.last_error = exc
                name = getattr(listener, "__qualname__", type(listener).__name__)
                self.status.value = box(
                    f"Run {result.number}: {result.message} The run is complete, but showing it "
                    f"in {name} failed: {type(exc).__name__}: {exc}",
                    "error" if result.level == "error" else "warning",
                )
