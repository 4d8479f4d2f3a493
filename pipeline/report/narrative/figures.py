"""The figures of the report in words, computed from accepted annex data: for the commune from all accepted
submissions, for one unit from its own.

Every figure comes from the one aggregation the summary uses (`report.aggregate.aggregate_annex`) and is
worded by the one function the summary's key sentences use (`report.sentences.figure_value`), so the draft,
the summary workbook and `collect --json` cannot disagree.

For the inbox reader (a returned report compared with the accepted annex)::

    from pipeline.report.narrative.figures import unit_figures
    from pipeline.report.narrative.outline import load_outline

    outline = load_outline(ws.root, ws.specs)
    figures = unit_figures(ws, outline, "VPDU", result.counted["VPDU"])
    figures["pl1_sum_tong_hien_co"]  # Figure(id=..., text="27", number=27.0, annex="PL1", provisional=False)

The keys are figure ids (`workbook.draft.FIGURE_ID`); the draft's bookmark for a figure is
`workbook.draft.figure_bookmark(id, n)`. `Figure.text` is exactly the text inside the bookmark;
`Figure.number` the value behind it (a rate as a ratio 0..1, None for a text of several values).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from pipeline.messages import sentence
from pipeline.models import Submission
from pipeline.report.aggregate import ACCEPTED_STATES, AnnexAgg, RateValue, aggregate_annex, khoi_order
from pipeline.report.narrative.outline import FIELD, FIGURE, KHOI, Block, Outline, Section, figure_id
from pipeline.report.sentences import figure_value, rate_text
from pipeline.spec.evaluate import evaluate_on
from pipeline.spec.sentences import PLACEHOLDER
from pipeline.vntext import fmt_number, sort_key
from pipeline.workspace import Unit, Workspace


@dataclass(frozen=True)
class Figure:
    id: str  # the figure id, e.g. "pl1_sum_tong_hien_co" (its bookmark: workbook.draft.figure_bookmark)
    text: str  # exactly the text the draft shows for it
    number: float | None  # the value (a rate as a ratio 0..1); None when the text holds several values
    annex: str  # the annex it comes from
    provisional: bool = False  # computed while some units expected for that annex have none accepted


Piece = str | Figure


@dataclass
class Para:
    pieces: list[Piece]
    style: str = "body"  # "body", "write" (a place for the unit to write), "item" (a listed line), "note"


@dataclass
class Scope:
    """The units a draft speaks for, and their accepted data."""

    ws: Workspace  # its units: those of the scope only
    counted: dict[str, Submission]
    completeness: list[dict] | None = None
    unit: Unit | None = None  # the unit of a unit's draft
    aggs: dict[str, AnnexAgg | None] = field(default_factory=dict)

    def agg(self, annex: str) -> AnnexAgg | None:
        """The annex rolled up over the scope; None when no unit of the scope files it."""
        if annex not in self.aggs:
            spec = self.ws.specs.annexes[annex]
            expected = any(annex in u.annexes for u in self.ws.units)
            self.aggs[annex] = aggregate_annex(self.ws, spec, self.counted, self.completeness) if expected else None
        return self.aggs[annex]

    def narrowed(self, units: list[Unit]) -> Scope:
        codes = {u.code for u in units}
        comp = None if self.completeness is None else [c for c in self.completeness if c["unit"] in codes]
        return Scope(dataclasses.replace(self.ws, units=units), {c: s for c, s in self.counted.items() if c in codes},
                     comp, self.unit)


@dataclass
class Draft:
    scope: Scope
    sections: list[tuple[Section, list[Para]]]
    figures: dict[str, Figure]
    missing: list[Unit]  # units with an annex expected and none accepted (commune draft)


def commune_scope(ws: Workspace, counted: dict[str, Submission], completeness: list[dict]) -> Scope:
    return Scope(ws, counted, completeness)


def unit_scope(ws: Workspace, unit_code: str, accepted: Submission, completeness: list[dict] | None = None) -> Scope:
    unit = ws.unit_by_code[unit_code]
    comp = None if completeness is None else [c for c in completeness if c["unit"] == unit_code]
    return Scope(dataclasses.replace(ws, units=[unit]), {unit_code: accepted}, comp, unit)


def commune_figures(ws: Workspace, outline: Outline, counted: dict[str, Submission],
                    completeness: list[dict]) -> dict[str, Figure]:
    """Every figure of the commune's draft, by figure id."""
    return build_draft(commune_scope(ws, counted, completeness), outline).figures


def unit_figures(ws: Workspace, outline: Outline, unit_code: str, accepted: Submission,
                 completeness: list[dict] | None = None) -> dict[str, Figure]:
    """Every figure of one unit's draft, from its own accepted submission, by figure id."""
    return build_draft(unit_scope(ws, unit_code, accepted, completeness), outline).figures


