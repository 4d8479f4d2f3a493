"""The ledger: every file version ever seen, in SQLite inside the workspace.

A file version is its sha256. Its received time is the file's modification time when first seen, and
it stays, even if the file is later touched. Updates happen in one transaction per run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import sqlite3
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.intake.submission import Submission
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
                blob = zlib.compress(pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL), 1)
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


CACHE_VERSION = "2"  # records held as tuples (AnnexData.values)


def cache_key(ws: Workspace) -> str:
    """What a cached reading depends on: this code's format, the specs, the units list and the round."""
    units = [(u.code, u.name, u.khoi, u.annexes) for u in ws.units]
    text = json.dumps([CACHE_VERSION, ws.specs.digest, units, ws.round.round_id,
                       [str(v) for v in ws.round.constants.values()]], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def restore(blob: bytes, stub: Submission, ws: Workspace) -> Submission:
    """A cached submission, re-attached to this run: its current path, received time and specs."""
    sub: Submission = pickle.loads(zlib.decompress(blob))
    sub.file, sub.received_at = stub.file, stub.received_at
    sub.issues = [replace(i, file=stub.file.rel) for i in sub.issues]
    return sub.attach(ws)


def received_from_mtime(mtime: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(mtime, VN_TZ).replace(microsecond=0)
