import numpy as np
import pytest

from mlp_lib.augment import RandomShift
from mlp_lib.optim import Momentum
from mlp_lib.presets import PRESETS, get_preset
from mlp_lib.recipe import Recipe, build


def test_every_preset_is_a_recipe():
    assert all(isinstance(recipe, Recipe) for recipe in PRESETS.values())


def test_get_preset_names_the_choices():
    assert get_preset("best") is PRESETS["best"]
    with pytest.raises(
        ValueError,
        match="unknown preset 'fastest'; choose one of default, seed, seed-improved, best",
    ):
        get_preset("fastest")


def test_the_seed_preset_is_the_blog_program():
    seed = PRESETS["seed"]
    assert seed.layer_sizes == (784, 32, 16, 10) and seed.init == "normal"
    assert (seed.optimizer, seed.lr, seed.lr_schedule) == ("sgd", 0.01, "constant")
    assert (seed.batch_size, seed.epochs, seed.normalize, seed.dtype) == (90, 3, False, "float64")


def test_build_makes_what_the_best_recipe_describes():
    model, optimizer, augment = build(PRESETS["best"])
    assert model.layer_sizes == (784, 512, 256, 10) and model.dropout == 0.1
    assert model.dtype == np.float32
    assert isinstance(optimizer, Momentum) and optimizer.lr == 0.1
    assert isinstance(augment, RandomShift) and augment.max_shift == 1
    assert build(PRESETS["seed"])[2] is None  # no shifts: no augmentation
