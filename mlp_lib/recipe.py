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
from dataclasses import dataclass, fields
from dataclasses import replace as _replace
from typing import NamedTuple

import numpy as np

from .augment import Chain, ElasticDistortion, RandomShift
from .data import DATASETS, IMAGE_SHAPE, Dataset, load_dataset
from .layers import ACTIVATIONS, INITS
from .model import MLP
from .model_file import check_network_size
from .optim import OPTIMIZERS, check_decay_factor, make_optimizer
from .settings import (
    Flag,
    FloatDType,
    Interval,
    Optional,
    Options,
    Sizes,
    constraints,
    setting,
)
from .threads import available_cpus
from .train import LR_SCHEDULES, Evaluation, History, evaluate, fit

N_INPUTS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]  # 784 pixels, for MNIST and Fashion-MNIST alike
N_CLASSES = 10
VALIDATION_SIZE = 10_000  # the last 10,000 training images: as many as the test set


@dataclass(frozen=True)
class Recipe:
    """Everything that decides one training run; every value is checked when a Recipe is made.

    The data: ``dataset``, ``validation`` (the last N training images are held out: settings are
    chosen by the accuracy on them, never on the test set), ``train_size`` (None: every training
    image that is not held out), ``normalize``.
    The network: ``hidden_sizes``, ``activation``, ``init``, ``dropout``, ``dtype``.
    The training: ``optimizer``, ``lr``, ``lr_schedule``, ``weight_decay``, ``batch_size``,
    ``epochs``, ``shift`` (random shifts of the training images, in pixels), ``elastic`` and
    ``elastic_sigma`` (random elastic distortions of them: ``augment.ElasticDistortion``), ``seed``.

    Each field says, in one line, its default, what it may be (a constraint from
    ``mlp_lib.settings``) and its help text: the checks here, the command line's options and the
    playground's bounds all come from that line.

    ``Recipe(lr=-1)`` raises a ValueError that names the setting, the value and a fix;
    ``recipe.replace(epochs=3)`` is a changed copy, checked again.
    """

    dataset: str = setting("mnist", Options(DATASETS), "mnist (digits) or fashion-mnist (clothes)")
    train_size: int | None = setting(
        None,
        Optional(Interval(int, 1, None, hint="or None for all")),
        "train on the first N training images only",
        "N",
    )
    validation: int = setting(
        VALIDATION_SIZE,
        Interval(int, 0, None, hint=f"try {VALIDATION_SIZE} or 0"),
        "hold out the last N training images to choose settings by (0: train on all)",
        "N",
    )
    normalize: bool = setting(
        True,
        Flag(off_flag="--raw-pixels"),  # the seed program's choice, as the notebooks name it
        "pixels in [0, 1] (False: raw 0..255, as the seed program)",
    )
    hidden_sizes: tuple = setting((512, 256), Sizes(), "hidden layer sizes, e.g. 512,256", "H1,H2")
    activation: str = setting(
        "relu", Options(ACTIVATIONS), "the non-linearity after each hidden layer (notebook 03)"
    )
    init: str = setting("he", Options(INITS), "weight initialisation")
    dropout: float = setting(
        0.0,
        Interval(float, 0, 1, closed="left", hint="try 0.1"),
        "drop hidden units with probability P while training",
        "P",
    )
    dtype: str = setting(
        "float32", FloatDType(), "float32 (fast) or float64 (the same digits everywhere)"
    )
    optimizer: str = setting("momentum", Options(OPTIMIZERS), "how a gradient becomes a step")
    lr: float = setting(
        0.1, Interval(float, 0, None, closed="neither", hint="try 0.1"), "learning rate"
    )
    lr_schedule: str = setting(
        "cosine", Options(LR_SCHEDULES), "constant, or cosine: lower the learning rate to 0"
    )
    weight_decay: float = setting(
        0.0,
        Interval(float, 0, None, hint="try 0 or 5e-4"),
        "shrink the weights by lr*LAMBDA every step (L2), e.g. 5e-4",
        "LAMBDA",
    )
    batch_size: int = setting(128, Interval(int, 1, None, hint="try 128"), "images per step")
    epochs: int = setting(5, Interval(int, 1, None), "passes over the training images")
    shift: int = setting(
        0,
        Interval(int, 0, min(IMAGE_SHAPE) - 1, hint="pixels; try 1"),
        "shift training images at random by up to PIXELS pixels",
        "PIXELS",
    )
    elastic: float = setting(
        0.0,
        Interval(float, 0, None, hint="pixels; try 34, or 0 for none"),
        "bend training images by random elastic distortions of ALPHA pixels (0: none)",
        "ALPHA",
    )
    elastic_sigma: float = setting(
        4.0,
        Interval(float, 0, None, closed="neither", hint="try 4"),
        "how smooth the elastic distortions are, in pixels (larger: smoother)",
        "SIGMA",
    )
    seed: int = setting(
        0, Interval(int, 0, None), "seed for the weights, the shuffling and the augmentation"
    )

    def __post_init__(self):
        # Recipe's own fields: a subclass (the playground's) may give them other defaults.
        for name, constraint in constraints(Recipe).items():
            # A frozen dataclass: the checked, plain value is stored the only way it can be.
            object.__setattr__(self, name, constraint.check(name, getattr(self, name)))
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
            (f"{self.activation} activations", self.activation != "relu"),
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
        activation=recipe.activation,
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

        The settings and the network's layer sizes, the validation and test results, the training
        time, and per epoch: the validation accuracy, the training accuracy and the mean
        mini-batch loss.
        """
        h, validation = self.history, self.validation
        epoch_loss = [
            float(np.mean(h.loss[i * h.steps_per_epoch : (i + 1) * h.steps_per_epoch]))
            for i in range(h.epochs)
        ]
        return dict(
            settings=self.recipe.as_dict(),
            layer_sizes=list(self.recipe.layer_sizes),
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
