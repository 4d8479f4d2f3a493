"""One summary sheet per annex: consolidated rows with sources, totals by khối and for the commune,
rates with their formulas, Biểu 06 totals by lĩnh vực, pivots, lists, and a chart of the rates."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from pipeline.report.aggregate import AnnexAgg, RateValue
from pipeline.report.csvfile import write_csv
from pipeline.spec.annex import Column
from pipeline.vntext import fmt_number
from pipeline.workbook.styles import Styles, print_setup, text_height
from pipeline.workspace import Workspace

ID_HEADS = [("STT", 5), ("Mã đơn vị", 10), ("Tên đơn vị", 26), ("Khối", 14)]
DETAIL_LIMIT = 5_000  # rows of an annex sheet's detail table; beyond that they go to a CSV file


def detail_csv(agg: AnnexAgg, heads: list[tuple[str, float]], outdir: Path, round_id: str) -> Path:
    """The detail rows of one annex as CSV (see csvfile: BOM, dd/mm/yyyy, text never a formula)."""
    spec = agg.spec
    keys = ["unit", "unit_name", "khoi", *spec.keys, *(d.key for d in spec.derived), "source"]
    path = outdir / f"ChiTiet_{spec.sheet}_{round_id}.csv"
    write_csv(path, agg.rows[keys], [h for h, _ in heads[1:]])
    return path


def write_value(sheet, r: int, c: int, value: object, col: Column | None, st: Styles, style: str = "") -> None:
    """Numbers as numbers, dates as dates, everything else as text (never a formula or a link)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(r, c, None, st[style or "cell"])
    elif isinstance(value, pd.Timestamp):
        sheet.write_datetime(r, c, value.to_pydatetime(), st["date"])
    elif isinstance(value, bool):
        sheet.write_string(r, c, "Có" if value else "Không", st[style or "cell"])
    elif isinstance(value, int | float):
        fmt = style or ("dec" if col is not None and col.type == "decimal" else "int")
        sheet.write_number(r, c, float(value), st[fmt])
    else:
        sheet.write_string(r, c, str(value), st[style or "cell"])


def write_annex_sheet(wb, sheet, st: Styles, ws: Workspace, agg: AnnexAgg, outdir: Path) -> None:
    """What a leader reads comes first and is what prints: totals (per lĩnh vực for Biểu 06, otherwise
    indicators down the page by khối), the rates with how each is computed, pivots, lists, charts. The
    row-by-row detail of every unit follows below, for the screen (outside the print area)."""
    spec = agg.spec
    heads = ID_HEADS + [(c.full_label, c.width or 12) for c in spec.columns] + [(d.label, 12) for d in spec.derived] + \
        [("Nguồn (tệp, trang!dòng)", 30)]
    sheet.merge_range(0, 0, 0, 8, "", st["title"])
    sheet.write_string(0, 0, f"{spec.heading}: {spec.title}", st["title"])
    sheet.set_row(0, max(40, text_height(f"{spec.heading}: {spec.title}", 110, 14)))
    status = (f"Số liệu tạm tính: mới có {len(agg.reporting_units)}/{len(agg.expected_units)} đơn vị có biểu được "
              "tiếp nhận." if agg.provisional else f"Đủ {len(agg.expected_units)}/{len(agg.expected_units)} đơn vị.")
    sheet.write_string(1, 0, f"{ws.round.commune} — đơn vị tính: {spec.unit}. {status}", st["italic"])
    for c, (_, w) in enumerate(heads):  # the printed blocks set the widths; the screen-only detail wraps in them
        sheet.set_column(c, c, w if c < 3 else 13)
    charts: list[tuple] = []
    width = 8
    if agg.by_row_key is not None:
        r, chart = _by_row_key(sheet, st, agg, 3)
        charts.append(chart)
        width = max(width, 2 + BLOCK_COLUMNS)
    else:
        r = _khoi_table(sheet, st, agg, 3)
        width = max(width, 3 + len(agg.by_khoi.index))
    r = _rates(sheet, st, agg, r + 1)
    if agg.by_row_key is None and any(rv.by_group and rv.rate.kind == "ratio" for rv in agg.rates):
        r, chart = _rates_by_group(sheet, st, agg, r + 1)
        charts.append(chart)
    for label, table in agg.pivots:
        r = _pivot(sheet, st, label, table, r + 1)
        width = max(width, 3 + min(table.shape))
    for label, frame, keys in agg.lists:
        r = _list(sheet, st, agg, label, frame, keys, r + 1)
        width = max(width, 2 + min(len(keys), BLOCK_COLUMNS))
    for chart in charts:
        r = _chart(wb, sheet, *chart, r + 1)
    print_setup(sheet, width, title=f"{spec.heading}: {spec.title}", last_row=r, scale=PRINT_SCALE, label_cols=3)
    _consolidated(sheet, st, agg, heads, r + 3, (outdir, ws.round.round_id))


