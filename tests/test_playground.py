"""Tests for mlp_lib.playground, without a browser: set the widgets' values, click Train and Stop,
and check the history, the plot data and the messages the student would see.

Runs are small (2,000 training images, 1 epoch), and the panel tests share one session of three
clicked runs (the ``session`` fixture), so the whole file stays fast.
"""

import re
import threading
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import pytest

from mlp_lib import PRESETS
from mlp_lib import recipe as recipe_module
from mlp_lib.accessible_widgets import AltImage, SliderNames
from mlp_lib.playground import (
    BATCH_SIZES,
    CONTROLS,
    MONITOR_SIZE,
    ImageExplorer,
    Playground,
    PlaygroundSettings,
    alt_texts,
    load_data,
    runs_table,
    smooth_log,
    train_run,
)
from mlp_lib.playground import data as playground_data
from mlp_lib.playground import runs as runs_module
from mlp_lib.playground.controls import widgets
from mlp_lib.playground.settings import KEPT

SMALL = PlaygroundSettings(train_size=2000, epochs=1, hidden_sizes=(32, 16))
SMALL64 = replace(SMALL, dtype="float64")
ACCURACY_TEXT = re.compile(
    r"validation accuracy: \d{1,3}\.\d\d% \(\d+/10000\) · test accuracy: \d{1,3}\.\d\d% \(\d+/10000\)"
)
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def data():
    return load_data("mnist", True)


def data_rows(table_html):
    return table_html.count("<tr>") - 1  # minus the header row


# ---- settings ------------------------------------------------------------------------------------


def test_default_settings_are_valid_and_describe_themselves():
    settings = PlaygroundSettings()
    assert settings.layer_sizes == (784, 64, 32, 10)
    assert settings.describe() == "784-64-32-10 · momentum lr 0.05 · batch 64 · 3 epochs"


def test_the_recipe_extras_of_notebook_08_show_in_the_description():
    settings = PlaygroundSettings(lr_schedule="cosine", weight_decay=5e-4, dropout=0.1, shift=1)
    assert settings.describe() == (
        "784-64-32-10 · momentum lr 0.05 · batch 64 · 3 epochs"
        " · cosine schedule · weight decay 0.0005 · dropout 0.1 · shifts ±1"
    )


def test_train_run_uses_the_schedule_weight_decay_dropout_and_shifts(data, monkeypatch):
    seen = {}
    real_fit = recipe_module.fit

    def spy_fit(model, X, y, **kwargs):
        seen.update(kwargs, model=model)
        return real_fit(model, X, y, **kwargs)

    monkeypatch.setattr(recipe_module, "fit", spy_fit)
    settings = replace(
        SMALL, epochs=1, lr_schedule="cosine", weight_decay=1e-4, dropout=0.2, shift=1
    )
    result = train_run(settings, data)
    assert result.status == "finished"
    assert seen["lr_schedule"] == "cosine" and seen["optimizer"].weight_decay == 1e-4
    assert seen["model"].dropout == 0.2 and seen["augment"].max_shift == 1
    assert "<td>cosine schedule, weight decay 0.0001, dropout 0.2, shifts ±1</td>" in runs_table(
        [result]
    )
    assert "<td>—</td>" in runs_table([train_run(replace(SMALL, epochs=1, train_size=1000), data)])


def test_one_hidden_size_means_a_single_hidden_layer():
    settings = PlaygroundSettings(hidden_sizes=(100,))
    assert settings.layer_sizes == (784, 100, 10)
    sliders = Playground(settings).controls["hidden_sizes"]
    assert [slider.value for slider in sliders.children] == [100, 0]  # the second at 0: none
    assert sliders.value == (100,)


