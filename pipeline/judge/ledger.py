"""The ledger: every file version ever seen, in SQLite inside the workspace.

A file version is its sha256. Its received time is the file's modification time when first seen, and
it stays, even if the file is later touched. Updates happen in one transaction per run.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import pickle
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pipeline.models import Submission, submission_from_plain, submission_to_plain
from pipeline.workspace import VN_TZ, Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    first_path TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    received_at TEXT NOT NULL,
    size INTEGER NOT NULL,
    unit TEXT,
    template_id TEXT,
    spec_version TEXT,
    status TEXT,
    issues TEXT
);
CREATE TABLE IF NOT EXISTS cache (
    sha256 TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    blob BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS paths (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Seen:
    sha256: str
    first_path: str
    received_at: dt.datetime


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def known_hash(self, rel: str, size: int, mtime: float) -> str | None:
        """The hash recorded for this path if its size and modification time are unchanged."""
        row = self.conn.execute("SELECT sha256 FROM paths WHERE path=? AND size=? AND mtime=?",
                                (rel, size, mtime)).fetchone()
        return row[0] if row else None

    def first_seen(self, sha: str) -> Seen | None:
        row = self.conn.execute("SELECT sha256, first_path, received_at FROM files WHERE sha256=?",
                                (sha,)).fetchone()
        return Seen(row[0], row[1], dt.datetime.fromisoformat(row[2])) if row else None

    def cached(self, sha: str, key: str) -> bytes | None:
        row = self.conn.execute("SELECT blob FROM cache WHERE sha256=? AND key=?", (sha, key)).fetchone()
        return row[0] if row else None

    def store(self, key: str, subs: list[Submission]) -> None:
        """Cache what was read and validated per file version (validation of one file depends on it alone)."""
        with self.conn:
            for sub in subs:
                plain = submission_to_plain(sub)
                blob = zlib.compress(pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL), 1)
                self.conn.execute("INSERT OR REPLACE INTO cache (sha256, key, blob) VALUES (?, ?, ?)",
                                  (sub.sha256, key, blob))

    def record(self, entries: list[dict]) -> None:
        """Insert new file versions and paths, update statuses: all in one transaction."""
        now = dt.datetime.now(VN_TZ).isoformat(timespec="seconds")
        with self.conn:
            for e in entries:
                self.conn.execute(
                    "INSERT OR IGNORE INTO files (sha256, first_path, first_seen, received_at, size) "
                    "VALUES (?, ?, ?, ?, ?)", (e["sha256"], e["path"], now, e["received_at"], e["size"]))
                self.conn.execute(
                    "UPDATE files SET unit=?, template_id=?, spec_version=?, status=?, issues=? WHERE sha256=?",
                    (e["unit"], e["template_id"], e["spec_version"], e["status"],
                     json.dumps(e["issues"], ensure_ascii=False, sort_keys=True), e["sha256"]))
                self.conn.execute("INSERT OR REPLACE INTO paths (path, sha256, size, mtime) VALUES (?, ?, ?, ?)",
                                  (e["path"], e["sha256"], e["size"], e["mtime"]))


@functools.cache
def code_digest() -> str:
    """A digest of this program's source: a cached reading is only reused by the code that made it."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(ws: Workspace) -> str:
    """What a cached reading depends on: this program's code, the specs, the units list and the round."""
    units = [(u.code, u.name, u.khoi, u.annexes) for u in ws.units]
    text = json.dumps([code_digest(), ws.specs.digest, units, ws.round.round_id,
                       [str(v) for v in ws.round.constants.values()]], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _PlainUnpickler(pickle.Unpickler):
    """Builtins and dates only: a cache entry can never name a class or a function to call."""

    ALLOWED: ClassVar = {("datetime", name) for name in ("date", "datetime", "timedelta", "timezone")}

    def find_class(self, module: str, name: str) -> type:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def restore(blob: bytes, stub: Submission, ws: Workspace) -> Submission | None:
    """A cached reading rebuilt for this run (its current path, received time, specs), or None when the entry
    cannot be read back (then the file is simply read again)."""
    try:
        plain = _PlainUnpickler(io.BytesIO(zlib.decompress(blob))).load()
        return submission_from_plain(plain, stub, ws)
    except (pickle.UnpicklingError, zlib.error, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None


def received_from_mtime(mtime: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(mtime, VN_TZ).replace(microsecond=0)
