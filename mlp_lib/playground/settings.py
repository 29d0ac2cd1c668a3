"""What the playground's controls can be set to, and the settings of one run, checked against it.

``CONTROLS`` is the one place that says which values each control offers: the panel builds its
widgets from it, and ``PlaygroundSettings`` refuses any value a control could not show, so an
impossible value can neither be typed into the panel nor passed in code.

A control says only what is particular to the panel: its label, the part of the setting's range
a slider shows and its step, or the labels of the options. The rest comes from the Recipe setting
it controls (``mlp_lib.settings``): a slider's bounds where it gives none, and whether it moves
in whole numbers. The control's type decides the widget (``controls.make_control``).
"""

import math
from dataclasses import dataclass, fields

from ..checks import check_choice, check_int, check_number, is_integer
from ..optim import OPTIMIZERS
from ..recipe import VALIDATION_SIZE, Recipe
from ..settings import Optional, constraints

RECIPE_SETTINGS = constraints(Recipe)  # {name: constraint} for every Recipe setting


@dataclass(frozen=True)
class Control:
    """A control of the panel for the Recipe setting ``name``, shown as ``label``."""

    name: str
    label: str

    @property
    def setting(self):
        """The Recipe's constraint for this setting: what any value of it must be."""
        return RECIPE_SETTINGS[self.name]

    def check(self, name, value):
        """The value in its plain form if the control can show it; else a ValueError."""
        return self.setting.check(name, value)


@dataclass(frozen=True)
class Slider(Control):
    """A number from ``low`` to ``high`` in steps of ``step`` (on a log scale if ``log``).

    A bound not given is the setting's own (``epochs``: from 1), and the slider moves in whole
    numbers if the setting is an integer.
    """

    low: float = None
    high: float = None
    step: float = 1
    log: bool = False
    hint: str = ""

    def __post_init__(self):
        for end in ("low", "high"):
            if getattr(self, end) is None:  # a frozen dataclass: set the only way it can be
                object.__setattr__(self, end, getattr(self.interval, end))
        if self.low is None or self.high is None:
            raise ValueError(f"the {self.label!r} slider needs a low and a high end")

    @property
    def interval(self):
        """The setting's Interval (for train_size: that of its values other than None)."""
        setting = self.setting
        return setting.inner if isinstance(setting, Optional) else setting

    @property
    def integer(self):
        return self.interval.kind is int and not self.log

    def check(self, name, value):
        if not self.integer:
            return check_number(name, value, self.low, self.high, hint=self.hint)
        value = check_int(name, value, self.low, self.high, hint=self.hint)
        if (value - self.low) % self.step:
            raise ValueError(
                f"{name} must be a multiple of {self.step} from {self.low} to {self.high}, "
                f"got {value}"
            )
        return value


@dataclass(frozen=True)
class Choice(Control):
    """One of a few ``options``, (label shown, value) pairs, in a drop-down list.

    Every value must be one the setting accepts; and where the setting is one of a few values
    (``dataset``, ``optimizer``, ...), each of them must have a label.
    """

    options: tuple

    def __post_init__(self):
        for value in self.values:
            self.setting.check(self.name, value)  # a ValueError on import: CONTROLS is wrong
        choices = self.setting.choices
        if choices is not None and set(choices) != set(self.values):
            raise ValueError(
                f"the {self.label!r} control must offer every {self.name}: "
                f"{', '.join(map(str, choices))}; it offers {', '.join(map(str, self.values))}"
            )

    @property
    def values(self):
        return tuple(value for _label, value in self.options)

    def check(self, name, value):
        return check_choice(name, value, self.values)


@dataclass(frozen=True)
class ChoiceSlider(Choice):
    """One of many ordered ``options``, on a slider instead of a list (the batch sizes)."""


@dataclass(frozen=True)
class Toggle(Control):
    """True or False (a tick box)."""


@dataclass(frozen=True)
class Number(Control):
    """An integer typed into a box, up to ``high``, from ``low`` (default: the setting's own)."""

    high: int
    low: int = None

    def __post_init__(self):
        if self.low is None:
            object.__setattr__(self, "low", self.setting.low)

    def check(self, name, value):
        return check_int(name, value, self.low, self.high)


@dataclass(frozen=True)
class LayerSliders(Control):
    """One or two hidden layer sizes, as two sliders "<label> 1" and "<label> 2" up to ``high``.

    The second slider at 0 means no second layer: the sliders at (64, 32) are ``hidden_sizes``
    (64, 32), at (100, 0) they are (100,).
    """

    high: int
    lows = (1, 0)  # the first slider's lowest value, and the second's (0: no second layer)

    @property
    def labels(self):
        return (f"{self.label} 1", f"{self.label} 2")

    def check(self, name, value):
        if (
            isinstance(value, (str, bytes))
            or not hasattr(value, "__len__")
            or len(value) not in (1, 2)
        ):
            raise ValueError(
                f"the playground trains one or two hidden layers: {name} must hold 1 or 2 "
                f"sizes, e.g. (64, 32), got {value!r}"
            )
        for number, (label, size) in enumerate(zip(self.labels, value), start=1):
            check_int(f"{label} ({name}[{number - 1}])", size, 1, self.high)  # a size: from 1
        return tuple(int(size) for size in value)

    @staticmethod
    def sizes(first, second):
        """The sliders' values as sizes: (first, second), or (first,) if second is 0."""
        return (first, second) if second else (first,)

    @staticmethod
    def slider_values(sizes):
        """The sliders' values for ``sizes``: (64, 32) -> (64, 32), (100,) -> (100, 0)."""
        return (sizes[0], sizes[1] if len(sizes) == 2 else 0)


BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
MONITOR_SIZE = 1000  # validation images checked during training for the live accuracy
TRAINING_IMAGES = 60_000  # in both datasets; the last VALIDATION_SIZE of them are held out

# Every control of the panel, in the order it shows them, by the Recipe setting it controls.
CONTROLS = {
    control.name: control
    for control in (
        Slider("lr", "learning rate", 1e-4, 10.0, step=0.1, log=True, hint="try 0.05"),
        LayerSliders("hidden_sizes", "hidden layer", high=512),
        ChoiceSlider("batch_size", "batch size", tuple((str(b), b) for b in BATCH_SIZES)),
        Slider("epochs", "epochs", high=20),
        Choice(
            "optimizer",
            "optimizer",
            tuple((choice.label, name) for name, choice in OPTIMIZERS.items()),
        ),
        Choice(
            "init",
            "initial weights",
            (("He", "he"), ("Xavier", "xavier"), ("N(0, 0.01²), the seed's", "normal")),
        ),
        Choice(
            "activation",
            "activation",
            (("ReLU", "relu"), ("tanh", "tanh"), ("sigmoid", "sigmoid")),
        ),
        Slider("train_size", "training images", 1000, TRAINING_IMAGES - VALIDATION_SIZE, 1000),
        Choice(
            "dataset",
            "dataset",
            (("MNIST digits", "mnist"), ("Fashion-MNIST clothes", "fashion-mnist")),
        ),
        Toggle("normalize", "pixels in [0, 1]"),
        Number("seed", "seed", high=9999),
        # Notebook 08's extras: a schedule and three ways to fight overfitting.
        Choice(
            "lr_schedule",
            "lr schedule",
            (("constant", "constant"), ("cosine, down to 0", "cosine")),
        ),
        Choice(
            "weight_decay",
            "weight decay",
            (("none", 0.0), ("0.0001", 1e-4), ("0.0005", 5e-4), ("0.001", 1e-3)),
        ),
        Slider("dropout", "dropout", high=0.5, step=0.05, hint="try 0.1"),
        Slider("shift", "random shift (px)", high=2),  # notebook 08: shifts of 1 pixel helped most
    )
}


@dataclass(frozen=True)
class PlaygroundSettings(Recipe):
    """A Recipe with the playground's defaults (a run of a couple of seconds), checked against
    what its controls can show (``CONTROLS``).

    ``hidden_sizes`` has one or two sizes (one hidden layer or two). The settings in ``KEPT``
    (``dtype``, ``validation``, ``elastic``, ``elastic_sigma``) have no control: the panel trains
    every run with the values it was given in code, e.g. ``Playground(PlaygroundSettings(
    dtype="float64"))``. It always holds out validation images (at least ``MONITOR_SIZE``), to
    show the accuracy on them live.
    """

    train_size: int | None = 10_000
    hidden_sizes: tuple = (64, 32)
    lr: float = 0.05
    lr_schedule: str = "constant"
    batch_size: int = 64
    epochs: int = 3

    def __post_init__(self):
        for name, control in CONTROLS.items():
            control.check(name, getattr(self, name))
        check_int(
            "validation",
            self.validation,
            MONITOR_SIZE,
            hint="the live accuracy is measured on them",
        )
        if is_integer(self.train_size) and self.train_size + self.validation > TRAINING_IMAGES:
            raise ValueError(
                f"train_size {self.train_size} and validation {self.validation} need "
                f"{self.train_size + self.validation} training images, more than the "
                f"{TRAINING_IMAGES} there are; lower train_size to at most "
                f"{TRAINING_IMAGES - self.validation}, or validation"
            )
        super().__post_init__()  # the Recipe's own checks

    def kept_changes(self):
        """The settings without a control that differ from the defaults, in words ('' if none):
        e.g. 'dtype float64, validation 5000'."""
        default = PlaygroundSettings()
        return ", ".join(
            f"{name} {getattr(self, name)}"
            for name in KEPT
            if getattr(self, name) != getattr(default, name)
        )


# The Recipe settings that no control shows: a playground keeps them, as given, for every run.
KEPT = tuple(f.name for f in fields(PlaygroundSettings) if f.name not in CONTROLS)


def log10_range(slider):
    """A log slider's bounds as exponents of 10: (-4, 1) for 1e-4 .. 10."""
    return math.log10(slider.low), math.log10(slider.high)
