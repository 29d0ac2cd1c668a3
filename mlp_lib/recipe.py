"""A training recipe: every setting of one training run, checked once, and the one way to train it.

    from mlp_lib import PRESETS, train_recipe
    recipe = PRESETS["best"].replace(epochs=3)   # a changed copy, checked again
    result = train_recipe(recipe)                # load the data, build, train, evaluate
    print(result.test)                           # e.g. 98.61% (9861/10000)

The command line, the presets, notebook 08's ladder and the playground all describe a run as a
``Recipe`` and train it with ``train_recipe``: a setting added here reaches all of them.
"""

import os
import platform
from dataclasses import dataclass, field, fields
from dataclasses import replace as _replace
from typing import NamedTuple

import numpy as np

from .augment import Chain, ElasticDistortion, RandomShift
from .checks import (
    FLOAT_DTYPES,
    check_bool,
    check_choice,
    check_float_dtype,
    check_int,
    check_number,
    is_integer,
)
from .data import DATASETS, IMAGE_SHAPE, Dataset, load_dataset
from .layers import INITS
from .model import MLP
from .model_file import check_network_size
from .optim import OPTIMIZERS, check_decay_factor, make_optimizer
from .threads import available_cpus
from .train import LR_SCHEDULES, Evaluation, History, evaluate, fit

N_INPUTS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]  # 784 pixels, for MNIST and Fashion-MNIST alike
N_CLASSES = 10


