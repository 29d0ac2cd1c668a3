"""The Recipe: every setting checked once, with messages that name the value and a fix; the
validation split; and the one training path, train_recipe."""

import numpy as np
import pytest

from mlp_lib.augment import Chain, ElasticDistortion, RandomShift
from mlp_lib.data import Dataset
from mlp_lib.presets import PRESETS
from mlp_lib.recipe import Recipe, build, split_training_data, train_recipe
from mlp_lib.settings import Constraint, constraints


def test_the_default_recipe_describes_itself():
    recipe = Recipe()
    assert recipe.layer_sizes == (784, 512, 256, 10)
    assert (
        recipe.describe()
        == "784-512-256-10 · momentum lr 0.1 · batch 128 · 5 epochs · cosine schedule"
    )
    assert recipe.extras() == ["cosine schedule"]
    assert PRESETS["best"].extras() == ["cosine schedule", "dropout 0.1", "shifts ±1"]
    assert PRESETS["record"].describe() == (
        "784-1024-1024-10 · momentum lr 0.1 · batch 128 · 60 epochs · cosine schedule · "
        "elastic distortions α 34 σ 4"
    )


def test_build_chooses_the_augmentation_from_the_recipe():
    assert build(Recipe(hidden_sizes=(8,)))[2] is None
    assert repr(build(Recipe(hidden_sizes=(8,), shift=1))[2]) == "RandomShift(max_shift=1)"
    distort = build(Recipe(hidden_sizes=(8,), elastic=34, elastic_sigma=3))[2]
    assert isinstance(distort, ElasticDistortion) and (distort.alpha, distort.sigma) == (34, 3)
    both = build(Recipe(hidden_sizes=(8,), shift=2, elastic=20))[2]
    assert isinstance(both, Chain)
    assert [type(step) for step in both.steps] == [RandomShift, ElasticDistortion]


def test_every_field_has_a_constraint_and_a_help_text():
    from dataclasses import fields

    assert [f.name for f in fields(Recipe)] == list(constraints(Recipe))
    assert all(isinstance(c, Constraint) for c in constraints(Recipe).values())
    assert all(f.metadata["help"] for f in fields(Recipe))


def test_values_are_stored_in_their_plain_form():
    recipe = Recipe(
        hidden_sizes=[64, np.int64(32)], dtype=np.float64, lr=np.float32(0.5), seed=np.int32(3)
    )
    assert recipe.hidden_sizes == (64, 32) and recipe.dtype == "float64"
    assert type(recipe.lr) is float and type(recipe.seed) is int
    assert recipe == Recipe(hidden_sizes=(64, 32), dtype="float64", lr=0.5, seed=3)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(dataset="cifar10"), r"dataset must be one of mnist, fashion-mnist, got 'cifar10'"),
        (dict(train_size=0), r"train_size must be a positive integer, got 0; or None for all"),
        (dict(validation=-1), r"validation must be an integer >= 0, got -1; try 10000 or 0"),
        (dict(normalize=1), r"normalize must be True or False, got 1"),
        (dict(hidden_sizes=()), r"hidden_sizes must be one or more positive integers"),
        (dict(hidden_sizes="512,256"), r"hidden_sizes must be one or more positive integers"),
        (
            dict(hidden_sizes=(512, 0)),
            r"every hidden size must be a positive integer, got \(512, 0\)",
        ),
        (dict(init="zeros"), r"init must be one of normal, he, xavier, got 'zeros'"),
        (dict(dropout=1.0), r"dropout must be a number in \[0, 1\), got 1.0; try 0.1"),
        (dict(dtype="float16"), r"dtype must be float32 or float64, got 'float16'"),
        (dict(optimizer="rmsprop"), r"optimizer must be one of sgd, momentum, nesterov, adam"),
        (dict(lr=0), r"lr must be a positive number, got 0; try 0.1"),
        (dict(lr=float("inf")), r"lr must be a positive number, got inf"),
        (dict(lr_schedule="step"), r"lr_schedule must be one of constant, cosine, got 'step'"),
        (dict(weight_decay=-1e-4), r"weight_decay must be a number >= 0, got -0.0001"),
        (
            dict(weight_decay=1e6),
            r"weight_decay 1e\+06 is too large for the learning rate 0.1: every step would "
            r"multiply the weights by 1 - lr·weight_decay = -1e\+05, which must stay above 0",
        ),
        (dict(lr=2, weight_decay=0.5), r"weight_decay 0.5 is too large for the learning rate 2"),
        (dict(batch_size=True), r"batch_size must be a positive integer, got True; try 128"),
        (dict(epochs=2.5), r"epochs must be a positive integer, got 2.5"),
        (dict(shift=28), r"shift must be an integer from 0 to 27, got 28; pixels; try 1"),
        (dict(elastic=-1), r"elastic must be a number >= 0, got -1; pixels; try 34, or 0 for none"),
        (dict(elastic_sigma=0), r"elastic_sigma must be a positive number, got 0; try 4"),
        (dict(seed=-5), r"seed must be an integer >= 0, got -5"),
        (
            dict(hidden_sizes=(10**6, 10**6)),
            r"hidden_sizes \(1000000, 1000000\): a 784-1000000-1000000-10 network has "
            r"1,000,796,000,010 parameters \(4,003.2 GB in float32\), more than the 50,000,000 "
            r"mlp_lib trains, saves and loads; try e.g. \(512, 256\)",
        ),
    ],
)
def test_impossible_settings_are_refused_with_a_clear_message(change, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**change)
    with pytest.raises(ValueError, match=message):
        Recipe().replace(**change)  # a changed copy is checked again


