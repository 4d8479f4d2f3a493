"""Stage 4: a status for every file, the submission that counts for each unit, and completeness.

Statuses: accepted, accepted_with_warnings, rejected, superseded, duplicate, ignored, unidentified, and failed
(this program failed on the file: never the unit's fault).
The newest accepted file of a unit counts; a newer rejected file does not hide it but is reported;
identical bytes under another name are duplicates, not new submissions.
"""

from __future__ import annotations

from pipeline.issues import PROGRAM_FAULTS, Issue, Severity, issue
from pipeline.judge import validate
from pipeline.judge.compare import changes, outliers
from pipeline.models import ACCEPTED, Decision, Resubmission, Submission
from pipeline.workspace import Workspace


def decide(ws: Workspace, subs: list[Submission], pre: list[Decision]) -> tuple[list[Decision], dict[str, Submission]]:
    decisions = list(pre)
    originals: dict[str, Decision] = {}
    for sub in sorted(subs, key=lambda s: (s.received_at, s.file.rel)):
        d = Decision(sub.file, sub.sha256, sub.kind, sub.received_at, submission=sub)
        d.unit = sub.unit.code if sub.unit else ""
        d.late = sub.received_at > ws.round.deadline_end
        if sub.sha256 in originals:
            first = originals[sub.sha256]
            note = issue("duplicate_file", file=sub.file.rel, detail=first.file.rel)
            if first.status in ("rejected", "unidentified", "failed"):  # same bytes, same verdict, said again
                d.status, d.issues = first.status, [note, *first.issues]
            else:
                d.status, d.issues = "duplicate", [note]
        else:
            originals[sub.sha256] = d
            d.issues = list(sub.issues)  # the decision's own list: later checks add to it, not to the reading
            d.status = _status(sub)
        decisions.append(d)
    counted = _pick_counted(ws, decisions)
    decisions.sort(key=lambda d: d.file.rel)
    return decisions, counted


def _status(sub: Submission) -> str:
    if any(i.code in PROGRAM_FAULTS for i in sub.issues):
        return "failed"  # our failure: the file is not judged, the unit is not blamed
    if sub.unit is None:
        return "unidentified" if any(i.code == "unidentified" for i in sub.issues) else "rejected"
    if any(i.severity == Severity.ERROR for i in sub.issues):
        return "rejected"
    return "accepted_with_warnings" if any(i.severity == Severity.WARNING for i in sub.issues) else "accepted"


def _pick_counted(ws: Workspace, decisions: list[Decision]) -> dict[str, Submission]:
    """The newest accepted submission of each unit counts; older accepted ones are superseded."""
    counted: dict[str, Decision] = {}
    for d in decisions:  # in received order
        if d.status in ACCEPTED:
            if d.unit in counted:
                old = counted[d.unit]
                old.status = "superseded"
                old.issues = [*old.issues, issue("superseded", file=old.file.rel, detail=d.file.rel)]
            counted[d.unit] = d
    subs = {u: d.submission for u, d in counted.items() if d.submission}
    for unit, found in [*_cross_unit(ws, subs), *outliers(ws, subs)]:
        counted[unit].issues.append(found)
    for d in counted.values():
        if d.status == "accepted" and any(i.severity == Severity.WARNING for i in d.issues):
            d.status = "accepted_with_warnings"
    for d in decisions:
        keep = counted.get(d.unit)
        if d.status == "rejected" and keep is not None and d.received_at >= keep.received_at:
            keep.issues.append(issue("newer_rejected", file=keep.file.rel, detail=d.file.rel))
    return subs


def _cross_unit(ws: Workspace, counted: dict[str, Submission]) -> list[tuple[str, Issue]]:
    """Checks across units (e.g. one address reported by two units), over the submissions that count."""
    indexed = dict(enumerate(counted.values()))
    found: list[tuple[str, Issue]] = []
    for annex_id, spec in ws.specs.annexes.items():
        if not spec.unique:
            continue
        items = [(i, s.annexes[annex_id]) for i, s in indexed.items() if annex_id in s.annexes]
        found += validate.unique_across_units(spec, validate.build_frame(spec, items), indexed)
    return found


def completeness(ws: Workspace, decisions: list[Decision], counted: dict[str, Submission]) -> list[dict]:
    """Every expected unit × annex with its state: missing, rejected, accepted, accepted_late, …"""
    by_unit: dict[str, list[Decision]] = {}
    for d in decisions:
        if d.unit and not d.report:  # a narrative report has its own row (judge.narrative)
            by_unit.setdefault(d.unit, []).append(d)
    rows = []
    for unit in ws.units:
        mine = sorted(by_unit.get(unit.code, []), key=lambda d: d.received_at)
        keep = next((d for d in mine if d.submission is counted.get(unit.code) and d.status in ACCEPTED), None)
        latest = mine[-1] if mine else None
        for annex_id in unit.annexes:
            state, source, warned = "missing", None, False
            if keep is not None:
                source, warned = keep, annex_warned(keep, annex_id)
                state = "accepted_late" if keep.late else "accepted_with_warnings" if warned else "accepted"
            elif latest is not None:
                source, state = latest, "failed" if latest.status == "failed" else "rejected"
            rows.append({"unit": unit.code, "unit_name": unit.name, "khoi": unit.khoi, "annex": annex_id,
                         "state": state, "file": source.file.rel if source else None,
                         "received_at": source.received_at.isoformat() if source else None,
                         "late": bool(source and source.late),
                         "warnings": warned})
    return rows


def annex_warned(d: Decision, annex_id: str) -> bool:
    """Whether a warning of an accepted file concerns this annex (its sheet), not just another one."""
    data = d.submission.annexes.get(annex_id) if d.submission else None
    return data is not None and any(i.severity == Severity.WARNING and i.sheet == data.sheet for i in d.issues)


def resubmissions(decisions: list[Decision]) -> dict[str, Resubmission]:
    """For each unit that sent more than one file: its newest file, the one before, and what changed."""
    by_unit: dict[str, list[Decision]] = {}
    for d in decisions:
        if d.unit and d.status != "duplicate" and d.submission is not None and d.submission.extracted:
            by_unit.setdefault(d.unit, []).append(d)
    out = {}
    for unit, files in by_unit.items():
        if len(files) >= 2:
            files.sort(key=lambda d: (d.received_at, d.file.rel))
            old, new = files[-2], files[-1]
            out[unit] = Resubmission(old, new, changes(old.submission, new.submission))
    return out
