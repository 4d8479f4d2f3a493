"""The ledger: every file version ever seen, in SQLite inside the workspace.

A file version is its sha256. Its received time is the file's modification time when first seen, and
it stays, even if the file is later touched. Updates happen in one transaction per run.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .workspace import VN_TZ

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


def received_from_mtime(mtime: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(mtime, VN_TZ).replace(microsecond=0)
