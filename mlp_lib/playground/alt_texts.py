"""The playground's pictures in words: the text alternative (``alt``) of every image it shows.

A screen reader reads these instead of the pictures, so each says what is plotted and the latest
figures, e.g. "Loss and validation accuracy per epoch, run 2 (784-64-32-10 · ...): finished 3
epochs; validation accuracy 96.3%, test accuracy 96.1%".
"""

import math

import numpy as np

CURVES_BEFORE = (
    "Loss and validation accuracy per epoch: empty until a run starts; press Train to start one."
)
N_MISTAKES = 3  # the most frequent confusions named in the confusion matrix's text


def percent(fraction):
    return f"{100 * fraction:.1f}%"


def plural(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def curves_alt(result):
    """The live plot of ``result``, in words: while it trains, then how it ended."""
    head = (
        f"Loss and validation accuracy per epoch, run {result.number} "
        f"({result.settings.describe()})"
    )
    if result.status == "running":
        epoch = max(1, math.ceil(result.steps / max(1, result.history.steps_per_epoch)))
        text = (
            f"{head}, training: epoch {epoch} of {result.settings.epochs}, "
            f"step {result.steps} of {result.total_steps}"
        )
        if result.history.loss:
            text += f", mini-batch loss {result.history.loss[-1]:.3g}"
        if result.monitor_accuracy:
            text += f", validation accuracy {percent(result.monitor_accuracy[-1])}"
        return text
    if not result.usable:
        return f"{head}: training diverged after {result.steps} steps; no accuracy"
    ended = {
        "finished": f"finished {plural(result.settings.epochs, 'epoch')}",
        "stopped": f"stopped after {result.steps} of {result.total_steps} steps",
        "failed": "learned almost nothing",
    }[result.status]
    return (
        f"{head}: {ended}; validation accuracy {percent(result.validation.accuracy)}, "
        f"test accuracy {percent(result.test.accuracy)}"
    )


def weights_alt(number, n_units, training=False):
    """The first layer's weights, as ``weights_png`` draws them."""
    when = f"run {number}, while it trains" if training else f"run {number}"
    return (
        f"First-layer weights of {n_units} hidden units ({when}), each as a 28 x 28 image: red "
        f"where ink raises the unit's input, blue where it lowers it"
    )


def confusion_alt(confusion, class_names, number):
    """The confusion matrix (true class x predicted class): how many right, the top mistakes."""
    confusion = np.asarray(confusion)  # (C, C): rows true classes, columns predictions
    total, right = int(confusion.sum()), int(np.trace(confusion))
    mistakes = confusion * (1 - np.eye(len(confusion), dtype=confusion.dtype))  # (C, C)
    order = np.argsort(-mistakes, axis=None, kind="stable")[:N_MISTAKES]  # ties: row by row
    named = [
        f"{class_names[true]} read as {class_names[guess]} ({plural(mistakes[true, guess], 'time')})"
        for true, guess in zip(*np.unravel_index(order, confusion.shape))
        if mistakes[true, guess] > 0
    ]
    text = (
        f"Confusion matrix of run {number} on the {total:,} test images: "
        f"{right:,} right ({percent(right / total)})"
    )
    return f"{text}; most frequent mistakes: {', '.join(named)}" if named else text


def examples_alt(indices, y_true, probs, class_names):
    """Test images with the network's answers, as ``plot_examples`` shows them.

    Shapes: indices (n,), y_true (n,) their true classes, probs (n, C).
    """
    answers = []
    for i, label, p in zip(indices, y_true, probs):
        guess = int(np.argmax(p))
        verdict = "" if guess == label else ", wrong"
        answers.append(
            f"#{i}, a {class_names[label]}, read as {class_names[guess]} "
            f"({100 * p[guess]:.0f}%{verdict})"
        )
    return f"{len(answers)} test images and the network's probabilities: {'; '.join(answers)}"


def runs_alt(results):
    """The last runs compared, as ``plot_runs`` draws them: how each ended."""
    endings = [
        f"run {r.number} {percent(r.validation.accuracy)}"
        if r.usable
        else f"run {r.number} diverged"
        for r in results
    ]
    return (
        f"Smoothed loss and validation accuracy per epoch of the last {plural(len(results), 'run')}; "
        f"final validation accuracy: {', '.join(endings)}"
    )


def picker_alt(index, label, probs, class_names):
    """The image picker's picture: a test image beside the network's probabilities."""
    guess = int(np.argmax(probs))
    return (
        f"Test image {index}, a {class_names[label]}, beside the network's probabilities for "
        f"the {len(class_names)} classes: the most probable is {class_names[guess]}, "
        f"{percent(probs[guess])}"
    )
