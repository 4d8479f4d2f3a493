"""`annex collect --watch`: stay running, look at inbox/ every few seconds, collect again when it changed.

No service and no new dependency: the inbox is listed (names, sizes, modification times, as collect finds its
files) at every poll. A change is collected once the inbox has stayed as it is for one whole poll, so a file still
being copied in (its size or time still moving) is not read half-written; at once when every file that is new or
changed is a package (.xlsx, .xlsm, .ods, .docx) that is visibly whole: its zip end record, written last, sits at
its very end, and the central directory it points to lists every part where the part begins. A copy in progress, or
a file whose space was reserved before its bytes came, is not whole, and waits for the poll.

Each run is an ordinary collect in this warm process (imports done, the last run's readings kept in memory:
`collect.Warm`; only new bytes read), which writes its outputs whole and moves them into place; between runs
nothing is held open, and the run lock is taken by each run alone. Ctrl+C while waiting ends at once; during a run,
the run stops as collect does (nothing half-written, the lock released), and the outputs of the last finished run
stay in place.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.intake import inbox
from pipeline.models import CollectResult
from pipeline.runlock import Busy
from pipeline.workspace import Workspace

Snapshot = dict[str, tuple[int, float]]  # relative path -> (size, modification time)


def snapshot(ws: Workspace) -> Snapshot:
    return {f.rel: (f.size, f.mtime) for f in inbox.scan(ws.inbox)}


@dataclass(frozen=True)
class Change:
    """What differs between the inbox as last collected and as it is now."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @staticmethod
    def between(before: Snapshot, after: Snapshot) -> Change:
        return Change(tuple(sorted(set(after) - set(before))),
                      tuple(sorted(k for k in set(after) & set(before) if after[k] != before[k])),
                      tuple(sorted(set(before) - set(after))))


def watch(ws: Workspace, run: Callable[[], CollectResult], show: Callable[[CollectResult, Change | None], None],
          busy: Callable[[], None], interval: float, polls: int | None = None,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Collect once the inbox has settled, then again whenever it has changed and settled; `polls` bounds the loop
    (tests)."""
    collected: Snapshot | None = None
    seen = _settled(ws, snapshot(ws), interval, sleep)
    count = 0
    while polls is None or count < polls:
        if seen != collected:
            try:
                result = run()
            except Busy:  # another collect holds the workspace: try again at the next poll
                busy()
            else:
                show(result, None if collected is None else Change.between(collected, seen))
                collected = seen
        seen = _settled(ws, seen, interval, sleep)
        count += 1


def _settled(ws: Workspace, last: Snapshot, interval: float, sleep: Callable[[float], None]) -> Snapshot:
    """The inbox once it is the same at two polls in a row (at once, when it is still as it was), or once every file
    that differs from the last poll is a whole zip package."""
    while True:
        sleep(interval)
        now = snapshot(ws)
        change = Change.between(last, now)
        if now == last or all(whole_zip(ws.inbox / rel) for rel in change.added + change.changed):
            return now
        last = now


_END = b"PK\x05\x06"  # the end of central directory record, 22 bytes and a comment of up to 65,535
_END_SIZE = 22
_ENTRY = b"PK\x01\x02"  # a central directory entry, 46 bytes and its name, extra field and comment
_PART = b"PK\x03\x04"  # a part's local header
PACKAGES = {".xlsx", ".xlsm", ".ods", ".docx"}


def whole_zip(path: Path) -> bool:
    """True when `path` is a package (by its name) whose bytes are all there: it ends with a zip end record (and
    its comment) that puts the central directory right before it, and that directory lists as many entries as the
    end record says, each pointing at a part's header. False for anything else (a zip64 archive included: it
    waits for the poll)."""
    if path.suffix.lower() not in PACKAGES:
        return False
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            start = max(0, size - _END_SIZE - 0xFFFF)
            f.seek(start)
            tail = f.read()
            end = _end_record(tail, start)
            return end is not None and _directory_whole(f, *end)
    except (OSError, struct.error):
        return False


def _end_record(tail: bytes, start: int) -> tuple[int, int, int] | None:
    """(entries, directory size, directory offset) of the end record that closes `tail`, or None."""
    at = tail.rfind(_END)
    while at >= 0:
        if len(tail) - at >= _END_SIZE:
            entries, cd_size, cd_offset, comment = struct.unpack("<HIIH", tail[at + 10: at + _END_SIZE])
            if at + _END_SIZE + comment == len(tail) and cd_offset + cd_size == start + at:
                return entries, cd_size, cd_offset
        at = tail.rfind(_END, 0, at)
    return None


def _directory_whole(f: BinaryIO, entries: int, cd_size: int, cd_offset: int) -> bool:
    f.seek(cd_offset)
    directory = f.read(cd_size)
    at = count = 0
    while at + 46 <= len(directory) and directory[at: at + 4] == _ENTRY:
        name, extra, comment = struct.unpack("<HHH", directory[at + 28: at + 34])
        (local,) = struct.unpack("<I", directory[at + 42: at + 46])
        f.seek(local)
        if f.read(4) != _PART:
            return False
        at += 46 + name + extra + comment
        count += 1
    return count == entries and at == len(directory)
