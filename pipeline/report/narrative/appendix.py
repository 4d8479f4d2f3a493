"""The appendices of the Word draft ("Phụ lục 1 … 4"): the consolidated tables, with the figures of the summary
workbook (the same `AnnexAgg`), laid out for print: a form annex as indicators down the page with a column per
khối and the commune's total, a table annex row by row with its totals, Biểu 06 by lĩnh vực; landscape pages
for the wide tables.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pandas as pd
from docx.document import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from pipeline.messages import sentence
from pipeline.report.aggregate import AnnexAgg, RateValue
from pipeline.report.narrative.document import line, new_section, nobreak
from pipeline.report.narrative.figures import Scope, show
from pipeline.report.narrative.outline import Appendix
from pipeline.report.sentences import provisional_note, rate_text
from pipeline.report.summary_annex import computed, formula_text, pooled_rates
from pipeline.vntext import fmt_number, fold

TABLE_PT = 9
WIDE_PT = 8  # the smallest type a reader is asked to read on paper
WIDE_COLUMNS = 11  # value columns of one table at WIDE_PT across a landscape page; more go on in a second table
TOTAL = "TOÀN XÃ"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def appendices(doc: Document, scope: Scope, items: tuple[Appendix, ...], reference: str) -> None:
    for item in items:
        aggs = [a for a in (scope.agg(annex) for annex in item.annexes) if a is not None]
        if not aggs:
            continue
        new_section(doc, landscape=any(a.spec.layout == "table" for a in aggs))
        if len(aggs) > 1 or fold(aggs[0].spec.heading) != fold(item.heading):
            line(doc, item.heading.upper(), 14, bold=True)
        line(doc, reference, 13, italic=True, space_after=6)
        for agg in aggs:
            annex(doc, scope, agg)


def annex(doc: Document, scope: Scope, agg: AnnexAgg) -> None:
    spec = agg.spec
    line(doc, spec.heading, 13, bold=True)
    line(doc, spec.title, 13, bold=True, space_after=3)
    where = scope.unit.name if scope.unit else scope.ws.round.commune
    status = f" {provisional_note(agg)}" if agg.provisional else ""
    line(doc, f"{where}. Đơn vị tính: {spec.unit}.{status}", 12, italic=True, space_after=6)
    if not agg.reporting_units:
        line(doc, sentence("draft_no_data", annex=spec.heading.capitalize()), 12, italic=True, space_after=12)
        return
    if spec.layout == "form":
        _form(doc, scope, agg)
    elif agg.by_row_key is not None:
        _by_row_key(doc, agg)
    else:
        _rows(doc, scope, agg)
    if agg.rates and not (agg.by_row_key is not None):
        _rates(doc, scope, agg)
    line(doc, "", space_after=6)


def _columns(scope: Scope, agg: AnnexAgg) -> list[str]:
    return [] if scope.unit else [str(k) for k in agg.by_khoi.index]


def _labels(agg: AnnexAgg) -> dict[str, str]:
    return {c.key: c.full_label for c in agg.spec.columns} | {d.key: d.label for d in agg.spec.derived}


def _form(doc: Document, scope: Scope, agg: AnnexAgg) -> None:
    """Indicators down the page: STT | Chỉ tiêu | Đơn vị tính | Khối … | Toàn xã (a unit: its own value)."""
    khois = _columns(scope, agg)
    last = "Số liệu" if scope.unit else TOTAL.capitalize()
    heads = ["STT", "Chỉ tiêu", "Đơn vị tính", *(f"Khối {k}" for k in khois), last]
    rows = []
    for n, key in enumerate(agg.numeric, start=1):
        col = agg.spec.by_key.get(key)
        values = [fmt_number(float(agg.by_khoi.loc[k, key])) for k in khois]
        unit = (col.unit if col else "") or ("" if ";" in agg.spec.unit else agg.spec.unit)
        rows.append([str(n), _labels(agg)[key], unit, *values,
                     fmt_number(float(agg.total.get(key, 0.0)))])
    _table(doc, heads, rows, TABLE_PT, label_cols=(1,), widths=_widths(len(heads), 6, 2.2))


def _rates(doc: Document, scope: Scope, agg: AnnexAgg) -> None:
    """Each rate with how it is computed and its sums, for the commune (or the unit) and per khối."""
    khois = _columns(scope, agg)
    heads = ["Chỉ tiêu và cách tính", "Số liệu" if scope.unit else TOTAL.capitalize(), *(f"Khối {k}" for k in khois)]
    rows = []
    for rv in pooled_rates(agg):
        text = f"{rv.rate.label}. Cách tính: {formula_text(agg, rv)} = {computed(rv)}"
        by = [_rate(rv, rv.by_khoi.get(k)) for k in khois]
        rows.append([text, rate_text(rv), *by])
    for rv in (rv for rv in agg.rates if rv.rate.by):  # each group in its own unit: no commune or khối figure
        for group, (num, den) in rv.group_parts.items():
            rows.append([f"{rv.rate.label}: {group}. Cách tính: {formula_text(agg, rv)} = {computed(rv, (num, den))}",
                         _rate(rv, rv.by_group.get(group)), *("" for _ in khois)])
    _table(doc, heads, rows, TABLE_PT, label_cols=(0,), widths=[8.0, *([2.4] * (len(heads) - 1))])


def _rate(rv: RateValue, value: float | None) -> str:
    return rate_text(RateValue(rv.rate, value, 0.0, 0.0))


def _by_row_key(doc: Document, agg: AnnexAgg) -> None:
    """Biểu 06: one row per lĩnh vực with its sums, then its rates per lĩnh vực."""
    spec = agg.spec
    labels = _labels(agg)
    heads = ["STT", spec.by_key[spec.row_key].label, *(labels[k] for k in agg.numeric)]
    table = agg.by_row_key if agg.by_row_key is not None else pd.DataFrame()
    rows = [[str(n), str(key), *(fmt_number(float(values[k])) for k in agg.numeric)]
            for n, (key, values) in enumerate(table.iterrows(), start=1)]
    rows.append(["", "TỔNG SỐ", *(fmt_number(float(agg.total[k])) for k in agg.numeric)])
    _split(doc, heads, rows, label_cols=(1,), total_rows=1, widths=[1.0, 3.0, 1.3])
    ratios = [rv for rv in agg.rates if rv.rate.kind == "ratio"]
    line(doc, "", space_after=4)
    heads = [spec.by_key[spec.row_key].label, *(rv.rate.label for rv in ratios)]
    rows = [[str(key), *(_rate(rv, rv.by_group.get(str(key))) for rv in ratios)] for key in table.index]
    rows.append(["TỔNG SỐ", *(rate_text(rv) for rv in ratios)])
    _table(doc, heads, rows, TABLE_PT, label_cols=(0,), total_rows=1, widths=[3.0, 1.5])


def _rows(doc: Document, scope: Scope, agg: AnnexAgg) -> None:
    """Every accepted row with its unit, then the totals by khối and for the commune."""
    spec = agg.spec
    keys = [c.key for c in spec.columns] + [d.key for d in spec.derived]
    labels = _labels(agg)
    heads = ["STT", "Đơn vị", *(labels[k] for k in keys)]
    rows = []
    for n, rec in enumerate(agg.rows.to_dict("records"), start=1):
        rows.append([str(n), str(rec["unit_name"]),
                     *(show(rec[k], spec.by_key[k].min if k in spec.by_key else None) if not _blank(rec[k]) else ""
                       for k in keys)])
    blocks = [] if scope.unit else [(f"Cộng khối {k}", agg.by_khoi.loc[k]) for k in agg.by_khoi.index]
    blocks.append(("Cộng" if scope.unit else TOTAL, agg.total))
    for label, values in blocks:
        rows.append(["", label, *(fmt_number(float(values.get(k, 0.0))) if k in agg.numeric else "" for k in keys)])
    weights = [6.5, 16.0, *(max(spec.by_key[k].width or 12.0, 12.0) if k in spec.by_key else 12.0 for k in keys)]
    _split(doc, heads, rows, label_cols=(1,), total_rows=len(blocks), widths=weights)


def _blank(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value == ""


def _widths(n: int, label: float, other: float) -> list[float]:
    return [1.0, label, *([other] * (n - 2))]


def _split(doc: Document, heads: list[str], rows: list[list[str]], label_cols: tuple[int, ...], total_rows: int,
           widths: list[float]) -> None:
    """A wide table at WIDE_PT in as few tables of at most WIDE_COLUMNS value columns as it needs, of even widths,
    the first two columns (STT and the row's label) repeated in each."""
    weights = [widths[min(c, len(widths) - 1)] for c in range(len(heads))]
    values = len(heads) - 2
    count = -(-values // WIDE_COLUMNS)
    size = -(-values // max(count, 1))
    for n, start in enumerate(range(2, len(heads), max(size, 1))):
        keep = [0, 1, *range(start, min(start + size, len(heads)))]
        if n:
            line(doc, "(tiếp theo)", 12, italic=True, space_after=3)
        _table(doc, [heads[c] for c in keep], [[row[c] for c in keep] for row in rows], WIDE_PT, label_cols,
               total_rows, [weights[c] for c in keep])


def _table(doc: Document, heads: list[str], rows: list[list[str]], size: float, label_cols: tuple[int, ...] = (),
           total_rows: int = 0, widths: list[float] | None = None) -> None:
    """A bordered table across the text width; `widths` are relative (all columns alike when not given). The
    header row repeats on every page the table runs over; widths are fixed both in the grid (LibreOffice reads
    it) and in the cells (Word does).

    Written as one piece of WordprocessingML and parsed once: building it cell by cell through python-docx's
    objects cost a tenth of a second per draft, which a thousand units' drafts multiply."""
    section = doc.sections[-1]
    room = section.page_width - section.left_margin - section.right_margin
    weights = [widths[min(c, len(widths) - 1)] for c in range(len(heads))] if widths else [1.0] * len(heads)
    twips = [int(room * w / sum(weights)) // 635 for w in weights]
    sz = round(size * 2)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
           '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" '
           'w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
           f"<w:tblGrid>{grid}</w:tblGrid>"]
    for n, values in enumerate([heads, *rows]):
        head, total = n == 0, n > len(rows) - total_rows
        out.append('<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>' if head else "<w:tr>")
        bold = "<w:b/>" if head or total else ""
        for c, text in enumerate(values):
            align = "left" if c in label_cols and not head else "center"
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips[c]}"/></w:tcPr><w:p><w:pPr>'
                       f'<w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="{align}"/></w:pPr>'
                       f'<w:r><w:rPr>{bold}<w:sz w:val="{sz}"/></w:rPr><w:t xml:space="preserve">{_xml(text)}'
                       "</w:t></w:r></w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    doc.element.body._insert_tbl(parse_xml("".join(out)))


def _xml(text: str) -> str:
    """Text for a w:t element: XML-escaped, without the control characters XML 1.0 cannot hold, a "%" kept on its
    number's line."""
    return escape(_CONTROL.sub("", nobreak(text)))
