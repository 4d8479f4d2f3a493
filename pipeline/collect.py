"""`annex collect`: inbox → read → validate → decide → ledger → feedback → summary.

Never modifies the inbox; one bad file never stops the run; every file ends with a status and reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.intake import inbox
from pipeline.intake.isolate import Failed, run_isolated
from pipeline.intake.submission import Submission
from pipeline.intake.worker import process
from pipeline.issues import Issue, issue
from pipeline.judge import validate
from pipeline.judge.decide import Decision, completeness, decide, resubmissions
from pipeline.judge.ledger import Ledger, cache_key, received_from_mtime, restore
from pipeline.runlock import RunLock
from pipeline.workspace import Workspace

READABLE = {"xlsx", "xlsm", "xls", "ods"}
LEDGER_NAME = "ledger.sqlite"
Progress = Callable[[int, int], None]


@dataclass
class CollectResult:
    files: list[Decision]
    completeness: list[dict]
    counted: dict[str, Submission] = field(default_factory=dict)  # unit code -> the submission that counts
    submissions: list[Submission] = field(default_factory=list)
    outputs: dict[str, object] = field(default_factory=dict)
    totals: dict[str, dict] = field(default_factory=dict)
    changes: dict[str, tuple] = field(default_factory=dict)  # unit -> (older, newer, [Change])

    def to_json(self) -> dict:
        changed = {unit: {"from": old.file.rel, "to": new.file.rel,
                          "cells": [{"sheet": c.sheet, "cell": c.cell, "old": _plain(c.old), "new": _plain(c.new)}
                                    for c in diff]}
                   for unit, (old, new, diff) in self.changes.items()}
        return {"files": [d.to_json() for d in self.files], "completeness": self.completeness,
                "totals": self.totals, "changes": changed, "outputs": self.outputs}


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def collect(ws: Workspace, workers: int | None = None, progress: Progress | None = None,
            write_outputs: bool = True) -> CollectResult:
    """One run over the inbox; refuses (runlock.Busy) while another run holds the workspace."""
    with RunLock(ws.root):
        _remove_stale_temporaries(ws)
        return _collect(ws, workers, progress, write_outputs)


def _remove_stale_temporaries(ws: Workspace) -> None:
    """Half-written outputs of a run that was killed (ours, in the outbox only: never the inbox)."""
    for folder in (ws.outbox, ws.outbox / "feedback"):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp*"):
                tmp.unlink(missing_ok=True)


def _collect(ws: Workspace, workers: int | None, progress: Progress | None, write_outputs: bool) -> CollectResult:
    ledger = Ledger(ws.root / LEDGER_NAME)
    try:
        found = inbox.scan(ws.inbox)
        subs, pre = _prepare(ws, ledger, found)
        fresh = _read_all(ws, subs, ledger, workers, progress)
        _validate_all(ws, fresh)
        ledger.store(cache_key(ws), fresh)
        decisions, counted = decide(ws, subs, pre)
        result = CollectResult(decisions, completeness(ws, decisions, counted), counted, subs)
        result.changes = resubmissions(decisions)
        ledger.record([d.ledger_entry() for d in decisions])
    finally:
        ledger.close()
    if write_outputs:
        from pipeline.report.outputs import write_outputs as write

        result.outputs = write(ws, result, workers)
    return result


def _prepare(ws: Workspace, ledger: Ledger, found: list[inbox.InboxFile]) -> tuple[list[Submission], list[Decision]]:
    """Hash and sniff every file; the ones that can be read become submissions, the rest decisions."""
    subs: list[Submission] = []
    pre: list[Decision] = []
    for f in found:
        sha = ledger.known_hash(f.rel, f.size, f.mtime) or inbox.sha256(f.path)
        seen = ledger.first_seen(sha)
        received = seen.received_at if seen else received_from_mtime(f.mtime)
        sniffed = inbox.sniff(f.path)
        ext = f.path.suffix.lower()
        if sniffed.kind in READABLE:
            sub = Submission(f, sha, sniffed.kind, received)
            if sniffed.kind == "xlsm":
                sub.add("macro")
            subs.append(sub)
            continue
        decision = Decision(f, sha, sniffed.kind, received)
        if ext not in inbox.WORKBOOK_EXTS and sniffed.kind in ("other", "empty"):
            decision.status = "ignored"
            decision.issues.append(issue("ignored", file=f.rel, detail=sniffed.detail or "tệp rỗng"))
        else:
            decision.status = "rejected"
            decision.issues.append(_refusal(f.rel, sniffed.kind, sniffed.detail, ext))
        pre.append(decision)
    return subs, pre


def _refusal(rel: str, kind: str, detail: str, ext: str) -> Issue:
    if kind == "empty":
        return issue("empty_file", file=rel)
    if kind == "encrypted":
        return issue("encrypted", file=rel)
    if kind == "xlsb":
        return issue("unsupported_format", file=rel, detail="Excel nhị phân (.xlsb)")
    if kind == "broken":
        return issue("unreadable", file=rel, detail=detail)
    return issue("not_workbook", file=rel, detail=f"đuôi {ext} nhưng nội dung là {detail}")


def _read_all(ws: Workspace, subs: list[Submission], ledger: Ledger, workers: int | None,
              progress: Progress | None) -> list[Submission]:
    """Fill every submission: from the ledger's cache when its bytes were read before under the same
    specs, units and round, else in a reader process. Returns the ones that still need validating."""
    key = cache_key(ws)
    fresh: list[int] = []
    for i, sub in enumerate(subs):
        cached = ledger.cached(sub.sha256, key)
        if cached is None:
            fresh.append(i)
        else:
            subs[i] = restore(cached, sub, ws)
    tasks = [(subs[i], str(ws.root)) for i in fresh]
    for done, (n, result) in enumerate(run_isolated(process, tasks, workers=workers), start=1):
        i = fresh[n]
        if isinstance(result, Failed):
            subs[i].add("unreadable", detail=_failure_text(result))
        else:
            subs[i] = result.attach(ws)
        if progress:
            progress(done, len(tasks))
    return [subs[i] for i in fresh]


def _failure_text(failed: Failed) -> str:
    return {"timeout": "đọc tệp quá lâu, có thể tệp bị hỏng hoặc quá lớn",
            "memory": "tệp đòi quá nhiều bộ nhớ khi đọc, có thể là tệp độc hại hoặc hỏng",
            }.get(failed.reason, f"trình đọc bị lỗi ({failed.detail})")


def _validate_all(ws: Workspace, subs: list[Submission]) -> None:
    """One lazy pandera validation per annex over every identified submission."""
    ok = {i: s for i, s in enumerate(subs) if s.extracted}
    frames: dict[str, validate.AnnexFrame] = {}
    for annex_id, spec in ws.specs.annexes.items():
        items = [(i, s.annexes[annex_id]) for i, s in ok.items() if annex_id in s.annexes]
        frames[annex_id] = validate.build_frame(spec, items)
    forms = {k: v for k, v in frames.items() if v.spec.layout == "form"}
    for af in frames.values():
        validate.validate_annex(af, ok, forms, ws.round.constants)

