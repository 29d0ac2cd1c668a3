"""Exercises that answer back: one check per "build it yourself" function and checkable exercise.

Call a check right after writing the function, with the function itself (no parentheses)::

    from mlp_lib.exercises import check_linear_backward
    check_linear_backward(linear_backward)
    # ✓ linear_backward: dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0), ...
    # or, on a red background (standard error):
    # ✗ linear_backward: dW has shape (4, 5): it is transposed. ...

Each check runs your function on small inputs, compares it with ``mlp_lib`` or a reference, and
prints one line: a short confirmation, or what is wrong and its likely cause. It returns a
``CheckResult`` (``.passed``, ``.message``, ``.mistake``) for tests and graders.

The checks of each notebook are in one module (notebook 02's in ``nb02_fully_connected_layer``),
each written once, under ``@check("linear_backward", notebook="02", points=2)`` (registry.py),
which records it in ``CHECKS``. This package exports every check in ``CHECKS`` by its name,
``check_linear_backward``. The table of the checks by notebook, with their points, is in
notebooks/AUTHORING.md; ``python -m mlp_lib.exercises`` prints it.

Languages: the checks answer in English, or in Chinese after::

    from mlp_lib.exercises import set_language
    set_language("zh")      # set_language("en") goes back to English

(the first code cell of every notebook in notebooks/zh/), or with the environment variable
``MLP_LIB_LANGUAGE=zh`` (``en`` or ``zh``; unset means English), read when this package is
imported. Any other value is refused with an error naming the two. Only the sentences change: the
``✓``/``✗``, the name before the colon, the code, shapes and numbers are the same in both
languages, and so are ``CheckResult.passed`` and ``.mistake``. Every sentence goes through
gettext (language.py); the Chinese is in mlp_lib/locale/zh/LC_MESSAGES/mlp_lib.po, kept in step
with the code by ``python tools/feedback_catalogue.py update`` and ``compile`` (the notes at the
top of that tool say how to translate a new sentence). The library's own errors, outside the
checks, stay in English.
"""

from collections.abc import Callable

from . import (  # noqa: F401 (importing a notebook's module registers its checks in CHECKS)
    nb01_idx_format,
    nb02_fully_connected_layer,
    nb03_relu_and_softmax,
    nb04_backpropagation,
    nb05_minibatch_gradient_descent,
    nb06_evaluation,
    nb07_playground,
    nb08_going_further,
    nb09_fashion_mnist,
    nb10_your_own_handwriting,
    nb11_inside_the_network,
)
from .feedback import CheckResult
from .language import get_language, set_language  # noqa: F401 (importable from here)
from .registry import CHECKS, Check

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "get_language",
    "set_language",
    *sorted(f"check_{name}" for name in CHECKS),
]


def __getattr__(name: str) -> Callable[..., CheckResult]:
    """``check_<name>``, the check registered in ``CHECKS`` as ``name``.

    Python calls this for a name the module does not define (PEP 562), so that
    ``from mlp_lib.exercises import check_linear_forward`` finds the check in the registry.
    """
    record = CHECKS.get(name.removeprefix("check_")) if name.startswith("check_") else None
    if record is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return record.function


def __dir__():
    """What ``dir()`` and tab completion list: the module's names and every check."""
    return sorted({*globals(), *__all__})
