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


def test_a_warm_process_remembers_readings_and_matches_a_run_in_a_fresh_process(ws, tmp_path, monkeypatch, stock):
    """Watch mode keeps what it read in memory: nothing is read or taken from the ledger again, files renamed or
    copied under another name are reported under the names they have now, and the outputs are what a fresh
    process (reading the ledger) writes."""
    stock(ws)
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    drop(ws, "TTCT_sai.xlsx", "TTCT", changed(payload(ws, "TTCT"), "PL1", {"so_nu": -2}))
    warm = collect_module.Warm()
    counts = _count_reads(monkeypatch)
    collect(ws, warm=warm)
    (ws.inbox / "TTCT_sai.xlsx").rename(ws.inbox / "TTCT lan 1.xlsx")  # renamed
    shutil.copy(ws.inbox / "TTCT lan 1.xlsx", ws.inbox / "TTCT ban sao.xlsx")  # and a copy under another name
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    (ws.inbox / "2026-05-09").mkdir()
    (ws.inbox / "PKT.xlsx").rename(ws.inbox / "2026-05-09" / "PKT.xlsx")  # filed by the clerk under its date
    fresh_root = tmp_path / "fresh"
    shutil.copytree(ws.root, fresh_root)  # the ledger as the first run left it
    restored: list[str] = []
    monkeypatch.setattr(collect_module, "restore", lambda blob, stub, ws: restored.append(stub.file.rel))
    result = collect(ws, warm=warm)
    assert counts == [2, 1] and restored == []  # the new file alone read; the others from memory
    named = {i.file for d in result.files for i in d.issues}
    assert "TTCT_sai.xlsx" not in named and "TTCT ban sao.xlsx" in named  # the names the files have now
    pkt, = (d for d in result.files if d.file.rel == "2026-05-09/PKT.xlsx")
    assert f"{pkt.received_at:%Y-%m-%d %H:%M}" == "2026-05-09 00:00"  # received as the folder says
    monkeypatch.undo()
    fresh = collect(open_workspace(fresh_root))
    assert _sheets(result.outputs["summary"]) == _sheets(fresh.outputs["summary"])
    assert [d.to_json() for d in result.files] == [d.to_json() for d in fresh.files]


def test_a_file_locked_for_a_moment_is_looked_at_again_by_a_warm_process(ws, monkeypatch, stock):
    """A file that could not be opened (an antivirus or a backup holding it) is refused once, then read when it
    can be: a watching process does not remember the refusal."""
    stock(ws, ["PKT"])
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    real = collect_module.inbox.sniff
    monkeypatch.setattr(collect_module.inbox, "sniff", lambda path: collect_module.inbox.Sniffed(
        "broken", "tệp nén hỏng hoặc bị cắt cụt"))  # what sniff says when the file cannot be opened
    warm = collect_module.Warm()
    assert [d.status for d in collect(ws, warm=warm, write_outputs=False).files] == ["rejected"]
    monkeypatch.setattr(collect_module.inbox, "sniff", real)  # the lock is gone
    assert [d.status for d in collect(ws, warm=warm, write_outputs=False).files] == ["accepted"]
