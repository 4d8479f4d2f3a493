"""One summary sheet per annex: consolidated rows with sources, totals by khối and for the commune,
rates with their formulas, Biểu 06 totals by lĩnh vực, pivots, lists, and a chart of the rates."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.report.aggregate import AnnexAgg, RateValue
from pipeline.report.csvfile import write_csv
from pipeline.report.paging import keep_together, page_height
from pipeline.report.summary_tables import BLOCK_COLUMNS, cell_value, listing, pivot, rate_chart
from pipeline.spec.annex import AnnexSpec, Column
from pipeline.vntext import fmt_number
from pipeline.workbook.bulk import Cell, Row
from pipeline.workbook.styles import Styles, print_setup, text_height
from pipeline.workspace import Workspace

ID_HEADS = [("STT", 5), ("Mã đơn vị", 10), ("Tên đơn vị", 26), ("Khối", 14)]
DETAIL_LIMIT = 5_000  # rows of an annex sheet's detail table; beyond that they go to a CSV file


def detail_csv_path(spec: AnnexSpec, outdir: Path, round_id: str) -> Path:
    """Where an annex's detail rows go when there are more than its sheet shows (detail_in_csv)."""
    return outdir / f"ChiTiet_{spec.sheet}_{round_id}.csv"


def detail_in_csv(agg: AnnexAgg) -> bool:
    return len(agg.rows) > DETAIL_LIMIT


def detail_csv(agg: AnnexAgg, path: Path) -> Path:
    """The detail rows of one annex as CSV (see csvfile: BOM, dd/mm/yyyy, text never a formula), under the
    headings of the sheet's detail table."""
    spec = agg.spec
    keys = ["unit", "unit_name", "khoi", *spec.keys, *(d.key for d in spec.derived), "source"]
    return write_csv(path, agg.rows[keys], [h for h, _ in detail_heads(spec)[1:]])


def detail_heads(spec: AnnexSpec) -> list[tuple[str, float]]:
    """The detail table's headings and widths."""
    return ID_HEADS + [(c.full_label, c.width or 12) for c in spec.columns] + [(d.label, 12) for d in spec.derived] + \
        [("Nguồn (tệp, trang!dòng)", 30)]


def write_annex_sheet(wb, sheet, st: Styles, ws: Workspace, agg: AnnexAgg, outdir: Path) -> None:
    """What a leader reads comes first and is what prints: totals (per lĩnh vực for Biểu 06, otherwise
    indicators down the page by khối), the rates with how each is computed, pivots, lists, charts. The
    row-by-row detail of every unit follows below, for the screen (outside the print area)."""
    spec = agg.spec
    heads = detail_heads(spec)
    status = (f"Số liệu tạm tính: mới có {len(agg.reporting_units)}/{len(agg.expected_units)} đơn vị có biểu được "
              "tiếp nhận." if agg.provisional else f"Đủ {len(agg.expected_units)}/{len(agg.expected_units)} đơn vị.")
    sheet.write_string(1, 0, f"{ws.round.commune} — đơn vị tính: {spec.unit}. {status}", st["italic"])
    labels, value_width = _widths(agg)
    for c in range(len(heads)):  # the printed blocks set the widths; the screen-only detail wraps in them
        sheet.set_column(c, c, labels[c] if c < 3 else value_width)
    r, width, sections = _printed(wb, sheet, st, agg)
    title = f"{spec.heading}: {spec.title}"
    sheet.merge_range(0, 0, 0, width, "", st["title"])
    sheet.write_string(0, 0, title, st["title"])
    sheet.set_row(0, max(40, text_height(title, sum(labels) + value_width * (width - 2), 14)))
    portrait = _points(agg, width) * PRINT_SCALE / 100 <= PORTRAIT_WIDTH
    print_setup(sheet, width, title=title, last_row=r, scale=PRINT_SCALE, label_cols=3, portrait=portrait)
    keep_together(sheet, sections, page_height(PRINT_SCALE, portrait))
    _consolidated(sheet, st, agg, heads, r + 3, (outdir, ws.round.round_id))


