"""The data that crosses stages: a file in the inbox, a raw workbook, a typed submission, a decision on a
file, a resubmission's changes, and a run's result.

Each stage returns new objects of these types; no stage appends to another's lists. What crosses a process
boundary or goes into the ledger's cache is plain data (`submission_to_plain` / `submission_from_plain`), so
neither depends on how these classes are laid out in modules.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.issues import Issue, Severity, count, issue
from pipeline.spec.annex import AnnexSpec
from pipeline.workbook.contract import Layout, cell
from pipeline.workspace import Unit, Workspace

ACCEPTED = ("accepted", "accepted_with_warnings")
Grid = list[list[object]]


@dataclass(frozen=True)
class InboxFile:
    path: Path
    rel: str  # path relative to the inbox, with forward slashes: the name reported everywhere
    size: int
    mtime: float


@dataclass
class RawBook:
    """A workbook's cell values as a reader process returns them (plain, picklable)."""

    sheets: dict[str, Grid] = field(default_factory=dict)  # sheet name -> rows from A1
    meta: dict[str, str] = field(default_factory=dict)  # the `_meta` sheet's key/value rows, unparsed
    sheet_names: list[str] = field(default_factory=list)
    error: tuple[str, str] | None = None  # (issue code, detail) when the file could not be read
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> cell -> "#DIV/0!" (read as blank)
    merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # sheet -> merged (r1,c1,r2,c2)


@dataclass
class AnnexData:
    """One annex of one submission: its typed records and where each sits on the sheet."""

    spec: AnnexSpec
    sheet: str
    rows: list[int] = field(default_factory=list)  # Excel row of each record (form: its first field row)
    values: list[tuple] = field(default_factory=list)  # typed values of each record in spec.keys order; None blank
    bad: set[tuple[int, str]] = field(default_factory=set)  # (row, key) of values that could not be read
    origins: dict[int, str] = field(default_factory=dict)  # row -> where a rolled-up row came from
    moved: dict[str, int] = field(default_factory=dict)  # form: key -> the row its label was found on, if moved
    notes: dict[str, str] = field(default_factory=dict)  # form: key -> the note typed beside its value

    @property
    def layout(self) -> Layout:
        return Layout(self.spec)

    def position_of(self, key: str, row: int | None = None) -> tuple[int, int]:
        """(row, column) of a record's value in this file (a form whose rows the unit moved: where its label went)."""
        layout = Layout(self.spec)
        if key in self.moved:
            return self.moved[key], layout.col_of(key)
        return layout.position(key, row)

    def cell_of(self, key: str, row: int | None = None) -> str:
        """Where a record's value is in this file, as Excel names it ("E12")."""
        return cell(*self.position_of(key, row))

    @property
    def records(self) -> list[dict[str, object]]:
        """The records as dicts (built on demand: a city's submissions are held as tuples, a third the size)."""
        keys = self.spec.keys
        return [dict(zip(keys, v, strict=True)) for v in self.values]


@dataclass
class Submission:
    file: InboxFile
    sha256: str
    kind: str
    received_at: dt.datetime
    unit: Unit | None = None
    meta: dict[str, str] = field(default_factory=dict)  # `_meta`'s global keys (template_id, round_id, …)
    annexes: dict[str, AnnexData] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    extracted: bool = False  # identified, and its annexes read: cell-level validation applies

    def add(self, code: str, **kw) -> None:
        self.issues.append(issue(code, file=self.file.rel, **kw))


@dataclass
class Decision:
    """The verdict on one file: its status, the unit it counts for, and every issue found."""

    file: InboxFile
    sha256: str
    kind: str
    received_at: dt.datetime
    status: str = ""
    unit: str = ""
    late: bool = False
    issues: list[Issue] = field(default_factory=list)
    submission: Submission | None = None
    report: bool = False  # a narrative report (báo cáo lời), not an annex workbook

    @property
    def errors(self) -> int:
        return count(self.issues, Severity.ERROR)

    @property
    def warnings(self) -> int:
        return count(self.issues, Severity.WARNING)

    def ledger_entry(self) -> dict:
        meta = self.submission.meta if self.submission else {}
        return {"sha256": self.sha256, "path": self.file.rel, "size": self.file.size, "mtime": self.file.mtime,
                "received_at": self.received_at.isoformat(), "unit": self.unit or None,
                "template_id": meta.get("template_id"), "spec_version": meta.get("spec_version"),
                "status": self.status, "issues": [i.to_dict() for i in self.issues]}

    def to_json(self) -> dict:
        return {"file": self.file.rel, "sha256": self.sha256, "unit": self.unit or None, "status": self.status,
                "report": self.report, "late": self.late, "received_at": self.received_at.isoformat(),
                "counts": {"errors": self.errors, "warnings": self.warnings},
                "issues": [{"code": i.code, "severity": i.severity.value, "sheet": i.sheet, "cell": i.cell,
                            "value": i.value, "message": i.message} for i in self.issues]}