def _check_hidden_sizes(value):
    """(512, 256) from a tuple or list of positive integers."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
        raise ValueError(
            f"hidden_sizes must be one or more positive integers such as (512, 256), got {value!r}"
        )
    if not all(is_integer(size) and size > 0 for size in value):
        raise ValueError(
            f"every hidden size must be a positive integer, got {tuple(value)!r}; e.g. (512, 256)"
        )
    return tuple(int(size) for size in value)


def _check_train_size(value):
    return None if value is None else check_int("train_size", value, low=1, hint="or None for all")


VALIDATION_SIZE = 10_000  # the last 10,000 training images: as many as the test set


# The settings that take one of a few values, and those values.
CHOICES = {
    "dataset": DATASETS,
    "init": INITS,
    "dtype": FLOAT_DTYPES,
    "optimizer": OPTIMIZERS,
    "lr_schedule": LR_SCHEDULES,
}

# What each setting may be, in one place: the check turns an acceptable value into its plain form
# (np.float32 -> "float32", [512, 256] -> (512, 256)) or raises a ValueError that names the value.
CHECKS = {
    "dataset": lambda v: check_choice("dataset", v, CHOICES["dataset"]),
    "train_size": _check_train_size,
    "validation": lambda v: check_int("validation", v, low=0, hint=f"try {VALIDATION_SIZE} or 0"),
    "normalize": lambda v: check_bool("normalize", v),
    "hidden_sizes": _check_hidden_sizes,
    "init": lambda v: check_choice("init", v, CHOICES["init"]),
    "dropout": lambda v: check_number("dropout", v, 0, 1, high_open=True, hint="try 0.1"),
    "dtype": lambda v: check_float_dtype(v).name,
    "optimizer": lambda v: check_choice("optimizer", v, CHOICES["optimizer"]),
    "lr": lambda v: check_number("lr", v, low=0, low_open=True, hint="try 0.1"),
    "lr_schedule": lambda v: check_choice("lr_schedule", v, CHOICES["lr_schedule"]),
    "weight_decay": lambda v: check_number("weight_decay", v, low=0, hint="try 0 or 5e-4"),
    "batch_size": lambda v: check_int("batch_size", v, low=1, hint="try 128"),
    "epochs": lambda v: check_int("epochs", v, low=1),
    "shift": lambda v: check_int("shift", v, 0, min(IMAGE_SHAPE) - 1, hint="pixels; try 1"),
    "elastic": lambda v: check_number("elastic", v, low=0, hint="pixels; try 34, or 0 for none"),
    "elastic_sigma": lambda v: check_number("elastic_sigma", v, low=0, low_open=True, hint="try 4"),
    "seed": lambda v: check_int("seed", v, low=0),
}


def _setting(default, help, metavar=None):
    """A Recipe field: its default, and the sentence and placeholder ``--help`` shows for it."""
    return field(default=default, metadata={"help": help, "metavar": metavar})


@dataclass(frozen=True)
class Recipe:
    """Everything that decides one training run; every value is checked when a Recipe is made.

    The data: ``dataset``, ``validation`` (the last N training images are held out: settings are
    chosen by the accuracy on them, never on the test set), ``train_size`` (None: every training
    image that is not held out), ``normalize``.
    The network: ``hidden_sizes``, ``init``, ``dropout``, ``dtype``.
    The training: ``optimizer``, ``lr``, ``lr_schedule``, ``weight_decay``, ``batch_size``,
    ``epochs``, ``shift`` (random shifts of the training images, in pixels), ``elastic`` and
    ``elastic_sigma`` (random elastic distortions of them: ``augment.ElasticDistortion``), ``seed``.

    ``Recipe(lr=-1)`` raises a ValueError that names the setting, the value and a fix;
    ``recipe.replace(epochs=3)`` is a changed copy, checked again.
    """

    dataset: str = _setting("mnist", "mnist (digits) or fashion-mnist (clothes)")
    train_size: int | None = _setting(None, "train on the first N training images only", "N")
    validation: int = _setting(
        VALIDATION_SIZE,
        "hold out the last N training images to choose settings by (0: train on all)",
        "N",
    )
    normalize: bool = _setting(True, "pixels in [0, 1] (False: raw 0..255, as the seed program)")
    hidden_sizes: tuple = _setting((512, 256), "hidden layer sizes, e.g. 512,256", "H1,H2")
    init: str = _setting("he", "weight initialisation")
    dropout: float = _setting(0.0, "drop hidden units with probability P while training", "P")
    dtype: str = _setting("float32", "float32 (fast) or float64 (the same digits everywhere)")
    optimizer: str = _setting("momentum", "how a gradient becomes a step")
    lr: float = _setting(0.1, "learning rate")
    lr_schedule: str = _setting("cosine", "constant, or cosine: lower the learning rate to 0")
    weight_decay: float = _setting(
        0.0, "shrink the weights by lr*LAMBDA every step (L2), e.g. 5e-4", "LAMBDA"
    )
    batch_size: int = _setting(128, "images per step")
    epochs: int = _setting(5, "passes over the training images")
    shift: int = _setting(0, "shift training images at random by up to PIXELS pixels", "PIXELS")
    elastic: float = _setting(
        0.0, "bend training images by random elastic distortions of ALPHA pixels (0: none)", "ALPHA"
    )
    elastic_sigma: float = _setting(
        4.0, "how smooth the elastic distortions are, in pixels (larger: smoother)", "SIGMA"
    )
    seed: int = _setting(0, "seed for the weights, the shuffling and the augmentation")

    def __post_init__(self):
        for f in fields(Recipe):
            # A frozen dataclass: the checked, plain value is stored the only way it can be.
            object.__setattr__(self, f.name, CHECKS[f.name](getattr(self, f.name)))
        check_decay_factor(self.lr, self.weight_decay)  # a check of two settings together
        # The limits of model files, checked before anything is allocated: MLP checks the same.
        check_network_size(
            self.layer_sizes, f"hidden_sizes {self.hidden_sizes}", "try e.g. (512, 256)"
        )

    def replace(self, **changes):
        """A copy with some settings changed (checked again), e.g. ``recipe.replace(lr=0.05)``."""
        return _replace(self, **changes)

    def as_dict(self):
        """The settings as a plain dict (lists for tuples): for JSON files and printing."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in fields(self)
        }

    @property
    def layer_sizes(self):
        """(784, *hidden_sizes, 10)."""
        return (N_INPUTS, *self.hidden_sizes, N_CLASSES)

    def extras(self):
        """Notebook 08's additions in words, e.g. ['cosine schedule', 'dropout 0.1']; [] if none."""
        phrases = [
            (f"{self.lr_schedule} schedule", self.lr_schedule != "constant"),
            (f"weight decay {self.weight_decay:g}", self.weight_decay),
            (f"dropout {self.dropout:g}", self.dropout),
            (f"shifts ±{self.shift}", self.shift),
            (f"elastic distortions α {self.elastic:g} σ {self.elastic_sigma:g}", self.elastic),
        ]
        return [text for text, used in phrases if used]

    def describe(self):
        """One line, e.g. '784-64-32-10 · momentum lr 0.05 · batch 64 · 3 epochs · dropout 0.1'."""
        network = "-".join(str(size) for size in self.layer_sizes)
        epochs = f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}"
        parts = [network, f"{self.optimizer} lr {self.lr:.3g}", f"batch {self.batch_size}", epochs]
        return " · ".join(parts + self.extras())


def build(recipe):
    """The (model, optimizer, augment) a recipe describes; augment is None without shifts or
    distortions (with both, each batch is shifted, then distorted)."""
    model = MLP(
        recipe.layer_sizes,
        init=recipe.init,
        seed=recipe.seed,
        dtype=np.dtype(recipe.dtype),
        dropout=recipe.dropout,
    )
    optimizer = make_optimizer(recipe.optimizer, recipe.lr, weight_decay=recipe.weight_decay)
    steps = [RandomShift(recipe.shift)] if recipe.shift else []
    if recipe.elastic:
        steps.append(ElasticDistortion(recipe.elastic, recipe.elastic_sigma))
    augment = Chain(*steps) if len(steps) > 1 else (steps[0] if steps else None)
    return model, optimizer, augment