def test_dtype_may_be_given_as_a_numpy_type():
    assert PlaygroundSettings(dtype=np.float32).dtype == "float32"
    assert PlaygroundSettings(dtype=np.float64) == PlaygroundSettings(dtype="float64")


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(lr=0), r"lr must be a number from 0\.0001 to 10, got 0; try 0\.05"),
        (dict(lr=50.0), r"lr must be a number from 0\.0001 to 10, got 50\.0"),
        (dict(lr=float("nan")), r"lr must be a number .* got nan"),
        (dict(lr=True), r"lr must be a number .* got True"),
        (dict(lr="0.1"), r"lr must be a number .* got '0\.1'"),
        (
            dict(hidden_sizes=(0,)),
            r"hidden layer 1 \(hidden_sizes\[0\]\) must be an integer from 1 to 512, got 0",
        ),
        (
            dict(hidden_sizes=(2.5,)),
            r"hidden layer 1 .* must be an integer from 1 to 512, got 2\.5",
        ),
        (
            dict(hidden_sizes=(64, 600)),
            r"hidden layer 2 \(hidden_sizes\[1\]\) must be an integer from 1 to 512, got 600",
        ),
        (dict(hidden_sizes=(8, 8, 8)), r"one or two hidden layers: hidden_sizes must hold 1 or 2"),
        (
            dict(hidden_sizes=()),
            r"hidden_sizes must hold 1 or 2 sizes, e\.g\. \(64, 32\), got \(\)",
        ),
        (dict(batch_size=0), r"batch_size must be one of 1, 2, 4, .*, 1024, got 0"),
        (dict(batch_size=3), r"batch_size must be one of 1, 2, 4, 8, .*, got 3"),
        (dict(batch_size=5000), r"batch_size must be one of .* got 5000"),
        (dict(epochs=0), r"epochs must be an integer from 1 to 20, got 0"),
        (dict(train_size=10), r"train_size must be an integer from 1000 to 50000, got 10"),
        (dict(train_size=70_000), r"train_size must be an integer from 1000 to 50000, got 70000"),
        (
            dict(train_size=1500),
            r"train_size must be a multiple of 1000 from 1000 to 50000, got 1500",
        ),
        (dict(seed=-1), r"seed must be an integer from 0 to 9999, got -1"),
        (
            dict(optimizer="rmsprop"),
            r"optimizer must be one of sgd, momentum, nesterov, adam, got 'rmsprop'",
        ),
        (dict(init="zeros"), r"init must be one of he, xavier, normal, got 'zeros'"),
        (dict(dataset="cifar10"), r"dataset must be one of mnist, fashion-mnist, got 'cifar10'"),
        (dict(dtype="float16"), r"dtype must be float32 or float64, got 'float16'"),
        (dict(normalize="yes"), r"normalize must be True or False, got 'yes'"),
        (dict(lr_schedule="step"), r"lr_schedule must be one of constant, cosine, got 'step'"),
        (
            dict(weight_decay=0.3),
            r"weight_decay must be one of 0\.0, 0\.0001, 0\.0005, 0\.001, got 0\.3",
        ),
        (dict(weight_decay=False), r"weight_decay must be one of .* got False"),
        (dict(dropout=0.9), r"dropout must be a number from 0 to 0\.5, got 0\.9; try 0\.1"),
        (dict(dropout="0.1"), r"dropout must be a number from 0 to 0\.5, got '0\.1'"),
        (dict(shift=3), r"shift must be an integer from 0 to 2, got 3"),
    ],
)
def test_settings_reject_impossible_values_with_a_clear_message(change, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundSettings(**change)


def test_widget_bounds_come_from_the_same_limits():
    pg = Playground(SMALL)
    c = pg.controls
    assert list(c) == list(CONTROLS)
    lr = CONTROLS["lr"]
    assert (c["lr"].min, c["lr"].max) == pytest.approx((np.log10(lr.low), np.log10(lr.high)))
    for name in ("epochs", "train_size", "seed", "dropout", "shift"):
        assert (c[name].min, c[name].max) == (CONTROLS[name].low, CONTROLS[name].high), name
        assert c[name].description == CONTROLS[name].label
    first, second = c["hidden_sizes"].children
    assert (first.min, first.max, second.min, second.max) == (1, 512, 0, 512)
    assert (first.description, second.description) == ("hidden layer 1", "hidden layer 2")
    assert tuple(value for _label, value in c["batch_size"].options) == BATCH_SIZES
    for name in ("optimizer", "init", "dataset", "lr_schedule", "weight_decay"):
        assert tuple(value for _label, value in c[name].options) == CONTROLS[name].values, name


def test_the_widget_kind_comes_from_the_type_of_the_control_never_its_label():
    import ipywidgets

    from mlp_lib.playground.controls import make_control
    from mlp_lib.playground.settings import Choice, ChoiceSlider, Control, Slider

    options = (("64", 64), ("128", 128))
    assert isinstance(
        make_control(ChoiceSlider("batch_size", "images", options)), ipywidgets.SelectionSlider
    )
    assert isinstance(
        make_control(Choice("batch_size", "batch size", options)), ipywidgets.Dropdown
    )
    assert isinstance(make_control(Slider("epochs", "passes", high=9)), ipywidgets.IntSlider)
    assert isinstance(make_control(Slider("dropout", "p", high=0.5)), ipywidgets.FloatSlider)
    with pytest.raises(TypeError, match=r"^no widget for a Control$"):
        make_control(Control("epochs", "epochs"))  # the base class: no kind of widget


def test_a_control_takes_what_it_does_not_say_from_the_recipe_setting():
    from mlp_lib.playground.settings import Number, Slider

    epochs = Slider("epochs", "epochs", high=20)
    assert (epochs.low, epochs.integer) == (1, True)  # Recipe: Interval(int, 1, None)
    dropout = Slider("dropout", "dropout", high=0.5, step=0.05)
    assert (dropout.low, dropout.integer) == (0, False)  # Recipe: Interval(float, 0, 1)
    assert Slider("shift", "shift").high == 27  # no high given: the Recipe's
    assert Number("seed", "seed", high=9999).low == 0
    with pytest.raises(ValueError, match=r"the 'passes' slider needs a low and a high end"):
        Slider("epochs", "passes")  # epochs has no upper bound of its own


@pytest.mark.parametrize(
    "options, message",
    [
        (
            (("MNIST", "mnist"), ("CIFAR", "cifar10")),
            r"dataset must be one of mnist, fashion-mnist, got 'cifar10'",
        ),
        (
            (("MNIST", "mnist"),),
            r"the 'dataset' control must offer every dataset: mnist, fashion-mnist; it offers mnist",
        ),
    ],
)
def test_a_choice_must_offer_the_values_of_its_setting_and_only_those(options, message):
    from mlp_lib.playground.settings import Choice

    with pytest.raises(ValueError, match=message):
        Choice("dataset", "dataset", options)


def test_the_optimizer_labels_come_from_the_optimizer_registry():
    from mlp_lib.optim import OPTIMIZERS

    labels = dict((value, label) for label, value in CONTROLS["optimizer"].options)
    assert labels == {name: choice.label for name, choice in OPTIMIZERS.items()}


def test_widgets_cannot_hold_impossible_values():
    pg = Playground(SMALL)
    pg.controls["hidden_sizes"].children[0].value = 10_000  # a slider clamps to its bounds
    pg.controls["seed"].value = -5
    pg.controls["train_size"].value = 10
    settings = pg.settings()
    assert (settings.hidden_sizes[0], settings.seed, settings.train_size) == (512, 0, 1000)
    with pytest.raises(ValueError, match="lr must be a number"):
        pg.set_settings(lr=100.0)  # and set_settings checks before moving anything
    assert pg.controls["lr"].value == pytest.approx(SMALL.lr)


def test_set_settings_moves_the_controls_and_settings_reads_them_back():
    pg = Playground(SMALL)
    wanted = replace(
        SMALL,
        lr=0.1,
        hidden_sizes=(48,),
        batch_size=128,
        optimizer="adam",
        init="xavier",
        dataset="fashion-mnist",
        normalize=False,
        seed=7,
        lr_schedule="cosine",
        weight_decay=5e-4,
        dropout=0.25,
        shift=2,
    )
    pg.set_settings(wanted)
    got = pg.settings()
    assert replace(got, lr=0.1) == wanted and got.lr == pytest.approx(0.1)


# ---- the settings without a control: kept for every run, never replaced by a default ------------

# A value other than the default for every setting without a control. If Recipe gains a setting
# and the panel no control for it, the first test fails until the setting is added here.
NOT_THE_DEFAULT = {"validation": 5000, "dtype": "float64", "elastic": 8.0, "elastic_sigma": 3.0}


def test_every_setting_without_a_control_is_named_in_kept():
    from dataclasses import fields

    names = {f.name for f in fields(PlaygroundSettings)}
    assert set(KEPT) == names - set(CONTROLS) == set(NOT_THE_DEFAULT)
    default = PlaygroundSettings()
    assert all(getattr(default, name) != value for name, value in NOT_THE_DEFAULT.items())


def test_a_playground_trains_with_the_settings_that_have_no_control(data, monkeypatch):
    trained = []  # the Recipe each run trained, and what fit was given
    real_train_recipe, real_fit = runs_module.train_recipe, recipe_module.fit

    def spy_train_recipe(recipe, **kwargs):
        trained.append({"recipe": recipe})
        return real_train_recipe(recipe, **kwargs)

    def spy_fit(model, X, y, **kwargs):
        trained[-1].update(kwargs, model=model, X=X)
        return real_fit(model, X, y, **kwargs)

    monkeypatch.setattr(runs_module, "train_recipe", spy_train_recipe)
    monkeypatch.setattr(recipe_module, "fit", spy_fit)
    given = replace(SMALL, **NOT_THE_DEFAULT)
    pg = Playground(given, blocking=True, refresh_seconds=0)
    assert "kept for every run: validation 5000, dtype float64, elastic 8.0, elastic_sigma 3.0" in (
        pg.status.value
    )
    pg.train_button.click()  # the controls as given
    pg.controls["lr"].value = 0.1  # a slider moved: the others stay as they were given
    pg.controls["hidden_sizes"].children[1].value = 0  # the second slider: no second layer
    pg.train_button.click()
    pg.set_settings(seed=3)  # moved from code
    pg.train_button.click()
    assert pg.last_error is None and len(trained) == 3
    for run, result in zip(trained, pg.runs, strict=True):
        recipe = run["recipe"]
        assert recipe is result.settings and isinstance(recipe, PlaygroundSettings)
        assert {name: getattr(recipe, name) for name in NOT_THE_DEFAULT} == NOT_THE_DEFAULT
        assert run["model"].dtype == np.float64
        assert len(run["X_val"]) == 5000 and result.validation.total == 5000
        assert run["augment"].alpha == 8.0 and run["augment"].sigma == 3.0
        assert result.status == "finished"
    assert trained[1]["recipe"].lr == pytest.approx(0.1)
    assert trained[1]["recipe"].hidden_sizes == (32,) and trained[2]["recipe"].seed == 3


def test_set_settings_keeps_a_changed_setting_without_a_control_for_the_next_runs():
    pg = Playground(SMALL)
    pg.set_settings(elastic=12.0, validation=2000)
    pg.controls["epochs"].value = 2
    assert pg.settings() == replace(SMALL, elastic=12.0, validation=2000, epochs=2)
    pg.set_settings(replace(SMALL, dtype="float64"))  # a whole new settings: all of it is kept
    assert pg.settings() == SMALL64


@pytest.mark.parametrize(
    "settings, error, message",
    [
        (
            PRESETS["best"],
            TypeError,
            r"settings must be a PlaygroundSettings \(checked against the controls\), got Recipe",
        ),
        ({"lr": 0.1}, TypeError, r"settings must be a PlaygroundSettings .* got dict"),
    ],
)
def test_a_playground_refuses_settings_it_cannot_keep(settings, error, message):
    with pytest.raises(error, match=message):
        Playground(settings)
    with pytest.raises(error, match=message):  # the same check, the same message
        Playground(SMALL).set_settings(settings)


def test_kept_settings_that_leave_too_few_training_images_are_refused_when_made():
    with pytest.raises(
        ValueError,
        match=r"^train_size 50000 and validation 20000 need 70000 training images, more than the "
        r"60000 there are; lower train_size to at most 40000, or validation$",
    ):
        PlaygroundSettings(train_size=50_000, validation=20_000)
    pg = Playground(replace(SMALL, validation=20_000), blocking=True)
    pg.controls["train_size"].value = 50_000  # the slider allows it; with 20,000 held out, no
    assert pg.train() is None and pg.last_result is None
    assert "Cannot train: train_size 50000 and validation 20000 need 70000" in pg.status.value


# ---- one run, no widgets -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result64(data):
    return train_run(SMALL64, data)


def test_train_run_records_loss_accuracy_and_a_live_monitor(result64):
    result, history = result64, result64.history
    assert result.status == "finished" and result.message == "Finished 1 epoch."
    assert result.steps == result.total_steps == 32 == history.steps_per_epoch  # ceil(2000 / 64)
    assert len(history.train_accuracy) == 1
    assert result.monitor_steps == sorted(result.monitor_steps) and result.monitor_steps[-1] == 32
    assert (
        len(result.monitor_steps) == len(result.monitor_accuracy) == 11
    )  # every 3 steps + the end
    assert 0.75 < result.test.accuracy < 1 and result.test.total == 10_000
    assert 0.75 < result.validation.accuracy < 1 and result.validation.total == 10_000
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == 10_000
    assert ACCURACY_TEXT.fullmatch(result.summary())


def test_train_run_in_float64_is_repeatable(data, result64):
    again = train_run(SMALL64, data)
    assert again.history.loss == result64.history.loss
    assert again.test == result64.test


def exploding_data(data):
    """MNIST with huge pixel values: the very first loss overflows to nan, on any machine."""
    n = 2000 + 10_000  # the training images and the validation images
    huge = np.full((n, 784), np.finfo(np.float32).max, dtype=np.float32)
    return data._replace(X_train=huge, y_train=data.y_train[:n], normalize=False)


def test_nan_divergence_is_a_friendly_message_not_an_exception(data):
    result = train_run(replace(SMALL, normalize=False), exploding_data(data))
    assert result.status == "diverged" and result.test is None and result.confusion is None
    assert result.message == (
        "Training diverged: the loss became nan (not a number) at epoch 1, step 1, because the "
        "weights grew without bound. The pixels are raw 0..255 values, 255 times larger than scaled "
        "ones, so every step is far too big: tick 'pixels in [0, 1]', or make the learning rate "
        "about 100 times smaller."
    )
    assert result.summary() == "no accuracy: training diverged"


def test_raw_pixels_and_a_huge_learning_rate_diverge_as_soon_as_the_loss_explodes():
    raw = load_data("mnist", False)
    result = train_run(
        replace(SMALL, hidden_sizes=(256, 128), normalize=False, optimizer="sgd", lr=10.0), raw
    )
    assert result.status == "diverged" and result.test is None
    assert re.match(
        r"Training diverged: the loss shot up to \S+ \(it started at \S+\) at epoch 1, "
        r"step \d+, because the weights grew without bound\. The pixels are raw",
        result.message,
    )


def test_a_loss_that_shot_up_without_diverging_is_a_failed_run_never_a_divergence(data):
    # momentum with lr 2: the loss rises far (more than 10 times) but not to fit's 100 times
    result = train_run(replace(SMALL64, lr=2.0), data)
    assert result.status == "failed" and result.level == "error"
    assert re.match(
        r"Training failed: the loss shot up to \S+ \(\d+ times its first value\) at epoch 1, "
        r"step \d+, and the network never recovered; its test accuracy \d+\.\d\d% is no better "
        r"than guessing \(10%\)\. The learning rate 2 is too large; try 0\.2 or smaller\.$",
        result.message,
    )
    assert 10 < max(result.history.loss) / result.history.loss[0] <= 100  # fit's EXPLOSION_FACTOR
    assert result.test.accuracy < 0.2


def test_some_too_big_steps_give_a_warning_even_when_the_network_learns(data):
    result = train_run(replace(SMALL64, lr=0.3), data)
    assert result.status == "finished" and result.level == "warning" and result.learned
    assert re.match(
        r"Finished 1 epoch\. On the way the loss jumped to \d\.\d times its first "
        r"value \(at epoch 1, step \d+\): some steps were too big\.",
        result.message,
    )


def test_a_network_stuck_after_too_big_steps_is_told_to_take_smaller_ones(data):
    result = train_run(replace(SMALL64, lr=1.0), data)  # momentum: 1 is too much here
    assert result.status == "failed" and result.level == "error"
    assert re.match(
        r"Training failed: the steps were so big that the network got stuck; its test "
        r"accuracy \d+\.\d\d% is no better than guessing \(10%\)\. The learning rate "
        r"1 is too large; try 0\.1 or smaller\.$",
        result.message,
    )


def test_a_tiny_learning_rate_says_the_network_barely_learned(data):
    result = train_run(replace(SMALL, optimizer="sgd", lr=1e-4), data)
    assert result.status == "finished"
    assert "The network has barely learned" in result.message
    assert "Try a larger learning rate or more epochs." in result.message
    seed_like = train_run(replace(SMALL64, init="normal", optimizer="sgd", lr=0.01), data)
    assert seed_like.level == "error" and "try He initial weights" in seed_like.message


def test_a_set_stop_event_ends_the_run_after_one_step_and_keeps_the_model(data):
    stop = threading.Event()
    stop.set()
    result = train_run(SMALL, data, stop_event=stop)
    assert result.status == "stopped" and result.steps == 1
    assert result.message.startswith("Stopped after epoch 1, step 1 (1 of 32 steps)")
    assert result.test is not None  # evaluated with what it learned


def test_train_run_callback_sees_every_step(data):
    seen = []
    train_run(
        SMALL,
        data,
        callback=lambda info, result: seen.append((info.epoch, info.step, result.steps)),
    )
    assert seen == [(1, step, step) for step in range(1, 33)]


def test_train_run_refuses_data_that_does_not_match_the_settings(data):
    with pytest.raises(
        ValueError,
        match="data is mnist with normalize=True, but the recipe asks for fashion-mnist",
    ):
        train_run(replace(SMALL, dataset="fashion-mnist"), data)
    with pytest.raises(TypeError, match="settings must be a PlaygroundSettings, got dict"):
        train_run({"lr": 0.1}, data)


def test_smooth_log_is_a_moving_geometric_mean():
    np.testing.assert_allclose(smooth_log([1.0, 100.0, 1.0, 100.0], 2), [1.0, 10.0, 10.0, 10.0])


# ---- data ------------------------------------------------------------------------------------------


def test_load_data_reads_each_dataset_once_and_keeps_at_most_two(tiny_data_dir, monkeypatch):
    monkeypatch.setattr(playground_data, "_data_cache", OrderedDict())
    tmp_path = tiny_data_dir
    first = load_data("mnist", True, data_dir=tmp_path)
    assert load_data("mnist", True, data_dir=tmp_path) is first  # kept, not read again
    assert first.X_train.shape == (20, 784) and first.X_test.shape == (10, 784)
    assert first.X_train.max() <= 1
    assert load_data("mnist", False, data_dir=tmp_path).X_train.max() > 1
    assert load_data("fashion-mnist", True, data_dir=tmp_path).class_names[9] == "Ankle boot"
    assert len(playground_data._data_cache) == 2
    assert load_data("mnist", True, data_dir=tmp_path) is not first  # the oldest was dropped


# ---- the panel -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session():
    """One Playground, three runs clicked with different sliders; what the panel showed after each.

    Run 1: lr 0.1, hidden 48-16. Run 2: lr 0.01, hidden 16-16. Run 3: lr 2, hidden 32-16 (diverges).
    It keeps only the last two runs, and an image picker was made before any run. float64, so
    that how run 3 diverges is the same on every machine.
    """
    pg = Playground(SMALL64, blocking=True, max_runs=2, refresh_seconds=0)
    picker = pg.image_picker()
    shown = [
        {
            "live": bytes(pg.live_image.value),
            "live_alt": pg.live_image.alt,
            "picker_disabled": picker.slider.disabled,
            "picker_caption": picker.caption.value,
        }
    ]
    for lr, first_layer in ((0.1, 48), (0.01, 16), (2.0, 32)):
        pg.controls["lr"].value = lr
        pg.controls["hidden_sizes"].children[0].value = first_layer
        pg.train_button.click()
        shown.append(
            {
                "live": bytes(pg.live_image.value),
                "live_alt": pg.live_image.alt,
                "accuracy": pg.accuracy_html.value,
                "status": pg.status.value,
                "runs": pg.runs_html.value,
                "result": pg.last_result,
                "progress": (pg.progress.value, pg.progress.max),
                "x": pg.live.raw_line.get_xdata().copy(),
                "y": pg.live.raw_line.get_ydata().copy(),
                "monitor": pg.live.monitor_line.get_ydata().copy(),
            }
        )
        if len(shown) == 2:
            shown[1]["images"] = [
                bytes(image.value)
                for image in (pg.confusion_image, pg.examples_image, pg.compare_image)
            ]
            shown[1]["alts"] = {
                name: getattr(pg, f"{name}_image").alt
                for name in ("confusion", "examples", "compare", "weights")
            }
            shown[1]["picker_alt"] = picker.image.alt
            shown[1]["picker_probs"] = picker.probabilities()
            shown[1]["picker_caption"] = picker.caption.value
            shown[1]["picker_image"] = bytes(picker.image.value)
            picker.slider.value = 1
            shown[1]["picker_caption_1"] = picker.caption.value
            shown[1]["picker_image_1"] = bytes(picker.image.value)
    return pg, picker, shown


def test_train_button_trains_with_the_sliders_values(session):
    pg, _picker, shown = session
    first = shown[1]["result"]
    assert pg.last_error is None and first.number == 1 and first.status == "finished"
    assert (first.settings.lr, first.settings.hidden_sizes) == (pytest.approx(0.1), (48, 16))
    assert first.steps == 32 and shown[1]["progress"] == (32, 32)
    assert "Run 1: Finished 1 epoch." in shown[1]["status"]


def test_the_live_plot_shows_the_runs_data_and_changes_between_runs(session):
    _pg, _picker, shown = session
    blank, one, two = shown[0]["live"], shown[1]["live"], shown[2]["live"]
    assert blank != one != two and one.startswith(b"\x89PNG")
    result = shown[1]["result"]
    assert len(shown[1]["x"]) == 32
    np.testing.assert_allclose(shown[1]["y"], result.history.loss)
    np.testing.assert_allclose(shown[1]["monitor"], 100 * np.array(result.monitor_accuracy))


def test_the_accuracy_text_and_the_table_follow_the_runs(session):
    _pg, _picker, shown = session
    assert ACCURACY_TEXT.search(shown[1]["accuracy"]) and ACCURACY_TEXT.search(shown[2]["accuracy"])
    assert shown[1]["accuracy"] != shown[2]["accuracy"]
    assert "784-48-16-10" in shown[1]["accuracy"] and "784-16-16-10" in shown[2]["accuracy"]
    assert [data_rows(shown[i]["runs"]) for i in (1, 2, 3)] == [1, 2, 2]


def test_results_figures_are_shown_after_a_run(session):
    _pg, _picker, shown = session
    assert all(png.startswith(b"\x89PNG") for png in shown[1]["images"])


def test_a_too_large_learning_rate_is_explained_in_the_panel(session):
    _pg, _picker, shown = session
    status = shown[3]["status"]
    assert shown[3]["result"].status == "failed"
    assert "Run 3: Training failed: the loss shot up" in status
    assert "The learning rate 2 is too large; try 0.2 or smaller." in status
    assert "#fdecea" in status and "Traceback" not in status  # the red box, no traceback
    assert re.search(r"failed · \d+\.\d\d%", shown[3]["runs"])


def test_only_the_last_runs_are_kept(session):
    pg, _picker, _shown = session
    assert [r.number for r in pg.runs] == [2, 3]
    table = runs_table(pg.runs)
    assert table.index("<td>3</td>") < table.index("<td>2</td>")  # newest first


def test_image_picker_waits_for_a_model_then_shows_its_probabilities(session):
    pg, picker, shown = session
    assert shown[0]["picker_disabled"]
    assert "Train a network in the playground first" in shown[0]["picker_caption"]
    probs = shown[1]["picker_probs"]
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-5)
    assert re.search(
        r"Run 1, test image 0: true class 7; the network says \d with probability "
        r"\d+\.\d%",
        shown[1]["picker_caption"],
    )
    assert "test image 1: true class 2" in shown[1]["picker_caption_1"]
    assert shown[1]["picker_image"] != shown[1]["picker_image_1"]
    assert not picker.slider.disabled and picker.slider.max == 9999
    late = ImageExplorer(pg)  # made after runs: shows the last one at once
    assert not late.slider.disabled and "Run 3," in late.caption.value


