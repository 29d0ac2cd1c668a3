import numpy as np
import pytest

from mlp_lib.metrics import accuracy, confusion_matrix


def test_accuracy_counts_matches():
    assert accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75


def test_confusion_matrix_worked_example():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.sum() == 6 and np.trace(cm) == 4


def test_metrics_refuse_bad_input():
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        accuracy([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="accuracy of zero samples is undefined"):
        accuracy([], [])
    with pytest.raises(ValueError, match=r"y_pred must lie in 0..2, got values from 0 to 3"):
        confusion_matrix([0, 1], [0, 3], n_classes=3)
    with pytest.raises(ValueError, match=r"same shape"):
        confusion_matrix([0, 1], [0])
