"""Worker processes (intake/isolate.py): a worker that dies costs at most its own task, and is said for what it was;
a Ctrl+C while workers start leaves none behind."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pipeline.intake.isolate import START_METHOD, Failed, run_isolated

FORKED = pytest.mark.skipif(START_METHOD != "fork", reason="the workers here are forked (Linux)")


def _pid(name: str) -> tuple[str, int]:
    return name, os.getpid()


def _exit(code: int) -> None:
    os._exit(code)


def _dead(pid: int) -> bool:
    """Exited (a zombie not yet reaped by its parent, or gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@FORKED
def test_a_worker_that_died_between_two_tasks_is_replaced_and_the_task_done():
    """The caller gets each result before the worker's next task is sent: the worker is killed there, as a machine
    short of memory would kill it, and its next task goes to a fresh worker instead of failing the run."""
    results = []
    for index, result in run_isolated(_pid, [("a",), ("b",), ("c",)], workers=1):
        results.append((index, result))
        if index == 0:
            os.kill(result[1], signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not _dead(result[1]):
                assert time.monotonic() < deadline
                time.sleep(0.01)
    assert [(i, name) for i, (name, _) in results] == [(0, "a"), (1, "b"), (2, "c")]
    assert results[0][1][1] != results[1][1][1] == results[2][1][1]  # b and c by the fresh worker


@FORKED
def test_a_worker_that_crashes_is_a_crash_with_its_exit_code_never_a_timeout():
    results = dict(run_isolated(_exit, [(3,)] * 6, workers=2, timeout=60))
    assert set(results.values()) == {Failed("crash", "mã thoát 3")}


@FORKED
def test_ctrl_c_while_the_workers_start_leaves_none_of_them_running():
    """The Ctrl+C comes as the second worker is forked. It is sent to the main thread, the only one `annex` has
    (the test process has others, where a signal sent to the process could land instead)."""
    parent, forks = os.getpid(), []

    def second_fork() -> None:  # os.register_at_fork cannot be undone: armed for this test's second fork only
        forks.append(1)
        if len(forks) == 2 and os.getpid() == parent:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    os.register_at_fork(after_in_parent=second_fork)
    before = set(mp.active_children())
    with pytest.raises(KeyboardInterrupt):
        list(run_isolated(_pid, [("a",), ("b",), ("c",)], workers=3))
    assert len(forks) >= 2
    assert [p for p in mp.active_children() if p not in before and p.is_alive()] == []


ORPHAN_DRIVER = """
import sys, time
from pathlib import Path
from pipeline.files import place
from pipeline.intake.isolate import run_isolated

def write(name):
    time.sleep(1.5)  # the run is killed meanwhile
    tmp = Path(sys.argv[1], "." + name + ".tmp")
    tmp.write_text("an old run's output")
    place(tmp, Path(sys.argv[1], name))
    return name

print("started", flush=True)
list(run_isolated(write, [("a.txt",), ("b.txt",), ("c.txt",)], workers=2, timeout=60))
"""


@FORKED
def test_a_killed_run_leaves_no_worker_to_put_an_old_output_in_place(tmp_path):
    """Killed alone (Task Manager's End task, the machine short of memory), a run cannot stop its workers: they must
    not live on, nor put what they were writing over a newer run's outputs."""
    import subprocess
    import sys

    from .conftest import REPO

    proc = subprocess.Popen([sys.executable, "-c", ORPHAN_DRIVER, str(tmp_path)], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    assert proc.stdout.readline() == b"started\n"
    deadline = time.monotonic() + 30
    while len(_children(proc.pid)) < 2:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.kill()
    proc.wait(timeout=30)
    time.sleep(2.5)  # longer than the workers' task
    try:
        assert [p.name for p in tmp_path.iterdir()] == []
        assert [pid for pid in workers if not _dead(pid)] == []
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _ctrl_c_handler(queue) -> None:
    queue.put(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)


def test_a_spawned_worker_ignores_ctrl_c_from_its_first_import_of_the_program():
    """Where workers are spawned (Windows), a worker spends a second importing the program before its first line;
    Ctrl+C reaches it there too (every process of the console gets it): it ignores it from the moment the program's
    package is imported, not from its first line."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_ctrl_c_handler, args=(queue,))
    proc.start()
    try:
        assert queue.get(timeout=60) is True
    finally:
        proc.join(timeout=60)
