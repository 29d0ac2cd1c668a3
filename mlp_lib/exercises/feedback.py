"""The machinery every check shares: run the student's code safely, and answer in plain words.

A check (``check_linear_backward(linear_backward)``) calls the student's function on small
inputs, compares the result with a reference, and prints one line:

- ``✓ linear_backward: ...`` on standard output when the answer is right;
- ``✗ linear_backward: ...`` on standard error when it is not: what is wrong, the likely cause,
  and what to try. Never a traceback: a stub that still raises ``NotImplementedError`` gets
  "not written yet", an exception inside the student's code is described in words with the line
  it came from.

It also returns a ``CheckResult`` for tests and graders. Printing the hint on standard error is
deliberate: Jupyter shows it on a red background, and nbgrader (``autograde`` and ``validate``)
gives zero points to an autograder-test cell that writes to standard error, so a check cell is a
graded test without ever raising.

Every sentence is looked up with ``_`` (language.py): English as written here, or Chinese after
``set_language("zh")``. Write a new one as ``_("... {name} ...").format(name=...)`` and run
``python tools/feedback_catalogue.py update`` (the __init__ docstring says more).
"""

import sys
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .language import _


@dataclass
class CheckResult:
    """What a check found.

    ``passed`` is True for a right answer; ``message`` is the sentence shown to the student;
    ``mistake`` names the recognised mistake (e.g. ``"dW-transposed"``), or is None when the
    answer passed or the mistake was not one the check knows.
    """

    name: str
    passed: bool
    message: str
    mistake: str | None = None

    def __bool__(self):
        return self.passed

    def __str__(self):
        return f"{'✓' if self.passed else '✗'} {self.name}: {self.message}"

    def _ipython_display_(self):
        """Show nothing when the result is a cell's last value: the check has printed it already."""


class Mistake(Exception):
    """Raised inside a check to stop at the first problem found; carries the student's message."""

    def __init__(self, message, mistake=None):
        super().__init__(message)
        self.message = message
        self.mistake = mistake


def run_check(name, diagnose, answer, *args, needs_function=True, **options):
    """Run ``diagnose(answer, *args, **options)``, print the verdict and return a ``CheckResult``.

    ``diagnose`` returns the confirmation sentence, or raises ``Mistake`` with the hint.
    ``answer`` is the student's function (or, with ``needs_function=False``, a value);
    ``name`` is what the messages call it. (The ``@check`` decorator of registry.py calls this.)
    """
    try:
        if needs_function:
            require_function(answer, name)
        result = CheckResult(name, True, diagnose(answer, *args, **options))
    except Mistake as found:
        result = CheckResult(name, False, found.message, found.mistake)
    except Exception as error:  # a result so unexpected that comparing it failed: still words
        message = _(
            "the result could not be compared with the expected one ({error_type}: "
            "{error}); read the docstring again for what {name} should return"
        ).format(error_type=type(error).__name__, error=error, name=name)
        result = CheckResult(name, False, message, "unexpected-result")
    print(result, file=sys.stdout if result.passed else sys.stderr, flush=True)
    return result


def require_function(answer, name):
    if not callable(answer):
        raise Mistake(
            _(
                "this check needs your function itself, without calling it: pass `{name}`, "
                "not `{name}(...)` (it received a {type})"
            ).format(name=name, type=type(answer).__name__),
            "not-a-function",
        )


def call(function, *args, name=None, warn_ok=False, source=None, **kwargs):
    """Call the student's function; turn a stub, an exception or a warning into a ``Mistake``.

    NumPy's RuntimeWarnings (overflow, division by zero) are caught, never printed; unless
    ``warn_ok``, the first one becomes a ``Mistake``. With ``warn_ok`` the caller looks at the
    result instead (for softmax, an overflow is diagnosed from the nan it leaves). ``source`` is
    the student's function when ``function`` only wraps it (e.g. ``list`` over a generator).
    """
    name = name or getattr(function, "__name__", _("your function"))
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except NotImplementedError:
            raise Mistake(
                _(
                    "not written yet: replace `raise NotImplementedError()` in {name} by your "
                    "code, run that cell, then run this check again"
                ).format(name=name),
                "not-written",
            ) from None
        except Exception as error:  # the student's code failed: say so in words
            raise Mistake(
                _("{name} raised {error_type}: {error}{where}").format(
                    name=name,
                    error_type=type(error).__name__,
                    error=error,
                    where=where(error, source or function),
                ),
                "raised",
            ) from None
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning) and not warn_ok:
            raise Mistake(
                _(
                    "{name} made NumPy warn '{warning}': a result became inf or nan "
                    "on these small, ordinary inputs"
                ).format(name=name, warning=warning.message),
                "warning",
            )
    return result


