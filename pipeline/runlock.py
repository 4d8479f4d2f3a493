"""One collect at a time per workspace: a lock file held for the whole run, released even when killed.

The lock is a POSIX record lock (`fcntl.lockf`), which belongs to this process alone: worker processes
forked during the run do not hold it, so a run killed while its workers are being reaped never leaves
the workspace "busy". On Windows, `msvcrt.locking` is per process too.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import TracebackType

LOCK_NAME = ".annex.lock"
# what a file system without record locks answers (NFS without its lock service, some FUSE and SMB mounts): not
# "another run holds it", which watch mode would say again every few seconds for ever
UNSUPPORTED = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})


class Busy(RuntimeError):
    """Another run holds the workspace; the message is Vietnamese."""


class RunLock:
    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(self.fd)
        except OSError as exc:
            os.close(self.fd)
            self.fd = None
            if exc.errno in UNSUPPORTED:  # a drive that keeps no locks (some network shares): run unlocked
                return self
            raise Busy("another run holds the workspace lock") from None  # said as messages "busy"
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.fd is not None:
            _unlock(self.fd)
            os.close(self.fd)
            self.fd = None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, 0, 0)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.lockf(fd, fcntl.LOCK_UN, 1, 0)