def build_draft(scope: Scope, outline: Outline) -> Draft:
    """The outline filled for a scope: its sections with their paragraphs, and the figures they hold."""
    sections = [(section, _no_repeated_notes([p for block in section.body for p in _block(scope, block)]))
                for section in outline.sections]
    figures = {piece.id: piece for _, paras in sections for para in paras for piece in para.pieces
               if isinstance(piece, Figure)}
    return Draft(scope, sections, figures, missing_units(scope))


def _no_repeated_notes(paras: list[Para]) -> list[Para]:
    """A provisional note said once per section."""
    seen: set[str] = set()
    out = []
    for para in paras:
        if para.style == "note":
            if para.pieces[0] in seen:
                continue
            seen.add(str(para.pieces[0]))
        out.append(para)
    return out


def missing_units(scope: Scope) -> list[Unit]:
    if scope.completeness is None:
        return [u for u in scope.ws.units if u.code not in scope.counted]
    short = {c["unit"] for c in scope.completeness if c["state"] not in ACCEPTED_STATES}
    return [u for u in scope.ws.units if u.code in short]


def annex_name(agg: AnnexAgg) -> str:
    return agg.spec.heading.capitalize()


def _block(scope: Scope, block: Block) -> list[Para]:
    text = block.text_for(scope.unit is not None)
    if block.kind == "write":
        return [Para([block.text or ""], "write")]
    if block.kind == "sentences":
        return _sentences(scope, block) if block.only in ("", "unit" if scope.unit else "commune") else []
    if text is None:
        return []
    if block.kind == "text":
        return _paragraph(scope, text)
    if block.kind == "rows":
        return _rows(scope, block, text)
    return _each_khoi(scope, text) if not block.annex else _each_group(scope, block, text)


def _paragraph(scope: Scope, text: str, suffix: str = "", style: str = "body",
               value: Callable[[str, str, str | None, AnnexAgg], tuple[str, float | None]] | None = None,
               fields: dict[str, str] | None = None) -> list[Para]:
    """A text with figures: left out when no unit of the scope files its annexes, a sentence saying so when none
    has been accepted, a provisional note behind it when some are missing."""
    annexes = list(dict.fromkeys(a for a, _, _ in FIGURE.findall(text)))
    aggs = {a: scope.agg(a) for a in annexes}
    if any(agg is None for agg in aggs.values()):
        return []
    empty = [agg for agg in aggs.values() if agg is not None and not agg.reporting_units]
    if empty:
        return [Para([sentence("draft_no_data", annex=annex_name(empty[0]))], style)]
    pieces = fill(text, lambda a, kind, key: _figure(a, kind, key, aggs[a], suffix, value), fields or {})
    return [Para(pieces, style), *_provisional(scope, [agg for agg in aggs.values() if agg is not None])]


def fill(text: str, figure: Callable[[str, str, str | None], Figure], fields: dict[str, str]) -> list[Piece]:
    """A text's placeholders replaced: figures by Figure pieces, {name} fields by their text."""
    pieces: list[Piece] = []
    at = 0
    for m in FIGURE.finditer(text):
        pieces.append(FIELD.sub(lambda f: fields.get(f[1], f[0]), text[at:m.start()]))
        pieces.append(figure(m[1], m[2], m[3] or None))
        at = m.end()
    pieces.append(FIELD.sub(lambda f: fields.get(f[1], f[0]), text[at:]))
    return [p for p in pieces if p != ""]


def _figure(annex: str, kind: str, key: str | None, agg: AnnexAgg, suffix: str,
            value: Callable[[str, str, str | None, AnnexAgg], tuple[str, float | None]] | None) -> Figure:
    text, number = value(annex, kind, key, agg) if value else figure_value(kind, key, agg)
    return Figure(figure_id(annex, kind, key, suffix), text, number, annex, agg.provisional)


def _provisional(scope: Scope, aggs: list[AnnexAgg]) -> list[Para]:
    notes = []
    for agg in aggs:
        if agg.provisional:
            names = [scope.ws.unit_by_code[c].name for c in agg.expected_units if c not in set(agg.reporting_units)]
            notes.append(Para([sentence("draft_provisional", annex=annex_name(agg), names=", ".join(names))], "note"))
    return notes


def _sentences(scope: Scope, block: Block) -> list[Para]:
    agg = scope.agg(block.annex)
    if agg is None:
        return []
    texts = [t for i, t in enumerate(agg.spec.sentences, start=1) if not block.pick or i in block.pick]
    out: list[Para] = []
    for text in texts:  # the spec's own placeholders, qualified by its annex: the same figures, bound
        out += _paragraph(scope, PLACEHOLDER.sub(lambda m: f"{{{block.annex}.{m[1]}{':' + m[2] if m[2] else ''}}}",
                                                 text))
    return out


