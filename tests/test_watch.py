"""`annex collect --watch`: collects again when the inbox changes, never reads a file still being copied, and stops
cleanly on Ctrl+C."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

from pipeline.messages import TEXTS, sentence
from pipeline.runlock import Busy, RunLock
from pipeline.template.fill import fill
from pipeline.watch import Change, snapshot, watch, whole_zip

from .conftest import REPO
from .helpers import drop, payload
from .test_interrupt import DRIVER, _group_alive, wait_until_slowed

STARTED = TEXTS["watch_started"].split("{")[0].strip()  # "Đang theo dõi thư mục"
ADDED = f"({sentence('watch_added', n=1).lower()})"  # "(1 tệp mới)"
POLL = 0.5  # seconds between two looks at the inbox in the end-to-end test


def test_a_change_is_collected_once_the_inbox_has_settled(ready):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    data = (ws.inbox / "PKT.xlsx").read_bytes()
    growing = ws.inbox / "VPUB.xlsx"
    script = [lambda: None,  # the inbox as the watch starts: settled
              lambda: growing.write_bytes(data[:1000]),  # a copy in progress: the file grows at every poll
              lambda: growing.write_bytes(data[:5000]),
              lambda: growing.write_bytes(data),
              lambda: None,
              lambda: (ws.inbox / "PKT.xlsx").unlink(),
              lambda: None]
    runs: list[dict] = []
    shown: list[Change | None] = []

    def sleep(_seconds: float) -> None:
        if script:
            script.pop(0)()

    watch(ws, lambda: runs.append(snapshot(ws)) or "result", lambda result, change: shown.append(change),
          lambda: None, interval=0, polls=6, sleep=sleep)
    sizes = [{name: size for name, (size, _) in run.items()} for run in runs]
    assert sizes == [{"PKT.xlsx": len(data)}, {"PKT.xlsx": len(data), "VPUB.xlsx": len(data)},
                     {"VPUB.xlsx": len(data)}]  # never the half-copied file
    assert shown[0] is None
    assert shown[1] == Change(("VPUB.xlsx",), (), ()) and shown[2] == Change((), (), ("PKT.xlsx",))


def test_a_whole_zip_is_told_from_a_copy_in_progress(ready, tmp_path):
    ws = ready
    data = drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT")).read_bytes()
    probe = tmp_path / "probe.xlsx"
    probe.write_bytes(data)
    assert whole_zip(probe)
    cuts = [*range(0, len(data), max(1, len(data) // 97)), *range(len(data) - 30, len(data))]  # the end record too
    for cut in cuts:  # prefixes a copy could have reached
        probe.write_bytes(data[:cut])
        assert not whole_zip(probe), cut
    end = data.rfind(b"PK\x05\x06")
    (directory,) = struct.unpack("<I", data[end + 16: end + 20])  # where the end record says the directory starts
    for holey in (data[: len(data) // 2] + bytes(len(data) - len(data) // 2),  # space reserved before the bytes came
                  data[:directory] + bytes(end - directory) + data[end:],  # the end written, the directory not yet
                  bytes(directory) + data[directory:],  # the directory and end written, the parts not yet
                  data + b"\0" * 100):  # more bytes after the end record: not what a zip writer leaves
        probe.write_bytes(holey)
        assert not whole_zip(probe)
    with zipfile.ZipFile(probe, "w") as z:  # an end record followed by its comment
        z.writestr("a.txt", "x")
        z.comment = b"PK\x05\x06 a comment that looks like a record"
    assert whole_zip(probe)
    renamed = probe.rename(tmp_path / "probe.crdownload")  # whole bytes, but not (yet) a workbook's name
    assert not whole_zip(renamed)
    probe.write_bytes(b"a;b\r\n1;2\r\n")
    assert not whole_zip(probe) and not whole_zip(tmp_path / "absent.xlsx")


def test_a_whole_workbook_is_collected_at_the_next_poll_anything_else_one_poll_later(ready):
    ws = ready
    data = drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT")).read_bytes()
    (ws.inbox / "PKT.xlsx").unlink()
    polls: list[int] = []
    runs: list[int] = []
    script = [lambda: None,  # the empty inbox as the watch starts
              lambda: (ws.inbox / "PKT.xlsx").write_bytes(data),  # a whole workbook appears
              lambda: None,
              lambda: (ws.inbox / "VPUB.csv").write_bytes(b"a;b\r\n1;2\r\n"),  # a file of another kind
              lambda: None,
              lambda: None,
              lambda: ((ws.inbox / "TTCT.xlsx").write_bytes(data),  # a whole workbook and one still coming
                       (ws.inbox / "VPDU.xlsx").write_bytes(data[:5000])),
              lambda: (ws.inbox / "VPDU.xlsx").write_bytes(data),
              lambda: None,
              lambda: None]

    def sleep(_seconds: float) -> None:
        polls.append(len(polls))
        if script:
            script.pop(0)()

    watch(ws, lambda: runs.append(len(polls)) or "result", lambda result, change: None, lambda: None, interval=0,
          polls=7, sleep=sleep)
    # the workbook is collected right after the poll that found it (2); the CSV only once a later poll (5) has
    # found it as it was at the poll before (4); two workbooks, one of them still growing, once both are whole (8)
    assert runs == [1, 2, 5, 8]


class _Watcher:
    """`annex collect --watch` in its own process group (as a terminal runs it), its output gathered as it comes."""

    def __init__(self, root: Path, slow: str = "", interval: float = 1.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        module, _, name = slow.rpartition(".")
        program = ["-c", DRIVER.format(module=module, name=name)] if slow else ["-m", "pipeline"]
        self.proc = subprocess.Popen([sys.executable, *program, "collect", "--watch", "--interval", str(interval),
                                      "--workspace", str(root)], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.out = b""
        threading.Thread(target=self._gather, daemon=True).start()

    def _gather(self) -> None:
        for chunk in iter(lambda: os.read(self.proc.stdout.fileno(), 4096), b""):
            self.out += chunk

    def text(self) -> str:
        return self.out.decode("utf-8")

    def wait_for(self, text: str, count: int = 1, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.text().count(text) < count:
            assert self.proc.poll() is None, self.text()
            assert time.monotonic() < deadline, f"waited for {text!r}:\n{self.text()}"
            time.sleep(0.1)


def test_watch_end_to_end_added_changed_removed_growing_and_ctrl_c(ready, tmp_path):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    watcher = _Watcher(ws.root, interval=POLL)
    try:
        watcher.wait_for(STARTED)
        summary = ws.outbox / "TongHop_phuctho-soket-2026.xlsx"
        first = summary.read_bytes()
        drafts = ws.outbox / "baocao"
        assert {p.name for p in drafts.glob("*.docx")} == {"PKT.docx"}  # the accepted unit's draft, after the summary
        drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
        watcher.wait_for(ADDED)
        watcher.wait_for("Bảng tổng hợp:", 2)
        assert "VPUB.xlsx" in watcher.text().split(ADDED)[1] and summary.read_bytes() != first
        drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB", seed=8))
        watcher.wait_for(f"({sentence('watch_changed', n=1).lower()})")
        (ws.inbox / "PKT.xlsx").unlink()
        watcher.wait_for(f"({sentence('watch_removed', n=1).lower()})")
        watcher.wait_for(sentence("watch_gone", names="PKT.xlsx"))
        assert not (drafts / "PKT.docx").exists() and (drafts / "VPUB.docx").is_file()  # drafts follow the inbox
        watcher.wait_for(sentence("drafts_removed", units="PKT"))  # said, in case it was sent already
        assert sentence("drafts_new", units="VPUB") in watcher.text()
        fill(ws.templates / "TYT.xlsx", tmp_path / "TYT.xlsx", payload(ws, "TYT"))
        content = (tmp_path / "TYT.xlsx").read_bytes()
        with open(ws.inbox / "TYT.xlsx", "wb") as f:  # copied in slowly: it grows 10 times a poll, for 3 polls
            for start in range(0, len(content), len(content) // 30 + 1):
                f.write(content[start:start + len(content) // 30 + 1])
                f.flush()
                time.sleep(POLL / 10)
        watcher.wait_for("TYT.xlsx")
        watcher.wait_for("Bảng tổng hợp:", 5)
        after = watcher.text().split(ADDED)[-1]
        assert "TYT.xlsx" in after and "tiếp nhận" in after.split("TYT.xlsx")[1].splitlines()[0], after
        assert watcher.text().count("TYT.xlsx") == 1  # read once, whole: never refused half-copied
    finally:
        os.killpg(watcher.proc.pid, signal.SIGINT)
        code = watcher.proc.wait(timeout=60)
    text = watcher.text()
    assert code == 0 and text.rstrip().endswith(sentence("watch_stopped")) and "Traceback" not in text, text
    assert text.count(sentence("watch_stopped")) == 1
    assert not [p for p in ws.root.rglob("*") if ".tmp" in p.name]
    with RunLock(ws.root):  # not held by anyone
        pass


def test_ctrl_c_while_collecting_in_watch_mode_leaves_nothing_behind(ready):
    ws = ready
    for code in ("PKT", "VPUB", "TYT", "DTN"):
        drop(ws, f"{code}.xlsx", code, payload(ws, code))
    watcher = _Watcher(ws.root, slow="collect.process")  # the readers take a minute over a file
    watcher.wait_for("Đang đọc tệp")
    wait_until_slowed(watcher.proc.pid)
    os.killpg(watcher.proc.pid, signal.SIGINT)
    code = watcher.proc.wait(timeout=60)
    assert code == 0 and sentence("watch_stopped") in watcher.text() and "Traceback" not in watcher.text()
    for _ in range(50):
        if not _group_alive(watcher.proc.pid):
            break
        time.sleep(0.1)
    assert not _group_alive(watcher.proc.pid), "reader processes outlived the watch"
    assert not ws.outbox.exists() or not list(ws.outbox.iterdir())  # stopped mid-run: nothing written
    assert not [p for p in ws.root.rglob("*") if ".tmp" in p.name]
    with RunLock(ws.root):
        pass


def test_a_run_refused_because_another_collect_holds_the_workspace_is_tried_again(ready):
    ws = ready
    outcomes: list = [Busy("busy"), "result"]
    told: list[str] = []
    shown: list = []

    def run() -> object:
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out
    watch(ws, run, lambda result, change: shown.append(result), lambda: told.append("busy"), interval=0, polls=3,
          sleep=lambda _s: None)
    assert told == ["busy"] and shown == ["result"]  # said once, collected at the next poll, then nothing to do


def test_watch_does_not_mix_with_json_or_strict(ready):
    from click.testing import CliRunner

    from pipeline.cli import main

    for option in ("--json", "--strict"):
        out = CliRunner().invoke(main, ["collect", "--watch", option, "--workspace", str(ready.root)])
        assert out.exit_code == 2 and sentence("watch_options") in out.output
    assert not ready.outbox.exists() or not list(ready.outbox.iterdir())  # refused before anything ran


def test_in_watch_mode_the_csv_files_follow_the_summary_instead_of_running_beside_it(ready, monkeypatch):
    from pipeline import collect as collect_module
    from pipeline.report import outputs, summary_annex

    ws = ready
    monkeypatch.setattr(summary_annex, "DETAIL_LIMIT", 3)  # PL3's rows go to a CSV file beside the summary
    drop(ws, "TTPVHCC.xlsx", "TTPVHCC", payload(ws, "TTPVHCC"))
    real, batches = outputs.run_isolated, []

    def recording(fn, tasks, **kw):
        batches.append([t[0] for t in tasks])
        return real(fn, tasks, **kw)

    monkeypatch.setattr(outputs, "run_isolated", recording)
    detail = ws.outbox / f"ChiTiet_PL3_{ws.round.round_id}.csv"
    collect_module.collect(ws, warm=collect_module.Warm(watching=True))
    assert batches == [["summary"], ["csvs"]] and detail.stat().st_size > 0
    batches.clear()
    detail.unlink()
    collect_module.collect(ws)  # a plain collect writes them side by side
    assert batches == [["summary", "csvs"]] and detail.stat().st_size > 0
