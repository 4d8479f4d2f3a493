"""The summary annex sheets' printed tables that stand on their own: a cross table, a list of records within one
A4 width, a bar chart of rates; and how a value is written (never a formula or a link)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from pipeline.report.aggregate import AnnexAgg
from pipeline.spec.annex import Column
from pipeline.vntext import fmt_number
from pipeline.workbook.bulk import Cell
from pipeline.workbook.styles import Styles, text_height

BLOCK_COLUMNS = 7  # figures beside the row labels in one A4 width at the print scale


def cell_value(value: object, col: Column | None, st: Styles, style: str = "") -> Cell:
    """A value as it goes into a cell, with its format: numbers as numbers, dates as dates, everything else as
    text (never a formula or a link); a missing value as a blank."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None, st[style or "cell"]
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime(), st["date"]
    if isinstance(value, bool):
        return "Có" if value else "Không", st[style or "cell"]
    if isinstance(value, int | float):
        return float(value), st[style or ("dec" if col is not None and col.type == "decimal" else "int")]
    return str(value), st[style or "cell"]


def write_value(sheet, r: int, c: int, value: object, col: Column | None, st: Styles, style: str = "") -> None:
    """One value into one cell (see cell_value)."""
    shown, fmt = cell_value(value, col, st, style)
    if shown is None:
        sheet.write_blank(r, c, None, fmt)
    elif isinstance(shown, dt.datetime):
        sheet.write_datetime(r, c, shown, fmt)
    elif isinstance(shown, float):
        sheet.write_number(r, c, shown, fmt)
    else:
        sheet.write_string(r, c, shown, fmt)


def rate_chart(wb, sheet, title: str, cat_col: int, series: list[tuple[str, int, int, int]], at_row: int,
           width: float) -> int:
    """A bar chart of rates (0–100 %) per category, below everything else, as wide as the printed tables (`width`
    points); returns the next free row."""
    if not series or series[0][2] < series[0][1]:
        return at_row
    chart = wb.add_chart({"type": "bar"})
    for name, first, last, col in series:
        chart.add_series({"name": name, "categories": [sheet.name, first, cat_col, last, cat_col],
                          "values": [sheet.name, first, col, last, col]})
    chart.set_title({"name": title, "name_font": {"name": "Times New Roman", "size": 12}})
    font = {"name": "Times New Roman", "size": 12}
    chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1, "num_font": font})
    chart.set_y_axis({"reverse": True, "num_font": font, "interval_unit": 1})  # every category named, none skipped
    chart.set_legend({"position": "bottom", "font": font})
    height = 0.6 + 0.07 * (series[0][2] - series[0][1] + 1)  # room for a 12 pt label per category
    sheet.insert_chart(at_row, 0, chart, {"x_scale": min(2.0, width / 480), "y_scale": height})
    return at_row + int(15 * height) + 2


def pivot(sheet, st: Styles, label: str, table: pd.DataFrame, r: int) -> int:
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


def listing(sheet, st: Styles, agg: AnnexAgg, label: str, frame: pd.DataFrame, keys: tuple[str, ...], r: int) -> int:
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
