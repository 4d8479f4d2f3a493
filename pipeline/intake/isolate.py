"""Run a parser over many files in worker processes, so a crash, an abort or a hang costs one file.

Each worker is a long-lived process fed one task at a time through a pipe, with an address-space limit
(where the OS has one: not on Windows) and a wall-clock limit per task enforced by the parent. A worker
that dies or overruns is killed and replaced; its task comes back as `Failed`.

A worker's state is built once by `setup(*setup_args)` when it starts (forked workers inherit the arguments
without pickling them) and passed to every task as its first argument: no module globals hold it.
An exception raised by `fn` is ours, not the file's: it comes back as `Failed("internal", traceback)`, so
the caller can tell a program error from a file that crashes, exhausts or hangs the parser.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.files import io_problem

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 768
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"  # macOS and Windows: spawn


@dataclass(frozen=True)
class Failed:
    """A task that did not return: its worker died ("crash"), overran its time ("timeout") or its memory
    ("memory"), our own code raised ("internal", with the traceback in `detail`), or the machine refused a write
    (files.DENIED, DISK_FULL, OS_FAILED, with the path concerned in `path`)."""

    reason: str
    detail: str = ""
    path: str = ""


def _raised(exc: BaseException) -> Failed:
    """What an exception of a task becomes: the machine's refusal when it is one, else ours."""
    problem = io_problem(exc)
    if problem is not None:
        return Failed(problem[0], traceback.format_exc(), problem[1])
    return Failed("internal", traceback.format_exc())


def _virtual_size() -> int:
    """This process's current address-space size in bytes (0 where /proc is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(mb: int) -> None:
    """Cap what a worker may add to the address space it inherited (a forked child starts as big as its parent)."""
    try:
        import resource
    except ImportError:  # Windows: no address-space limit; the time limit still holds
        return
    limit = _virtual_size() + mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl+C held back from this thread while it forks a worker: the worker starts with it blocked and unblocks
    it once it ignores it (a Ctrl+C landing in between printed a traceback and lost the worker's file); the
    parent gets a Ctrl+C that came meanwhile as soon as the fork is done. Where workers are spawned (Windows,
    macOS) there is no such mask."""
    if START_METHOD != "fork" or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _die_with_parent() -> None:
    """On Linux, the kernel kills this worker when the run that started it dies (killed, it cannot stop its workers,
    and a worker waiting for a task would wait for ever: its siblings hold its pipe open)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = mp.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # died before the request was made
        os._exit(1)


def _worker(conn: Connection, fn: Callable[..., Any], memory_mb: int, setup: Callable[..., Any] | None,
            setup_args: tuple) -> None:
    with contextlib.suppress(ValueError, OSError):  # Ctrl+C is the parent's to handle: it stops its workers
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl+C pending since the fork is dropped here
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent()
    _limit_memory(memory_mb)
    context: Any = None
    failed: Failed | None = None
    if setup is not None:
        try:
            context = setup(*setup_args)
        except Exception as exc:  # noqa: BLE001 - reported for every task: the program failed, not a file
            failed = _raised(exc)
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        if args is None:
            return
        try:
            result: Any = failed or (fn(context, *args) if setup is not None else fn(*args))
        except MemoryError:
            result = Failed("memory")
        except Exception as exc:  # noqa: BLE001 - our own code failed on this task; the caller reports it as ours
            result = _raised(exc)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(Failed("memory"))


class _Slot:
    """One worker process and the task it is doing. Created unstarted, so that whoever keeps it can stop a worker
    whose start a Ctrl+C interrupted."""

    def __init__(self, ctx: Any, fn: Callable[..., Any], memory_mb: int, setup: Callable[..., Any] | None,
                 setup_args: tuple) -> None:
        self.ctx, self.fn, self.memory_mb, self.setup, self.setup_args = ctx, fn, memory_mb, setup, setup_args
        self.proc: Any = None
        self.conn: Connection | None = None
        self.child: Connection | None = None
        self.task: int | None = None
        self.started = 0.0

    def start(self) -> None:
        self.conn, self.child = self.ctx.Pipe()
        self.task = None
        self.proc = self.ctx.Process(target=_worker, args=(self.child, self.fn, self.memory_mb, self.setup,
                                                           self.setup_args), daemon=True)
        with _ctrl_c_held():
            self.proc.start()
        self.child.close()

    def submit(self, index: int, args: tuple) -> None:
        try:
            self.conn.send(args)
        except OSError:  # the worker died before it took the task (it never saw it): a fresh one takes it
            self.kill()
            self.start()
            self.conn.send(args)
        self.task, self.started = index, time.monotonic()

    def kill(self) -> None:
        if self.proc is not None and self.proc.pid is not None:
            self.proc.kill()
            self.proc.join()
        for end in (self.child, self.conn):
            if end is not None:
                end.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
        self.conn.close()


def run_isolated(fn: Callable[..., Any], tasks: Sequence[tuple], workers: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 setup: Callable[..., Any] | None = None, setup_args: tuple = ()) -> Iterator[tuple[int, Any]]:
    """Yield (task index, result or Failed) as tasks finish. `fn` and `setup` must be module-level functions;
    with `setup`, each task runs as `fn(setup(*setup_args), *task)`."""
    if not tasks:
        return
    ctx = mp.get_context(START_METHOD)
    n = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    pending = list(range(len(tasks)))[::-1]
    slots: list[_Slot] = []
    try:
        gc.freeze()  # forked workers inherit the run: their collector must not touch (and so copy) every page
        try:
            for _ in range(n):
                slots.append(_Slot(ctx, fn, memory_mb, setup, setup_args))
                slots[-1].start()
        finally:
            gc.unfreeze()
        for slot in slots:
            if pending:
                i = pending.pop()
                slot.submit(i, tasks[i])
        while any(s.task is not None for s in slots):
            busy = [s for s in slots if s.task is not None]
            remaining = min(timeout - (time.monotonic() - s.started) for s in busy)
            ready = wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], max(0.0, remaining))
            for slot in busy:
                index = slot.task
                result = _collect(slot, ready, timeout)
                if result is _PENDING:
                    continue
                slot.task = None
                yield index, result
                if pending:
                    i = pending.pop()
                    slot.submit(i, tasks[i])
    except BaseException:  # Ctrl+C or an error of the caller: stop every worker now, half-done work is dropped
        for slot in slots:
            with contextlib.suppress(OSError, ValueError):
                slot.kill()
        raise
    else:
        for slot in slots:
            slot.stop()


_PENDING = object()  # what _collect returns for a task still running (a task itself may return None)


def _collect(slot: _Slot, ready: list, timeout: float) -> Any:
    """The slot's result if it has one; a Failed (and a fresh worker) if it died or overran; else _PENDING."""
    if slot.conn in ready:
        try:
            return slot.conn.recv()
        except (EOFError, OSError):
            pass
    elif slot.proc.sentinel not in ready and time.monotonic() - slot.started < timeout:
        return _PENDING
    died = slot.conn in ready or slot.proc.sentinel in ready  # else it overran
    if died:
        slot.proc.join(timeout=5)  # its exit code: a worker whose pipe closed may not have been reaped yet
    timed_out = not died
    slot.kill()
    code = slot.proc.exitcode
    slot.start()
    if timed_out:
        return Failed("timeout")
    return Failed("memory" if code in (-6, -9) else "crash", f"mã thoát {code}")
