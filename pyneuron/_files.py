"""Files written whole or not at all: trajectories, videos and slide decks
go to a temporary file beside their target, synced, then renamed over it,
so that a crash never leaves a half-written file under the target's name."""
from __future__ import annotations

import errno
import os
import tempfile
from typing import BinaryIO, Callable

__all__ = ["write_atomically", "sync_directory"]


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object], temporary_prefix: str) -> None:
    """Call ``write(f)`` on a temporary file named ``temporary_prefix...``
    beside ``path``, then rename it over ``path`` and sync the directory.
    The file gets the permissions ``open()`` would give it (mkstemp's are
    0600: a deck or video no one else could read)."""
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix, suffix=os.path.splitext(path)[1], dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    sync_directory(directory)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def sync_directory(directory: str) -> None:
    """fsync a directory, where the file system can (some refuse: EINVAL)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)
