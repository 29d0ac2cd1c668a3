"""Write files atomically: readers see the old file or the new one, never half of one.

    write_bytes_atomically("model.npz", data)
    with atomic_file("big.gz") as f:     # or write it piece by piece
        shutil.copyfileobj(source, f)

The bytes go to a temporary file beside the target, which is then renamed over it in one step
(``os.replace``). The temporary file is named ``.<name>.<pid>-<random>.tmp``: if a process is
killed while writing, the next write to the same target removes what it left behind (only files
of that pattern whose process no longer runs, so a save in progress elsewhere is never touched).

A file name has at most 255 bytes, and the temporary name adds up to 25. So a target whose name
is too long for that gets a temporary name that shortens it and adds 8 characters of its hash
(``.<first 221 bytes>~1a2b3c4d.<pid>-<random>.tmp``): every name the system accepts as a target
can be written, and the temporary files are still those of this one target. Every step works
inside the target's folder, opened once, so a temporary name never makes a path longer either.
``check_output_path`` says before any work why a path can never be written, and
``write_or_rescue`` writes a finished result elsewhere, under a name not yet taken, if its path
fails after all.
"""

import errno
import hashlib
import os
import re
import secrets
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .checks import (
    NAME_MAX,
    name_max,
    path_length_problem,
    special_file_kind,
    unreadable_reason,
)

# What a temporary name adds after the (maybe shortened) target name: ".<pid>-<8 hex>.tmp", with
# a pid of up to 10 digits; and a leading "." (a hidden file).
TEMPORARY_SUFFIX_BYTES = len(".4294967295-0123abcd.tmp")
HASH_BYTES = len("~0123abcd")
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class OutputPathError(OSError):
    """An output file cannot be written where it was asked for (missing folder, read-only, ...)."""


