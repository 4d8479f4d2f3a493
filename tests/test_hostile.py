"""Hostile, broken and foreign files: each is refused with its reason, and the run goes on."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from pipeline.collect import collect
from pipeline.messages import STEPS
from pipeline.runlock import Busy, RunLock

from . import hostile
from .helpers import changed, drop, payload

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "calamine"


def test_hostile_corpus_is_refused_with_reasons_and_valid_files_still_accepted(ready, tmp_path):
    ws = ready
    inbox = ws.inbox
    good = drop(ws, "hop_le/PKT.xlsx", "PKT", payload(ws, "PKT"))
    filled = tmp_path / "filled_TTCT.xlsx"
    shutil.copy(drop(ws, "hop_le/TTCT.xlsx", "TTCT", payload(ws, "TTCT")), filled)
    expected = {
        "bom_zip.xlsx": ("rejected", "zip_bomb"),
        "thua_o.xlsx": ("rejected", "sheet_too_big"),
        "billion_laughs.xlsx": ("rejected", "xml_entities"),
        "xxe.xlsx": ("rejected", "xml_entities"),
        "mat_khau.xlsx": ("rejected", "encrypted"),
        "khong_phai_zip.xlsx": ("rejected", "not_workbook"),
        "cat_cut.xlsx": ("rejected", "unreadable"),
        "rong.xlsx": ("rejected", "empty_file"),
        "lien_ket_ngoai.xlsx": ("rejected", "external_link"),
        "100000_dong.xlsx": ("rejected", "sheet_too_big"),
        "co_macro.xlsm": ("accepted", "macro"),
    }
    hostile.zip_bomb(inbox / "bom_zip.xlsx")
    hostile.sparse(inbox / "thua_o.xlsx")
    hostile.billion_laughs(filled, inbox / "billion_laughs.xlsx")
    hostile.external_entity(filled, inbox / "xxe.xlsx")
    hostile.encrypted_xlsx(filled, inbox / "mat_khau.xlsx")
    (inbox / "khong_phai_zip.xlsx").write_bytes(b"Day la thu, khong phai bang tinh\n" * 20)
    data = good.read_bytes()
    (inbox / "cat_cut.xlsx").write_bytes(data[: len(data) // 2])
    (inbox / "rong.xlsx").write_bytes(b"")
    (inbox / "~$PKT.xlsx").write_bytes(b"lock")
    hostile.external_link(filled, inbox / "lien_ket_ngoai.xlsx")
    hostile.big_sheet(inbox / "100000_dong.xlsx")
    hostile.macro(drop(ws, "tam/HND.xlsx", "HND", payload(ws, "HND")), inbox / "co_macro.xlsm")
    shutil.rmtree(inbox / "tam")
    started = time.monotonic()
    result = collect(ws)
    elapsed = time.monotonic() - started
    files = {d.file.rel: d for d in result.files}
    assert "~$PKT.xlsx" not in files
    for name, (status, code) in expected.items():
        d = files[name]
        assert d.status == status, (name, [i.message for i in d.issues])
        assert any(i.code == code for i in d.issues), (name, [i.code for i in d.issues])
        assert all(i.message for i in d.issues)
    assert files["hop_le/PKT.xlsx"].status == "accepted"
    assert files["hop_le/TTCT.xlsx"].status == "accepted"
    assert elapsed < 5 * len(expected)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1024 and children_mb < 1024, (peak_mb, children_mb)


def test_merged_cells_over_inputs_and_formula_injection(ready):
    ws = ready
    data = changed(payload(ws, "VPUB"), "PL2", {"ten_tai_san": "=1+1", "kho_khan_kien_nghi": "=HYPERLINK(\"x\")"})
    path = drop(ws, "VPUB.xlsx", "VPUB", data)
    wb = openpyxl.load_workbook(path)
    wb["PL2"].merge_cells("C14:E14")  # a unit merged cells over inputs
    wb.save(path)
    result = collect(ws)
    d = result.files[0]
    # merging C14:E14 kept only C14's value: E14 (a required list cell) is now empty, and is named
    assert d.status == "rejected"
    assert [(i.code, i.cell) for i in d.issues if i.severity.value == "error"] == [("required_text", "E14")]
    names = [r["ten_tai_san"] for r in d.submission.annexes["PL2"].records]
    assert "=1+1" in names  # formula-like text is read as text
    feedback = openpyxl.load_workbook(ws.outbox / "feedback" / "VPUB.xlsx")
    assert "E14" in str(feedback["PL2"]["C14"].comment.text) or feedback["PL2"]["C14"].comment is not None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus/calamine is not beside the checkout")
def test_foreign_calamine_corpus_comes_out_ignored_unidentified_or_rejected(ws, tmp_path):
    shutil.copytree(CORPUS, ws.inbox / "calamine")
    result = collect(ws)
    files = {d.file.rel: d for d in result.files}
    spreadsheets = [p for p in CORPUS.iterdir() if p.suffix != ".md"]
    assert len(files) >= len(spreadsheets)
    for d in result.files:
        assert d.status in ("ignored", "unidentified", "rejected"), (d.file.rel, d.status)
        assert d.issues and all(i.message for i in d.issues), d.file.rel


_HOLD = """import sys
from pathlib import Path
from pipeline.runlock import Busy, RunLock
try:
    with RunLock(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.read()
except Busy:
    print("busy", flush=True)
"""


def _lock_from_another_process(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _HOLD, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


def test_two_runs_at_once_are_refused(ready):
    holder = _lock_from_another_process(ready.root)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy):  # said to the clerk as messages "busy" (guard)
            collect(ready)
    finally:
        holder.communicate("")
    assert collect(ready).files == []  # free again once the other run ends


def test_worker_processes_do_not_hold_the_run_lock(tmp_path):
    with RunLock(tmp_path):
        child = mp.get_context("fork").Process(target=time.sleep, args=(60,))
        child.start()  # forked while the lock is held, as collect's workers are
    try:
        other = _lock_from_another_process(tmp_path)
        out, _ = other.communicate("", timeout=30)
        assert out.strip() == "held"  # the parent let go; its forked child never held the lock
    finally:
        child.kill()
        child.join()


def _group_alive(pgid: int) -> bool:
    """Any process of the group still running (zombies waiting to be reaped do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _wait_for_group(pgid: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        assert time.monotonic() < deadline, "killed run's processes are still alive"
        time.sleep(0.05)


# Where each killed run dies: as its workers start reading, as it starts validating (what it read not yet
# stored in the ledger), and while the summary is half written (its temporary file in the outbox).
KILL_AT = (("read", None), ("validate", None), ("outputs", ".*.tmp*"))


def _run_until(ws_root: Path, step: str, temporary: str | None, env: dict) -> bool:
    """Start `annex collect`, kill its whole process group once it announces `step` on stderr (and, when
    `temporary` is given, once such a file appears in the outbox); True when it was killed mid-run."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "collect", "--workspace", str(ws_root)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    killed = False
    with proc.stderr:
        for line in proc.stderr:
            if line.decode("utf-8", "replace").startswith(STEPS[step]):
                while temporary and proc.poll() is None and not list((ws_root / "outbox").glob(temporary)):
                    time.sleep(0.002)
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed = True
                break
    proc.wait()
    _wait_for_group(proc.pid)  # the whole group: its reader workers too
    return killed


def test_a_run_killed_midway_leaves_things_consistent_and_the_next_run_completes(ready, tmp_path):
    ws = ready
    for i, code in enumerate(["PKT", "VPUB", "TTPVHCC", "VPDU"]):
        drop(ws, f"{code}.xlsx", code, payload(ws, code, i))
    first = collect(ws)
    summary = Path(first.outputs["summary"])
    before = summary.read_bytes()
    for i in range(12):
        code = ["PKT", "VPUB", "TTPVHCC", "VPDU", "MTTQ", "TTCT"][i % 6]
        drop(ws, f"them/{code}_{i}.xlsx", code, payload(ws, code, 100 + i))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for step, temporary in KILL_AT:
        assert _run_until(ws.root, step, temporary, env), f"the run finished before it could be killed at {step}"
        assert summary.read_bytes() == before or openpyxl.load_workbook(summary)  # intact, old or new
        con = sqlite3.connect(ws.root / "ledger.sqlite")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    assert list(ws.outbox.glob(".*.tmp*")), "the last run was killed while writing the summary"
    final = collect(ws)
    assert len(final.files) == 16
    assert openpyxl.load_workbook(final.outputs["summary"])["Tổng quan"]["A1"].value
    assert not list(ws.outbox.glob(".*tmp*"))
