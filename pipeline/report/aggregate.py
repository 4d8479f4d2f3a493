"""Stage 6: roll the submissions that count up into plain tables (pandas), ready for the summary.

Totals are sums of accepted inputs (never cached formula results); every rate is a ratio of sums over
units and rows, never an average of percentages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from pipeline.issues import Issue
from pipeline.models import Decision, Resubmission, Submission
from pipeline.report.sentences import render_sentence
from pipeline.spec.annex import AnnexSpec, Rate
from pipeline.spec.evaluate import evaluate_on
from pipeline.workspace import VN_TZ, Workspace

ACCEPTED_STATES = ("accepted", "accepted_with_warnings", "accepted_late")  # unit × annex states that count
ID_COLUMNS = ["unit", "unit_name", "khoi", "file", "row", "source"]


@dataclass
class RateValue:
    rate: Rate
    value: float | None  # ratio (0..1) or difference
    numerator: float
    denominator: float
    by_khoi: dict[str, float | None] = field(default_factory=dict)
    by_group: dict[str, float | None] = field(default_factory=dict)  # per row key or per `by` value
    group_parts: dict[str, tuple[float, float]] = field(default_factory=dict)  # group -> (numerator, denominator)


@dataclass
class AnnexAgg:
    spec: AnnexSpec
    rows: pd.DataFrame  # one row per record: ID_COLUMNS + keys + derived keys
    numeric: list[str]  # numeric and derived keys, in sheet order
    by_khoi: pd.DataFrame  # sums of `numeric` per khối (in unit-list order)
    total: pd.Series  # commune sums of `numeric`
    rates: list[RateValue]
    by_row_key: pd.DataFrame | None  # tables with preset rows (Biểu 06): sums per row key
    pivots: list[tuple[str, pd.DataFrame]]
    lists: list[tuple[str, pd.DataFrame, tuple[str, ...]]]
    expected_units: list[str]
    reporting_units: list[str]
    sentences: list[str] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return set(self.reporting_units) != set(self.expected_units)


@dataclass
class Summary:
    generated_at: dt.datetime
    counts: dict[str, int]
    completeness: list[dict]
    annexes: dict[str, AnnexAgg]
    files: list[Decision]
    changes: dict[str, Resubmission] = field(default_factory=dict)
    failures: list[Issue] = field(default_factory=list)  # our own failures while writing this run's outputs
    reports: list[dict] = field(default_factory=list)  # each unit's narrative report (judge.narrative)


def khoi_order(ws: Workspace) -> list[str]:
    return list(dict.fromkeys(u.khoi for u in ws.units))


def accepted_records(ws: Workspace, spec: AnnexSpec, counted: dict[str, Submission]) -> Iterator[tuple]:
    """(unit, submission, annex data, Excel row, values in spec.keys order, 'sheet!row') of every accepted record,
    in unit order."""
    for unit in ws.units:
        sub = counted.get(unit.code)
        data = sub.annexes.get(spec.id) if sub else None
        if data is None:
            continue
        for row, values in zip(data.rows, data.values, strict=True):
            yield unit, sub, data, row, values, (f"{data.sheet}!{row}" if spec.layout == "table" else data.sheet)


def annex_rows(ws: Workspace, spec: AnnexSpec, counted: dict[str, Submission]) -> pd.DataFrame:
    """The consolidated rows of one annex, in unit-list order, with a source reference for each."""
    records = []
    for unit, sub, data, row, values, ref in accepted_records(ws, spec, counted):
        source = f"{sub.file.rel} ({ref})"
        if row in data.origins:  # a row rolled up from the level below keeps its own origin
            source += f" ← {data.origins[row]}"
        records.append((unit.code, unit.name, unit.khoi, sub.file.rel, row if spec.layout == "table" else None,
                        source, *values))
    frame = pd.DataFrame.from_records(records, columns=ID_COLUMNS + list(spec.keys))
    for col in spec.columns:
        if col.numeric:
            frame[col.key] = pd.to_numeric(frame[col.key], errors="coerce").astype("float64")
        elif col.type == "date":
            frame[col.key] = pd.to_datetime(frame[col.key], errors="coerce")
        else:
            frame[col.key] = frame[col.key].astype(object).where(frame[col.key].notna(), None)
    for d in spec.derived:
        frame[d.key] = evaluate_on(frame, spec, d.expr, {}).astype("float64")
    return frame


def _value(rate: Rate, num: float, den: float) -> float | None:
    if rate.kind == "difference":
        return num - den
    return num / den if den else None


def _rates(frame: pd.DataFrame, spec: AnnexSpec, constants: dict, khois: list[str]) -> list[RateValue]:
    """Each rate over the commune, per khối and per group (its `by`, or the row key). The expressions are
    row-wise, so each side is evaluated once over all rows and summed per part."""
    out = []
    for rate in spec.rates:
        if frame.empty:
            out.append(RateValue(rate, None, 0.0, 0.0))
            continue
        sides = pd.DataFrame({"num": evaluate_on(frame, spec, rate.numerator, constants).astype(float),
                              "den": evaluate_on(frame, spec, rate.denominator, constants).astype(float)})
        num, den = float(sides["num"].sum()), float(sides["den"].sum())
        rv = RateValue(rate, _value(rate, num, den), num, den)
        per_khoi = sides.groupby(frame["khoi"], sort=False).sum()
        for k in khois:
            if k in per_khoi.index:
                rv.by_khoi[k] = _value(rate, float(per_khoi.at[k, "num"]), float(per_khoi.at[k, "den"]))
        group = rate.by or spec.row_key
        if group:
            for g, g_num, g_den in sides.groupby(frame[group], sort=False).sum().itertuples():
                rv.by_group[str(g)] = _value(rate, float(g_num), float(g_den))
                rv.group_parts[str(g)] = (float(g_num), float(g_den))
        out.append(rv)
    return out


def aggregate_annex(ws: Workspace, spec: AnnexSpec, counted: dict[str, Submission],
                    completeness: list[dict] | None = None) -> AnnexAgg:
    """One annex rolled up. Its reporting units are those whose annex is accepted in `completeness` (the very
    rows "Tình hình nộp" and its chart show), so a unit that declared "Không có" counts as reporting."""
    frame = annex_rows(ws, spec, counted)
    numeric = [c.key for c in spec.columns if c.numeric] + [d.key for d in spec.derived]
    khois = khoi_order(ws)
    present = set(frame["khoi"].unique())
    by_khoi = frame.groupby("khoi", sort=False)[numeric].sum().reindex([k for k in khois if k in present])
    total = frame[numeric].sum()
    by_row_key = None
    if spec.row_key:
        by_row_key = frame.groupby(spec.row_key, sort=False)[numeric].sum().reindex(list(spec.preset_rows)).fillna(0)
    pivots = []
    for p in spec.pivots:
        table = pd.crosstab(frame[p.rows], frame[p.columns]) if not frame.empty else pd.DataFrame()
        cats_r, cats_c = spec.by_key[p.rows].categories, spec.by_key[p.columns].categories
        if cats_r and cats_c:
            table = table.reindex(index=list(cats_r), columns=list(cats_c), fill_value=0)
        pivots.append((p.label, table))
    lists = []
    for rl in spec.lists:
        mask = evaluate_on(frame, spec, rl.when, ws.round.constants).astype(bool) if not frame.empty else []
        lists.append((rl.label, frame[mask] if len(frame) else frame, rl.columns))
    expected = [u.code for u in ws.units if spec.id in u.annexes]
    if completeness is None:
        reporting = list(dict.fromkeys(frame["unit"]))
    else:
        reporting = [item["unit"] for item in completeness
                     if item["annex"] == spec.id and item["state"] in ACCEPTED_STATES]
    agg = AnnexAgg(spec, frame, numeric, by_khoi, total, _rates(frame, spec, ws.round.constants, khois),
                   by_row_key, pivots, lists, expected, reporting)
    agg.sentences = [render_sentence(t, agg) for t in spec.sentences]
    return agg


def summarize(ws: Workspace, decisions: list[Decision], completeness: list[dict],
              counted: dict[str, Submission]) -> Summary:
    annexes = {a: aggregate_annex(ws, spec, counted, completeness) for a, spec in ws.specs.annexes.items()
               if any(a in u.annexes for u in ws.units)}
    units = {u.code for u in ws.units}
    received = {d.unit for d in decisions if d.unit and not d.report}
    counts = {
        "expected": len(units),
        "received": len(received & units),
        "accepted": len(counted),
        "late": len({d.unit for d in decisions if d.late and d.unit in counted
                     and counted[d.unit] is d.submission}),
        "rejected_files": sum(1 for d in decisions if d.status == "rejected"),
        "missing": len(units - received),
        "unidentified_files": sum(1 for d in decisions if d.status == "unidentified"),
        "reports": len({d.unit for d in decisions if d.report and d.status == "report"} & units),
    }
    return Summary(dt.datetime.now(VN_TZ).replace(microsecond=0), counts, completeness, annexes, decisions)


def totals_json(summary: Summary) -> dict:
    """`totals` of `collect --json`: each annex's numeric commune totals and each derived rate."""
    out = {}
    for annex_id, agg in summary.annexes.items():
        out[annex_id] = {"columns": {k: float(agg.total.get(k, 0.0)) for k in agg.numeric},
                         "rates": {rv.rate.key: rv.value for rv in agg.rates},
                         "provisional": agg.provisional,
                         "reporting_units": agg.reporting_units, "expected_units": agg.expected_units,
                         "sentences": agg.sentences}
    return out
