import numpy as np
import pytest

from mlp_lib.augment import RandomShift
from mlp_lib.optim import Momentum
from mlp_lib.presets import PRESETS, build, get_preset, train_recipe


def test_every_preset_names_every_setting():
    keys = set(PRESETS["default"])
    for name, settings in PRESETS.items():
        assert set(settings) == keys, name


def test_get_preset_returns_a_copy_and_names_the_choices():
    settings = get_preset("best")
    settings["epochs"] = 1
    assert PRESETS["best"]["epochs"] != 1
    with pytest.raises(
        ValueError,
        match="unknown preset 'fastest'; choose one of default, seed, seed-improved, best",
    ):
        get_preset("fastest")


def test_build_makes_what_the_best_recipe_describes():
    model, optimizer, augment = build(get_preset("best"))
    assert model.layer_sizes == (784, 512, 256, 10) and model.dropout == 0.1
    assert model.dtype == np.float32
    assert isinstance(optimizer, Momentum) and optimizer.lr == 0.1
    assert isinstance(augment, RandomShift) and augment.max_shift == 1
    assert build(get_preset("seed"))[2] is None  # no shifts: no augmentation


def test_train_recipe_trains_and_evaluates_on_the_whole_test_set():
    settings = {**get_preset("seed-improved"), "epochs": 2}
    result = train_recipe(settings, train_size=5000)
    assert result.train_images == 5000
    assert result.test.total == 10_000 and result.test.accuracy > 0.7  # it learns; chance is 0.1
    assert result.history.epochs == 2 and len(result.history.val_accuracy) == 2
    assert result.history.val_accuracy[-1] == result.test.accuracy