def check_output_path(path, what="file"):
    """Raise ``OutputPathError`` now, before any work, if ``path`` cannot be written later.

    Checks that the name and the path are not longer than the system allows, that ``path`` is not
    a folder, a FIFO, a device or a socket (writing would replace it), and that its folder exists
    and is writable. The message names ``path`` and says what to do.
    """
    path = Path(path)
    cannot = f"cannot write the {what} to {path}"
    too_long = path_length_problem(path)
    if too_long:
        raise OutputPathError(f"{cannot}: {too_long}; choose a shorter name")
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # not there yet; its folder is checked below
        mode = None
    except OSError as exc:  # e.g. a symbolic link that points to itself
        raise OutputPathError(f"{cannot}: {unreadable_reason(path, exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputPathError(f"{cannot}: it is a folder; give a file name, e.g. {path / 'out'}")
    kind = None if mode is None else special_file_kind(mode)
    if kind is not None:
        raise OutputPathError(
            f"{cannot}: it is {kind}, not a regular file, and writing would replace it; "
            f"remove it or choose another name"
        )
    folder = path.parent
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OutputPathError(
            f"{cannot}: {folder} is a file, not a folder; choose a path in a folder"
        )
    if not os.path.isdir(folder):
        raise OutputPathError(
            f"{cannot}: the folder {folder} does not exist; "
            f"create it first (mkdir -p {folder}) or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"{cannot}: the folder {folder} is not writable; choose a folder you can write to"
        )
    return path


def temporary_name(name, longest=NAME_MAX):
    """A temporary name for the target ``name`` that fits in ``longest`` bytes (see the top).

    ``.m.npz.12345-1a2b3c4d.tmp`` for ``m.npz``; the random part differs on every call.
    """
    return f"{_temporary_prefix(name, longest)}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _temporary_prefix(name, longest):
    """``"." + name``, or, if that leaves too little room, its start and a hash of all of it."""
    room = longest - 1 - TEMPORARY_SUFFIX_BYTES  # bytes the target's name may take
    if len(os.fsencode(name)) <= room:
        return f".{name}"
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    start = name[: room - HASH_BYTES]
    while len(os.fsencode(start)) > room - HASH_BYTES:  # cut whole characters: "é" is 2 bytes
        start = start[:-1]
    return f".{start}~{digest}"


def _temporary_pattern(name, longest):
    """The names ``temporary_name(name, longest)`` can give, with the pid as group 1."""
    prefix = re.escape(_temporary_prefix(name, longest))
    return re.compile(rf"{prefix}\.([1-9]\d{{0,9}})-[0-9a-f]{{8}}\.tmp")


def _process_is_running(pid):
    """True if process ``pid`` exists (or might: when in doubt, a temporary file is left alone)."""
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # someone else's process; or no pid at all
        return True
    return True


def _folder_name_max(folder):
    """The longest name (bytes) in the open folder ``folder`` (a file descriptor)."""
    try:
        return os.fpathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX


def remove_stale_temporary_files(path):
    """Delete the temporary files an interrupted write to ``path`` left (their process is gone).

    Only names of this module's pattern for this very target are candidates
    (``.model.npz.12345-1a2b3c4d.tmp`` for ``model.npz``); returns the files removed.
    """
    path = Path(path)
    try:
        folder = os.open(path.parent, FOLDER_FLAGS)
    except OSError:  # a missing folder: nothing to clean, and the write will say what is wrong
        return []
    try:
        return [path.parent / name for name in _remove_stale(folder, path.name)]
    finally:
        os.close(folder)


def _remove_stale(folder, name):
    """``remove_stale_temporary_files`` inside the open folder ``folder``; the names removed."""
    pattern = _temporary_pattern(name, _folder_name_max(folder))
    try:
        candidates = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for candidate in candidates:
        match = pattern.fullmatch(candidate)
        if match and not _process_is_running(int(match[1])):
            try:
                os.unlink(candidate, dir_fd=folder)
            except OSError:  # e.g. a folder of that name: not ours to remove
                continue
            removed.append(candidate)
    return removed


def write_error(path, exc):
    """The ``OutputPathError`` for the ``OSError`` ``exc`` raised while writing ``path``: it names
    ``path`` (never a temporary name) and the real cause, a full disk or what
    ``check_output_path`` finds now (the folder was deleted, ...)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = "the disk is full" if exc.errno == errno.ENOSPC else "your disk quota is used up"
        return OutputPathError(
            f"cannot write {path}: {full} ({exc.strerror}); free some space, or choose a folder "
            f"on another disk"
        )
    try:
        check_output_path(path)  # a clearer reason, if there is one (its folder was deleted, ...)
    except OutputPathError as clearer:
        return clearer
    return OutputPathError(f"cannot write {path}: {unreadable_reason(path, exc)}")


@contextmanager
def atomic_file(path):
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` when the block ends.

    ``path`` is checked first (``check_output_path``). If the block raises, the temporary file is
    removed and ``path`` is left as it was. Errors of the file system are re-raised as
    ``OutputPathError`` naming ``path`` (not the temporary name), so the block should do nothing
    but write to the file.
    """
    path = Path(path)
    check_output_path(path)
    try:
        folder = os.open(path.parent, FOLDER_FLAGS)  # every step below happens in this folder
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        _remove_stale(folder, path.name)
        tmp = temporary_name(path.name, _folder_name_max(folder))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(tmp, flags, 0o666, dir_fd=folder)  # 0o666 less the umask, as open()
        except OSError as exc:
            raise write_error(path, exc) from exc
        try:
            with open(fd, "wb") as f:
                yield f
                _keep_mode_of(path.name, folder, fd)
            # atomic: readers see the old file or the new one, never half of one
            os.replace(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException as exc:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:  # already gone; the error that matters is exc
                pass
            if isinstance(exc, OSError) and not isinstance(exc, OutputPathError):
                raise write_error(path, exc) from exc
            raise
    finally:
        os.close(folder)


def _keep_mode_of(name, folder, fd):
    """Give the new file the permissions of the file it replaces (a 0600 model stays 0600)."""
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return  # a new file: 0666 less the umask, as any
    os.fchmod(fd, stat.S_IMODE(mode))


def write_bytes_atomically(path, data):
    """Write ``data`` to a temporary file next to ``path``, then rename it to ``path`` in one step.

    Raises ``OutputPathError`` (an ``OSError``) naming ``path`` if it cannot be written.
    """
    with atomic_file(path) as f:
        f.write(data)


def write_or_rescue(write, path, what="file"):
    """Call ``write(path)``; if that fails (after minutes of training), write the same output to
    the working folder or the temporary folder instead, under a name not yet taken.

    Each other path is checked like the first (``check_output_path``), is never the path that
    just failed, and has a name short enough for its folder. Returns (the path written, None),
    or (the other path, the error that ``path`` gave). Raises that error if no folder works.
    """
    try:
        write(path)
        return path, None
    except OSError as exc:
        error = exc
    failed = {_absolute(path)}
    for folder in (Path.cwd, lambda: Path(tempfile.gettempdir())):
        try:
            other = unused_name(folder() / path.name, avoid=failed)
            check_output_path(other, what)
            write(other)
        except OSError:  # e.g. a working folder that was deleted, or a full disk: the next one
            continue
        return other, error
    raise error


def _absolute(path):
    """``path`` made absolute, or as it is if the working folder is gone."""
    try:
        return os.path.abspath(path)
    except OSError:
        return str(path)


def unused_name(path, avoid=()):
    """``path``, or ``name-2.npz``, ``name-3.npz``, ... if it is taken: never overwrite a file.

    The paths in ``avoid`` (absolute) count as taken, and a name too long for its folder is
    shortened (its start and its suffix are kept): ``bbb…b-2.npz``.
    """
    longest = name_max(path.parent)
    candidate, number = path, 1
    while (
        len(os.fsencode(candidate.name)) > longest
        or os.path.lexists(candidate)
        or _absolute(candidate) in avoid
    ):
        number += 1
        ending = f"-{number}{path.suffix}"
        stem = path.stem
        while stem and len(os.fsencode(stem + ending)) > longest:
            stem = stem[:-1]
        candidate = path.with_name(stem + ending)
    return candidate
