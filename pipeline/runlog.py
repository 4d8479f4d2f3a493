"""The workspace's log file: the technical detail of every failure of the program, for whoever maintains it.

Users never see a traceback; they see a Vietnamese message naming this file (`LOG_NAME` in the workspace).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

LOG_NAME = "annex.log"


def log_path(root: Path) -> Path:
    return root / LOG_NAME


def record(root: Path, what: str, detail: str) -> Path:
    """Append one entry (time, what was being done, the traceback or detail); returns the log's path.
    Never raises: a log that cannot be written must not turn one failure into another."""
    path = log_path(root)
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(f"=== {stamp} {what}\n{detail.rstrip()}\n\n")
    except OSError:
        pass
    return path
