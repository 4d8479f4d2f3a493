"""Stage 3: validate every submission of one annex together, with a pandera schema compiled from the spec.

Column checks (required, bounds, categories) and the spec's cross-field rules all run in one lazy
`validate` call per annex over a frame indexed by (submission, Excel row); each failure becomes one Issue
naming the file, sheet and every cell involved.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from pipeline.issues import Issue, issue
from pipeline.models import AnnexData, Submission
from pipeline.spec import expr as ex
from pipeline.spec.annex import AnnexSpec, Column, Rule
from pipeline.spec.evaluate import evaluate, excel_view, sides
from pipeline.spec.expr import EXCEL_EPOCH
from pipeline.vntext import fmt_number, fold

SUB, ROW = "sub", "row"


@dataclass
class AnnexFrame:
    """All records of one annex: typed values, the (sub, row) index, and unreadable cells."""

    spec: AnnexSpec
    frame: pd.DataFrame
    bad: pd.DataFrame  # True where the cell's value could not be read (rules skip those rows)


def build_frame(spec: AnnexSpec, items: list[tuple[int, AnnexData]]) -> AnnexFrame:
    tuples, records, bad = [], [], []
    no_bad = [False] * len(spec.keys)  # shared by the (many) records without unreadable cells
    for sub_id, data in items:
        for row, values in zip(data.rows, data.values, strict=True):
            tuples.append((sub_id, row))
            records.append(values)
            bad.append([(row, k) in data.bad for k in spec.keys] if data.bad else no_bad)
    index = pd.MultiIndex.from_tuples(tuples, names=[SUB, ROW]) if tuples else pd.MultiIndex.from_arrays(
        [[], []], names=[SUB, ROW])
    frame = pd.DataFrame.from_records(records, columns=list(spec.keys)) if records else pd.DataFrame(
        columns=list(spec.keys))
    frame.index = index  # after construction: passing index= would re-align and shift data
    for col in spec.columns:
        frame[col.key] = _typed(frame[col.key], col)
    bad_frame = pd.DataFrame.from_records(bad, columns=list(spec.keys)) if bad else pd.DataFrame(
        columns=list(spec.keys), dtype=bool)
    bad_frame.index = index
    return AnnexFrame(spec, frame, bad_frame.astype(bool))


def _typed(series: pd.Series, col: Column) -> pd.Series:
    if col.numeric:
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if col.type == "date":
        return pd.to_datetime(series, errors="coerce")
    return series.astype(object).where(series.notna(), None)


class Context:
    """Getters for rule evaluation over one annex frame (and form annexes of the same submissions)."""

    def __init__(self, af: AnnexFrame, others: dict[str, AnnexFrame], constants: dict[str, object]) -> None:
        self.af, self.others, self.constants = af, others, constants

    def raw(self, ref: ex.Ref) -> pd.Series:
        if isinstance(ref, tuple):
            return self._foreign(ref, lambda other: other.frame[ref[1]], None)
        return self.af.frame[ref]

    def _foreign(self, ref: tuple[str, str], column, missing) -> pd.Series:
        """A form annex's field (or a Series derived from it) for each record, by submission; `missing`
        where the submission has no record of that annex."""
        other = self.others.get(ref[0])
        index = self.af.frame.index
        if other is None or other.frame.empty:
            return pd.Series([missing] * len(index), index=index, dtype=object)
        by_sub = column(other).droplevel(ROW)
        by_sub = by_sub[~by_sub.index.duplicated()]
        subs = index.get_level_values(SUB)
        values = subs.map(by_sub)
        return pd.Series(values.where(subs.isin(by_sub.index), missing), index=index)

    def unusable(self, ref: ex.Ref) -> pd.Series:
        """True where a rule cannot be judged for this reference: its cell could not be read, or (another
        annex's field) the submission does not have that annex (the template leaves such a rule out)."""
        if isinstance(ref, tuple):
            return self._foreign(ref, lambda other: other.bad[ref[1]], True).astype(bool)
        return self.af.bad[ref]

    def get(self, ref: ex.Ref) -> pd.Series:
        annex, key = ref if isinstance(ref, tuple) else (self.af.spec.id, ref)
        spec = self.others[annex].spec if isinstance(ref, tuple) else self.af.spec
        return excel_view(self.raw(ref), spec.by_key[key])

    def passes(self, rule: Rule) -> pd.Series:
        """True where the rule holds, is not applicable, or involves a cell that could not be read."""
        ok = evaluate(rule.expr, self.get, self.raw, self.constants)
        if rule.when is not None:
            ok = ok | ~evaluate(rule.when, self.get, self.raw, self.constants)
        skip = pd.Series(False, index=self.af.frame.index)
        for ref in rule.refs:
            skip |= self.unusable(ref)
        return (ok | skip).astype(bool)


def compile_schema(spec: AnnexSpec, ctx: Context) -> tuple[pa.DataFrameSchema, dict[str, list[str]]]:
    """The pandera schema of an annex, and for each column the issue code of each of its checks."""
    columns, codes = {}, {}
    for col in spec.columns:
        checks, col_codes = [], []
        if col.numeric and col.min is not None:
            checks.append(pa.Check.ge(col.min))
            col_codes.append("below_min")
        if col.numeric and col.max is not None:
            checks.append(pa.Check.le(col.max))
            col_codes.append("above_max")
        if col.type == "category":
            checks.append(pa.Check.isin(list(col.categories)))
            col_codes.append("not_in_list")
        columns[col.key] = pa.Column(None, checks, nullable=not col.required, coerce=False)
        codes[col.key] = col_codes
    rules = [pa.Check(lambda _df, r=rule: ctx.passes(r), name=rule.id) for rule in spec.rules]
    return pa.DataFrameSchema(columns, checks=rules, name=spec.id), codes


def validate_annex(af: AnnexFrame, subs: dict[int, Submission], others: dict[str, AnnexFrame],
                   constants: dict[str, object]) -> None:
    """Validate all submissions of one annex at once; append the issues to each submission."""
    if af.frame.empty:
        return
    ctx = Context(af, others, constants)
    schema, codes = compile_schema(af.spec, ctx)
    try:
        schema.validate(af.frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        _report(err.failure_cases, af, subs, codes, ctx)


def _report(cases: pd.DataFrame, af: AnnexFrame, subs: dict[int, Submission], codes: dict[str, list[str]],
            ctx: Context) -> None:
    spec = af.spec
    rules = {r.id: r for r in spec.rules}
    seen: set[tuple[str, str, object]] = set()
    computed: dict[str, tuple | None] = {}
    for case in cases.itertuples(index=False):
        tag = (case.check, "" if case.check in rules else str(case.column), str(case.index))
        if case.index is None or tag in seen:
            continue
        seen.add(tag)
        sub_id, row = _index(case.index)
        sub = subs[sub_id]
        data = sub.annexes[spec.id]
        if case.check in rules:
            rule = rules[case.check]
            if rule.reason_in_note and _explained(rule, data):
                continue  # the reason the warning asks for is written beside the values
            if rule.id not in computed:  # both sides over the whole annex, once per rule
                computed[rule.id] = sides(rule.expr, ctx.get, ctx.raw, ctx.constants)
            sub.issues.append(_rule_issue(rule, sub_id, sub, data, row, ctx, computed[rule.id]))
            continue
        key = case.column
        if data.bad and (row, key) in data.bad:
            continue  # already reported as unreadable
        col = spec.by_key[key]
        where = data.cell_of(key, row)
        if case.check == "not_nullable":
            code = "required_text" if col.type in ("text", "category", "date") else "required"
            sub.issues.append(issue(code, file=sub.file.rel, sheet=data.sheet, cell=where, label=col.label))
            continue
        code = codes[key][int(case.check_number)]
        bound = col.min if code == "below_min" else col.max
        sub.issues.append(issue(code, file=sub.file.rel, sheet=data.sheet, cell=where,
                                value=_show(case.failure_case), label=col.label,
                                bound=fmt_number(bound) if bound is not None else "",
                                expected="; ".join(col.categories)))


def _explained(rule: Rule, data: AnnexData) -> bool:
    """A form's note typed beside any value the rule names (the "Ghi chú" its message points to)."""
    return any(isinstance(ref, str) and data.notes.get(ref, "").strip() for ref in rule.refs)


def _index(value: object) -> tuple[int, int]:
    """pandera reports a MultiIndex label as a tuple, or as its text "(0, 13)" when the levels are named."""
    if isinstance(value, str):
        value = ast.literal_eval(value)
    sub_id, row = value  # type: ignore[misc]
    return int(sub_id), int(row)


def _rule_issue(rule: Rule, sub_id: int, sub: Submission, data: AnnexData, row: int, ctx: Context,
                sides: tuple | None) -> Issue:
    cells = []
    for ref in rule.refs:
        if isinstance(ref, tuple):
            other = sub.annexes.get(ref[0])
            if other is not None:
                cells.append(f"{other.sheet}!{other.cell_of(ref[1], other.rows[0])}")
        else:
            cells.append(data.cell_of(ref, row))
    detail = "điều kiện chưa thỏa mãn"
    if sides is not None:
        left, right, op, left_name, right_name = sides
        dates = {k for k, v in ctx.constants.items() if isinstance(v, dt.date)}
        dates |= {c.key for c in data.spec.columns if c.type == "date"}
        detail = (f"{_value_at(left, sub_id, row, left_name in dates)} {op} "
                  f"{_value_at(right, sub_id, row, right_name in dates)}")
    code = "rule" if rule.severity == "error" else "rule_warning"
    return issue(code, file=sub.file.rel, sheet=data.sheet, cell=cells[0] if cells else "",
                 rule=rule.id, message=rule.message, detail=detail, cells=", ".join(cells))


def _value_at(value: object, sub_id: int, row: int, is_date: bool = False) -> str:
    if isinstance(value, pd.Series):
        value = value.loc[(sub_id, row)]
    if is_date and isinstance(value, int | float):
        return "(trống)" if value == 0 else (EXCEL_EPOCH + pd.Timedelta(days=float(value))).strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "đúng" if value else "sai"
    if isinstance(value, int | float):
        return fmt_number(float(value))
    return f"\"{value}\""


def _show(value: object) -> str:
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def unique_across_units(spec: AnnexSpec, frames: AnnexFrame, subs: dict[int, Submission]) -> list[tuple[str, Issue]]:
    """Warnings (unit code, issue) where one normalised value (e.g. an address) is reported by two units."""
    found: list[tuple[str, Issue]] = []
    if frames.frame.empty:
        return found
    for uq in spec.unique:
        values = frames.frame[list(uq.columns)].dropna()
        if values.empty:
            continue
        keys = values.astype(str).map(fold).agg(" | ".join, axis=1)
        repeated = keys[keys.duplicated(keep=False)]  # only values seen twice or more can be a conflict
        owners: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for (sub_id, row), key in repeated.items():
            owners[key].append((sub_id, row))
        for places in owners.values():
            units = {subs[s].unit.code for s, _ in places if subs[s].unit}
            if len(units) < 2:
                continue
            for sub_id, row in places:
                sub, data = subs[sub_id], subs[sub_id].annexes[spec.id]
                others = sorted(f"{subs[s].unit.code} ({subs[s].file.rel})" for s, _ in places
                                if subs[s].unit and subs[s].unit.code != sub.unit.code)
                found.append((sub.unit.code, issue(
                    "duplicate_across_units", file=sub.file.rel, sheet=data.sheet,
                    cell=data.cell_of(uq.columns[0], row), value=frames.frame.loc[(sub_id, row), uq.columns[0]],
                    message=uq.message, detail=", ".join(others), rule=uq.id)))
    return found