def _each_khoi(scope: Scope, text: str) -> list[Para]:
    if scope.unit is not None:
        return []
    out: list[Para] = []
    for n, khoi in enumerate(khoi_order(scope.ws), start=1):
        part = scope.narrowed([u for u in scope.ws.units if u.khoi == khoi])
        out += [p for p in _paragraph(part, text, f"_k{n}", "item", fields={KHOI: khoi})  # khối with figures only
                if p.style == "item" and any(isinstance(x, Figure) for x in p.pieces)]
    return out


def groups(agg: AnnexAgg, column: str) -> list[str]:
    """The groups of a column in a fixed order: preset rows, categories, or the values in Vietnamese order."""
    if column == agg.spec.row_key and agg.spec.preset_rows:
        return list(agg.spec.preset_rows)
    categories = agg.spec.by_key[column].categories
    if categories:
        return list(categories)
    return sorted({str(v) for v in agg.rows[column].dropna()}, key=sort_key)


def _each_group(scope: Scope, block: Block, text: str) -> list[Para]:
    agg = scope.agg(block.annex)
    if agg is None or not agg.reporting_units:
        return []
    out: list[Para] = []
    for n, group in enumerate(groups(agg, block.column), start=1):
        rows = agg.rows[agg.rows[block.column].astype(str) == group]
        if rows.empty or (block.filled and not float(rows[block.filled].sum())):
            continue
        value = _group_value(rows, block.column, group)
        out += [p for p in _paragraph(scope, text, f"_g{n}", "item", value, {"group": group}) if p.style == "item"]
    return out


def _group_value(rows: pd.DataFrame, column: str, group: str) -> Callable:
    def value(annex: str, kind: str, key: str | None, agg: AnnexAgg) -> tuple[str, float | None]:
        if kind == "sum":
            total = float(rows[key].sum())
            return fmt_number(total), total
        if kind in ("rate", "num", "den"):
            rv = next(r for r in agg.rates if r.rate.key == key)
            num, den = rv.group_parts.get(group, (0.0, 0.0))
            ratio = (num / den if den else None) if rv.rate.kind != "difference" else num - den
            if kind == "rate":
                return rate_text(RateValue(rv.rate, ratio, num, den)), ratio
            return fmt_number(num if kind == "num" else den), (num if kind == "num" else den)
        if kind in ("count", "units"):
            count = float(len(rows) if kind == "count" else rows["unit"].nunique())
            return fmt_number(count), count
        return figure_value(kind, key, agg)
    return value


def _rows(scope: Scope, block: Block, text: str) -> list[Para]:
    agg = scope.agg(block.annex)
    if agg is None:
        return []
    if not agg.reporting_units:
        return [Para([sentence("draft_no_data", annex=annex_name(agg))])]
    frame = agg.rows
    constants = scope.ws.round.constants
    if block.when is not None and not frame.empty:
        frame = frame[evaluate_on(frame, agg.spec, block.when, constants).astype(bool)]
    first = (evaluate_on(frame, agg.spec, block.first, constants).astype(bool) if block.first is not None
             and not frame.empty else pd.Series(False, index=frame.index))
    ordered = sorted(frame.index, key=lambda i: (not first[i], _order_key(frame.at[i, block.order])
                                                 if block.order else 0))
    items = [Para([(block.first_note if first[i] else "") + _row_text(text, frame.loc[i], scope, block.annex)], "item")
             for i in ordered]
    return (items or [Para([block.empty])]) + _provisional(scope, [agg])


def _order_key(value: object) -> tuple:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return (1, "")
    if isinstance(value, pd.Timestamp | float | int):
        return (0, value.isoformat() if isinstance(value, pd.Timestamp) else f"{float(value):020.4f}")
    return (0, sort_key(str(value)))


def _row_text(text: str, row: pd.Series, scope: Scope, block_annex: str) -> str:
    def shown(m: object) -> str:
        name = m[1]  # type: ignore[index]
        if name in ("unit_name", "unit", "khoi"):
            return str(row[name])
        return show(row[name], scope.ws.specs.annexes[block_annex].by_key[name].min)
    return FIELD.sub(shown, text)


def show(value: object, least: float | None = None) -> str:
    """A cell's value as the draft writes it: numbers Vietnamese style, dates dd/mm/yyyy."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == "":
        return sentence("draft_blank")
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float | int):
        if least is not None and least >= 1000 and float(value).is_integer():  # a year: 2025, not 2.025
            return str(int(value))
        return fmt_number(float(value))
    return str(value)


def all_figures(draft: Draft) -> Iterator[Figure]:
    for _, paras in draft.sections:
        for para in paras:
            yield from (p for p in para.pieces if isinstance(p, Figure))