# ---- for screen readers: text alternatives, headings, names --------------------------------------


def widget_tree(widget):
    """The widget and every widget inside it, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from widget_tree(child)


def test_the_live_plot_says_in_words_what_it_shows_and_how_each_run_ended(session):
    _pg, _picker, shown = session
    assert shown[0]["live_alt"] == alt_texts.CURVES_BEFORE
    first = shown[1]["result"]
    assert shown[1]["live_alt"] == (
        f"Loss and validation accuracy per epoch, run 1 ({first.settings.describe()}): finished "
        f"1 epoch; validation accuracy {100 * first.validation.accuracy:.1f}%, test accuracy "
        f"{100 * first.test.accuracy:.1f}%"
    )
    assert shown[2]["live_alt"].startswith("Loss and validation accuracy per epoch, run 2 (784-16")
    assert re.search(
        r"run 3 \(.*\): learned almost nothing; validation accuracy \d+\.\d%", shown[3]["live_alt"]
    )


def test_the_live_plot_and_weights_texts_follow_the_run_while_it_trains(monkeypatch):
    from mlp_lib.playground import panel

    monkeypatch.setattr(panel, "RENDER_SHARE", 0)  # redraw after every step, however slow
    small = replace(SMALL64, train_size=1000, batch_size=256)  # 4 steps
    pg = Playground(small, blocking=True, refresh_seconds=0)
    texts = []
    pg.add_listener(
        lambda result: texts.append((pg.live_image.alt, pg.weights_image.alt)), while_training=True
    )
    pg.train()
    live, weights = texts[0]
    assert live.startswith(f"Loss and validation accuracy per epoch, run 1 ({small.describe()})")
    assert re.search(r", training: epoch 1 of 1, step 1 of 4, mini-batch loss \d", live)
    assert re.search(r"step 4 of 4, .*, validation accuracy \d+\.\d%$", texts[-1][0])
    assert weights == alt_texts.weights_alt(1, 16, training=True)
    assert "(run 1, while it trains), each as a 28 x 28 image: red where ink raises" in weights
    assert pg.weights_image.alt == alt_texts.weights_alt(1, 16)
    assert pg.live_image.alt.endswith("%") and "finished 1 epoch;" in pg.live_image.alt


def test_the_result_figures_and_the_picker_say_what_they_show(session):
    _pg, _picker, shown = session
    first, alts = shown[1]["result"], shown[1]["alts"]
    right = int(np.trace(first.confusion))
    assert alts["confusion"].startswith(
        f"Confusion matrix of run 1 on the 10,000 test images: {right:,} right "
        f"({100 * right / 10000:.1f}%); most frequent mistakes: "
    )
    assert alts["examples"].startswith("6 test images and the network's probabilities: #")
    assert alts["examples"].count(" read as ") == 6
    assert alts["compare"] == (
        "Smoothed loss and validation accuracy per epoch of the last 1 run; final validation "
        f"accuracy: run 1 {100 * first.validation.accuracy:.1f}%"
    )
    assert alts["weights"] == alt_texts.weights_alt(1, 16)
    guess = int(shown[1]["picker_probs"].argmax())
    assert shown[1]["picker_alt"] == (
        "Test image 0, a 7, beside the network's probabilities for the 10 classes: the most "
        f"probable is {guess}, {100 * shown[1]['picker_probs'][guess]:.1f}%"
    )


def test_the_confusion_matrix_text_counts_the_right_answers_and_names_the_top_mistakes():
    confusion = np.array([[5, 0, 1], [3, 4, 0], [0, 1, 6]])  # rows: true class; 15 of 20 right
    assert alt_texts.confusion_alt(confusion, ("a", "b", "c"), 2) == (
        "Confusion matrix of run 2 on the 20 test images: 15 right (75.0%); most frequent "
        "mistakes: b read as a (3 times), a read as c (1 time), c read as b (1 time)"
    )
    assert alt_texts.confusion_alt(4 * np.eye(3, dtype=int), "abc", 1) == (
        "Confusion matrix of run 1 on the 12 test images: 12 right (100.0%)"
    )


def test_the_examples_text_gives_each_images_class_and_the_answer():
    probs = np.array([[0.9, 0.1], [0.3, 0.7]])
    assert alt_texts.examples_alt([4, 9], [0, 0], probs, ("cat", "dog")) == (
        "2 test images and the network's probabilities: #4, a cat, read as cat (90%); "
        "#9, a cat, read as dog (70%, wrong)"
    )


def test_a_diverged_run_is_told_in_the_texts_without_an_accuracy(data):
    result = train_run(replace(SMALL, normalize=False), exploding_data(data), number=4)
    assert result.status == "diverged"
    assert alt_texts.curves_alt(result).endswith(
        f"run 4 ({result.settings.describe()}): training diverged after {result.steps} steps; "
        "no accuracy"
    )
    assert alt_texts.runs_alt([result]).endswith("final validation accuracy: run 4 diverged")


def test_every_image_of_the_panel_and_the_picker_has_a_text_alternative(session):
    pg, picker, _shown = session
    tree = [w for root in (pg.widget, picker.widget) for w in widget_tree(root)]
    images = [w for w in tree if isinstance(w, AltImage)]
    assert len(images) == 6  # live plot, weights, confusion, examples, last runs, picker
    assert not [w for w in tree if isinstance(w, widgets.Image)]  # it has no alt text
    for image in images:
        assert image.value.startswith(b"\x89PNG") and len(image.alt) > 40, image


def test_the_panel_headings_follow_the_notebooks_level_2_section(session):
    import json
    from pathlib import Path

    pg, _picker, _shown = session
    html = [w.value for w in widget_tree(pg.widget) if isinstance(w, widgets.HTML)]
    assert [int(level) for text in html for level in re.findall(r"<h(\d)", text)] == [3, 3]
    # In notebook 07 the panel sits under a ## heading: level 3 skips no level.
    notebook = Path(__file__).resolve().parent.parent / "notebooks/07_playground.ipynb"
    headings = []
    for cell in json.loads(notebook.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            headings += re.findall(r"^(#+) ", source, flags=re.MULTILINE)
        elif "Playground()" in source:
            break
    assert headings[-1] == "##"


def test_every_control_has_a_name_and_every_widget_an_mlp_class(session):
    pg, picker, _shown = session
    sliders = (
        widgets.IntSlider,
        widgets.FloatSlider,
        widgets.FloatLogSlider,
        widgets.SelectionSlider,
    )
    for root, css_class in ((pg.widget, "mlp-playground"), (picker.widget, "mlp-image-picker")):
        assert css_class in root._dom_classes  # the browser test finds the project's markup so
        tree = list(widget_tree(root))
        controls = [
            w
            for w in tree
            if isinstance(w, (widgets.ValueWidget, widgets.Button))
            and not isinstance(w, (widgets.HTML, widgets.Label, widgets.Box))
        ]
        assert controls and all(w.description for w in controls), [
            type(w).__name__ for w in controls if not w.description
        ]
        # ipywidgets leaves a slider's handle unnamed: SliderNames, in the box, names it.
        assert any(isinstance(w, sliders) for w in tree)
        assert any(isinstance(child, SliderNames) for child in root.children)
    assert len([w for w in widget_tree(pg.widget) if isinstance(w, sliders)]) == 8


def test_controls_are_disabled_during_a_run_and_enabled_after(data):
    gate = threading.Event()

    def gated_loader(dataset, normalize):  # the run is "in progress" until the gate opens
        assert gate.wait(WAIT_SECONDS), "the test never opened the gate"
        return exploding_data(data)  # then it ends at once (nan at step 1)

    pg = Playground(replace(SMALL, normalize=False), data_loader=gated_loader)
    assert pg.stop_button.disabled and not pg.train_button.disabled
    pg.train_button.click()  # a background thread, waiting at the gate
    try:
        assert pg.running
        assert all(control.disabled for control in pg.controls.values())
        assert pg.train_button.disabled and not pg.stop_button.disabled
        assert pg.train() is None and pg.last_result is None  # one run at a time
    finally:
        gate.set()
    assert pg.wait(WAIT_SECONDS)
    assert not any(control.disabled for control in pg.controls.values())
    assert not pg.train_button.disabled and pg.stop_button.disabled
    assert pg.last_result.number == 1 and len(pg.runs) == 1


def test_stop_ends_the_run_promptly_and_keeps_what_was_learned():
    # Batch size 1: 40,000 steps, far more than can run before Stop is clicked.
    pg = Playground(
        replace(SMALL, batch_size=1, epochs=20, optimizer="sgd", lr=0.01), refresh_seconds=0.05
    )
    pg.train_button.click()
    deadline = time.monotonic() + WAIT_SECONDS
    while pg.progress.value < 1 and time.monotonic() < deadline:  # wait for the first steps
        time.sleep(0.01)
    pg.stop_button.click()
    assert pg.wait(WAIT_SECONDS)
    result = pg.last_result
    assert result.status == "stopped" and 1 <= result.steps < result.total_steps == 40_000
    assert result.test is not None and ACCURACY_TEXT.search(pg.accuracy_html.value)
    assert "Stopped after epoch 1, step" in pg.status.value
    assert "stopped · " in pg.runs_html.value
    assert pg.progress.bar_style == "warning"


def test_nan_divergence_shows_a_friendly_message_in_the_panel(data):
    pg = Playground(
        replace(SMALL, normalize=False),
        blocking=True,
        data_loader=lambda dataset, normalize: exploding_data(data),
    )
    pg.train_button.click()
    assert pg.last_error is None
    assert "Run 1: Training diverged: the loss became nan" in pg.status.value
    assert "Traceback" not in pg.status.value
    assert "no accuracy: training diverged" in pg.accuracy_html.value
    assert pg.progress.bar_style == "danger"
    assert pg.confusion_image.layout.display == "none"
    assert "<td>diverged</td>" in pg.runs_html.value
    assert not pg.train_button.disabled


def test_an_unexpected_error_is_shown_in_the_panel_not_lost_in_the_thread():
    def broken_loader(dataset, normalize):
        raise RuntimeError("the disk is on fire")

    pg = Playground(SMALL, data_loader=broken_loader)
    pg.train_button.click()
    assert pg.wait(WAIT_SECONDS)
    assert isinstance(pg.last_error, RuntimeError)
    assert (
        "Run 1 failed with an unexpected error: RuntimeError: the disk is on fire"
        in pg.status.value
    )
    assert not pg.train_button.disabled


def test_status_text_is_escaped():
    def loader(dataset, normalize):
        raise ValueError("<script>alert(1)</script>")

    pg = Playground(SMALL, data_loader=loader, blocking=True)
    pg.train()
    assert "<script>" not in pg.status.value and "&lt;script&gt;" in pg.status.value


def test_set_settings_checks_everything_before_moving_any_control():
    pg = Playground(SMALL)
    before = {name: control.value for name, control in pg.controls.items()}
    with pytest.raises(ValueError, match=r"batch_size must be one of .* got 3"):
        pg.set_settings(lr=0.2, hidden_sizes=(40, 16), batch_size=3, seed=5)
    assert {name: control.value for name, control in pg.controls.items()} == before
    moved = pg.set_settings(lr=0.2, hidden_sizes=(40,), batch_size=4, seed=5)
    assert moved.hidden_sizes == (40,) and pg.controls["hidden_sizes"].value == (40,)
    assert pg.settings() == moved


def test_the_live_accuracy_is_measured_on_validation_images_never_on_test_images(data):
    seen = []
    settings = replace(SMALL64, train_size=1000)
    result = train_run(settings, data, callback=lambda info, r: seen.append(info.step))
    held_out = data.X_train[-10_000:][:MONITOR_SIZE]  # the first validation images
    model = result.model
    expected = np.mean(model.predict(held_out) == data.y_train[-10_000:][:MONITOR_SIZE])
    assert result.monitor_accuracy[-1] == pytest.approx(expected)
    assert result.validation.total == 10_000 and result.history.val_accuracy[-1] == pytest.approx(
        result.validation.accuracy
    )


def test_the_training_images_slider_stops_where_the_validation_images_begin():
    assert CONTROLS["train_size"].high == 50_000
    with pytest.raises(ValueError, match=r"train_size must be an integer from 1000 to 50000"):
        PlaygroundSettings(train_size=60_000)
    with pytest.raises(ValueError, match=r"validation must be an integer >= 1000"):
        PlaygroundSettings(validation=0)


# ---- inside the network, and drawing ------------------------------------------------------------


def test_the_first_layer_weights_are_shown_live_and_after_the_run(monkeypatch):
    from mlp_lib.playground import panel
    from mlp_lib.playground.figures import weights_png

    monkeypatch.setattr(panel, "RENDER_SHARE", 0)  # redraw after every step, however slow
    small = replace(SMALL64, train_size=1000, batch_size=256)  # 4 steps
    pg = Playground(small, blocking=True, refresh_seconds=0)
    frames = []
    pg.add_listener(
        lambda result: frames.append(bytes(pg.weights_image.value)), while_training=True
    )
    pg.train()
    assert len(frames) >= 2 and frames[0] != frames[-1]  # the weights moved while it learned
    assert pg.weights_image.value == weights_png(pg.last_result.model.parameters()["W0"])
    assert pg.weights_image.layout.display is None


def test_weights_png_is_a_mosaic_of_28x28_tiles():
    import io

    import matplotlib.image

    from mlp_lib.playground.figures import weights_png

    W0 = np.zeros((784, 20))
    W0[0, 0] = 1.0  # unit 0: only the top-left pixel, positive: red, as in notebook 11
    W0[783, 1] = -1.0  # unit 1: only the bottom-right pixel, negative: blue
    image = matplotlib.image.imread(io.BytesIO(weights_png(W0, n_units=16, ncols=8, zoom=1)))
    assert image.shape[:2] == (2 * 29 + 1, 8 * 29 + 1)
    top_left, bottom_right = image[1, 1, :3], image[28, 29 + 28, :3]
    assert top_left[0] > top_left[2] and bottom_right[2] > bottom_right[0]
    assert np.allclose(image[10, 10, :3], image[1, 2, :3])  # zero weights: one neutral colour
    assert np.allclose(image[0, :, :3], 1.0) and np.allclose(image[:, 29, :3], 1.0)  # white lines


def test_the_draw_panel_reads_with_the_training_network_then_keeps_each_run(mnist_sample):
    from mlp_lib.drawing import draw_strokes

    pg = Playground(SMALL64, blocking=True, refresh_seconds=0)
    reader = pg.draw_panel()
    seen = []
    pg.add_listener(lambda r: seen.append(reader.reader.chooser.value), while_training=True)
    assert "best (notebook 08)" in reader.reader.models
    bar = draw_strokes([[(140, 40), (140, 240)]])  # a vertical bar on the 280 x 280 canvas
    reader.reader.canvas.image = bar
    pg.train()
    assert seen and set(seen) == {"run 1 (training)"}
    assert list(reader.reader.models) == ["best (notebook 08)", "run 1"]
    assert reader.reader.chooser.value == "run 1"
    assert reader.reader.last_reading is not None
    assert reader.reader.models["run 1"][0] is pg.last_result.model


def test_a_listener_that_fails_after_a_finished_run_does_not_make_it_a_failed_run():
    pg = Playground(SMALL, blocking=True)
    heard = []

    def broken_listener(result, data):
        raise RuntimeError("the picker broke")

    pg.add_listener(broken_listener)
    pg.add_listener(lambda result, data: heard.append(result.number))
    pg.train_button.click()
    assert pg.last_result.status == "finished" and pg.last_trained is pg.last_result
    assert heard == [1]  # the listeners after the broken one were still told
    assert isinstance(pg.last_error, RuntimeError)
    status = pg.status.value
    assert "failed with an unexpected error" not in status
    assert (
        "Run 1: Finished 1 epoch. The run is complete, but showing it in test_a_listener_that_"
        "fails_after_a_finished_run_does_not_make_it_a_failed_run.&lt;locals&gt;.broken_listener "
        "failed: RuntimeError: the picker broke" in status
    )
    assert ACCURACY_TEXT.search(pg.accuracy_html.value) and data_rows(pg.runs_html.value) == 1
    assert not pg.train_button.disabled