def where(error, function):
    """' on the line `...`': the last line of the student's own code the error passed through."""
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    lines = [
        frame.line
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == code.co_filename and frame.line
    ]
    return _(", on the line `{line}`").format(line=lines[-1].strip()) if lines else ""


def expect_array(value, what, shape, *, dtype=None):
    """Raise a ``Mistake`` unless ``value`` is a finite array of this shape (and dtype)."""
    if value is None:
        raise Mistake(
            _("{what} is None: did you forget the `return` line?").format(what=what),
            "returned-none",
        )
    if not isinstance(value, np.ndarray | np.generic | float | int):
        raise Mistake(
            _("{what} should be a NumPy array of shape {shape}, got a {type}").format(
                what=what, shape=shape, type=type(value).__name__
            ),
            "not-an-array",
        )
    value = np.asarray(value)
    if value.shape != tuple(shape):
        raise Mistake(
            _("{what} has shape {shape}, expected {expected}").format(
                what=what, shape=value.shape, expected=tuple(shape)
            ),
            "shape",
        )
    if dtype is not None and value.dtype != dtype:
        raise Mistake(
            _(
                "{what} is {dtype} for {input_dtype} inputs: keep the inputs' dtype "
                "(no astype, no float64 constants made with np.array or np.eye)"
            ).format(what=what, dtype=value.dtype, input_dtype=np.dtype(dtype).name),
            "dtype",
        )
    if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
        raise Mistake(_("{what} contains inf or nan").format(what=what), "not-finite")
    return value


def expect_number(value, what):
    """Return ``value`` as a float, or raise a ``Mistake`` unless it is one real number."""
    if value is None:
        raise Mistake(
            _("{what} is None: did you forget the `return` line?").format(what=what),
            "returned-none",
        )
    not_a_number = _("{what} should be one number, got {value}")
    if isinstance(value, bool) or np.ndim(value) != 0 or not np.isrealobj(value):
        raise Mistake(not_a_number.format(what=what, value=describe(value)), "not-a-number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Mistake(
            not_a_number.format(what=what, value=describe(value)), "not-a-number"
        ) from None


def expect_tuple(value, what, length, names):
    """Raise a ``Mistake`` unless ``value`` is a tuple (or list) of ``length`` items."""
    if value is None:
        raise Mistake(
            _("{what} returned None: did you forget the `return` line?").format(what=what),
            "returned-none",
        )
    if not isinstance(value, tuple | list) or len(value) != length:
        raise Mistake(
            _("{what} should return {length} things, {names}; got {value}").format(
                what=what, length=length, names=names, value=describe(value)
            )
        )
    return value


def expect_unchanged(before, after, what):
    """Raise a ``Mistake`` if the function changed an input array in place."""
    if not np.array_equal(before, after):
        raise Mistake(
            _(
                "it changed its input {what} in place; compute a new array instead "
                "(no `{what} -= ...`, no `{what}[...] = ...`)"
            ).format(what=what),
            "in-place",
        )


def close(a, b, rtol=1e-6, atol=1e-9):
    """Same shape and values within a tolerance fit for float64 (and float32 with a looser rtol)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def number_text(value):
    """A number as a message shows it: '25,760' for a whole number (even 25760.0), else '156.25'.

    ``expect_number`` returns a float, so a count formatted as it comes would read '25,760.0'.
    """
    value = float(value)
    return f"{int(value):,}" if value.is_integer() else f"{value:,g}"


def describe(value):
    """A short description of a value for messages: 'an array of shape (3, 4)', 'a tuple of 2'."""
    if isinstance(value, np.ndarray):
        return _("an array of shape {shape}").format(shape=value.shape)
    if isinstance(value, tuple | list):
        return _("a {type} of {length} items").format(type=type(value).__name__, length=len(value))
    # Python's own words (a type and a repr): the same in every language
    return f"{type(value).__name__} {value!r}"[:80]