PRINT_SCALE = 75  # 12 pt type prints at 9 pt; wider tables go on in page-wide column groups


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
    last = len(heads) - 1
    sheet.write_string(top - 1, 0, "SỐ LIỆU CHI TIẾT CỦA TỪNG ĐƠN VỊ (để xem và lọc trên máy tính; không in)",
                       st["bold"])
    for c, (h, _) in enumerate(heads):
        sheet.write_string(top, c, h, st["head"])
    sheet.set_row(top, 60)
    r = top
    if len(agg.rows) > DETAIL_LIMIT:  # a city-sized roll-up: the rows go to a CSV file, the totals stay here
        path = detail_csv(agg, heads, *csv_to)
        sheet.write_string(r + 1, 0, f"{fmt_number(len(agg.rows))} dòng chi tiết: xem tệp {path.name} cùng thư "
                                     "mục (mở bằng Excel).", st["bold"])
        return _totals(sheet, st, agg, r + 2, cols, derived)
    number_fmt = {c.key: st["dec" if c.type == "decimal" else "int"] for c in cols if c.numeric}
    grey, text = st["locked_grey"], st["cell"]
    for n, rec in enumerate(agg.rows.to_dict("records"), start=1):  # dicts: far faster than iterrows
        r += 1
        sheet.write_number(r, 0, n, st["label_center"])
        for c, key in enumerate(("unit", "unit_name", "khoi"), start=1):
            sheet.write_string(r, c, str(rec[key]), text)
        for c, col in enumerate(cols, start=len(ID_HEADS)):
            value = rec[col.key]
            if col.key in number_fmt and isinstance(value, float) and value == value:
                sheet.write_number(r, c, value, number_fmt[col.key])
            else:
                write_value(sheet, r, c, value, col, st)
        for c, d in enumerate(derived, start=len(ID_HEADS) + len(cols)):
            value = rec[d.key]
            if value == value:
                sheet.write_number(r, c, value, grey)
            else:
                sheet.write_blank(r, c, None, grey)
        sheet.write_string(r, last, str(rec["source"]), text)
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


def _rates(sheet, st: Styles, agg: AnnexAgg, r: int) -> int:
    """Each rate for the commune and per khối, with how it is computed (in words) and its sums under its name."""
    if not agg.rates:
        return r
    khois = list(agg.by_khoi.index)
    heads = ["Chỉ tiêu và cách tính", "Toàn xã", *[f"Khối {k}" for k in khois]]
    sheet.write_string(r, 0, "CÁC CHỈ TIÊU TÍNH TOÁN (tỷ lệ = tổng tử số / tổng mẫu số của các đơn vị)", st["bold"])
    r += 1
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, heads[0], st["head"])
    for c, h in enumerate(heads[1:], start=3):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, 36)
    for rv in agg.rates:
        r += 1
        num, den = (fmt_number(round(x, 1)) for x in (rv.numerator, rv.denominator))
        text = f"{rv.rate.label}\nCách tính: {formula_text(agg, rv)} = {num} / {den}"
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, text, st["label"])
        sheet.set_row(r, text_height(text, 41))
        _rate_cell(sheet, st, r, 3, rv, rv.value)
        for c, k in enumerate(khois, start=4):
            _rate_cell(sheet, st, r, c, rv, rv.by_khoi.get(k))
    return r + 1


