"""Plotting helpers. Each returns a matplotlib ``Figure``; none calls ``plt.show()`` or changes
global settings. In a notebook, a returned Figure displays itself as the cell's result.

The figures are built with ``matplotlib.figure.Figure`` rather than ``pyplot``, so nothing is
left open in pyplot's list of figures.
"""

import numpy as np
from matplotlib.figure import Figure


def plot_digits(X, y=None, predicted=None, n=16, ncols=8, class_names=None, title=None):
    """A grid of the first ``n`` images, titled with their label (and prediction, if given).

    Shapes: X (N, 784) or (N, 28, 28); y, predicted (N,). Wrong predictions are titled in red.
    """
    X = np.asarray(X)
    n = min(n, len(X))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(1.2 * ncols, 1.45 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    names = class_names if class_names is not None else [str(c) for c in range(10)]
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        # A copy of the 784 pixels: a view would keep all of X alive as long as the figure is.
        ax.imshow(X[i].reshape(28, 28).copy(), cmap="gray_r")
        parts = []
        if y is not None:
            parts.append(f"label {names[y[i]]}")
        if predicted is not None:
            parts.append(f"pred {names[predicted[i]]}")
        wrong = y is not None and predicted is not None and y[i] != predicted[i]
        ax.set_title("\n".join(parts), fontsize=8, color="red" if wrong else "black")
    if title:
        fig.suptitle(title)
    return fig


def plot_history(histories, labels=None, title="Training curves"):
    """Loss per step (left) and accuracy per epoch (right) for one or several ``History``s."""
    if not isinstance(histories, (list, tuple)):
        histories = [histories]
    labels = labels if labels is not None else [f"run {i + 1}" for i in range(len(histories))]
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for history, label in zip(histories, labels):
        steps = np.arange(1, len(history.loss) + 1)
        ax_loss.plot(steps, history.loss, lw=0.8, alpha=0.8, label=label)
        epochs = np.arange(1, len(history.train_accuracy) + 1)
        (line,) = ax_acc.plot(
            epochs, 100 * np.array(history.train_accuracy), "o-", label=f"{label} (train)"
        )
        if history.val_accuracy:
            ax_acc.plot(
                epochs,
                100 * np.array(history.val_accuracy),
                "s--",
                color=line.get_color(),
                label=f"{label} (validation)",
            )
    ax_loss.set(
        title="Mini-batch loss",
        xlabel="step (mini-batch update)",
        ylabel="cross-entropy loss",
        yscale="log",
    )
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)")
    ax_loss.legend()
    ax_acc.legend()
    fig.suptitle(title)
    return fig


def plot_confusion_matrix(cm, class_names=None, title="Confusion matrix"):
    """Counts of (true class, predicted class) as a heat map, with the numbers written in."""
    cm = np.asarray(cm)
    n = len(cm)
    names = class_names if class_names is not None else [str(c) for c in range(n)]
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, label="number of images")
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if cm[i, j] > cm.max() / 2 else "black",
            )
    ax.set(
        xticks=range(n),
        yticks=range(n),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted class",
        ylabel="true class",
        title=title,
    )
    ax.tick_params(axis="x", labelrotation=45 if max(len(s) for s in names) > 2 else 0)
    return fig


def plot_first_layer_weights(W, n=16, ncols=8, title="First-layer weights as 28×28 images"):
    """Each column of the first weight matrix W (784, H) shown as an image: what a unit looks for.

    Red is a positive weight (ink there raises the unit's input), blue a negative one (ink there
    lowers it), white 0: the colours of notebook 11.
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != 784:
        raise ValueError(
            f"expected first-layer weights of shape (784, H), got {W.shape}; "
            "pass model.parameters()['W0']"
        )
    n = min(n, W.shape[1])
    nrows = -(-n // ncols)
    fig = Figure(figsize=(1.2 * ncols, 1.3 * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            w = W[:, i].reshape(28, 28).copy()  # a copy, not a view that keeps W alive
            limit = np.abs(w).max() or 1.0
            ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {i}", fontsize=8)
    fig.suptitle(title)
    return fig


def plot_probabilities(probs, class_names=None, true_label=None, ax=None, title=None):
    """A bar chart of one image's predicted probabilities, the true class in green.

    With ``ax`` it draws into that axis (e.g. one of a row of small plots) and returns its
    Figure; ``title=""`` leaves the axis untitled. Long class names are slanted.
    """
    probs = np.asarray(probs)
    names = class_names if class_names is not None else [str(c) for c in range(len(probs))]
    fig = None
    if ax is None:
        fig = Figure(figsize=(4.5, 2.6), layout="constrained")
        ax = fig.subplots()
    colors = ["tab:green" if c == true_label else "tab:blue" for c in range(len(probs))]
    ax.bar(range(len(probs)), probs, color=colors)
    ax.set(
        xticks=range(len(probs)),
        xticklabels=names,
        ylim=(0, 1),
        xlabel="class",
        ylabel="probability",
        title="Predicted probabilities" if title is None else title,
    )
    if max(len(name) for name in names) > 2:
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    return fig if fig is not None else ax.figure