def _printed(wb, sheet, st: Styles, agg: AnnexAgg) -> tuple[int, int, list[tuple[int, int]]]:
    """The printed part, from row 3: returns the row after it, its last column and its sections (a table with
    its heading, or a chart: first and last rows), which page breaks keep whole."""
    charts: list[tuple] = []
    sections: list[tuple[int, int]] = []
    width = 5
    if agg.by_row_key is not None:
        r, made = _by_row_key(sheet, st, agg, 3, sections)
        charts.append(made)
        width = max(width, 2 + ROW_KEY_COLUMNS)
    else:
        r = _khoi_table(sheet, st, agg, 3)
        sections.append((3, r - 1))
        width = max(width, 3 + len(agg.by_khoi.index))
    tables = [lambda r: _rates(sheet, st, agg, r, width)]
    if agg.by_row_key is None and any(rv.by_group and rv.rate.kind == "ratio" for rv in agg.rates):
        def by_group(r: int) -> int:
            r, made = _rates_by_group(sheet, st, agg, r)
            charts.append(made)
            return r
        tables.append(by_group)
    tables += [lambda r, label=label, table=table: pivot(sheet, st, label, table, r) for label, table in agg.pivots]
    tables += [lambda r, item=item: listing(sheet, st, agg, *item, r) for item in agg.lists]
    width = max([width] + [3 + min(table.shape) for _, table in agg.pivots] +
                [2 + min(len(keys), BLOCK_COLUMNS) for *_, keys in agg.lists])
    for write in tables:
        start, r = r + 1, write(r + 1)
        if r > start:
            sections.append((start, r - 1))
    for made in charts:
        start, r = r + 1, rate_chart(wb, sheet, *made, r + 1, _points(agg, width))
        sections.append((start, r - 1))
    return r, width, sections


def _widths(agg: AnnexAgg) -> tuple[tuple[float, float, float], float]:
    """The widths of the three label columns (merged in the printed tables) and of the value columns."""
    return ((5, 10, 16), ROW_KEY_WIDTH) if agg.by_row_key is not None else ((5, 10, 26), 13)


def _points(agg: AnnexAgg, width: int) -> float:
    """Points the columns up to `width` take at 100 %, as LibreOffice lays them out (7 per unit and 5)."""
    labels, value_width = _widths(agg)
    return sum(7 * w + 5 for w in (*labels, *(value_width,) * (width - 2)))


PRINT_SCALE = 75  # 12 pt type prints at 9 pt; wider tables go on in page-wide column groups
PORTRAIT_WIDTH = 595 - 2 * 0.4 * 72  # points of an A4 portrait page between the margins: narrow sheets print upright


def _khoi_table(sheet, st: Styles, agg: AnnexAgg, r: int) -> int:
    """The commune's totals with indicators down the page and one column per khối: reads on A4 however many
    columns the annex has."""
    spec = agg.spec
    khois = list(agg.by_khoi.index)
    sheet.write_string(r, 0, "TỔNG HỢP THEO KHỐI", st["bold"])
    r += 1
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, "Chỉ tiêu", st["head"])
    for c, h in enumerate([*(f"Khối {k}" for k in khois), "Toàn xã"], start=3):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, 36)
    labels = {c.key: c.full_label for c in spec.columns} | {d.key: d.label for d in spec.derived}
    for key in agg.numeric:
        r += 1
        col = spec.by_key.get(key)
        fmt = "dec" if col is not None and col.type == "decimal" else "int"
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, labels[key], st["label"])
        sheet.set_row(r, text_height(labels[key], 41))
        for c, k in enumerate(khois, start=3):
            sheet.write_number(r, c, float(agg.by_khoi.loc[k, key]), st[fmt])
        total = st["total_dec" if fmt == "dec" else "total"]
        sheet.write_number(r, 3 + len(khois), float(agg.total.get(key, 0.0)), total)
    return r + 1


def _consolidated(sheet, st: Styles, agg: AnnexAgg, heads: list[tuple[str, float]], top: int,
                  csv_to: tuple[Path, str]) -> int:
    """Every accepted row with its unit and source, then totals by khối and for the commune."""
    spec = agg.spec
    cols, derived = list(spec.columns), list(spec.derived)
    sheet.write_string(top - 1, 0, "SỐ LIỆU CHI TIẾT CỦA TỪNG ĐƠN VỊ (để xem và lọc trên máy tính; không in)",
                       st["bold"])
    for c, (h, _) in enumerate(heads):
        sheet.write_string(top, c, h, st["head"])
    sheet.set_row(top, 60)
    r = top
    if detail_in_csv(agg):  # a city-sized roll-up: the rows go to a CSV file (summary.write_csvs), the totals stay here
        path = detail_csv_path(spec, *csv_to)
        sheet.write_string(r + 1, 0, f"{fmt_number(len(agg.rows))} dòng chi tiết: xem tệp {path.name} cùng thư "
                                     "mục (mở bằng Excel).", st["bold"])
        return _totals(sheet, st, agg, r + 2, cols, derived)
    number_fmt = {c.key: st["dec" if c.type == "decimal" else "int"] for c in cols if c.numeric}
    grey, text, number = st["locked_grey"], st["cell"], st["label_center"]

    def row(n: int, rec: dict) -> Row:
        cells: list[Cell] = [(n, number), *((str(rec[key]), text) for key in ("unit", "unit_name", "khoi"))]
        for col in cols:
            value = rec[col.key]
            if col.key in number_fmt and isinstance(value, float) and value == value:
                cells.append((value, number_fmt[col.key]))
            else:
                cells.append(cell_value(value, col, st))
        cells += [(rec[d.key] if rec[d.key] == rec[d.key] else None, grey) for d in derived]
        cells.append((str(rec["source"]), text))
        return None, cells

    r = sheet.write_rows(top + 1, (row(n, rec) for n, rec in enumerate(agg.rows.to_dict("records"), start=1))) - 1
    return _totals(sheet, st, agg, r + 1, cols, derived)


