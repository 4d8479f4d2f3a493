"""`annex demo`: a whole round of xã Phúc Thọ on synthetic data, end to end.

Creates a workspace, writes the templates, fills them as the units would (two units never send, one sends
late, one sends errors and then a corrected file, one has warnings), drops them in the inbox with their
received times, and runs collect.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.collect import CollectResult, collect
from pipeline.demo.data import unit_payload
from pipeline.messages import say
from pipeline.report.drafts import write_report
from pipeline.template.batch import write_templates
from pipeline.template.fill import fill
from pipeline.workspace import VN_TZ, Workspace, WorkspaceError, init_workspace, open_workspace

MARKER = ".annex-demo"
MISSING = ("UBKT", "HCCB")
LATE = "HND"
CORRECTED = "PKT"
WARNINGS = "VPUB"


@dataclass
class DemoResult:
    workspace: Workspace
    result: CollectResult


def _received(rng: random.Random, deadline: dt.date, days_before: int) -> dt.datetime:
    day = deadline - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, dt.time(rng.randint(7, 16), rng.randint(0, 59)), VN_TZ)


def _drop(ws: Workspace, code: str, name: str, data: dict, when: dt.datetime) -> None:
    target = ws.inbox / name
    fill(ws.templates / f"{code}.xlsx", target, data)
    os.utime(target, (when.timestamp(), when.timestamp()))


def prepare(folder: Path) -> Path:
    """A fresh demo folder: one made by an earlier demo is replaced, anything else is left alone."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise WorkspaceError(say("demo_not_demo", str(folder)))
        shutil.rmtree(folder)
    init_workspace(folder)
    (folder / MARKER).write_text("Thư mục do lệnh annex demo tạo; có thể xóa.\n", encoding="utf-8")
    return folder


def run_demo(folder: Path, seed: int = 2026, workers: int | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> DemoResult:
    ws = open_workspace(prepare(folder))
    write_templates(ws, progress=progress)
    rng = random.Random(seed)
    deadline = ws.round.deadline
    for n, unit in enumerate(ws.units, start=1):
        if progress:
            progress("fill", n, len(ws.units))
        if unit.code in MISSING:
            continue
        data = unit_payload(rng, unit.code, unit.name, unit.annexes, ws.round.period_end,
                            over_quota=unit.code == WARNINGS)
        when = _received(rng, deadline, rng.randint(1, 10))
        if unit.code == LATE:
            when = _received(rng, deadline, -3)
        if unit.code == CORRECTED:
            _drop(ws, unit.code, f"{unit.code}_BaoCao.xlsx", _with_errors(data), when - dt.timedelta(days=3))
            _drop(ws, unit.code, f"{unit.code}_BaoCao_DaSua.xlsx", data, when)
            continue
        _drop(ws, unit.code, f"{unit.code}_BaoCao.xlsx", data, when)
    (ws.inbox / "~$VPDU_BaoCao.xlsx").write_bytes(b"lock file left by Excel")
    result = collect(ws, workers=workers, progress=progress)
    write_report(ws, result, workers, progress)
    return DemoResult(ws, result)


def _with_errors(data: dict) -> dict:
    """The first, wrong version a unit sends: totals that do not add up and a value bigger than its total."""
    wrong = {k: (dict(v) if isinstance(v, dict) else [dict(r) for r in v]) for k, v in data.items()}
    pl1 = wrong["PL1"]
    pl1["tong_hien_co"] = pl1["tong_hien_co"] + 2
    if wrong.get("PL2"):
        row = wrong["PL2"][0]
        row["gia_tri_con_lai"] = row["nguyen_gia"] + 100
    return wrong
