"""Ctrl+C stops cleanly: one Vietnamese line, exit code 130, workers stopped, nothing half-written.

The real tests send SIGINT to the whole process group, as a terminal does when Ctrl+C is pressed; a driver slows
the stage being interrupted down (forked workers inherit the slow function), so the signal lands inside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.messages import sentence

from .conftest import REPO
from .helpers import drop, payload

STOPPED = sentence("interrupted").split(":")[0]  # "Đã dừng theo yêu cầu (Ctrl+C)"
DRIVER = """
import sys, time
import pipeline.{module} as target
real = target.{name}
def slow(*args, **kwargs):
    time.sleep(60)
    return real(*args, **kwargs)
target.{name} = slow
from pipeline.cli import run
sys.argv = ["annex", *sys.argv[1:]]
run()
"""


def test_ctrl_c_in_a_command_is_one_line_and_exit_code_130(ready, monkeypatch):
    import pipeline.collect

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(pipeline.collect, "collect", interrupted)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ready.root)])
    assert out.exit_code == 130
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert lines == [sentence("interrupted")]


def _group_alive(pgid: int) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == pgid and stat[0] != "Z":
                alive.append(int(entry.name))
    return alive


def _wchan(pid: int) -> str:
    """Where in the kernel the process waits ("hrtimer_nanosleep": in time.sleep); "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


def wait_until_slowed(pgid: int, patience: float = 5.0) -> None:
    """Until a process of the group is inside the slowed function (DRIVER: asleep in time.sleep), so that the signal
    lands in the step being interrupted; where the kernel does not say where a process waits, `patience` seconds
    (the step started long before)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if any("nanosleep" in _wchan(pid) for pid in _group_alive(pgid)):
            return
        time.sleep(0.02)


def _interrupt(args: list[str], module: str, name: str, wait_for: str, cwd: Path) -> tuple[int, str]:
    """Run the command with `module.name` slowed down; press Ctrl+C once `wait_for` is printed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER.format(module=module, name=name), *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    deadline = time.monotonic() + 120
    while wait_for.encode() not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += os.read(proc.stderr.fileno(), 4096)
    wait_until_slowed(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    for _ in range(50):
        if not _group_alive(proc.pid):
            break
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "worker processes outlived the command"
    return proc.returncode, (seen + err).decode("utf-8")


@pytest.mark.parametrize(("module", "name", "step"), [
    ("collect", "process", "Đang đọc tệp"),
    ("report.outputs", "_task", "Đang lập phản hồi"),
], ids=["while_reading", "while_writing_outputs"])
def test_ctrl_c_stops_workers_and_leaves_nothing_half_written(ready, module, name, step):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    assert CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)]).exit_code == 0
    summary = ws.outbox / "TongHop_phuctho-soket-2026.xlsx"
    before = summary.read_bytes()
    (ws.root / "ledger.sqlite").unlink()  # read everything again
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    code, err = _interrupt(["collect", "--workspace", str(ws.root)], module, name, step, ws.root)
    assert code == 130, err
    assert err.count(STOPPED) == 1 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert summary.read_bytes() == before  # the old summary untouched, no new one half-written
    assert not [p for p in ws.root.rglob("*") if ".tmp" in p.name or p.name.endswith(".template.xlsx")]
    again = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])  # and the next run completes
    assert again.exit_code == 0 and "VPUB.xlsx" in again.output


def test_ctrl_c_while_templates_are_written(ws):
    before = sorted(p.name for p in ws.templates.iterdir())
    code, err = _interrupt(["templates", "--workspace", str(ws.root)], "template.build", "_build",
                           "Đang tạo biểu mẫu", ws.root)
    assert code == 130 and err.count(STOPPED) == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in ws.templates.iterdir()) == before  # no template, whole or half


def test_ctrl_c_as_a_worker_starts_is_ignored_by_the_worker(ready, capfd):
    """Ctrl+C reaches every process of the group; one that lands in a reader between its fork and its first line
    (before it ignores Ctrl+C, which is the parent's to handle) must not print a traceback nor cost a file.
    Each worker here gets its own Ctrl+C at that moment (multiprocessing runs after-fork hooks there)."""
    from multiprocessing import util

    for code in ("PKT", "VPUB", "TYT"):
        drop(ready, f"{code}.xlsx", code, payload(ready, code))
    parent = os.getpid()

    class Hook:
        pass

    hook = Hook()  # registered while it lives
    util.register_after_fork(hook, lambda _hook: os.getpid() != parent and os.kill(os.getpid(), signal.SIGINT))
    try:
        from pipeline.collect import collect

        result = collect(ready, workers=2, write_outputs=False)
    finally:
        del hook
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert sorted(d.status for d in result.files) == ["accepted"] * 3, [(d.file.rel, d.issues) for d in result.files]
