"""Argument checks used across the library, written once.

Each check returns the value in its plain Python form (``int``, ``float``, ``np.dtype``) or raises
a ``ValueError`` whose message names the argument, says what is allowed and shows what was given:

    check_int("batch_size", 0, low=1)        # ValueError: batch_size must be a positive integer, got 0
    check_number("lr", -1, low=0, low_open=True, hint="try 0.01")

``True`` and ``False`` are refused where a number is expected: ``bool`` is a subclass of ``int``
in Python, so ``epochs=True`` would otherwise quietly mean 1.

The last section checks paths, for every module that reads or writes files: a name longer than
the system allows (``path_length_problem``), and files that are not regular files — a named pipe
(FIFO) blocks whoever opens it until someone writes to it, and ``/dev/zero`` never ends — which
``open_regular_file`` refuses before reading a byte (``SpecialFileError``).
"""

import errno
import math
import os
import stat
from pathlib import Path

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def is_integer(value):
    """True for a Python or NumPy integer, False for bools and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value):
    """True for a real Python or NumPy number (integer or float), False for bools and the rest."""
    return is_integer(value) or isinstance(value, (float, np.floating))


def _suffix(hint):
    return f"; {hint}" if hint else ""


def _bounds(low, high, low_open=False, high_open=False):
    """Words for an interval: 'from 1 to 20', '>= 0', '> 0', 'in [0, 1)'."""
    if low is not None and high is not None:
        if low_open or high_open:
            return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        return f"from {low:g} to {high:g}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def check_int(name, value, low=None, high=None, hint=""):
    """``value`` as an int if it is an integer in [low, high] (either bound may be None)."""
    if low == 1 and high is None:
        what = "a positive integer"
    else:
        what = f"an integer {_bounds(low, high)}".rstrip()
    if (
        not is_integer(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        raise ValueError(f"{name} must be {what}, got {value!r}{_suffix(hint)}")
    return int(value)


def check_number(name, value, low=None, high=None, *, low_open=False, high_open=False, hint=""):
    """``value`` as a float if it is a finite number in the interval (open or closed ends)."""
    if low == 0 and low_open and high is None:
        what = "a positive number"
    else:
        what = f"a number {_bounds(low, high, low_open, high_open)}".rstrip()
    ok = is_number(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(f"{name} must be {what}, got {value!r}{_suffix(hint)}")
    return float(value)


def check_choice(name, value, choices, hint=""):
    """``value`` if it is one of ``choices`` (a sequence or the keys of a dict)."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except (TypeError, ValueError):  # e.g. an unhashable value, or an array
        ok = False
    if not ok or isinstance(value, (bool, np.bool_)) != isinstance(choices[0], bool):
        listed = ", ".join(str(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}{_suffix(hint)}")
    return value


def check_bool(name, value):
    """``value`` as a bool if it is True or False (NumPy's too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_float_dtype(dtype, name="dtype"):
    """``np.dtype(dtype)`` if it names float32 or float64 ("float32", np.float32, ...)."""
    try:
        ok = dtype is not None and np.dtype(dtype).name in FLOAT_DTYPES
    except TypeError:  # not a dtype at all, e.g. "floot32"
        ok = False
    if not ok:
        try:
            shown = repr(dtype) if dtype is None or isinstance(dtype, str) else np.dtype(dtype).name
        except TypeError:
            shown = repr(dtype)
        raise ValueError(f"{name} must be float32 or float64, got {shown}")
    return np.dtype(dtype)


def check_inputs(name, X, n_inputs):
    """``X`` as an array if it is (N, n_inputs) numbers without nan or inf; lists are accepted.

    Integer pixels (uint8 0..255) are returned as they are. A nan or inf is refused with where
    the first one is: ``X[5, 0] is nan (sample 5, pixel 0)``.
    """
    try:
        X = np.asarray(X)
    except ValueError:  # e.g. rows of different lengths
        raise ValueError(f"{name} must be an (N, {n_inputs}) array of numbers") from None
    if X.dtype.kind not in "uif":  # unsigned, signed integers or floats
        raise TypeError(
            f"{name} must hold numbers (integers or floats), got dtype {X.dtype}; "
            f"e.g. np.asarray({name}, dtype=np.float32)"
        )
    if X.ndim != 2 or X.shape[1] != n_inputs:
        flatten = X.ndim > 2 and math.prod(X.shape[1:]) == n_inputs
        hint = f"; flatten images with {name}.reshape(len({name}), -1)" if flatten else ""
        raise ValueError(
            f"{name} must have shape (N, {n_inputs}) for this network, got {X.shape}{hint}"
        )
    if X.dtype.kind == "f":
        _check_finite(name, X)
    return X


def _check_finite(name, X, rows_at_once=4096):
    """Refuse nan and inf in the 2-D float array ``X``, saying how many and where the first is."""
    count, first = 0, None
    for start in range(0, len(X), rows_at_once):  # a block at a time: a small boolean mask
        bad = ~np.isfinite(X[start : start + rows_at_once])
        if bad.any():
            count += int(bad.sum())
            if first is None:
                row, column = divmod(int(bad.argmax()), X.shape[1])  # the first True
                first = (start + row, column)
    if count:
        row, column = first
        values = "value" if count == 1 else "values"
        raise ValueError(
            f"{name} contains {count} nan or inf {values}; the first: {name}[{row}, {column}] is "
            f"{X[row, column]} (sample {row}, pixel {column}). Remove those samples or replace "
            f"the values, e.g. with np.nan_to_num({name})"
        )


# ---- paths -----------------------------------------------------------------------------------

NAME_MAX, PATH_MAX = 255, 4096  # Linux's limits (bytes), used where the system cannot be asked
SPECIAL_FILES = (  # (test, words) for the kinds of file that are neither regular files nor folders
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class SpecialFileError(OSError):
    """A path that names a FIFO, a device or a socket where a regular file was expected.

    ``kind`` says which in words ("a named pipe (FIFO)"); the message is ``"<path>: is <kind>, not
    a regular file"``, for callers to complete with what to do.
    """

    def __init__(self, path, kind):
        super().__init__(f"{path}: is {kind}, not a regular file")
        self.path, self.kind = path, kind


def special_file_kind(mode):
    """In words, what a file of ``st_mode`` ``mode`` is if it is a FIFO, a device or a socket;
    None for regular files and folders."""
    for is_kind, words in SPECIAL_FILES:
        if is_kind(mode):
            return words
    return None


def _system_limit(path, name, default):
    """``os.pathconf`` of the nearest existing folder above ``path`` (``default`` if unknown)."""
    try:
        folder = Path(os.path.abspath(path))  # fails if the working folder was deleted
        while not os.path.isdir(folder) and folder != folder.parent:  # isdir: False on errors
            folder = folder.parent
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return default


def name_max(folder):
    """The longest file name, in bytes, that ``folder``'s file system accepts (usually 255)."""
    return _system_limit(folder, "PC_NAME_MAX", NAME_MAX)


def path_length_problem(path):
    """Why the system would refuse ``path`` for its length, in words; None if it would not.

    A name (one part of the path) may have at most ``name_max`` bytes, and the whole path fewer
    than PATH_MAX (4096 on Linux) — bytes, not characters: "é" takes 2 of them.
    """
    raw = os.fsencode(path)
    path_max = _system_limit(path, "PC_PATH_MAX", PATH_MAX)
    if len(raw) >= path_max:
        return f"the path is {len(raw):,} bytes long, more than the {path_max - 1:,} this system allows"
    longest = name_max(path)
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > longest:
            shown = part if len(part) <= 24 else f"{part[:12]}…{part[-8:]}"
            return (
                f"the name {shown!r} is {size:,} bytes long, more than the {longest:,} a file "
                f"name can have here"
            )
    return None


def open_regular_file(path):
    """Open ``path`` for reading (binary) if it is a regular file; never blocks, never reads first.

    A FIFO, a device or a socket raises ``SpecialFileError`` before it is opened (opening a FIFO
    waits for a writer; reading ``/dev/zero`` never ends); a folder raises ``IsADirectoryError``,
    a missing file ``FileNotFoundError``, a name too long an ``OSError`` whose message says by how
    much. The file is opened without waiting and checked again once open, in case it was swapped
    for a FIFO in between.
    """
    status = os.stat(path)  # FileNotFoundError, or a name too long: the caller words it
    _check_regular(path, status.st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        _check_regular(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)  # a regular file: reads as usual from here on
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_regular(path, mode):
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    kind = special_file_kind(mode)
    if kind is not None:
        raise SpecialFileError(path, kind)


def unreadable_reason(path, exc):
    """Why the ``OSError`` ``exc`` stopped ``path`` from being read, in words: how much too long
    a name is, or the system's own words ("Permission denied")."""
    if exc.errno == errno.ENAMETOOLONG:
        return path_length_problem(path) or "its name is too long for this system"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)


def check_model_path(path):
    """``path`` as a Path if it can name a model file, i.e. ends in ``.npz`` (``MLP.save`` writes
    an ``.npz`` archive); the command line checks it before training."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"model files end in .npz, got {str(path)!r}; try {path.stem}.npz")
    return path
