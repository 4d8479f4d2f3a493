"""What a reader process does with one file: pre-checks, read (python-calamine), identify and type values.

Runs under isolate.run_isolated, so a parser that crashes, hangs or eats memory costs this file only; an
exception from our own code comes back as an internal error of the program. A forked process inherits the
run's workspace; a spawned one (Windows, macOS) opens it once (`worker_setup`). The reading goes back as plain
data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.intake import isolate
from pipeline.intake.docx import ReportReading, read_report
from pipeline.intake.identify import refused
from pipeline.intake.parts import errors_by_sheet
from pipeline.intake.precheck import precheck
from pipeline.intake.read import read_book
from pipeline.intake.submission import build
from pipeline.models import Submission, submission_to_plain
from pipeline.workspace import Workspace, open_workspace


def open_for_worker(root: str) -> Workspace:
    return open_workspace(Path(root))


def inherited(ws: Workspace) -> Workspace:
    return ws


def worker_setup(ws: Workspace) -> tuple[Callable[..., Workspace], tuple]:
    """How a reader process gets the workspace: inherited when forked (opening it again reads units.xlsx: 26 ms
    for 1,000 units, paid at every run in watch mode), opened again when spawned (nothing is inherited)."""
    return (inherited, (ws,)) if isolate.START_METHOD == "fork" else (open_for_worker, (str(ws.root),))


def process(ws: Workspace, sub: Submission) -> tuple:
    """Read one file into a fresh copy of its stub submission; returns `submission_to_plain` of it."""
    checked = precheck(sub.file.path, sub.kind)
    if checked.refusal is not None:
        refused(sub, checked.refusal, ws)
        return submission_to_plain(sub)
    wanted = frozenset(a.sheet.strip().casefold() for a in ws.specs.annexes.values())
    max_rows = max(a.n_rows for a in ws.specs.annexes.values()) + 40
    book = read_book(sub.file.path, wanted, max_rows)
    book.errors = errors_by_sheet(sub.file.path, checked.errors) if checked.errors else {}
    if book.error:
        code, detail = book.error
        sub.add(code, detail=detail)
        return submission_to_plain(sub)
    return submission_to_plain(build(sub, book, ws))


def process_report(path: str) -> tuple:
    """Read one narrative report (.docx) after the same pre-checks as a workbook; returns its plain reading."""
    checked = precheck(Path(path), "docx")
    if checked.refusal is not None:
        return ReportReading(error=(checked.refusal.code, checked.refusal.detail)).to_plain()
    return read_report(Path(path)).to_plain()
