"""Outputs that cannot be written: a read-only folder, a file held open in Excel, a full disk.

Running as root here, a read-only folder cannot be made; as the brief allows, the writers are patched to raise what
Windows raises (PermissionError, XlsxWriter's FileCreateError around it, OSError ENOSPC). Forked workers inherit
the patches. In every case: the documented exit code, one Vietnamese sentence naming the output and what to do, no
traceback on the console (it goes to annex.log), and no temporary file left behind.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path

import pytest
import xlsxwriter.exceptions
from click.testing import CliRunner

from pipeline import files
from pipeline.cli import main
from pipeline.report import feedback, summary
from pipeline.runlog import LOG_NAME
from pipeline.template import build

from .helpers import changed, drop, payload
from .test_settings import ENGLISH

SUMMARY = "TongHop_phuctho-soket-2026.xlsx"


def denied(path: object = "/x") -> PermissionError:
    return PermissionError(errno.EACCES, "Permission denied", str(path))


def full(path: object = "/x") -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def held_open(name: str):
    """`files._move` as on Windows when `name` is open in Excel: replacing it is refused."""
    real = files._move

    def move(src, dst):
        if Path(dst).name == name and Path(dst).exists():
            raise denied(dst)
        return real(src, dst)
    return move


def collect(ws, *extra: str):
    return CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), *extra])


def leftovers(ws) -> list[Path]:
    return [p for p in ws.root.rglob("*") if ".tmp" in p.name or p.name.endswith(".template.xlsx")]


def clean(out) -> None:
    assert "Traceback" not in out.output and not ENGLISH.search(out.output), out.output


@pytest.fixture
def bad_unit(ready):
    drop(ready, "PKT.xlsx", "PKT", changed(payload(ready, "PKT"), "PL1", {"so_nu": -1}))
    return ready


@pytest.mark.parametrize(("error", "words"), [
    (lambda p: xlsxwriter.exceptions.FileCreateError(denied(p)), "không có quyền ghi"),
    (lambda p: full(p), "ổ đĩa đã đầy"),
], ids=["read_only_outbox", "disk_full"])
def test_a_summary_that_cannot_be_written_is_named_with_what_to_do(bad_unit, monkeypatch, error, words):
    ws = bad_unit

    def refuse(ws_, summary_, path):
        raise error(path)
    monkeypatch.setattr(summary, "build_workbook", refuse)
    out = collect(ws)
    assert out.exit_code == 2, out.output
    assert f"Không ghi được bảng tổng hợp vào {ws.outbox}" in out.output and words in out.output
    assert "không phải lỗi của đơn vị hay của chương trình" in out.output
    clean(out)
    report = json.loads(collect(ws, "--json").output)
    assert [f["code"] for f in report["failures"]] in (["output_denied"], ["output_disk_full"])
    assert "Traceback" in (ws.root / LOG_NAME).read_text(encoding="utf-8")
    assert not leftovers(ws) and not (ws.outbox / SUMMARY).exists()


def test_a_summary_open_in_excel_is_written_beside_and_said_so(bad_unit, monkeypatch):
    ws = bad_unit
    assert collect(ws).exit_code == 0
    before = (ws.outbox / SUMMARY).read_bytes()
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    monkeypatch.setattr(files, "_move", held_open(SUMMARY))
    out = collect(ws)
    assert out.exit_code == 0, out.output
    beside = [p for p in ws.outbox.glob("TongHop_phuctho-soket-2026_*.xlsx")]
    assert len(beside) == 1 and (ws.outbox / SUMMARY).read_bytes() == before
    assert f"tệp {SUMMARY} đang được mở" in out.output.replace("Tệp", "tệp") and beside[0].name in out.output
    clean(out)
    assert not leftovers(ws)


def test_a_csv_beside_the_summary_open_in_excel_is_written_beside_and_said_so(bad_unit, monkeypatch):
    from pipeline.report import summary_annex

    ws = bad_unit
    monkeypatch.setattr(summary_annex, "DETAIL_LIMIT", 3)  # PL3's rows go to a CSV file beside the summary
    drop(ws, "TTPVHCC.xlsx", "TTPVHCC", payload(ws, "TTPVHCC"))
    assert collect(ws).exit_code == 0
    detail = ws.outbox / "ChiTiet_PL3_phuctho-soket-2026.csv"
    before = detail.read_bytes()
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    monkeypatch.setattr(files, "_move", held_open(detail.name))
    out = collect(ws)
    assert out.exit_code == 0, out.output
    beside, = ws.outbox.glob("ChiTiet_PL3_phuctho-soket-2026_*.csv")
    assert detail.read_bytes() == before and beside.name in out.output and detail.name in out.output
    clean(out)
    assert not leftovers(ws)


def test_a_feedback_open_in_excel_is_written_beside_and_said_so(bad_unit, monkeypatch):
    ws = bad_unit
    assert collect(ws).exit_code == 0
    (ws.outbox / "feedback" / ".PKT.key").unlink()  # make the run write it again
    monkeypatch.setattr(files, "_move", held_open("PKT.xlsx"))
    out = collect(ws)
    assert out.exit_code == 0, out.output
    beside = list((ws.outbox / "feedback").glob("PKT_*.xlsx"))
    assert len(beside) == 1 and beside[0].name in out.output and "PKT.xlsx đang được mở" in out.output
    clean(out)
    monkeypatch.undo()  # closed in Excel: the next run puts it in place
    assert collect(ws).exit_code == 0 and (ws.outbox / "feedback" / ".PKT.key").exists()


def test_a_feedback_that_cannot_be_written_for_a_full_disk_is_not_blamed_on_anyone(bad_unit, monkeypatch):
    ws = bad_unit

    def no_space(src, dst, *args, **kwargs):
        raise full(dst)
    monkeypatch.setattr(feedback, "annotate", no_space)
    out = collect(ws)
    assert out.exit_code == 2, out.output
    assert "Không ghi được phản hồi cho PKT" in out.output and "ổ đĩa đã đầy" in out.output
    clean(out)
    assert not (ws.outbox / "feedback" / "PKT.xlsx").exists() and not leftovers(ws)


def test_templates_open_in_excel_or_on_a_full_disk(ws, monkeypatch):
    runner = CliRunner()
    first = runner.invoke(main, ["templates", "--workspace", str(ws.root), "--unit", "TYT"])
    assert first.exit_code == 0, first.output
    monkeypatch.setattr(files, "_move", held_open("TYT.xlsx"))
    again = runner.invoke(main, ["templates", "--workspace", str(ws.root), "--unit", "TYT"])
    assert again.exit_code == 0 and "TYT.xlsx đang được mở" in again.output
    assert len(list(ws.templates.glob("TYT_*.xlsx"))) == 1
    clean(again)
    monkeypatch.undo()

    def no_space(ws_, unit, path):
        raise xlsxwriter.exceptions.FileCreateError(full(path))
    monkeypatch.setattr(build, "_build", no_space)
    out = runner.invoke(main, ["templates", "--workspace", str(ws.root), "--unit", "PKT"])
    assert out.exit_code == 2 and "ổ đĩa đã đầy" in out.output and f"{ws.templates}: không ghi được" in out.output
    clean(out)
    assert not leftovers(ws)


def test_a_workspace_that_cannot_be_written_is_named(ready, monkeypatch):
    from pipeline import runlock

    def refuse(path, *args, **kwargs):
        raise denied(path)
    monkeypatch.setattr(runlock.os, "open", refuse)
    out = collect(ready)
    assert out.exit_code == 2 and f"{ready.root}/.annex.lock: không ghi được vào đây" in out.output
    assert "không có quyền ghi" in out.output
    clean(out)


def test_a_ledger_that_cannot_be_opened_is_named(ready, monkeypatch):
    from pipeline.judge import ledger

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")
    monkeypatch.setattr(ledger.sqlite3, "connect", refuse)
    out = collect(ready)
    assert out.exit_code == 2 and "không có quyền ghi" in out.output and str(ready.root) in out.output
    clean(out)


def test_init_where_nothing_can_be_written(tmp_path, monkeypatch):
    from pipeline import workspace

    def refuse(path, rows):
        raise xlsxwriter.exceptions.FileCreateError(denied(path))
    monkeypatch.setattr(workspace, "write_units_xlsx", refuse)
    out = CliRunner().invoke(main, ["init", str(tmp_path / "Dot 2")])
    assert out.exit_code == 2 and "units.xlsx: không ghi được vào đây" in out.output
    clean(out)


def test_a_roll_up_open_in_excel_is_written_beside(ready, tmp_path, monkeypatch):
    from pipeline.workspace import init_workspace

    drop(ready, "TYT.xlsx", "TYT", payload(ready, "TYT"))
    parent = init_workspace(tmp_path / "thanhpho")
    runner = CliRunner()
    args = ["rollup", "--workspace", str(ready.root), "--parent", str(parent), "--unit", "TYT"]
    assert runner.invoke(main, args).exit_code == 0
    monkeypatch.setattr(files, "_move", held_open("phuctho-soket-2026_TYT.xlsx"))
    out = runner.invoke(main, args)
    assert out.exit_code == 0 and "phuctho-soket-2026_TYT.xlsx đang được mở" in out.output
    assert len(list((ready.outbox / "rollup").glob("phuctho-soket-2026_TYT_*.xlsx"))) == 1
    clean(out)
    assert not leftovers(ready)


def test_a_drive_without_locks_runs_unlocked_not_busy_for_ever(tmp_path, monkeypatch):
    """Some network shares keep no record locks (ENOLCK): that is not another run holding the workspace, which watch
    mode would say every few seconds for ever. Another run holding it is still said."""
    from pipeline import runlock

    def unsupported(fd):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(runlock, "_lock", unsupported)
    with runlock.RunLock(tmp_path):
        pass

    def held(fd):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
    monkeypatch.setattr(runlock, "_lock", held)
    with pytest.raises(runlock.Busy), runlock.RunLock(tmp_path):
        pass
