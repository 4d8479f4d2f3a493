"""What a reader process does with one file: pre-checks, read (python-calamine), identify and type values.

Runs under isolate.run_isolated, so a parser that crashes, hangs or eats memory costs this file only.
The workspace is opened once per process from its folder (works with fork and with spawn).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.intake.precheck import precheck
from pipeline.intake.read import read_book
from pipeline.intake.submission import Submission, build
from pipeline.issues import issue
from pipeline.workspace import Workspace, open_workspace

_OPEN: dict[str, Workspace] = {}


def _workspace(root: str) -> Workspace:
    if root not in _OPEN:
        _OPEN[root] = open_workspace(Path(root))
    return _OPEN[root]


def process(sub: Submission, root: str) -> Submission:
    ws = _workspace(root)
    refusal = precheck(sub.file.path, sub.kind)
    if refusal is not None:
        sub.issues.append(issue(refusal.code, file=sub.file.rel, detail=refusal.detail))
        return sub
    wanted = frozenset(a.sheet.strip().casefold() for a in ws.specs.annexes.values())
    max_rows = max(a.n_rows for a in ws.specs.annexes.values()) + 40
    book = read_book(sub.file.path, wanted, max_rows)
    if book.error:
        code, detail = book.error
        sub.add(code, detail=detail)
        return sub
    return build(sub, book, ws)
