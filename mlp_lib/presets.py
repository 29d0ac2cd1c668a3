"""Named training recipes for the command line and the notebooks, and how to train one.

- ``seed``: the original blog program, reproduced exactly: raw 0..255 pixels, weights N(0, 0.01),
  zero biases, 784-32-16-10, batch 90, learning rate 0.01, plain SGD, 3 epochs, float64.
- ``seed-improved``: the same small 784-32-16-10 network, trained with the improved recipe.
- ``default``: a recipe that trains well in seconds: pixels in [0, 1], He initialisation,
  momentum with a cosine learning-rate schedule, float32, a wider 784-512-256-10 network.
- ``best``: ``default`` trained longer on randomly shifted images, with dropout (notebook 08
  builds it one change at a time, starting from ``seed``: see ``mlp_lib.ladder``).
"""

from dataclasses import dataclass

import numpy as np

from .augment import RandomShift
from .data import load_mnist
from .model import MLP
from .optim import make_optimizer
from .train import Evaluation, History, evaluate, fit

# Every preset names every setting, so a printed preset is the whole recipe.
PRESETS = {
    "default": dict(
        hidden_sizes=(512, 256),
        init="he",
        optimizer="momentum",
        lr=0.1,
        lr_schedule="cosine",
        batch_size=128,
        epochs=5,
        weight_decay=0.0,
        dropout=0.0,
        shift=0,
        normalize=True,
        dtype="float32",
        seed=0,
    ),
    "seed": dict(
        hidden_sizes=(32, 16),
        init="normal",
        optimizer="sgd",
        lr=0.01,
        lr_schedule="constant",
        batch_size=90,
        epochs=3,
        weight_decay=0.0,
        dropout=0.0,
        shift=0,
        normalize=False,
        dtype="float64",
        seed=0,
    ),
    "seed-improved": dict(
        hidden_sizes=(32, 16),
        init="he",
        optimizer="momentum",
        lr=0.1,
        lr_schedule="cosine",
        batch_size=128,
        epochs=10,
        weight_decay=0.0,
        dropout=0.0,
        shift=0,
        normalize=True,
        dtype="float32",
        seed=0,
    ),
    "best": dict(
        hidden_sizes=(512, 256),
        init="he",
        optimizer="momentum",
        lr=0.1,
        lr_schedule="cosine",
        batch_size=128,
        epochs=16,
        weight_decay=0.0,
        dropout=0.1,
        shift=1,
        normalize=True,
        dtype="float32",
        seed=0,
    ),
}


def get_preset(name):
    """A copy of the named recipe's settings, or a ValueError naming the valid presets."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return dict(PRESETS[name])


@dataclass
class RecipeResult:
    """A trained model, its training ``history``, its ``test`` evaluation, and what it learned from."""

    model: MLP
    history: History
    test: Evaluation
    settings: dict
    train_images: int


def build(settings, n_inputs=784, n_classes=10):
    """The (model, optimizer, augment) a recipe describes; augment is None without shifts."""
    model = MLP(
        (n_inputs, *settings["hidden_sizes"], n_classes),
        init=settings["init"],
        seed=settings["seed"],
        dtype=np.dtype(settings["dtype"]),
        dropout=settings["dropout"],
    )
    optimizer = make_optimizer(
        settings["optimizer"], settings["lr"], weight_decay=settings["weight_decay"]
    )
    augment = RandomShift(settings["shift"]) if settings["shift"] else None
    return model, optimizer, augment


def train_recipe(
    settings, dataset="mnist", *, data_dir=None, train_size=None, progress=False, validate=True
):
    """Load the data, train the recipe's network and evaluate it on the whole test set.

    ``settings`` is a preset's dict (``get_preset("best")``, or one with changes). With
    ``validate`` the test accuracy is also recorded after every epoch (``history.val_accuracy``).
    Returns a ``RecipeResult``; ``history.seconds`` is the training time alone.
    """
    dtype = np.dtype(settings["dtype"])
    X_train, y_train = load_mnist(
        "train", dataset, data_dir=data_dir, normalize=settings["normalize"], dtype=dtype
    )
    X_test, y_test = load_mnist(
        "test", dataset, data_dir=data_dir, normalize=settings["normalize"], dtype=dtype
    )
    if train_size is not None:
        X_train, y_train = X_train[:train_size], y_train[:train_size]
    model, optimizer, augment = build(settings, X_train.shape[1])
    history = fit(
        model,
        X_train,
        y_train,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        optimizer=optimizer,
        seed=settings["seed"],
        lr_schedule=settings["lr_schedule"],
        augment=augment,
        X_val=X_test if validate else None,
        y_val=y_test if validate else None,
        progress=progress,
    )
    return RecipeResult(model, history, evaluate(model, X_test, y_test), settings, len(X_train))
