"""Exercises that answer back: one check per "build it yourself" function and checkable exercise.

Call a check right after writing the function, with the function itself (no parentheses)::

    from mlp_lib.exercises import check_linear_backward
    check_linear_backward(linear_backward)
    # ✓ linear_backward: dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0), ...
    # or, on a red background (standard error):
    # ✗ linear_backward: dW has shape (4, 5): it is transposed. ...

Each check runs your function on small inputs, compares it with ``mlp_lib`` or a reference, and
prints one line: a short confirmation, or what is wrong and its likely cause. It returns a
``CheckResult`` (``.passed``, ``.message``, ``.mistake``) for tests and graders. The checks, by
notebook:

- 01: ``check_decode_idx``, ``check_mean_image_per_class``, ``check_count_always_blank_pixels``
- 02: ``check_linear_forward``, ``check_linear_backward``, ``check_init_weights``,
  ``check_numerical_grad``, ``check_rel_error``, ``check_count_parameters``
- 03: ``check_relu_forward``, ``check_relu_backward``, ``check_softmax``, ``check_log_softmax``,
  ``check_cross_entropy``, ``check_softmax_cross_entropy_backward``, ``check_largest_safe_logit``
- 04: ``check_init_params``, ``check_forward``, ``check_backward``, ``check_numerical_partial``,
  ``check_predict``
- 05: ``check_hold_out``, ``check_sgd_update``, ``check_minibatches``, ``check_train_by_hand``
- 06: ``check_count_correct``, ``check_accuracy``, ``check_confusion_matrix``,
  ``check_precision``, ``check_top2_accuracy``
- 07: ``check_steps_per_epoch``
- 08: ``check_dropout_forward``, ``check_dropout_backward``, ``check_shift_one``,
  ``check_evaluate``, ``check_touches_edge``
- 09: ``check_group_accuracy``
"""

from .evaluation import (
    check_accuracy,
    check_confusion_matrix,
    check_count_correct,
    check_evaluate,
    check_precision,
    check_top2_accuracy,
)
from .fashion import check_group_accuracy
from .feedback import CheckResult
from .going_further import (
    check_dropout_backward,
    check_dropout_forward,
    check_shift_one,
    check_touches_edge,
)
from .layers import (
    check_count_parameters,
    check_init_weights,
    check_linear_backward,
    check_linear_forward,
    check_numerical_grad,
    check_rel_error,
)
from .loading import (
    check_count_always_blank_pixels,
    check_decode_idx,
    check_mean_image_per_class,
)
from .losses import (
    check_cross_entropy,
    check_largest_safe_logit,
    check_log_softmax,
    check_relu_backward,
    check_relu_forward,
    check_softmax,
    check_softmax_cross_entropy_backward,
)
from .network import (
    check_backward,
    check_forward,
    check_init_params,
    check_numerical_partial,
    check_predict,
)
from .training import check_minibatches, check_sgd_update, check_train_by_hand
from .validation import check_hold_out, check_steps_per_epoch

__all__ = [
    "CheckResult",
    "check_accuracy",
    "check_backward",
    "check_confusion_matrix",
    "check_count_always_blank_pixels",
    "check_count_correct",
    "check_count_parameters",
    "check_cross_entropy",
    "check_decode_idx",
    "check_dropout_backward",
    "check_dropout_forward",
    "check_evaluate",
    "check_forward",
    "check_hold_out",
    "check_group_accuracy",
    "check_init_params",
    "check_init_weights",
    "check_largest_safe_logit",
    "check_linear_backward",
    "check_linear_forward",
    "check_log_softmax",
    "check_mean_image_per_class",
    "check_minibatches",
    "check_numerical_grad",
    "check_numerical_partial",
    "check_precision",
    "check_predict",
    "check_rel_error",
    "check_relu_backward",
    "check_relu_forward",
    "check_sgd_update",
    "check_shift_one",
    "check_softmax",
    "check_softmax_cross_entropy_backward",
    "check_steps_per_epoch",
    "check_top2_accuracy",
    "check_touches_edge",
    "check_train_by_hand",
]
