"""Errors blame the right party: a failure of this program is never reported as the unit's bad file.

Bugs are injected into our own per-file code and into the feedback patcher; forked workers inherit the
patch, as they inherit everything else of the run.
"""

from __future__ import annotations

import json
import os
import pickle
import zlib

import openpyxl
from click.testing import CliRunner

from pipeline.cli import EXIT_PROGRAM_FAILED, main
from pipeline.collect import collect
from pipeline.intake import worker
from pipeline.judge import ledger as ledger_module
from pipeline.report import feedback
from pipeline.runlog import LOG_NAME

from .helpers import changed, drop, payload


def _failed_run(ws) -> tuple[dict, dict]:
    """`collect --json` that ends with a failure of ours (exit code 3): its report and its one failure."""
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == EXIT_PROGRAM_FAILED, out.output
    report = json.loads(out.output)
    failure, = report["failures"]
    return report, failure


def _boom_for(name: str, real):
    def build(sub, book, ws):
        if name in sub.file.rel:
            raise ZeroDivisionError("an injected bug of ours")
        return real(sub, book, ws)
    return build


def test_a_bug_in_our_per_file_code_is_ours_not_the_units(ready, monkeypatch):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    monkeypatch.setattr(worker, "build", _boom_for("PKT", worker.build))
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == EXIT_PROGRAM_FAILED, out.output
    report = json.loads(out.output)
    files = {f["file"]: f for f in report["files"]}
    assert files["VPUB.xlsx"]["status"] == "accepted"  # the other file went on as usual
    pkt = files["PKT.xlsx"]
    assert pkt["status"] == "failed" and [i["code"] for i in pkt["issues"]] == ["internal_error"]
    assert "không phải lỗi của tệp" in pkt["issues"][0]["message"]
    assert not any(i["code"] == "unreadable" for f in report["files"] for i in f["issues"])
    log = (ws.root / LOG_NAME).read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError: an injected bug of ours" in log and "PKT.xlsx" in log
    assert not (ws.outbox / "feedback" / "PKT.xlsx").exists()  # nothing is sent to a unit for our fault
    console = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    assert console.exit_code == EXIT_PROGRAM_FAILED and "Lỗi của chương trình" in console.output
    monkeypatch.undo()  # the bug fixed: the file is read again, not taken from the cache, and accepted
    fixed = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert fixed.exit_code == 0
    assert {f["file"]: f["status"] for f in json.loads(fixed.output)["files"]}["PKT.xlsx"] == "accepted"


def test_a_failing_feedback_patcher_is_reported_everywhere(ready, monkeypatch):
    ws = ready
    bad = changed(payload(ws, "PKT"), "PL1", {"so_can_bo": 999})
    drop(ws, "PKT.xlsx", "PKT", bad)
    stale = ws.outbox / "feedback" / "PKT.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old feedback workbook")

    def broken(*args, **kwargs):
        raise KeyError("an injected patcher bug")

    monkeypatch.setattr(feedback, "annotate", broken)
    report, failure = _failed_run(ws)
    assert failure["code"] == "feedback_failed" and "PKT" in failure["message"]
    assert {f["file"]: f["status"] for f in report["files"]}["PKT.xlsx"] == "rejected"  # the verdict stands
    assert not stale.exists() and (ws.outbox / "feedback" / "PKT.txt").exists()
    quality = openpyxl.load_workbook(report["outputs"]["summary"])["Chất lượng dữ liệu"]
    assert any(failure["message"] in str(row) for row in quality.iter_rows(values_only=True))
    assert "KeyError: 'an injected patcher bug'" in (ws.root / LOG_NAME).read_text(encoding="utf-8")
    console = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    assert "Không lập được tệp phản hồi cho đơn vị PKT" in console.output


