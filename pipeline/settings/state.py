"""What a workspace remembers of itself, and which workspace a command works on.

`annex templates` records the round_id the templates were issued with (ISSUED_NAME); collect compares it with
round.toml, so a round_id edited after the templates went out is the clerk's to undo, not the units' fault.
A command run without --workspace works on the current folder only when that folder is a round in progress.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path

from python_calamine import CalamineError, load_workbook

from pipeline.messages import TEXTS, Problem, WorkspaceError, quoted, say
from pipeline.settings.model import VN_TZ
from pipeline.workbook.contract import META_SHEET

ISSUED_NAME = ".annex-issued.json"
TEMPLATES, INBOX = "templates_xlsx", "inbox"


def record_issued(root: Path, round_id: str, codes: list[str]) -> None:
    """Remember that templates of `round_id` went out now (for these units); written whole, then moved."""
    entries = [e for e in issued(root) if e.get("round_id") != round_id]
    before = next((e for e in issued(root) if e.get("round_id") == round_id), {})
    units = sorted(set(before.get("units", [])) | set(codes))
    entries.append({"round_id": round_id, "at": dt.datetime.now(VN_TZ).isoformat(timespec="seconds"),
                    "units": units})
    target = root / ISSUED_NAME
    tmp = root / f".{ISSUED_NAME}.tmp"
    tmp.write_text(json.dumps({"issued": entries}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, target)


def issued(root: Path) -> list[dict]:
    """Every round_id templates were issued with, oldest first ([] when none was recorded)."""
    try:
        data = json.loads((root / ISSUED_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("issued", []) if isinstance(data, dict) else []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("round_id"), str)]


def _template_round(root: Path) -> tuple[str, dt.datetime] | None:
    """The round_id inside the newest template, for workspaces whose templates predate the record."""
    files = sorted((root / TEMPLATES).glob("*.xlsx"), key=lambda p: p.stat().st_mtime)
    for path in reversed(files[-3:]):
        with contextlib.suppress(CalamineError, OSError, ValueError, KeyError):
            rows = load_workbook(str(path)).get_sheet_by_name(META_SHEET).to_python()
            values = {str(r[0]): str(r[1]) for r in rows if len(r) >= 2}
            if values.get("round_id"):
                return values["round_id"], dt.datetime.fromtimestamp(path.stat().st_mtime, VN_TZ)
    return None


def renamed_round(root: Path, round_id: str, line: int) -> Problem | None:
    """round.toml's round_id is not one the templates were issued with: say so, and how to undo it."""
    entries = issued(root)
    if entries:
        if any(e["round_id"] == round_id for e in entries):
            return None
        last = entries[-1]
        old, when = last["round_id"], dt.datetime.fromisoformat(last["at"])
    else:
        found = _template_round(root)
        if found is None or found[0] == round_id:
            return None
        old, when = found
    return say("round_renamed", "round.toml", line, current=round_id, issued=old, when=f"{when:%H:%M %d/%m/%Y}",
               command=f"annex templates --workspace {quoted(root)}")


def in_progress(root: Path) -> bool:
    """Templates were issued here, or files have arrived."""
    if issued(root) or any((root / TEMPLATES).glob("*.xlsx")):
        return True
    inbox = root / INBOX
    return inbox.is_dir() and any(not p.name.startswith(".") for p in inbox.iterdir())


def workspaces_here(folder: Path, limit: int = 5) -> list[str]:
    """Sub-folders of `folder` that are workspaces (have a round.toml)."""
    try:
        found = sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "round.toml").is_file())
    except OSError:
        return []
    return found[:limit]


def _example(command: str, folder: Path) -> tuple[str, str]:
    here = workspaces_here(folder)
    found = TEXTS["found_here"].format(names=", ".join(quoted(n) for n in here)) if here else ""
    return found, f"annex {command} --workspace {quoted(here[0] if here else 'DotBaoCao2026')}"


def not_workspace(root: Path, command: str) -> WorkspaceError:
    found, example = _example(command, root)
    return WorkspaceError(say("not_workspace", str(root), found=found, example=example))


def check_default(root: Path, command: str, receiving: bool) -> None:
    """A command run without --workspace, on the current folder: refuse the program's own folder, a folder that is
    not a workspace, and (for commands that read what units sent) a workspace with nothing issued or received."""
    if (root / "pyproject.toml").is_file() and (root / "pipeline" / "cli.py").is_file():
        raise WorkspaceError(say("program_folder", str(root), example=_example(command, root)[1]))
    if not (root / "round.toml").is_file():
        return  # opening it says it is not a workspace
    if receiving and not in_progress(root):
        found, example = _example(command, root)
        raise WorkspaceError(say("idle_default", str(root), found=found, example=example))
