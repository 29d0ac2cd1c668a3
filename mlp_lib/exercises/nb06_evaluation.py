"""Checks for notebook 06: the accuracy, counting correct answers batch by batch, the confusion
matrix, and the exercises on precision and top-2 accuracy."""

import numpy as np

from .feedback import Mistake, call, describe, expect_array, expect_number
from .fixtures import LABELS, N_IMAGES, EvenRowsRight, numbered_images
from .language import _
from .registry import check

Y_TRUE = np.array([0, 1, 2, 2, 1, 0, 2, 1, 1, 0])
Y_PRED = np.array([0, 2, 2, 1, 1, 0, 2, 1, 0, 0])  # 7 of 10 right; confusions are not symmetric


@check("accuracy", notebook="06", points=1)
def check_accuracy(accuracy):
    """``accuracy(y_true, y_pred) -> float``: the fraction of predictions equal to the labels."""
    got = expect_number(call(accuracy, Y_TRUE.copy(), Y_PRED.copy()), _("the accuracy"))
    if np.isclose(got, 70):
        raise Mistake(
            _("70 is a percentage: return the fraction 0.7 (format it with :.2% to print)"),
            "percentage",
        )
    if np.isclose(got, 7):
        raise Mistake(
            _("7 is the number of right answers: divide by the number of images"), "count"
        )
    if not np.isclose(got, 0.7):
        raise Mistake(_("expected 0.7 for 7 right answers out of 10, got {got!r}").format(got=got))
    return _("the fraction of right answers (0.7 for 7 of 10)")


@check("count_correct", notebook="06", points=1)
def check_count_correct(count_correct):
    """``count_correct(model, X, y, batch_size) -> (correct, seen)``, predicting batch by batch."""
    n, batch_size = N_IMAGES, 4  # 10 images: the last batch has 2
    X, y = numbered_images(), LABELS.copy()
    result = call(count_correct, EvenRowsRight(y), X, y, batch_size)
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise Mistake(
            _("return the pair (correct, seen); got {value}").format(value=describe(result))
        )
    correct, seen = (int(v) for v in result)
    if (correct, seen) == (4, 8):
        raise Mistake(
            _(
                "{seen} of {n} images seen with batches of {batch_size}: the last, shorter batch "
                "of {last} was skipped. Loop over every start, range(0, len(X), batch_size)"
            ).format(seen=seen, n=n, batch_size=batch_size, last=n % batch_size),
            "last-batch-dropped",
        )
    if (correct, seen) != (5, 10):
        raise Mistake(
            _("expected 5 correct of 10 seen on a small example, got {correct} of {seen}").format(
                correct=correct, seen=seen
            )
        )
    return _("predicts every image, including the last, shorter batch")


@check("confusion_matrix", notebook="06", points=1)
def check_confusion_matrix(confusion_matrix):
    """``confusion_matrix(y_true, y_pred, n_classes) -> C`` with C[i, j] = true i predicted as j."""
    want = np.zeros((3, 3), dtype=int)
    np.add.at(want, (Y_TRUE, Y_PRED), 1)
    got = expect_array(call(confusion_matrix, Y_TRUE.copy(), Y_PRED.copy(), 3), "C", (3, 3))
    if np.array_equal(got, want):
        return _(
            "C[i, j] counts the images of true class i predicted as j; rows sum to the class sizes"
        )
    if np.array_equal(got, want.T):
        raise Mistake(
            _(
                "the matrix is transposed: rows are the true classes, columns the predictions, "
                "C[y_true[k], y_pred[k]] += 1"
            ),
            "transposed",
        )
    raise Mistake(_("expected\n{want}\ngot\n{got}").format(want=want, got=got))


@check("precision", notebook="06", points=1)
def check_precision(precision):
    """``precision(cm) -> (C,)``: of the images predicted as each class, the fraction that were it."""
    cm = np.array([[5, 1, 0], [2, 6, 2], [0, 3, 4]])
    want = np.diag(cm) / cm.sum(axis=0)
    got = expect_array(call(precision, cm.copy()), _("the precision"), (3,))
    if np.allclose(got, want):
        return _("diagonal divided by the column sums (how often each class was predicted)")
    if np.allclose(got, np.diag(cm) / cm.sum(axis=1)):
        raise Mistake(
            _(
                "that divides by the row sums, which gives each class's accuracy (recall). "
                "Precision asks about the predictions: divide by the column sums, cm.sum(axis=0)"
            ),
            "recall-not-precision",
        )
    raise Mistake(
        _("expected {want}, got {got}").format(
            want=np.round(want, 4).tolist(), got=np.round(got, 4).tolist()
        )
    )


@check("top2_accuracy", notebook="06", points=1)
def check_top2_accuracy(top2_accuracy):
    """``top2_accuracy(probs, y) -> float``: how often the label is among the 2 most probable classes."""
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    y = np.array([1, 0, 0, 2])  # second choice, third, third, first: top-2 accuracy 0.5
    got = expect_number(call(top2_accuracy, probs.copy(), y.copy()), _("the top-2 accuracy"))
    if np.isclose(got, 0.5):
        return _("counts the images whose label is among the two most probable classes")
    if np.isclose(got, 0.25):
        raise Mistake(
            _("that is the ordinary (top-1) accuracy; count the second most probable class too"),
            "top1",
        )
    if np.isclose(got, 0.75):
        raise Mistake(
            _(
                "that counts the two *least* probable classes: np.argsort sorts from smallest to "
                "largest, so take the last two columns, [:, -2:]"
            ),
            "least-probable",
        )
    raise Mistake(_("expected 0.5 on a small example, got {got!r}").format(got=got))