def test_a_failing_csv_task_is_said_and_the_summary_still_written(ready, monkeypatch):
    from pipeline.report import outputs

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    stale = ws.outbox / f"DuLieu_{ws.round.round_id}.csv"  # an earlier run's: the new summary must not send there
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("Mã đơn vị\r\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise ValueError("an injected failure of the CSV task")

    monkeypatch.setattr(outputs, "write_csvs", broken)
    report, failure = _failed_run(ws)
    assert failure["code"] == "summary_failed" and "các tệp CSV đi kèm bảng tổng hợp" in failure["message"]
    quality = openpyxl.load_workbook(report["outputs"]["summary"])["Chất lượng dữ liệu"]  # the workbook is there
    assert any(failure["message"] in str(row) for row in quality.iter_rows(values_only=True))
    assert "an injected failure of the CSV task" in (ws.root / LOG_NAME).read_text(encoding="utf-8")
    assert not stale.exists()


def test_a_failing_aggregation_is_said_as_ours_and_the_feedback_still_written(ready, monkeypatch):
    from pipeline.report import outputs

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_can_bo": 999}))

    def broken(*args, **kwargs):
        raise KeyError("an injected aggregation bug")

    monkeypatch.setattr(outputs, "summarize", broken)
    report, failure = _failed_run(ws)
    assert failure["code"] == "summary_failed" and "Không lập được bảng tổng hợp" in failure["message"]
    assert "summary" not in report["outputs"] and (ws.outbox / "feedback" / "PKT.xlsx").exists()
    assert "KeyError: 'an injected aggregation bug'" in (ws.root / LOG_NAME).read_text(encoding="utf-8")


def test_the_unsupported_signal_still_takes_the_slow_path(ready, monkeypatch):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_can_bo": 999}))

    def unsupported(*args, **kwargs):
        raise feedback.Unsupported("a package the patcher does not edit")

    monkeypatch.setattr(feedback, "annotate", unsupported)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["failures"] == []
    assert openpyxl.load_workbook(ws.outbox / "feedback" / "PKT.xlsx").sheetnames[0] == feedback.REPORT_SHEET


def test_an_unexpected_error_of_a_whole_command_is_one_vietnamese_sentence(ready, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("an injected bug in the run")

    monkeypatch.setattr("pipeline.collect.decide", broken)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ready.root)])
    assert out.exit_code == EXIT_PROGRAM_FAILED
    assert "Traceback" not in out.output and "lỗi của chương trình" in out.output
    assert "RuntimeError: an injected bug in the run" in (ready.root / LOG_NAME).read_text(encoding="utf-8")


def test_the_cache_holds_plain_data_keyed_by_the_code_that_made_it(ready, monkeypatch):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    collect(ws, write_outputs=False)
    book = ledger_module.Ledger(ws.root / "ledger.sqlite")
    try:
        sha, key, blob = book.conn.execute("SELECT sha256, key, blob FROM cache").fetchone()
        assert key == ledger_module.cache_key(ws)
        stub = collect(ws, write_outputs=False).files[0].submission
        assert ledger_module.restore(blob, stub, ws).annexes.keys() == stub.annexes.keys()
        hostile = zlib.compress(pickle.dumps(os.system))  # a cache entry naming a function is never loaded
        assert ledger_module.restore(hostile, stub, ws) is None
        digest = ledger_module.code_digest()
        monkeypatch.setattr(ledger_module, "code_digest", lambda: digest[::-1])  # another version of the code
        assert ledger_module.cache_key(ws) != key
        assert book.cached(sha, ledger_module.cache_key(ws)) is None
        collect(ws, write_outputs=False)  # reads the file again and caches it under the new key
        assert book.cached(sha, ledger_module.cache_key(ws)) is not None
    finally:
        book.close()


WARNING_DRIVER = """
import sys, warnings
import pipeline.intake.worker as target
real = target.build
def build(*args, **kwargs):
    warnings.warn("Workbook contains no default style, apply openpyxl's default", UserWarning)
    return real(*args, **kwargs)
target.build = build
from pipeline.cli import run
sys.argv = ["annex", *sys.argv[1:]]
run()
"""


