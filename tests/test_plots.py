import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from mlp_lib.plots import (
    plot_confusion_matrix,
    plot_digits,
    plot_first_layer_weights,
    plot_history,
    plot_probabilities,
)
from mlp_lib.train import History

RNG = np.random.default_rng(0)
HISTORY = History(
    loss=[2.3, 1.0, 0.5, 0.3],
    train_accuracy=[0.8, 0.9],
    val_accuracy=[0.85, 0.88],
    steps_per_epoch=2,
)

PLOTS = {
    "digits": lambda: plot_digits(
        RNG.random((10, 784)), y=np.arange(10), predicted=np.arange(10) % 3
    ),
    "history": lambda: plot_history([HISTORY, HISTORY], labels=["a", "b"]),
    "confusion": lambda: plot_confusion_matrix(RNG.integers(0, 50, (10, 10))),
    "weights": lambda: plot_first_layer_weights(RNG.standard_normal((784, 20)), n=12),
    "probabilities": lambda: plot_probabilities(np.full(10, 0.1), true_label=3),
}


@pytest.mark.parametrize("name", PLOTS)
def test_plots_return_a_figure_and_leave_pyplot_and_settings_alone(name, monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(1))
    plt.close("all")
    settings = dict(matplotlib.rcParams)
    fig = PLOTS[name]()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == [] and shown == []  # nothing registered with pyplot, no show()
    assert dict(matplotlib.rcParams) == settings  # no global setting changed
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # it renders
    assert buffer.getvalue().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["history", "confusion", "probabilities"])
def test_plots_with_axes_have_titles_and_axis_labels(name):
    for ax in PLOTS[name]().axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_history_plot_has_a_legend_and_one_line_per_run():
    loss_ax, acc_ax = plot_history([HISTORY, HISTORY], labels=["a", "b"]).axes
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["a", "b"]
    assert len(acc_ax.get_lines()) == 4  # train and test accuracy for each run


def test_wrong_predictions_are_titled_in_red():
    fig = plot_digits(np.zeros((2, 784)), y=np.array([1, 2]), predicted=np.array([1, 3]))
    colors = [ax.title.get_color() for ax in fig.axes[:2]]
    assert colors == ["black", "red"]


def test_first_layer_weights_refuse_the_wrong_matrix():
    with pytest.raises(
        ValueError,
        match=r"expected first-layer weights of shape \(784, H\), got \(32, 16\); "
        r"pass model.parameters\(\)\['W0'\]",
    ):
        plot_first_layer_weights(np.zeros((32, 16)))


def test_figures_of_digits_do_not_keep_the_whole_image_array_alive():
    import gc
    import weakref

    X = np.zeros((1000, 784), dtype=np.float32)  # stands in for 60,000 images
    alive = weakref.ref(X)
    fig = plot_digits(X, n=4)
    del X
    gc.collect()
    assert alive() is None and fig is not None  # the figure holds copies of 4 images, not X