def formula_text(agg: AnnexAgg, rv: RateValue) -> str:
    """How a rate is computed, in the words of the sheet: the spec's own wording, or its expressions with each
    column key replaced by the column's label (a reader never sees a key)."""
    if rv.rate.formula:
        return rv.rate.formula
    labels = {c.key: c.label for c in agg.spec.columns} | {d.key: d.label for d in agg.spec.derived}

    def words(source: str) -> str:
        return re.sub(r"[a-z][a-z0-9_]*", lambda m: labels.get(m[0], m[0]), source)

    return f"({words(rv.rate.numerator.source)}) / ({words(rv.rate.denominator.source)})"


def _rate_cell(sheet, st: Styles, r: int, c: int, rv: RateValue, value: float | None) -> None:
    if value is None:
        sheet.write_string(r, c, "—", st["cell"])
    elif rv.rate.kind == "difference":
        sheet.write_number(r, c, value, st["int"])
    else:
        sheet.write_number(r, c, value, st["pct"])


def _by_row_key(sheet, st: Styles, agg: AnnexAgg, r: int) -> tuple[int, tuple]:
    """Tables with preset rows (Biểu 06): sums per row key, then each row's rates, and a chart of the rates.
    The columns go in blocks one A4 width wide, stacked down the page, the row labels repeated in each: a
    28-column table reads on paper without page-wide column groups."""
    spec = agg.spec
    rates = [rv for rv in agg.rates if rv.rate.kind == "ratio"]
    sheet.write_string(r, 0, f"TỔNG HỢP THEO {spec.by_key[spec.row_key].label.upper()} (toàn xã)", st["bold"])
    labels = {c.key: c.full_label for c in spec.columns} | {d.key: d.label for d in spec.derived}
    sums = [(labels[k], k) for k in agg.numeric]
    blocks = [sums[i:i + BLOCK_COLUMNS] for i in range(0, len(sums), BLOCK_COLUMNS)]
    blocks += [rates[i:i + BLOCK_COLUMNS] for i in range(0, len(rates), BLOCK_COLUMNS)]
    chart: tuple = ("", 0, -1, 0, [])
    for block in blocks:
        r, first, last = _row_key_block(sheet, st, agg, block, r + 1)
        if block and isinstance(block[0], RateValue) and not chart[4]:
            title = f"Các tỷ lệ theo {spec.by_key[spec.row_key].label.lower()}"
            chart = (title, first, last, 0, [(rv.rate.label, 3 + i) for i, rv in enumerate(block[:2])])
    return r + 1, chart


BLOCK_COLUMNS = 7  # figures beside the row labels in one A4 width at the print scale


def _row_key_block(sheet, st: Styles, agg: AnnexAgg, block: list, r: int) -> tuple[int, int, int]:
    """One block of columns (sums, or rates) per row key with a total row; returns the next row and the
    block's first and last data rows."""
    spec = agg.spec
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, spec.by_key[spec.row_key].label, st["head"])
    heads = [item.rate.label if isinstance(item, RateValue) else item[0] for item in block]
    for c, h in enumerate(heads, start=3):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, max(36.0, *(text_height(h, 13, 12) for h in heads)))
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
    first = r + 1
    for group in rates[0].by_group:
        r += 1
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, group, st["label"])
        for c, rv in enumerate(rates, start=3):
            _rate_cell(sheet, st, r, c, rv, rv.by_group.get(group))
    return r + 1, ("Tiến độ theo " + agg.spec.by_key[group_col].label.lower(), first, r, 0,
                   [(rv.rate.label, 3 + i) for i, rv in enumerate(rates)])