@dataclass(frozen=True)
class Change:
    """One cell that differs between a unit's previous file and its newest."""

    sheet: str
    cell: str
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class Resubmission:
    """A unit's newest file, the one before it, and what changed cell by cell."""

    old: Decision
    new: Decision
    cells: list[Change]


@dataclass
class CollectResult:
    files: list[Decision]
    completeness: list[dict]
    counted: dict[str, Submission] = field(default_factory=dict)  # unit code -> the submission that counts
    changes: dict[str, Resubmission] = field(default_factory=dict)
    outputs: dict[str, object] = field(default_factory=dict)
    totals: dict[str, dict] = field(default_factory=dict)
    failures: list[Issue] = field(default_factory=list)  # what the run failed to do: never the units' fault
    reports: list[dict] = field(default_factory=list)  # per unit: its narrative report's state (judge.narrative)

    def to_json(self) -> dict:
        changed = {unit: {"from": r.old.file.rel, "to": r.new.file.rel,
                          "cells": [{"sheet": c.sheet, "cell": c.cell, "old": _plain(c.old), "new": _plain(c.new)}
                                    for c in r.cells]}
                   for unit, r in self.changes.items()}
        counts = {"errors": sum(d.errors for d in self.files), "warnings": sum(d.warnings for d in self.files),
                  "files_rejected": sum(d.status in ("rejected", "unidentified") for d in self.files),
                  "files_with_warnings": sum(bool(d.warnings) for d in self.files)}
        return {"counts": counts, "files": [d.to_json() for d in self.files], "completeness": self.completeness,
                "reports": self.reports,
                "totals": self.totals, "changes": changed, "outputs": self.outputs,
                "failures": [{"code": i.code, "file": i.file, "message": i.message} for i in self.failures]}


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---------------------------------------------------------------- plain form (process boundaries, the cache)


def submission_to_plain(sub: Submission) -> tuple:
    """What a reading produced, as builtins only (no classes of ours): the file's identity is not included."""
    annexes = [(annex_id, d.sheet, d.rows, d.values, sorted(d.bad), d.origins, d.moved, d.notes)
               for annex_id, d in sub.annexes.items()]
    issues = [(i.code, i.severity.value, i.message, i.sheet, i.cell, i.value, i.rule, i.related) for i in sub.issues]
    return (sub.unit.code if sub.unit else None, sub.meta, sub.extracted, issues, annexes)


def submission_from_plain(plain: tuple, stub: Submission, ws: Workspace) -> Submission:
    """A reading rebuilt for this run: the stub's file, hash and received time, this workspace's specs and units."""
    unit_code, meta, extracted, issues, annexes = plain
    sub = replace(stub, unit=ws.unit_by_code.get(unit_code) if unit_code else None, meta=dict(meta),
                  extracted=extracted, annexes={}, issues=[])
    sub.issues = [Issue(code, Severity(sev), message, stub.file.rel, sheet, cell, value, rule, related)
                  for code, sev, message, sheet, cell, value, rule, related in issues]
    for annex_id, sheet, rows, values, bad, origins, moved, notes in annexes:
        spec = ws.specs.annexes[annex_id]
        shared = [i for i, c in enumerate(spec.columns) if c.type == "category"]
        values = [_interned(v, shared) for v in values] if shared else [tuple(v) for v in values]
        sub.annexes[annex_id] = AnnexData(spec, sheet, list(rows), values, {tuple(b) for b in bad}, dict(origins),
                                          dict(moved), dict(notes))
    return sub


def _interned(values: tuple, positions: list[int]) -> tuple:
    """List values repeated across thousands of files are shared, not copied."""
    out = list(values)
    for i in positions:
        if type(out[i]) is str:
            out[i] = sys.intern(out[i])
    return tuple(out)
