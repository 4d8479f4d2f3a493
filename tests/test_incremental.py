"""Runs after the first read only what is new; the result is the same as a run from scratch."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl

import pipeline.collect as collect_module
from pipeline.collect import collect
from pipeline.workspace import open_workspace

from .helpers import ON_TIME, changed, drop, payload


def _count_reads(monkeypatch) -> list[int]:
    counts: list[int] = []
    real = collect_module.run_isolated

    def counting(fn, tasks, **kw):
        counts.append(len(tasks))
        return real(fn, tasks, **kw)

    monkeypatch.setattr(collect_module, "run_isolated", counting)
    return counts


def _sheets(path):
    wb = openpyxl.load_workbook(path)
    out = {}
    for sheet in wb.worksheets:
        rows = [r for r in sheet.iter_rows(values_only=True)]
        if sheet.title == "Tổng quan":
            rows = [r for r in rows if r[0] != "Thời điểm tổng hợp"]
        if sheet.title == "Chi tiết nộp":
            rows = [r[:8] for r in rows]
        out[sheet.title] = rows
    return out


def test_adding_one_file_reads_one_file_and_matches_a_run_from_scratch(ws, tmp_path, monkeypatch, stock):
    codes = ["PKT", "VPUB", "TTPVHCC", "VPDU", "MTTQ"]
    stock(ws)
    for n, code in enumerate(codes):
        drop(ws, f"{code}.xlsx", code, payload(ws, code, n))
    drop(ws, "TTCT_sai.xlsx", "TTCT", changed(payload(ws, "TTCT"), "PL1", {"so_nu": -2}))
    counts = _count_reads(monkeypatch)
    collect(ws)
    assert counts == [6]
    drop(ws, "TTCT_sua.xlsx", "TTCT", payload(ws, "TTCT"), ON_TIME + dt.timedelta(days=1))
    result = collect(ws)
    assert counts == [6, 1], "only the new file is read again"
    statuses = {d.file.rel: d.status for d in result.files}
    assert statuses["TTCT_sai.xlsx"] == "rejected" and statuses["TTCT_sua.xlsx"] == "accepted"
    assert any(i.code == "below_min" for d in result.files if d.file.rel == "TTCT_sai.xlsx" for i in d.issues)
    # the same inbox from scratch (no ledger) gives the same summary data
    scratch_root = tmp_path / "scratch"
    shutil.copytree(ws.root, scratch_root, ignore=shutil.ignore_patterns("ledger.sqlite*", "outbox"))
    scratch = collect(open_workspace(scratch_root))
    assert _sheets(result.outputs["summary"]) == _sheets(scratch.outputs["summary"])
    assert [d.to_json() | {"received_at": None} for d in result.files] == [
        d.to_json() | {"received_at": None} for d in scratch.files]


def test_a_changed_spec_invalidates_the_cache(ws, monkeypatch, stock):
    stock(ws, ["PKT"])
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    counts = _count_reads(monkeypatch)
    collect(ws)
    path = ws.root / "schemas" / "PL1.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('label = "Trong đó: Nữ"', 'label = "Trong đó: nữ"'),
                    encoding="utf-8")
    collect(open_workspace(ws.root))
    collect(open_workspace(ws.root))
    assert counts == [1, 1, 0]
