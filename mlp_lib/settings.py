"""One description per setting: what values it may take, said once, and used everywhere.

A ``Recipe`` field is made with ``setting``: its default, its *constraint* and its help text:

    lr: float = setting(0.1, Interval(float, 0, None, closed="neither", hint="try 0.1"), "learning rate")

Everything else is derived from that line. ``Recipe`` checks the value with
``constraint.check(name, value)``; the command line reads ``--lr 0.05`` with
``constraint.from_text(name, text)``, lists ``constraint.choices`` and makes ``--normalize`` /
``--no-normalize`` of a ``Flag``; the playground takes a slider's bounds and whether it moves in
whole numbers from the ``Interval``. A new setting is one new line in ``recipe.py``.

The constraints:

    Interval(int, 1, None)                      # an integer >= 1
    Interval(float, 0, 1, closed="left")        # a number in [0, 1)
    Options(("mnist", "fashion-mnist"))         # one of a few values
    FloatDType()                                # float32 or float64 (a name or a NumPy type)
    Flag()                                      # True or False
    Sizes()                                     # one or more positive integers, e.g. (512, 256)
    Optional(Interval(int, 1, None))            # None, or what the inner constraint accepts

Each ``check`` returns the value in its plain form (``np.int64(3)`` -> ``3``, ``[8, 4]`` ->
``(8, 4)``, ``np.float64`` -> ``"float64"``) or raises a ValueError that names the setting, says
what is allowed, shows the value and, with ``hint``, what to try. The pattern is scikit-learn's
``_parameter_constraints`` (``sklearn/utils/_param_validation.py``), made small.
"""

from dataclasses import field, fields

from .checks import (
    FLOAT_DTYPES,
    check_bool,
    check_choice,
    check_float_dtype,
    check_int,
    check_number,
    is_integer,
)

CLOSED = ("both", "left", "right", "neither")  # which ends belong to an Interval


class Constraint:
    """What a setting may be (the base class).

    ``check(name, value)``: the value in its plain form, or a ValueError.
    ``from_text(name, text)``: a value typed on the command line, read and checked.
    ``choices``: the values to list in ``--help`` (None: too many to list).
    ``flag``: True for an on/off setting, given as ``--name`` or ``--no-name``.
    """

    choices = None
    flag = False

    def check(self, name, value):
        raise NotImplementedError

    def from_text(self, name, text):
        """The text is the value itself (Options of words); subclasses read numbers."""
        return self.check(name, text)


class Interval(Constraint):
    """A number from ``low`` to ``high`` (None: no bound); ``kind`` is int or float.

    ``closed`` says which ends belong to it, as in scikit-learn: "both" [low, high], "left"
    [low, high), "right" (low, high], "neither" (low, high). Integer intervals are closed:
    "> 0" is ``Interval(int, 1, None)``. NumPy numbers are accepted, True and False are not,
    nor are nan and inf.
    """

    def __init__(self, kind, low, high, *, closed="both", hint=""):
        if kind not in (int, float):
            raise TypeError(f"an Interval holds int or float numbers, got {kind!r}")
        if closed not in CLOSED:
            raise ValueError(f"closed must be one of {', '.join(CLOSED)}, got {closed!r}")
        if kind is int and closed != "both":
            raise ValueError("integer intervals are closed: write Interval(int, 1, None) for > 0")
        self.kind, self.low, self.high, self.closed, self.hint = kind, low, high, closed, hint

    def __repr__(self):
        return (
            f"Interval({self.kind.__name__}, {self.low!r}, {self.high!r}, closed={self.closed!r})"
        )

    def check(self, name, value):
        if self.kind is int:
            return check_int(name, value, self.low, self.high, hint=self.hint)
        return check_number(
            name,
            value,
            self.low,
            self.high,
            low_open=self.closed in ("right", "neither"),
            high_open=self.closed in ("left", "neither"),
            hint=self.hint,
        )

    def from_text(self, name, text):
        """'0.05' -> 0.05, checked; 'fast' -> ValueError('lr must be a number, got ...')."""
        try:
            value = self.kind(text)
        except ValueError:
            words = "an integer" if self.kind is int else "a number"
            raise ValueError(f"{name} must be {words}, got {text!r}") from None
        return self.check(name, value)


class Options(Constraint):
    """One of a few ``choices`` (a sequence, or the keys of a dict such as ``OPTIMIZERS``)."""

    def __init__(self, choices, *, hint=""):
        self.choices, self.hint = tuple(choices), hint

    def __repr__(self):
        return f"Options({self.choices!r})"

    def check(self, name, value):
        return check_choice(name, value, self.choices, self.hint)


class FloatDType(Options):
    """float32 or float64, given by name or as a NumPy type (np.float64); kept as its name."""

    def __init__(self):
        super().__init__(FLOAT_DTYPES)

    def __repr__(self):
        return "FloatDType()"

    def check(self, name, value):
        return check_float_dtype(value, name).name


class Flag(Constraint):
    """True or False (NumPy's too): ``--name`` or ``--no-name`` on the command line.

    ``off_flag`` is one more option that turns it off, e.g. "--raw-pixels" for normalize.
    """

    flag = True

    def __init__(self, *, off_flag=None):
        self.off_flag = off_flag

    def __repr__(self):
        return "Flag()" if self.off_flag is None else f"Flag(off_flag={self.off_flag!r})"

    def check(self, name, value):
        return check_bool(name, value)


class Sizes(Constraint):
    """One or more positive integers, e.g. hidden layer sizes (512, 256); "512,256" as text.

    ``each`` names one of them in messages ("every hidden size must be a positive integer").
    """

    def __init__(self, *, each="hidden size"):
        self.each = each

    def __repr__(self):
        return "Sizes()"

    def check(self, name, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
            raise ValueError(
                f"{name} must be one or more positive integers such as (512, 256), got {value!r}"
            )
        if not all(is_integer(size) and size > 0 for size in value):
            raise ValueError(
                f"every {self.each} must be a positive integer, got {tuple(value)!r}; "
                f"e.g. (512, 256)"
            )
        return tuple(int(size) for size in value)

    def from_text(self, name, text):
        """'512,256' -> (512, 256), checked."""
        try:
            sizes = tuple(int(part) for part in text.split(","))
        except ValueError:
            raise ValueError(
                f"{name} must be comma-separated positive integers such as 512,256, got {text!r}"
            ) from None
        return self.check(name, sizes)


class Optional(Constraint):
    """None, or a value that ``inner`` accepts (train_size=None: every training image)."""

    def __init__(self, inner):
        self.inner = inner
        self.choices = inner.choices

    def __repr__(self):
        return f"Optional({self.inner!r})"

    def check(self, name, value):
        return None if value is None else self.inner.check(name, value)

    def from_text(self, name, text):
        return self.inner.from_text(name, text)


def setting(default, constraint, help, metavar=None):
    """A dataclass field described once: its default, its constraint, and the sentence (and the
    placeholder, e.g. "N") that ``--help`` shows for it."""
    if not isinstance(constraint, Constraint):
        raise TypeError(
            f"a setting needs a Constraint such as Interval(int, 1, None), got {constraint!r}"
        )
    return field(
        default=default, metadata={"constraint": constraint, "help": help, "metavar": metavar}
    )


def constraints(cls):
    """{name: constraint} for every field of the dataclass ``cls`` made with ``setting``."""
    return {f.name: f.metadata["constraint"] for f in fields(cls) if "constraint" in f.metadata}
