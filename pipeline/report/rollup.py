"""Roll a commune's accepted figures up into a filled template of the level above.

The parent level (a city office) runs the same tool with its own workspace, whose units are communes.
`annex rollup` writes the commune's file for that round: form annexes summed over the commune's units
(a category takes its most frequent value, text is joined), preset-row tables summed by row key, other
tables carried row by row. Every carried row keeps its origin (unit, file, sheet!row) in `_meta` as
`origin:<ID>:<row>`, which the parent's summary shows beside its own source reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.collect import collect, holding
from pipeline.files import place
from pipeline.messages import quoted, say, sentence
from pipeline.models import CollectResult, Submission
from pipeline.report.aggregate import accepted_records
from pipeline.spec.annex import AnnexSpec
from pipeline.template.build import write_template
from pipeline.template.fill import fill
from pipeline.workbook.contract import NONE_TEXT, Layout, origin_row
from pipeline.workspace import Unit, Workspace, WorkspaceError


@dataclass(frozen=True)
class RollupResult:
    path: Path
    annexes: dict[str, int]  # annex id -> rows written
    units: int  # units whose accepted figures are in it
    expected: int = 0  # units in the commune's list
    missing: tuple[tuple[str, str], ...] = ()  # (code, name) of units with no accepted file: figures provisional
    note: str = ""  # the file was written beside one open in Excel


def _records(ws: Workspace, spec: AnnexSpec, counted: dict[str, Submission]) -> list[tuple[str, dict]]:
    """(origin, record) of every accepted record of one annex, in unit-list order."""
    return [(f"{unit.code} — {unit.name} ({sub.file.rel}, {where})", dict(zip(spec.keys, values, strict=True)))
            for unit, sub, _, _, values, where in accepted_records(ws, spec, counted)]


def _combine(spec: AnnexSpec, records: list[dict]) -> dict:
    """One record from many: numbers summed, a category its most frequent value, text joined."""
    out: dict = {}
    for col in spec.columns:
        values = [r.get(col.key) for r in records if r.get(col.key) is not None]
        if not values:
            continue
        if col.numeric:
            out[col.key] = float(sum(values))
        elif col.type == "category":
            out[col.key] = Counter(values).most_common(1)[0][0]
        elif col.type == "text":
            out[col.key] = "; ".join(dict.fromkeys(str(v) for v in values))[:1000]
    return out


def rows_for(ws: Workspace, spec: AnnexSpec, counted: dict[str, Submission]) -> tuple[list[dict], list[str]]:
    """The rows to write for one annex, and the origin of each."""
    items = _records(ws, spec, counted)
    if not items:
        return [], []
    if spec.layout == "form":
        return [_combine(spec, [r for _, r in items])], ["; ".join(o for o, _ in items)]
    if spec.row_key:
        rows, origins = [], []
        for key in spec.preset_rows:
            group = [(o, r) for o, r in items if r.get(spec.row_key) == key]
            merged = _combine(spec, [r for _, r in group]) if group else {}
            merged[spec.row_key] = key
            rows.append(merged)
            origins.append("; ".join(o for o, r in group if _filled(r, spec)))
        return rows, origins
    if len(items) > spec.n_rows:
        raise WorkspaceError(say("rollup_too_many_rows", annex=spec.id, rows=len(items), limit=spec.n_rows))
    return [r for _, r in items], [o for o, _ in items]


def _filled(record: dict, spec: AnnexSpec) -> bool:
    return any(record.get(c.key) not in (None, 0, 0.0) for c in spec.input_columns)


def rollup(ws: Workspace, parent: Workspace, unit_code: str, out_dir: Path | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> RollupResult:
    """Write this workspace's accepted, aggregated figures as `unit_code`'s filled template of `parent`."""
    unit = parent.unit_by_code.get(unit_code)
    if unit is None:
        raise WorkspaceError(say("rollup_unknown_unit", code=unit_code, parent=quoted(parent.root),
                                 known=", ".join(parent.unit_by_code)))
    with holding(ws):  # the roll-up's temporary files are safe from another run's clean-up
        return _rollup(ws, parent, unit, collect(ws, write_outputs=False, progress=progress, held=True), out_dir,
                       progress)


def _rollup(ws: Workspace, parent: Workspace, unit: Unit, result: CollectResult, out_dir: Path | None,
            progress: Callable[[str, int, int], None] | None) -> RollupResult:
    unit_code = unit.code
    if progress:
        progress("rollup", 0, 1)
    out_dir = out_dir or ws.outbox / "rollup"
    out_dir.mkdir(parents=True, exist_ok=True)
    template = out_dir / f".{unit_code}.template.xlsx"
    write_template(parent, unit, template)
    data, origins, written = {}, {}, {}
    for annex_id in unit.annexes:
        spec = parent.specs.annexes[annex_id]
        local = ws.specs.annexes.get(annex_id)
        if local is None:
            continue
        rows, where = rows_for(ws, local, result.counted)
        data[annex_id] = [{k: _cell(v) for k, v in r.items() if k in spec.by_key} for r in rows]
        if spec.layout == "form" and data[annex_id]:
            data[annex_id] = data[annex_id][0]
        elif not data[annex_id]:  # nothing in this annex across the commune: say so, as a unit would
            data[annex_id] = [{next(k for k in spec.keys if k != spec.row_key): NONE_TEXT}]
        origins[annex_id] = where
        written[annex_id] = len(rows)
    target = out_dir / f"{parent.round.round_id}_{unit_code}.xlsx"
    tmp = out_dir / f".{target.stem}.tmp.xlsx"
    try:
        fill(template, tmp, data, _origin_rows(parent, origins))
    finally:
        template.unlink(missing_ok=True)
    placed = place(tmp, target)
    missing = tuple((u.code, u.name) for u in ws.units if u.code not in result.counted)
    note = sentence("file_open", name=target.name, new=placed.name) if placed != target else ""
    return RollupResult(placed, written, len(result.counted), len(ws.units), missing, note)


def _cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _origin_rows(parent: Workspace, origins: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The `_meta` rows saying where each written row came from."""
    rows = []
    for annex_id, where in origins.items():
        lay = Layout(parent.specs.annexes[annex_id])
        rows += [origin_row(annex_id, lay.first_row + i, origin) for i, origin in enumerate(where) if origin]
    return rows