def _totals(sheet, st: Styles, agg: AnnexAgg, r: int, cols: list[Column], derived: list) -> int:
    keys = [c.key for c in cols] + [d.key for d in derived]
    blocks = [(f"Cộng khối {k}", agg.by_khoi.loc[k]) for k in agg.by_khoi.index]
    blocks.append(("TOÀN XÃ", agg.total))
    for label, values in blocks:
        sheet.merge_range(r, 0, r, 3, "", st["total_label"])
        sheet.write_string(r, 0, label, st["total_label"])
        for c, key in enumerate(keys, start=len(ID_HEADS)):
            if key in agg.numeric:
                col = agg.spec.by_key.get(key)
                style = "total_dec" if col is not None and col.type == "decimal" else "total"
                sheet.write_number(r, c, float(values.get(key, 0.0)), st[style])
            else:
                sheet.write_blank(r, c, None, st["total"])
        sheet.write_blank(r, len(ID_HEADS) + len(keys), None, st["total"])
        r += 1
    return r


def _rates(sheet, st: Styles, agg: AnnexAgg, r: int, width: int) -> int:
    """Each rate for the commune and per khối, with how it is computed (in words) and its sums under its name;
    the words take the columns up to the last printed one (`width`) that the values leave free. A rate the spec
    computes `by` a column (PL4c: each database in its own unit) is shown only per value of that column (the table
    of rates by group): a commune figure would add up quantities in different units."""
    pooled = pooled_rates(agg)
    if not pooled:
        return r
    khois = list(agg.by_khoi.index)
    heads = ["Chỉ tiêu và cách tính", "Toàn xã", *[f"Khối {k}" for k in khois]]
    start = max(3, width + 2 - len(heads))  # the first value column
    labels, value_width = _widths(agg)
    label_width = sum(labels) + (start - 3) * value_width
    sheet.write_string(r, 0, "CÁC CHỈ TIÊU TÍNH TOÁN (tỷ lệ = tổng tử số / tổng mẫu số của các đơn vị; "
                       "thừa, thiếu = hiệu của hai tổng)", st["bold"])
    r += 1
    sheet.merge_range(r, 0, r, start - 1, "", st["head"])
    sheet.write_string(r, 0, heads[0], st["head"])
    for c, h in enumerate(heads[1:], start=start):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, max(36, *(text_height(h, value_width) for h in heads[1:])))
    for rv in pooled:
        r += 1
        text = f"{rv.rate.label}\nCách tính: {formula_text(agg, rv)} = {computed(rv)}"
        sheet.merge_range(r, 0, r, start - 1, "", st["label"])
        sheet.write_string(r, 0, text, st["label"])
        sheet.set_row(r, text_height(text, label_width))
        _rate_cell(sheet, st, r, start, rv, rv.value)
        for c, k in enumerate(khois, start=start + 1):
            _rate_cell(sheet, st, r, c, rv, rv.by_khoi.get(k))
    return r + 1


def pooled_rates(agg: AnnexAgg) -> list[RateValue]:
    """The rates that have a meaning for the commune as a whole: all but those the spec computes `by` a column."""
    return [rv for rv in agg.rates if not rv.rate.by]


def formula_text(agg: AnnexAgg, rv: RateValue) -> str:
    """How a rate is computed, in the words of the sheet: the spec's own wording, or its expressions with each
    column key replaced by the column's label (a reader never sees a key)."""
    if rv.rate.formula:
        return rv.rate.formula
    labels = {c.key: c.label for c in agg.spec.columns} | {d.key: d.label for d in agg.spec.derived}

    def words(source: str) -> str:
        return re.sub(r"[a-z][a-z0-9_]*", lambda m: labels.get(m[0], m[0]), source)

    sign = "−" if rv.rate.kind == "difference" else "/"
    return f"({words(rv.rate.numerator.source)}) {sign} ({words(rv.rate.denominator.source)})"


def computed(rv: RateValue, parts: tuple[float, float] | None = None) -> str:
    """The sums a rate is computed from (its commune sums, or `parts` of one group), as it combines them:
    "4.638 / 7.752", or "89 − 99" for a difference."""
    num, den = (fmt_number(round(x, 1)) for x in (parts or (rv.numerator, rv.denominator)))
    return f"{num} − {den}" if rv.rate.kind == "difference" else f"{num} / {den}"