def test_a_librarys_warning_goes_to_the_log_not_the_console(ready):
    """Libraries warn in English ("Workbook contains no default style", "Duplicate name"), in the run and in its
    workers, and Python prints that on the console: the clerk sees none of it; the log keeps it. The command runs
    as the clerk runs it (the test session records warnings itself, so in-process they would never show)."""
    import subprocess
    import sys

    from .conftest import REPO

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    done = subprocess.run([sys.executable, "-c", WARNING_DRIVER, "collect", "--workspace", str(ws.root)],
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode("utf-8")
    assert b"default style" not in done.stdout + done.stderr and b"Warning" not in done.stdout + done.stderr
    assert "UserWarning: Workbook contains no default style" in (ws.root / LOG_NAME).read_text(encoding="utf-8")


def test_a_failure_is_said_by_watch_mode_and_by_the_report_command(ready, monkeypatch):
    """After its first run, watch mode says only what changed: a feedback workbook (or the summary) it could not
    write must still be said, or the clerk takes the last run's outputs for this one's. `annex report` too, for a
    unit's draft it could not write."""
    from pipeline.report import drafts
    from pipeline.report.screen import show_change
    from pipeline.watch import Change

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_can_bo": 999}))
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))

    def broken(*args, **kwargs):
        raise KeyError("an injected patcher bug")

    monkeypatch.setattr(feedback, "annotate", broken)
    lines: list[str] = []
    show_change(collect(ws), Change(("VPUB.xlsx",), (), ()), "10:00", lines.append)
    assert any("Không lập được tệp phản hồi cho đơn vị PKT" in line for line in lines), lines
    real = drafts.write_unit_draft

    def draft(ws, code, *args, **kwargs):
        if code == "VPUB":
            raise RuntimeError("an injected draft bug")
        return real(ws, code, *args, **kwargs)
    monkeypatch.setattr(drafts, "write_unit_draft", draft)
    out = CliRunner().invoke(main, ["report", "--workspace", str(ws.root)])
    assert out.exit_code == EXIT_PROGRAM_FAILED and "VPUB" in out.output.split("Bảng tổng hợp")[-1], out.output
    drafts_dir = ws.outbox / "baocao"
    assert not (drafts_dir / "VPUB.docx").exists() and not (drafts_dir / "VPUB.txt").exists()  # no note of it


