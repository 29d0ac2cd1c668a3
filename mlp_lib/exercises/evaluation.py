"""Checks for notebooks 06 and 08: counting correct answers, the confusion matrix, and evaluating
a network with dropout switched off."""

import numpy as np

from ..model import MLP
from .feedback import Mistake, call, describe, expect_array, expect_number, run_check

Y_TRUE = np.array([0, 1, 2, 2, 1, 0, 2, 1, 1, 0])
Y_PRED = np.array([0, 2, 2, 1, 1, 0, 2, 1, 0, 0])  # 7 of 10 right; confusions are not symmetric


class EvenRowsRight:
    """Stands in for a trained model: right on even-numbered images, wrong on odd ones.

    Each image's first pixel is its row number, so the answer does not depend on the batch.
    """

    def __init__(self, y):
        self.y = y

    def predict(self, X):
        rows = np.asarray(X)[:, 0].astype(int)
        return np.where(rows % 2 == 0, self.y[rows], (self.y[rows] + 1) % 10)


def check_count_correct(count_correct):
    """``count_correct(model, X, y, batch_size) -> (correct, seen)``, predicting batch by batch."""
    return run_check("count_correct", _diagnose_count_correct, count_correct)


def _diagnose_count_correct(count_correct):
    n, batch_size = 10, 4
    X = np.zeros((n, 3))
    X[:, 0] = np.arange(n)
    y = (np.arange(n) * 3) % 10
    result = call(count_correct, EvenRowsRight(y), X, y, batch_size)
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise Mistake(f"return the pair (correct, seen); got {describe(result)}")
    correct, seen = (int(v) for v in result)
    if (correct, seen) == (4, 8):
        raise Mistake(
            f"{seen} of {n} images seen with batches of {batch_size}: the last, shorter batch of "
            f"{n % batch_size} was skipped. Loop over every start, range(0, len(X), batch_size)",
            "last-batch-dropped",
        )
    if (correct, seen) != (5, 10):
        raise Mistake(f"expected 5 correct of 10 seen on a small example, got {correct} of {seen}")
    return "predicts every image, including the last, shorter batch"


def check_accuracy(accuracy):
    """``accuracy(y_true, y_pred) -> float``: the fraction of predictions equal to the labels."""
    return run_check("accuracy", _diagnose_accuracy, accuracy)


def _diagnose_accuracy(accuracy):
    got = expect_number(call(accuracy, Y_TRUE.copy(), Y_PRED.copy()), "the accuracy")
    if np.isclose(got, 70):
        raise Mistake(
            "70 is a percentage: return the fraction 0.7 (format it with :.2% to print)",
            "percentage",
        )
    if np.isclose(got, 7):
        raise Mistake("7 is the number of right answers: divide by the number of images", "count")
    if not np.isclose(got, 0.7):
        raise Mistake(f"expected 0.7 for 7 right answers out of 10, got {got!r}")
    return "the fraction of right answers (0.7 for 7 of 10)"


def check_confusion_matrix(confusion_matrix):
    """``confusion_matrix(y_true, y_pred, n_classes) -> C`` with C[i, j] = true i predicted as j."""
    return run_check("confusion_matrix", _diagnose_confusion_matrix, confusion_matrix)


def _diagnose_confusion_matrix(confusion_matrix):
    want = np.zeros((3, 3), dtype=int)
    np.add.at(want, (Y_TRUE, Y_PRED), 1)
    got = expect_array(call(confusion_matrix, Y_TRUE.copy(), Y_PRED.copy(), 3), "C", (3, 3))
    if np.array_equal(got, want):
        return (
            "C[i, j] counts the images of true class i predicted as j; rows sum to the class sizes"
        )
    if np.array_equal(got, want.T):
        raise Mistake(
            "the matrix is transposed: rows are the true classes, columns the predictions, "
            "C[y_true[k], y_pred[k]] += 1",
            "transposed",
        )
    raise Mistake(f"expected\n{want}\ngot\n{got}")


def check_precision(precision):
    """``precision(cm) -> (C,)``: of the images predicted as each class, the fraction that were it."""
    return run_check("precision", _diagnose_precision, precision)


def _diagnose_precision(precision):
    cm = np.array([[5, 1, 0], [2, 6, 2], [0, 3, 4]])
    want = np.diag(cm) / cm.sum(axis=0)
    got = expect_array(call(precision, cm.copy()), "the precision", (3,))
    if np.allclose(got, want):
        return "diagonal divided by the column sums (how often each class was predicted)"
    if np.allclose(got, np.diag(cm) / cm.sum(axis=1)):
        raise Mistake(
            "that divides by the row sums, which gives each class's accuracy (recall). Precision "
            "asks about the predictions: divide by the column sums, cm.sum(axis=0)",
            "recall-not-precision",
        )
    raise Mistake(f"expected {np.round(want, 4).tolist()}, got {np.round(got, 4).tolist()}")


def check_top2_accuracy(top2_accuracy):
    """``top2_accuracy(probs, y) -> float``: how often the label is among the 2 most probable classes."""
    return run_check("top2_accuracy", _diagnose_top2, top2_accuracy)


def _diagnose_top2(top2_accuracy):
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    y = np.array([1, 0, 0, 2])  # second choice, third, third, first: top-2 accuracy 0.5
    got = expect_number(call(top2_accuracy, probs.copy(), y.copy()), "the top-2 accuracy")
    if np.isclose(got, 0.5):
        return "counts the images whose label is among the two most probable classes"
    if np.isclose(got, 0.25):
        raise Mistake(
            "that is the ordinary (top-1) accuracy; count the second most probable class too",
            "top1",
        )
    if np.isclose(got, 0.75):
        raise Mistake(
            "that counts the two *least* probable classes: np.argsort sorts from smallest to "
            "largest, so take the last two columns, [:, -2:]",
            "least-probable",
        )
    raise Mistake(f"expected 0.5 on a small example, got {got!r}")


def check_evaluate(evaluate):
    """``evaluate(model, X, y) -> float``: the accuracy of ``model``, with dropout switched off."""
    return run_check("evaluate", _diagnose_evaluate, evaluate)


def _diagnose_evaluate(evaluate):
    model = MLP((6, 32, 3), dropout=0.5, seed=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((200, 6))
    y = model.predict(X)  # the labels the network gives when predicting properly: accuracy 1
    results = [expect_number(call(evaluate, model, X, y), "the accuracy") for _ in range(2)]
    if np.isclose(results[0], results[1]) and np.isclose(results[0], 100):
        raise Mistake("100 is a percentage: return the fraction 1.0", "percentage")
    if not np.isclose(results[0], results[1]):
        raise Mistake(
            f"the accuracy was {float(results[0]):.3f}, then {float(results[1]):.3f}, on 200 images "
            "this network answers right every time: dropout was still on. Predict with "
            "training=False (model.predict does), so that every unit takes part",
            "dropout-on",
        )
    if not np.isclose(results[0], 1.0):
        raise Mistake(
            f"expected accuracy 1.0 on images labelled with the network's own answers, got {float(results[0]):.3f}"
        )
    return "the same answer every time, with every unit taking part (dropout off)"
