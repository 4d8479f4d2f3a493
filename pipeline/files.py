"""Outputs put in place, and failures of the machine told apart from failures of the program.

An output is written to a temporary file first and then moved over the old one. On Windows a file open in Excel
cannot be replaced: the new one is then written beside it under a new name, and the caller says so. A folder that
cannot be written, a full disk or a vanished drive is the machine's state, not a bug: `io_problem` names it.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

DENIED, DISK_FULL, OS_FAILED = "denied", "disk_full", "os_failed"
IO_REASONS = (DENIED, DISK_FULL, OS_FAILED)
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), getattr(errno, "EFBIG", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}

_move = os.replace  # one name for the move, so tests can make it fail as a file open in Excel makes it fail


def orphaned() -> bool:
    """This is a worker process whose run has ended (killed: Task Manager, the machine short of memory)."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    if os.name == "posix":  # the parent's sentinel may be held open by a sibling worker: ask who the parent is
        return os.getppid() != parent.pid
    return not parent.is_alive()


def place(tmp: Path, target: Path) -> Path:
    """Move a finished temporary file onto `target`; when `target` is held open (PermissionError on Windows),
    write it beside under a new name. Returns the path written. The temporary file never stays behind. A worker
    whose run was killed ends here instead: its output would replace a newer run's."""
    if orphaned():
        tmp.unlink(missing_ok=True)
        os._exit(1)
    try:
        _move(tmp, target)
        return target
    except PermissionError:
        if not target.exists():
            tmp.unlink(missing_ok=True)
            raise
    beside = free_name(target)
    try:
        _move(tmp, beside)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return beside


def keep_written(target: Path, stamp: Path, key: str, out: object, written: list[Path]) -> bool:
    """Record an output a worker returned: stamped with its inputs' key when it is in place (not when it went beside
    a file open elsewhere: the next run puts it in place). False after a failure: the caller removes what is left."""
    if not isinstance(out, Path):
        return False
    if out == target:
        stamp.write_text(key)
    written.append(out)
    return True


def free_name(target: Path, now: dt.datetime | None = None) -> Path:
    """`TongHop_x_20260512_093000.xlsx`: a name beside `target` that no file has yet."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d_%H%M%S")
    candidate = target.with_name(f"{target.stem}_{stamp}{target.suffix}")
    n = 2
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}_{stamp}_{n}{target.suffix}")
        n += 1
    return candidate


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [item.__cause__, item.__context__, *(a for a in item.args if isinstance(a, BaseException))]


def io_problem(exc: BaseException, default_path: str = "") -> tuple[str, str] | None:
    """(DENIED | DISK_FULL | OS_FAILED, the path concerned) when `exc` is the machine's (an OSError, also wrapped as
    XlsxWriter's FileCreateError, or SQLite's full or read-only database); None for anything else."""
    for item in _chain(exc):
        if isinstance(item, OSError):
            path = _shown(str(item.filename or default_path))
            if item.errno in _FULL:
                return DISK_FULL, path
            if isinstance(item, PermissionError) or item.errno in _DENIED:
                return DENIED, path
            return OS_FAILED, path
        if isinstance(item, sqlite3.OperationalError):
            text = str(item).lower()
            if "full" in text:
                return DISK_FULL, default_path
            if "readonly" in text or "read-only" in text or "unable to open" in text or "locked" in text:
                return DENIED, default_path
            if "disk i/o error" in text:  # a USB drive pulled out, a network share dropped
                return OS_FAILED, default_path
    return None


def damaged_database(exc: BaseException) -> bool:
    """SQLite found a database file damaged (a power cut, a drive pulled out while it was written)."""
    return any(isinstance(i, sqlite3.DatabaseError) and ("malformed" in str(i) or "not a database" in str(i))
               for i in _chain(exc))


def _shown(path: str) -> str:
    """A temporary file of ours is named by its folder: the clerk never saw it and has nothing to do with it."""
    name = Path(path).name
    return str(Path(path).parent) if name.startswith(".") and ".tmp" in name else path


def os_detail(exc: BaseException) -> str:
    """The OS's own words for an OSError (e.g. '[Errno 5] Input/output error'), for the log and the message."""
    found = next((i for i in _chain(exc) if isinstance(i, OSError)), None)
    return f"mã lỗi {found.errno}" if found is not None and found.errno else "lỗi hệ điều hành"