def _rate_cell(sheet, st: Styles, r: int, c: int, rv: RateValue, value: float | None) -> None:
    if value is None:
        sheet.write_string(r, c, "—", st["cell"])
    elif rv.rate.kind == "difference":
        sheet.write_number(r, c, value, st["int"])
    else:
        sheet.write_number(r, c, value, st["pct"])


def _by_row_key(sheet, st: Styles, agg: AnnexAgg, r: int, sections: list[tuple[int, int]]) -> tuple[int, tuple]:
    """Tables with preset rows (Biểu 06): sums per row key, then each row's rates, and a chart of the rates.
    The columns go in blocks one A4 width wide, stacked down the page, the row labels repeated in each: a
    28-column table reads on paper without page-wide column groups."""
    spec = agg.spec
    rates = [rv for rv in agg.rates if rv.rate.kind == "ratio"]
    sheet.write_string(r, 0, f"TỔNG HỢP THEO {spec.by_key[spec.row_key].label.upper()} (toàn xã)", st["bold"])
    labels = {c.key: c.full_label for c in spec.columns} | {d.key: d.label for d in spec.derived}
    items: list = [(labels[k], k) for k in agg.numeric] + rates
    count = -(-len(items) // ROW_KEY_COLUMNS)  # as few blocks as fit, of even widths (no lone column)
    size = -(-len(items) // max(count, 1))
    series: list[tuple[str, int, int, int]] = []
    for i in range(0, len(items), size):
        block = items[i:i + size]
        start = r if i == 0 else r + 1  # the first block with the heading above it
        r, first, last = _row_key_block(sheet, st, agg, block, r + 1)
        sections.append((start, r - 1))
        series += [(rv.rate.label, first, last, 3 + c) for c, rv in enumerate(block) if isinstance(rv, RateValue)]
    title = f"Các tỷ lệ theo {spec.by_key[spec.row_key].label.lower()}"
    return r + 1, (title, 0, series[:2])


ROW_KEY_COLUMNS, ROW_KEY_WIDTH = 14, 7.4  # the same for tables by row key (Biểu 06): short labels, narrow columns


def _row_key_block(sheet, st: Styles, agg: AnnexAgg, block: list, r: int) -> tuple[int, int, int]:
    """One block of columns (sums, or rates) per row key with a total row; returns the next row and the
    block's first and last data rows."""
    spec = agg.spec
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, spec.by_key[spec.row_key].label, st["head"])
    heads = [item.rate.label if isinstance(item, RateValue) else item[0] for item in block]
    for c, h in enumerate(heads, start=3):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, max(36.0, *(text_height(h, ROW_KEY_WIDTH, 12) for h in heads)))
    first = r + 1
    for key, values in agg.by_row_key.iterrows():
        r += 1
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, str(key), st["label"])
        for c, item in enumerate(block, start=3):
            if isinstance(item, RateValue):
                _rate_cell(sheet, st, r, c, item, item.by_group.get(str(key)))
            else:
                sheet.write_number(r, c, float(values[item[1]]), st["int"])
    last = r
    r += 1
    sheet.merge_range(r, 0, r, 2, "", st["total_label"])
    sheet.write_string(r, 0, "TỔNG SỐ", st["total_label"])
    for c, item in enumerate(block, start=3):
        if isinstance(item, RateValue):
            _rate_cell(sheet, st, r, c, item, item.value)
        else:
            sheet.write_number(r, c, float(agg.total[item[1]]), st["total"])
    return r + 1, first, last


def _rates_by_group(sheet, st: Styles, agg: AnnexAgg, r: int) -> tuple[int, tuple]:
    rates = [rv for rv in agg.rates if rv.by_group and rv.rate.kind == "ratio"]
    group_col = rates[0].rate.by
    sheet.write_string(r, 0, f"TỶ LỆ THEO {agg.spec.by_key[group_col].label.upper()}", st["bold"])
    r += 1
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, agg.spec.by_key[group_col].label, st["head"])
    for c, rv in enumerate(rates, start=3):
        sheet.write_string(r, c, rv.rate.label, st["head"])
    sheet.set_row(r, max(text_height(rv.rate.label, 13) for rv in rates))
    first = r + 1
    for group in rates[0].by_group:
        r += 1
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, group, st["label"])
        for c, rv in enumerate(rates, start=3):
            _rate_cell(sheet, st, r, c, rv, rv.by_group.get(group))
    return r + 1, ("Tiến độ theo " + agg.spec.by_key[group_col].label.lower(), 0,
                   [(rv.rate.label, first, r, 3 + i) for i, rv in enumerate(rates)])