def test_a_file_held_or_moved_away_meanwhile_is_read_next_time_not_blamed(ready, monkeypatch):
    """A file another program holds (a copy in progress, an antivirus, a backup) or that the clerk moves into a dated
    folder while the run lists the inbox: not the unit's fault, nor a reason to stop the run. It is said as the
    machine's, no answer goes to its unit, and the next run reads it."""
    import errno

    from pipeline.intake import inbox

    ws = ready
    for code in ("PKT", "VPUB", "TYT"):
        drop(ws, f"{code}.xlsx", code, payload(ws, code))
    real_scan, real_hash = inbox.scan, inbox.sha256

    def scan(folder):
        found = real_scan(folder)
        if (ws.inbox / "TYT.xlsx").exists():
            (ws.inbox / "2026-05-12").mkdir()
            (ws.inbox / "TYT.xlsx").rename(ws.inbox / "2026-05-12" / "TYT.xlsx")
        return found

    def sha256(path):
        if path.name == "VPUB.xlsx":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))  # Windows' sharing violation
        return real_hash(path)
    monkeypatch.setattr(inbox, "scan", scan)
    monkeypatch.setattr(inbox, "sha256", sha256)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == 2, out.output
    report = json.loads(out.output)
    assert [f["file"] for f in report["files"]] == ["PKT.xlsx"]
    assert sorted((i["code"], i["file"]) for i in report["failures"]) == [("input_held", "TYT.xlsx"),
                                                                           ("input_held", "VPUB.xlsx")]
    assert "không phải lỗi của đơn vị" in report["failures"][0]["message"]
    assert not (ws.outbox / "feedback" / "VPUB.txt").exists()
    quality = openpyxl.load_workbook(report["outputs"]["summary"])["Chất lượng dữ liệu"]
    rows = [row for row in quality.iter_rows(values_only=True) if row[1] == "VPUB.xlsx"]
    assert rows and rows[0][3] == "Do máy tính hoặc thư mục", rows
    monkeypatch.undo()
    again = json.loads(CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"]).output)
    assert {f["file"]: f["status"] for f in again["files"]} == {
        "PKT.xlsx": "accepted", "VPUB.xlsx": "accepted", "2026-05-12/TYT.xlsx": "accepted"}


def test_a_file_held_as_its_reader_opens_it_is_read_next_time_not_blamed(ready, monkeypatch):
    """The lock comes later, as the reader process opens the file (an antivirus scanning it): the same, and the
    verdict is not kept for these bytes (it was: the unit's file refused as damaged at every run after)."""
    import errno
    import zipfile

    from pipeline.intake import precheck

    ws = ready
    for code in ("PKT", "VPUB"):
        drop(ws, f"{code}.xlsx", code, payload(ws, code))
    real, parent = zipfile.ZipFile, os.getpid()

    def opened(file, *args, **kwargs):
        if str(file).endswith("VPUB.xlsx") and os.getpid() != parent:  # in the reader process only
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real(file, *args, **kwargs)
    monkeypatch.setattr(precheck.zipfile, "ZipFile", opened)  # forked readers inherit it
    result = collect(ws)
    assert [d.file.rel for d in result.files] == ["PKT.xlsx"]
    assert [(i.code, i.file) for i in result.failures] == [("input_held", "VPUB.xlsx")]
    monkeypatch.undo()
    assert {d.file.rel: d.status for d in collect(ws).files} == {"PKT.xlsx": "accepted", "VPUB.xlsx": "accepted"}


LOCK_PROBE = """
import sys
from pathlib import Path
from pipeline.runlock import Busy, RunLock
try:
    with RunLock(Path(sys.argv[1])):
        print("free")
except Busy:
    print("busy")
"""


def test_the_drafts_are_written_while_the_workspace_is_held(ready, monkeypatch, tmp_path):
    """`annex report` (and watch mode) writes the drafts after its collect: another collect started meanwhile (a
    second window) would take their temporary files for a killed run's and remove them. It finds the workspace busy."""
    import subprocess
    import sys

    from pipeline.report import drafts

    from .conftest import REPO

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    real, probes = drafts.write_unit_draft, tmp_path / "probes.txt"

    def draft(ws, code, *args, **kwargs):  # in a worker process: what it finds goes to a file
        found = subprocess.run([sys.executable, "-c", LOCK_PROBE, str(ws.root)], capture_output=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60).stdout
        with probes.open("ab") as f:
            f.write(found)
        return real(ws, code, *args, **kwargs)
    monkeypatch.setattr(drafts, "write_unit_draft", draft)
    out = CliRunner().invoke(main, ["report", "--workspace", str(ws.root)])
    assert out.exit_code == 0, out.output
    assert probes.read_text().split() == ["busy"]


def test_a_damaged_ledger_or_a_lost_drive_is_the_machines_not_a_bug(ready):
    """The ledger's file damaged by a power cut, or the drive gone mid-run (SQLite's "disk I/O error"): the clerk is
    told what to do, not that the program has a bug."""
    import sqlite3

    from pipeline.files import OS_FAILED, io_problem

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    assert CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)]).exit_code == 0
    ledger = ws.root / "ledger.sqlite"
    data = bytearray(ledger.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage, as a write cut short leaves
    ledger.write_bytes(bytes(data))
    for extra in ws.root.glob("ledger.sqlite-*"):
        extra.unlink()
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    assert out.exit_code == 2 and "ledger.sqlite" in out.output and "đổi tên" in out.output, out.output
    assert "lỗi của chương trình" not in out.output.lower()
    assert io_problem(sqlite3.OperationalError("disk I/O error"), "X") == (OS_FAILED, "X")
