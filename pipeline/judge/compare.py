"""Across submissions: what changed since a unit's previous file, and values far from the unit's peers.

Outliers use the median and the median absolute deviation (robust z = 0.6745·(x − median)/MAD, flagged
above 3.5, after Iglewicz and Hoaglin), never a mean and standard deviation, which skewed counts of staff
or dossiers would swamp. They are warnings, never errors, and only material ones reach a unit: the khối has
at least MIN_PEERS units reporting the value, and the value is at least RATIO times the median of the other
units, or at most 1/RATIO of it, and differs from it by at least MIN_GAP. A unit whose value is 4 where
the others' median is 7 is ordinary data, not a question to put to it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.issues import Issue, issue
from pipeline.models import Change, Submission
from pipeline.vntext import fmt_number
from pipeline.workspace import Workspace

MIN_PEERS = 5  # units of one khối reporting the value (the unit and at least 4 others)
THRESHOLD = 3.5  # robust z-score
RATIO = 2.0  # material: at least twice, or at most half, the median of the other units
MIN_GAP = 10.0  # and at least this far from it, in the value's own unit


def change_text(change: Change) -> str:
    return f"{change.sheet}!{change.cell} ({change.label}): {show_value(change.old)} → {show_value(change.new)}"


def show_value(value: object) -> str:
    if value is None:
        return "(trống)"
    if isinstance(value, float):
        return fmt_number(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return f"\"{value}\""


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b


def changes(old: Submission, new: Submission) -> list[Change]:
    """Every input cell whose value differs between two submissions of one unit (typed values compared)."""
    out: list[Change] = []
    for annex_id, data in new.annexes.items():
        before = old.annexes.get(annex_id)
        spec = data.spec
        then = dict(zip(before.rows, before.records, strict=True)) if before else {}
        now = dict(zip(data.rows, data.records, strict=True))
        for row in sorted(set(then) | set(now)):
            a, b = then.get(row, {}), now.get(row, {})
            for col in spec.input_columns:
                va, vb = a.get(col.key), b.get(col.key)
                if not _same(va, vb):
                    out.append(Change(data.sheet, data.cell_of(col.key, row), col.label, va, vb))
    return out


def outliers(ws: Workspace, counted: dict[str, Submission]) -> list[tuple[str, Issue]]:
    """Warnings (unit code, issue) on comparable values far from the other units of the same khối (per-unit
    totals for tables)."""
    found: list[tuple[str, Issue]] = []
    for annex_id, spec in ws.specs.annexes.items():
        columns = [c for c in spec.columns if c.comparable and c.numeric]
        if not columns:
            continue
        rows = []
        for code, sub in counted.items():
            data = sub.annexes.get(annex_id)
            if data is None or sub.unit is None:
                continue
            at = [spec.keys.index(c.key) for c in columns]
            totals = {c.key: sum(float(v[i] or 0) for v in data.values) for c, i in zip(columns, at, strict=True)}
            rows.append({"unit": code, "khoi": sub.unit.khoi, **totals})
        frame = pd.DataFrame(rows)
        for _, group in (frame.groupby("khoi") if not frame.empty else []):
            if len(group) < MIN_PEERS:
                continue
            for col in columns:
                found += _flag(group, col, spec.id, counted)
    return found


def _flag(group: pd.DataFrame, col, annex_id: str, counted: dict[str, Submission]) -> list[tuple[str, Issue]]:
    values = group[col.key].to_numpy(dtype=float)
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    found: list[tuple[str, Issue]] = []
    if mad == 0:
        return found
    ordered = np.sort(values)
    for unit, value in zip(group["unit"], values, strict=True):
        if abs(0.6745 * (value - median) / mad) <= THRESHOLD:
            continue
        others = _median_without(ordered, value)  # the other units' median, for the few far out
        if not material(value, others):
            continue
        sub = counted[unit]
        data = sub.annexes[annex_id]
        found.append((unit, issue("outlier", file=sub.file.rel, sheet=data.sheet,
                                  cell=data.cell_of(col.key, data.rows[0]), value=fmt_number(value),
                                  label=col.label, expected=fmt_number(others))))
    return found


def _median_without(ordered: np.ndarray, value: float) -> float:
    """The median of sorted `ordered` with one `value` taken out (read off the sorted values, not sorted again)."""
    at, left = int(np.searchsorted(ordered, value)), len(ordered) - 1
    if left == 0:
        return math.nan

    def kept(j: int) -> float:
        return float(ordered[j] if j < at else ordered[j + 1])

    return kept(left // 2) if left % 2 else (kept(left // 2 - 1) + kept(left // 2)) / 2


def material(value: float, median: float) -> bool:
    """A difference worth asking a unit about: twice or half the others' median, and not a few units apart."""
    if abs(value - median) < MIN_GAP:
        return False
    if median <= 0:
        return value > 0
    return value >= RATIO * median or value <= median / RATIO