def test_a_misspelt_setting_is_an_error_not_ignored():
    with pytest.raises(TypeError, match="epoch"):
        Recipe(epoch=3)


def tiny_dataset(n_train=100, n_test=20):
    rng = np.random.default_rng(0)
    X = rng.random((n_train + n_test, 784), dtype=np.float32)
    y = np.arange(n_train + n_test) % 10
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], "mnist", True)


def test_the_validation_images_are_the_last_training_images_and_never_trained_on():
    data = tiny_dataset()
    split = split_training_data(Recipe(validation=30), data)
    assert split.X_fit.shape == (70, 784) and split.X_val.shape == (30, 784)
    np.testing.assert_array_equal(split.X_val, data.X_train[70:])
    np.testing.assert_array_equal(split.y_fit, data.y_train[:70])
    smaller = split_training_data(Recipe(validation=30, train_size=50), data)
    assert len(smaller.X_fit) == 50 and len(smaller.X_val) == 30  # the same held-out images
    everything = split_training_data(Recipe(validation=0), data)
    assert len(everything.X_fit) == 100 and len(everything.X_val) == 0


@pytest.mark.parametrize(
    "recipe, message",
    [
        (Recipe(validation=100), r"validation 100 holds out all 100 training images"),
        (
            Recipe(validation=30, train_size=80),
            r"train_size 80 is larger than the 70 training images once 30 are held out",
        ),
        (
            Recipe(dataset="fashion-mnist"),
            r"data is mnist with normalize=True, but the recipe asks",
        ),
    ],
)
def test_a_split_that_cannot_be_made_is_explained(recipe, message):
    with pytest.raises(ValueError, match=message):
        split_training_data(recipe, tiny_dataset())


def test_train_recipe_validates_every_epoch_and_tests_once(mnist_sample):
    X, y = mnist_sample
    data = Dataset(X[:400], y[:400], X[400:], y[400:], "mnist", True)
    recipe = Recipe(hidden_sizes=(32,), epochs=3, batch_size=32, validation=100, dtype="float64")
    result = train_recipe(recipe, data=data)
    assert result.train_images == 300 and result.recipe is recipe
    assert len(result.history.val_accuracy) == 3
    assert result.history.val_accuracy[-1] == result.validation.accuracy
    assert result.validation.total == 100 and result.test.total == 100
    assert result.validation.accuracy > 0.5  # it learns; chance is 0.1
    without = train_recipe(recipe.replace(validation=0), data=data)
    assert without.validation is None and without.history.val_accuracy == []
    assert without.train_images == 400


def test_train_recipe_refuses_what_is_not_a_recipe():
    with pytest.raises(TypeError, match="recipe must be a Recipe, got dict; try Recipe()"):
        train_recipe({"lr": 0.1})


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_build_puts_the_recipes_activation_after_every_hidden_layer(activation):
    model, _, _ = build(Recipe(hidden_sizes=(8, 4), activation=activation, dropout=0.1))
    names = [type(layer).__name__.lower() for layer in model.layers]
    assert names == ["linear", activation, "dropout", "linear", activation, "dropout", "linear"]
    assert model.activation == activation


def test_an_unknown_activation_is_refused_with_the_ones_there_are():
    with pytest.raises(
        ValueError, match=r"activation must be one of relu, sigmoid, tanh, got 'elu'"
    ):
        Recipe(activation="elu")
