"""Checks for notebook 09: the accuracy when some classes are counted as one."""

import numpy as np

from .feedback import Mistake, call, describe, expect_number, expect_unchanged
from .language import _
from .registry import check


def _reference_group_accuracy(cm, group):
    block = cm[np.ix_(group, group)]  # true and predicted class both in the group
    return (np.trace(cm) + block.sum() - np.trace(block)) / cm.sum()


def _confusion_matrices():
    """(cm, group) pairs: a random 6 x 6 matrix with a group of three, and a group of one."""
    cm = np.random.default_rng(0).integers(0, 20, size=(6, 6)) + np.diag([80, 60, 70, 90, 50, 75])
    return [(cm, [0, 2, 3]), (cm, [4, 1]), (cm, [5])]


@check("group_accuracy", notebook="09", points=1)
def check_group_accuracy(group_accuracy):
    """``group_accuracy(cm, group) -> float``: right if the same class, or both in ``group``."""
    for cm, group in _confusion_matrices():
        before = cm.copy()
        got = expect_number(call(group_accuracy, cm, list(group)), _("the accuracy"))
        expect_unchanged(before, cm, "cm")
        want = _reference_group_accuracy(cm, group)
        if np.isclose(got, want):
            continue
        block = cm[np.ix_(group, group)]
        total, trace = cm.sum(), np.trace(cm)
        wrong = [
            (
                100 * want,
                "percentage",
                _("this is a percentage: return the fraction, between 0 and 1"),
            ),
            (
                (trace + block.sum()) / total,
                "diagonal-twice",
                _(
                    "the group's right answers were counted twice: they are on the diagonal "
                    "(np.trace) and in the group's block; add only the block's mistakes, "
                    "block.sum() - np.trace(block)"
                ),
            ),
            (
                (block.sum() - np.trace(block)) / total,
                "mistakes-only",
                _(
                    "that is only the share of mistakes within the group: add the right answers "
                    "(the diagonal, np.trace(cm)) too"
                ),
            ),
            (
                (trace - np.trace(block) + cm[group].sum()) / total,
                "rows-only",
                _(
                    "every image of a group class was counted right, whatever was predicted: the "
                    "predicted class must be in the group too, cm[np.ix_(group, group)] rather "
                    "than cm[group]"
                ),
            ),
            (
                (trace + block.sum() - np.trace(block)) / cm[group].sum(),
                "group-total",
                _(
                    "divided by the images of the group's classes only: divide by all the images, "
                    "cm.sum()"
                ),
            ),
            (
                trace / total if len(group) > 1 else None,
                "ignores-group",
                _(
                    "that is the plain accuracy, np.trace(cm) / cm.sum(): also count the mistakes "
                    "between two classes of the group as right"
                ),
            ),
        ]
        for value, mistake, cause in wrong:
            if value is not None and np.isclose(got, value):
                raise Mistake(cause, mistake)
        raise Mistake(
            _(
                "for group {group} of a {size} x {size} confusion matrix, expected {want:.4f}, "
                "got {got}: the diagonal plus the mistakes between two classes of the group, "
                "divided by all the images"
            ).format(group=group, size=cm.shape[0], want=want, got=describe(got))
        )
    return _("the diagonal plus the mistakes within the group, over all the images")