@dataclass
class RecipeResult:
    """A trained ``model``, its training ``history`` and its recipe.

    ``validation``: its ``Evaluation`` on the held-out training images (None if the recipe holds
    none out); ``test``: on the test set, measured once, at the end.
    """

    recipe: Recipe
    model: MLP
    history: History
    validation: Evaluation | None
    test: Evaluation
    train_images: int

    def record(self):
        """What the run did, as plain numbers for a JSON file (accuracies as fractions).

        The settings, the validation and test results, the training time, and per epoch: the
        validation accuracy, the training accuracy and the mean mini-batch loss.
        """
        h, validation = self.history, self.validation
        epoch_loss = [
            float(np.mean(h.loss[i * h.steps_per_epoch : (i + 1) * h.steps_per_epoch]))
            for i in range(h.epochs)
        ]
        return dict(
            settings=self.recipe.as_dict(),
            train_images=self.train_images,
            validation_accuracy=None if validation is None else validation.accuracy,
            validation_correct=None if validation is None else validation.correct,
            validation_total=None if validation is None else validation.total,
            test_accuracy=self.test.accuracy,
            correct=self.test.correct,
            total=self.test.total,
            train_seconds=round(h.seconds, 2),
            epoch_val_accuracy=h.val_accuracy,
            epoch_train_accuracy=h.train_accuracy,
            epoch_loss=epoch_loss,
        )


def machine_facts():
    """A few facts about the machine a result was measured on, for result files."""
    return dict(
        cpus=os.cpu_count(),
        blas_threads_available=available_cpus(),
        python=platform.python_version(),
        numpy=np.__version__,
    )


class Split(NamedTuple):
    """The images a recipe trains on (X_fit, y_fit) and those it holds out (X_val, y_val)."""

    X_fit: np.ndarray
    y_fit: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def split_training_data(recipe, data):
    """The recipe's training images and its validation images: the last ``recipe.validation``
    of the training split are held out, and ``train_size`` takes the first N of the rest.

    Shapes: X_fit (train_size, 784), X_val (validation, 784); views, nothing is copied.
    """
    _check_data(recipe, data)
    n_available = len(data.X_train) - recipe.validation
    n = n_available if recipe.train_size is None else recipe.train_size
    return Split(
        data.X_train[:n], data.y_train[:n], data.X_train[n_available:], data.y_train[n_available:]
    )


def train_recipe(recipe, *, data=None, data_dir=None, callback=None, progress=False):
    """Load the data, train the recipe's network, evaluate it on the held-out and the test images.

    Parameters
    ----------
    recipe : Recipe (e.g. ``PRESETS["best"]``, or one with changes)
    data : a ``Dataset`` already in memory (matching the recipe's dataset and pixel scale);
        default: read from ``data_dir`` (see ``load_mnist``)
    callback : ``fit``'s: called with a ``StepInfo`` after every step; may raise ``StopTraining``
    progress : show a progress bar

    The accuracy on the held-out images is recorded after every epoch (``history.val_accuracy``);
    the test set is used once, after training. Returns a ``RecipeResult``; ``history.seconds`` is
    the training time alone. Raises ``DivergenceError`` (with the ``history`` so far) if
    training diverges.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe, got {type(recipe).__name__}; try Recipe()")
    if data is None:
        data = load_dataset(
            recipe.dataset, normalize=recipe.normalize, dtype=recipe.dtype, data_dir=data_dir
        )
    split = split_training_data(recipe, data)
    held_out = recipe.validation > 0
    model, optimizer, augment = build(recipe)
    history = fit(
        model,
        split.X_fit,
        split.y_fit,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        optimizer=optimizer,
        seed=recipe.seed,
        lr_schedule=recipe.lr_schedule,
        augment=augment,
        X_val=split.X_val if held_out else None,
        y_val=split.y_val if held_out else None,
        callback=callback,
        progress=progress,
    )
    with np.errstate(over="ignore", invalid="ignore"):  # a run that overshot has huge logits
        validation = evaluate(model, split.X_val, split.y_val) if held_out else None
        test = evaluate(model, data.X_test, data.y_test)
    return RecipeResult(recipe, model, history, validation, test, len(split.X_fit))


def _check_data(recipe, data):
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a Dataset (mlp_lib.data.load_dataset), got {type(data)}")
    if (data.dataset, data.normalize) != (recipe.dataset, recipe.normalize):
        raise ValueError(
            f"data is {data.dataset} with normalize={data.normalize}, but the recipe asks for "
            f"{recipe.dataset} with normalize={recipe.normalize}; pass "
            f"load_dataset({recipe.dataset!r}, normalize={recipe.normalize})"
        )
    n_available = len(data.X_train) - recipe.validation
    if n_available <= 0:
        raise ValueError(
            f"validation {recipe.validation} holds out all {len(data.X_train)} training images; "
            f"hold out fewer, e.g. validation={len(data.X_train) // 6}"
        )
    if recipe.train_size is not None and recipe.train_size > n_available:
        held_out = f" once {recipe.validation} are held out" if recipe.validation else ""
        raise ValueError(
            f"train_size {recipe.train_size} is larger than the {n_available} training images"
            f"{held_out}; use at most {n_available}, or None for all"
        )
