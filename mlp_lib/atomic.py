"""Write files atomically: readers see the old file or the new one, never half of one.

    write_bytes_atomically("model.npz", data)
    with atomic_file("big.gz") as f:     # or write it piece by piece
        shutil.copyfileobj(source, f)

The bytes go to a temporary file beside the target, which is then renamed over it in one step
(``os.replace``). The temporary file is named ``.<name>.<pid>-<random>.tmp``: if a process is
killed while writing, the next write to the same target removes what it left behind (only files
of that pattern whose process no longer runs, so a save in progress elsewhere is never touched).
"""

import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path


class OutputPathError(OSError):
    """An output file cannot be written where it was asked for (missing folder, read-only, ...)."""


def check_output_path(path, what="file"):
    """Raise ``OutputPathError`` now, before any work, if ``path`` cannot be written later.

    Checks that the folder exists and is writable and that ``path`` is not itself a folder. The
    message names ``path`` and says what to do.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise OutputPathError(
            f"cannot write the {what} to {path}: it is a folder; give a file name, e.g. "
            f"{path / 'out'}"
        )
    if not folder.is_dir():
        raise OutputPathError(
            f"cannot write the {what} to {path}: the folder {folder} does not exist; "
            f"create it first (mkdir -p {folder}) or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"cannot write the {what} to {path}: the folder {folder} is not writable; "
            f"choose a folder you can write to"
        )
    return path


def _temporary_name(path):
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _process_is_running(pid):
    """True if process ``pid`` exists (or might: when in doubt, a temporary file is left alone)."""
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # someone else's process; or no pid at all
        return True
    return True


def remove_stale_temporary_files(path):
    """Delete the temporary files an interrupted write to ``path`` left (their process is gone).

    Only names of this module's pattern for this very target are candidates
    (``.model.npz.12345-1a2b3c4d.tmp`` for ``model.npz``); returns the files removed.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([1-9]\d{{0,9}})-[0-9a-f]{{8}}\.tmp")
    try:
        candidates = list(path.parent.iterdir())
    except OSError:  # a missing folder: nothing to clean, and the write will say what is wrong
        return []
    removed = []
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match and not _process_is_running(int(match[1])):
            try:
                candidate.unlink(missing_ok=True)
            except OSError:  # e.g. a folder of that name: not ours to remove
                continue
            removed.append(candidate)
    return removed


@contextmanager
def atomic_file(path):
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` when the block ends.

    If the block raises, the temporary file is removed and ``path`` is left as it was. Errors of
    the file system are re-raised as ``OutputPathError`` naming ``path`` (not the temporary
    name), so the block should do nothing but write to the file.
    """
    path = Path(path)
    remove_stale_temporary_files(path)
    tmp = _temporary_name(path)
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except OSError as exc:
        if isinstance(exc, OutputPathError):
            raise
        check_output_path(path)  # a clearer reason, if there is one
        raise OutputPathError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomically(path, data):
    """Write ``data`` to a temporary file next to ``path``, then rename it to ``path`` in one step.

    Raises ``OutputPathError`` (an ``OSError``) naming ``path`` if it cannot be written.
    """
    with atomic_file(path) as f:
        f.write(data)