def _chart(wb, sheet, title: str, first: int, last: int, cat_col: int, series: list[tuple[str, int]],
           at_row: int) -> int:
    """A bar chart of rates (0–100 %) per category, below everything else; returns the next free row."""
    if last < first or not series:
        return at_row
    chart = wb.add_chart({"type": "bar"})
    for name, col in series:
        chart.add_series({"name": name, "categories": [sheet.name, first, cat_col, last, cat_col],
                          "values": [sheet.name, first, col, last, col]})
    chart.set_title({"name": title, "name_font": {"name": "Times New Roman", "size": 12}})
    font = {"name": "Times New Roman", "size": 12}
    chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1, "num_font": font})
    chart.set_y_axis({"reverse": True, "num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    height = 1.0 + 0.06 * (last - first + 1)
    sheet.insert_chart(at_row, 0, chart, {"x_scale": 2.0, "y_scale": height})
    return at_row + int(15 * height) + 2


def _pivot(sheet, st: Styles, label: str, table: pd.DataFrame, r: int) -> int:
    """A cross table, turned so that the longer list of categories runs down the page."""
    if len(table.columns) > len(table.index):
        table = table.T
    sheet.write_string(r, 0, label.upper(), st["bold"])
    r += 1
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, "", st["head"])
    for c, name in enumerate(table.columns, start=3):
        sheet.write_string(r, c, str(name), st["head"])
    sheet.write_string(r, 3 + len(table.columns), "Cộng", st["head"])
    sheet.set_row(r, max([text_height(str(name), 11) for name in table.columns] + [16]))
    for key, values in table.iterrows():
        r += 1
        sheet.merge_range(r, 0, r, 2, "", st["label"])
        sheet.write_string(r, 0, str(key), st["label"])
        sheet.set_row(r, text_height(str(key), 41))
        for c, v in enumerate(values, start=3):
            sheet.write_number(r, c, float(v), st["int"])
        sheet.write_number(r, 3 + len(table.columns), float(values.sum()), st["total"])
    return r + 1


def _list(sheet, st: Styles, agg: AnnexAgg, label: str, frame: pd.DataFrame, keys: tuple[str, ...], r: int) -> int:
    """One row per listed record: the unit and where the row is in its file, then the columns the spec names,
    within one A4 width (columns beyond it are written, with their labels, into the last one)."""
    sheet.write_string(r, 0, f"{label.upper()} ({len(frame)})", st["bold"])
    r += 1
    shown, folded = keys[:BLOCK_COLUMNS - 1], keys[BLOCK_COLUMNS - 1:]
    labels = {k: agg.spec.by_key[k].label for k in keys}
    heads = [*(labels[k] for k in shown), "; ".join(labels[k] for k in folded)] if folded else list(shown)
    sheet.merge_range(r, 0, r, 2, "", st["head"])
    sheet.write_string(r, 0, "Đơn vị (tệp, trang!dòng)", st["head"])
    for c, h in enumerate(heads, start=3):
        sheet.write_string(r, c, h, st["head"])
    sheet.set_row(r, max(text_height(h, 13) for h in heads))
    for _, rec in frame.iterrows():
        r += 1
        unit = f"{rec['unit']} — {rec['unit_name']}\n({rec['source']})"
        rest = "\n".join(f"{labels[k]}: {_listed(rec[k])}" for k in folded if _listed(rec[k]))
        texts = [str(rec[k]) for k in shown if isinstance(rec[k], str)] + [rest]
        sheet.set_row(r, max([text_height(t, 13) for t in texts] + [text_height(unit, 41), 16]))
        sheet.merge_range(r, 0, r, 2, "", st["cell"])
        sheet.write_string(r, 0, unit, st["cell"])
        for c, key in enumerate(shown, start=3):
            write_value(sheet, r, c, rec[key], agg.spec.by_key[key], st)
        if folded:
            sheet.write_string(r, 3 + len(shown), rest, st["cell"])
    return r + 1


def _listed(value: object) -> str:
    """A value as the list shows it inside text: dates as dd/mm/yyyy, blanks as nothing."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return fmt_number(value) if isinstance(value, int | float) else str(value)
