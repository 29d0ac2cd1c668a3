"""What the playground's controls can be set to, and the settings of one run, checked against it.

``CONTROLS`` is the one place that says which values each control offers: the panel builds its
widgets from it, and ``PlaygroundSettings`` refuses any value a control could not show, so an
impossible value can neither be typed into the panel nor passed in code.
"""

import math
from dataclasses import dataclass, fields

from ..checks import check_bool, check_choice, check_int, check_number, is_integer
from ..data import DATASETS
from ..optim import OPTIMIZERS
from ..recipe import VALIDATION_SIZE, Recipe


@dataclass(frozen=True)
class Slider:
    """A number from ``low`` to ``high`` in steps of ``step`` (on a log scale if ``log``)."""

    label: str
    low: float
    high: float
    step: float = 1
    log: bool = False
    hint: str = ""

    @property
    def integer(self):
        return isinstance(self.step, int) and not self.log

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
class Choice:
    """One of a few ``options``: (label shown, value) pairs."""

    label: str
    options: tuple

    @property
    def values(self):
        return tuple(value for _label, value in self.options)

    def check(self, name, value):
        return check_choice(name, value, self.values)


@dataclass(frozen=True)
class Toggle:
    """True or False (a tick box)."""

    label: str

    def check(self, name, value):
        return check_bool(name, value)


@dataclass(frozen=True)
class Number:
    """An integer typed into a box, from ``low`` to ``high``."""

    label: str
    low: int
    high: int

    def check(self, name, value):
        return check_int(name, value, self.low, self.high)


BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
MONITOR_SIZE = 1000  # validation images checked during training for the live accuracy
TRAINING_IMAGES = 60_000  # in both datasets; the last VALIDATION_SIZE of them are held out

# Every control of the panel, in the order it shows them. The keys are Recipe settings, except
# hidden1 and hidden2: the two sliders of ``hidden_sizes`` (hidden2 = 0: one hidden layer only).
CONTROLS = {
    "lr": Slider("learning rate", 1e-4, 10.0, step=0.1, log=True, hint="try 0.05"),
    "hidden1": Slider("hidden layer 1", 1, 512),
    "hidden2": Slider("hidden layer 2", 0, 512, hint="0 means no second hidden layer"),
    "batch_size": Choice("batch size", tuple((str(b), b) for b in BATCH_SIZES)),
    "epochs": Slider("epochs", 1, 20),
    "optimizer": Choice(
        "optimizer", tuple((choice.label, name) for name, choice in OPTIMIZERS.items())
    ),
    "init": Choice(
        "initial weights",
        (("He", "he"), ("Xavier", "xavier"), ("N(0, 0.01²), the seed's", "normal")),
    ),
    "train_size": Slider("training images", 1000, TRAINING_IMAGES - VALIDATION_SIZE, step=1000),
    "dataset": Choice(
        "dataset", (("MNIST digits", "mnist"), ("Fashion-MNIST clothes", "fashion-mnist"))
    ),
    "normalize": Toggle("pixels in [0, 1]"),
    "seed": Number("seed", 0, 9999),
    # Notebook 08's extras: a schedule and three ways to fight overfitting.
    "lr_schedule": Choice(
        "lr schedule", (("constant", "constant"), ("cosine, down to 0", "cosine"))
    ),
    "weight_decay": Choice(
        "weight decay", (("none", 0.0), ("0.0001", 1e-4), ("0.0005", 5e-4), ("0.001", 1e-3))
    ),
    "dropout": Slider("dropout", 0.0, 0.5, step=0.05, hint="try 0.1"),
    "shift": Slider("random shift (px)", 0, 2),  # notebook 08: shifts of 1 pixel helped most
}
assert set(DATASETS) == set(CONTROLS["dataset"].values), "a dataset without a label"


def hidden_sizes_from(hidden1, hidden2):
    """The two sliders' values as hidden_sizes: (hidden1, hidden2), or (hidden1,) if hidden2 is 0."""
    return (hidden1, hidden2) if hidden2 else (hidden1,)


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
            if name not in ("hidden1", "hidden2"):
                control.check(name, getattr(self, name))
        sizes = self.hidden_sizes
        if (
            isinstance(sizes, (str, bytes))
            or not hasattr(sizes, "__len__")
            or len(sizes) not in (1, 2)
        ):
            raise ValueError(
                f"the playground trains one or two hidden layers: hidden_sizes must hold 1 or 2 "
                f"sizes, e.g. (64, 32), got {sizes!r}"
            )
        for number, size in enumerate(sizes, start=1):
            slider = CONTROLS[f"hidden{number}"]
            check_int(f"hidden layer {number} (hidden_sizes[{number - 1}])", size, 1, slider.high)
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
        super().__post_init__()

    def kept_changes(self):
        """The settings without a control that differ from the defaults, in words ('' if none):
        e.g. 'dtype float64, validation 5000'."""
        default = PlaygroundSettings()
        return ", ".join(
            f"{name} {getattr(self, name)}"
            for name in KEPT
            if getattr(self, name) != getattr(default, name)
        )

    def control_values(self):
        """{control name: value} for every control of the panel."""
        values = {
            name: getattr(self, name) for name in CONTROLS if name not in ("hidden1", "hidden2")
        }
        values["hidden1"] = self.hidden_sizes[0]
        values["hidden2"] = self.hidden_sizes[1] if len(self.hidden_sizes) == 2 else 0
        return values


# The Recipe settings that no control shows: a playground keeps them, as given, for every run.
KEPT = tuple(
    f.name
    for f in fields(PlaygroundSettings)
    if f.name not in CONTROLS and f.name != "hidden_sizes"  # hidden_sizes: hidden1 and hidden2
)


def log10_range(slider):
    """A log slider's bounds as exponents of 10: (-4, 1) for 1e-4 .. 10."""
    return math.log10(slider.low), math.log10(slider.high)
