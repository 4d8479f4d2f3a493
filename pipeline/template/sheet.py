"""Draw one annex sheet of a template: header block, titles, column headers, input grid, signature."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.spec.annex import AnnexSpec, Column
from pipeline.spec.excel import to_excel
from pipeline.template.checks import Plan, status_cached, status_formula
from pipeline.vntext import fmt_number
from pipeline.workbook.contract import (
    FIRST_DATA_ROW,
    FORM_COLUMNS,
    FORM_VALUE_COL,
    HEADER_ROW,
    NUMBER_ROW,
    SIGNATURE_HINTS,
    SIGNATURE_TITLES,
    STATUS_ROW,
    UNIT_ROW,
    Layout,
    cell,
)
from pipeline.workbook.styles import Styles
from pipeline.workspace import Unit, Workspace

INT_LIMIT = 2_000_000_000
_WIDE_SCALE = 75  # percent: 12 pt type prints at 9 pt, the 11 pt column numbers at 8.25 pt
_PAGE_UNITS = 106  # column-width units across A4 landscape between its margins at 100 % (measured in LibreOffice)
_FORM_ON_ONE_PAGE = 30  # a form of up to this many fields prints on one page, its signature block included
_INPUT_STYLE = {"int": "input_int", "decimal": "input_dec", "date": "input_date"}


def write_annex(wb, sheet, st: Styles, spec: AnnexSpec, ws: Workspace, unit: Unit,
                lists: dict[tuple[str, str], str], plan: Plan, all_checks: list) -> None:
    lay = Layout(spec)
    groups = _column_groups(lay)
    _header_block(sheet, st, spec, ws, unit, groups[0][1])
    if spec.layout == "form":
        _form(sheet, st, spec, lay, lists)
    else:
        _table(sheet, st, spec, lay, lists)
    _live_checks(sheet, st, spec, lay, plan, all_checks)
    _signature(sheet, st, lay, groups[-1])
    _page_setup(sheet, lay, groups)


def _live_checks(sheet, st: Styles, spec: AnnexSpec, lay: Layout, plan: Plan, all_checks: list) -> None:
    """The status line, the hidden helper columns of a table (cells of a form), and conditional formatting of
    bad cells."""
    split = max(2, _column_groups(lay)[0][1] // 2)
    sheet.merge_range(STATUS_ROW - 1, 0, STATUS_ROW - 1, split - 1, "", st["status"])
    sheet.write_formula(STATUS_ROW - 1, 0, status_formula(spec.sheet), st["status"], status_cached(all_checks, spec.id))
    for col, per_row, check_id in plan.helpers:
        sheet.write_string(NUMBER_ROW - 1, col - 1, check_id, st["colno"])
        cached = next((c.cached for c in plan.checks if c.helper_col == col), 0)
        sheet.write_formula_down(col - 1, range(lay.first_row - 1, lay.last_row), per_row, None,
                                 1 if cached and spec.preset_rows else 0)
        sheet.set_column(col - 1, col - 1, 4, None, {"hidden": True})
    for row, col, formula, check_id, cached in plan.cells:
        sheet.write_string(NUMBER_ROW - 1, col - 1, check_id, st["colno"])
        sheet.write_formula(row - 1, col - 1, "=" + formula, None, cached)
        sheet.set_column(col - 1, col - 1, 4, None, {"hidden": True})
    for rng, _r, _c, formula, severity in plan.formats:
        sheet.conditional_format(rng, {"type": "formula", "criteria": "=" + formula,
                                       "format": st["bad" if severity == "error" else "warn"]})


def _merge(sheet, row: int, c1: int, c2: int, text: str, fmt) -> None:
    """Write text across Excel columns c1..c2 (1-based) of Excel row `row`."""
    if c2 > c1:
        sheet.merge_range(row - 1, c1 - 1, row - 1, c2 - 1, "", fmt)
    sheet.write_string(row - 1, c1 - 1, text, fmt)


def _header_block(sheet, st: Styles, spec: AnnexSpec, ws: Workspace, unit: Unit, last_col: int) -> None:
    rnd = ws.round
    head = rnd.header_for(unit.khoi)
    split = max(2, last_col // 2)
    for i in range(2):
        left = head.left[i] if i < len(head.left) else ""
        right = head.right[i] if i < len(head.right) else ""
        style = "center_bold" if i == 0 or not left.islower() else "center"
        _merge(sheet, 1 + i, 1, split, left.replace("{UNIT}", unit.name.upper()), st[style])
        _merge(sheet, 1 + i, split + 1, last_col, right, st["center_bold"] if i == 0 else st["center_italic"])
    year = rnd.deadline.year
    _merge(sheet, 3, split + 1, last_col, f"{rnd.place}, ngày … tháng … năm {year}", st["center_italic"])
    _merge(sheet, 4, 1, last_col, spec.heading, st["center_bold"])
    _merge(sheet, 5, 1, last_col, spec.title, st["title"])
    sheet.set_row(4, 40)
    _merge(sheet, UNIT_ROW, 1, last_col, f"Đơn vị báo cáo: {unit.name} (mã {unit.code})", st["center_bold"])
    _merge(sheet, 7, 1, last_col, f"(Từ ngày {rnd.period_start:%d/%m/%Y} đến ngày {rnd.period_end:%d/%m/%Y})",
           st["center_italic"])
    _merge(sheet, 8, 1, split, spec.note, st["italic"])
    _merge(sheet, 8, split + 1, last_col, f"Đơn vị tính: {spec.unit}", st["right_italic"])


def _validation(spec: AnnexSpec, c: Column, lists: dict[tuple[str, str], str]) -> dict[str, Any] | None:
    title = c.label if len(c.label) <= 32 else c.label[:31] + "…"
    if c.type == "category":
        v: dict[str, Any] = {"validate": "list", "source": lists[(spec.id, c.key)],
                             "input_message": "Chọn một giá trị trong danh sách thả xuống.",
                             "error_message": "Giá trị không có trong danh sách. Hãy chọn từ danh sách thả xuống."}
    elif c.type in ("int", "decimal"):
        lo = c.min if c.min is not None else -INT_LIMIT
        hi = c.max if c.max is not None else INT_LIMIT
        kind = "số nguyên" if c.type == "int" else "số"
        v = {"validate": "integer" if c.type == "int" else "decimal", "criteria": "between",
             "minimum": lo, "maximum": hi,
             "input_message": f"Nhập {kind} từ {fmt_number(lo)} trở lên"
             + ("" if hi == INT_LIMIT else f", tối đa {fmt_number(hi)}")
             + (f" ({c.unit})." if c.unit else "."),
             "error_message": f"Ô này phải là {kind} từ {fmt_number(lo)}"
             + ("" if hi == INT_LIMIT else f" đến {fmt_number(hi)}") + "."}
    elif c.type == "date":
        v = {"validate": "date", "criteria": "between", "minimum": dt.date(1990, 1, 1),
             "maximum": dt.date(2100, 12, 31), "input_message": "Nhập ngày dạng ngày/tháng/năm, ví dụ 15/05/2026.",
             "error_message": "Ô này phải là ngày hợp lệ (ngày/tháng/năm)."}
    else:
        return None
    v.update({"input_title": title, "error_title": "Giá trị không hợp lệ", "error_type": "stop"})
    if c.help:
        v["input_message"] = c.help
    return v


def _add_validation(sheet, r1: int, c1: int, r2: int, c2: int, options: dict[str, Any] | None) -> None:
    if options is None:
        return
    if sheet.data_validation(r1 - 1, c1 - 1, r2 - 1, c2 - 1, options) != 0:
        raise ValueError(f"kiểm tra dữ liệu ở dòng {r1} bị XlsxWriter từ chối ({options.get('input_title', '')})")


def _form(sheet, st: Styles, spec: AnnexSpec, lay: Layout, lists) -> None:
    for c, (title, width) in enumerate(zip(FORM_COLUMNS, (6, 62, 14, 16, 26), strict=True), start=1):
        sheet.merge_range(HEADER_ROW - 1, c - 1, HEADER_ROW, c - 1, title, st["head"])
        sheet.write_string(NUMBER_ROW - 1, c - 1, f"({c})", st["colno"])
        sheet.set_column(c - 1, c - 1, width)
    for i, col in enumerate(spec.columns):
        row = FIRST_DATA_ROW + i
        sheet.write_number(row - 1, 0, i + 1, st["label_center"])
        sheet.write_string(row - 1, 1, col.label, st["label"])
        sheet.write_string(row - 1, 2, col.unit or ("" if col.type in ("text", "category") else spec.unit),
                           st["label_center"])
        sheet.write_blank(row - 1, FORM_VALUE_COL - 1, None, st[_INPUT_STYLE.get(col.type, "input")])
        sheet.write_blank(row - 1, FORM_VALUE_COL, None, st["input"])
        _add_validation(sheet, row, FORM_VALUE_COL, row, FORM_VALUE_COL, _validation(spec, col, lists))
        if col.type == "text":
            sheet.set_row(row - 1, 30)


def _table(sheet, st: Styles, spec: AnnexSpec, lay: Layout, lists) -> None:
    sheet.merge_range(HEADER_ROW - 1, 0, HEADER_ROW, 0, "STT", st["head"])
    sheet.write_string(NUMBER_ROW - 1, 0, "(1)", st["colno"])
    sheet.set_column(0, 0, 5)
    heads = [(c.key, c.label, c.group, c.width) for c in spec.columns]
    heads += [(d.key, d.label, "Cột tự tính", 12) for d in spec.derived]
    _headers(sheet, st, lay, heads)
    sheet.set_row(HEADER_ROW, 60)
    inputs = [(lay.col_of(col.key) - 1, st[_INPUT_STYLE.get(col.type, "input")]) for col in spec.columns
              if col.key != spec.row_key]
    for i in range(spec.n_rows):
        row = FIRST_DATA_ROW + i
        sheet.write_number(row - 1, 0, i + 1, st["label_center"])
        if spec.row_key:
            sheet.write_string(row - 1, lay.col_of(spec.row_key) - 1, spec.preset_rows[i], st["label"])
        for c, style in inputs:
            sheet.write_blank(row - 1, c, None, style)
        for d in spec.derived:
            formula = to_excel(d.expr, lambda k, r=row: cell(r, lay.col_of(k)), {})
            sheet.write_formula(row - 1, lay.col_of(d.key) - 1, f"={formula}", st["locked_grey"], 0)
    for col in spec.input_columns:
        c = lay.col_of(col.key)
        _add_validation(sheet, lay.first_row, c, lay.last_row, c, _validation(spec, col, lists))
    if spec.preset_rows:
        _totals_row(sheet, st, spec, lay)
    _group_empty_rows(sheet, lay)


def _group_empty_rows(sheet, lay: Layout) -> None:
    """Rows beyond the first page of empty rows, grouped and collapsed: they print only once shown."""
    hidden = lay.rows_to_hide()
    for row in hidden:
        sheet.set_row(row - 1, None, None, {"level": 1, "hidden": True})
    if hidden:
        sheet.set_row(lay.last_row, None, None, {"collapsed": True})


def _headers(sheet, st: Styles, lay: Layout, heads: list[tuple[str, str, str, float | None]]) -> None:
    """Two header rows: a group label merged over its columns, or one label over both rows."""
    i = 0
    while i < len(heads):
        key, label, group, _ = heads[i]
        c = lay.col_of(key)
        if not group:
            sheet.merge_range(HEADER_ROW - 1, c - 1, HEADER_ROW, c - 1, label, st["head"])
            i += 1
            continue
        j = i
        while j + 1 < len(heads) and heads[j + 1][2] == group:
            j += 1
        if j > i:
            sheet.merge_range(HEADER_ROW - 1, c - 1, HEADER_ROW - 1, c - 1 + (j - i), group, st["head"])
        else:
            sheet.write_string(HEADER_ROW - 1, c - 1, group, st["head"])
        for k in range(i, j + 1):
            sheet.write_string(HEADER_ROW, c - 1 + (k - i), heads[k][1], st["head"])
        i = j + 1
    for n, (key, _label, _group, width) in enumerate(heads, start=2):
        c = lay.col_of(key)
        sheet.write_string(NUMBER_ROW - 1, c - 1, f"({n})", st["colno"])
        sheet.set_column(c - 1, c - 1, width or 11)


def _totals_row(sheet, st: Styles, spec: AnnexSpec, lay: Layout) -> None:
    row = lay.last_row + 1
    sheet.write_string(row - 1, 0, "", st["total_label"])
    sheet.write_string(row - 1, 1, "Tổng cộng", st["total_label"])
    keys = [c.key for c in spec.columns if c.numeric] + [d.key for d in spec.derived]
    for key in keys:
        c = lay.col_of(key)
        rng = f"{cell(lay.first_row, c)}:{cell(lay.last_row, c)}"
        sheet.write_formula(row - 1, c - 1, f"=SUM({rng})", st["total"], 0)


def _signature(sheet, st: Styles, lay: Layout, group: tuple[int, int]) -> None:
    """Under the last printed column group (its page ends the annex on paper)."""
    row = lay.signature_row
    first = group[0]
    split = max(first + 1, (first + group[1]) // 2)
    for i, (title, hint) in enumerate(zip(SIGNATURE_TITLES, SIGNATURE_HINTS, strict=True)):
        c1, c2 = (first, split) if i == 0 else (split + 1, group[1])
        _merge(sheet, row, c1, c2, title, st["center_bold"])
        _merge(sheet, row + 1, c1, c2, hint, st["center_italic"])


def _column_groups(lay: Layout) -> list[tuple[int, int]]:
    """The printed pages across (first, last column, 1-based): one for a form or a table that fits one A4
    width at no less than the wide scale; else page-wide groups at that scale, each after the first also
    printing the repeated STT and first columns."""
    if lay.form:
        return [(1, lay.last_col)]
    widths = [5.0] + [c.width or 11 for c in lay.spec.columns] + [12.0] * len(lay.spec.derived)
    room = _PAGE_UNITS * 100 / _WIDE_SCALE
    if sum(widths) <= room:
        return [(1, lay.last_col)]
    groups, start, used = [], 1, 0.0
    for col, width in enumerate(widths, start=1):
        if used + width > room and col > start:
            groups.append((start, col - 1))
            start, used = col, widths[0] + widths[1]
        used += width
    return [*groups, (start, lay.last_col)]


def _page_setup(sheet, lay: Layout, groups: list[tuple[int, int]]) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.repeat_rows(HEADER_ROW - 1, NUMBER_ROW - 1)
    if len(groups) > 1:  # wide tables: page-wide column groups, STT and the first column repeated
        sheet.set_print_scale(_WIDE_SCALE)
        sheet.repeat_columns(0, 1)
        sheet.set_v_pagebreaks([first - 1 for first, _ in groups[1:]])
        title = f"{lay.spec.heading} — {lay.spec.title}".replace("&", "&&")
        sheet.set_header(f'&C&"Times New Roman,Bold"&12{title}')  # a title on the pages the header block is not
    else:
        sheet.fit_to_pages(1, 1 if lay.form and len(lay.spec.columns) <= _FORM_ON_ONE_PAGE else 0)
    sheet.print_area(0, 0, lay.signature_row + 5, lay.last_col - 1)
    sheet.set_footer("&C&\"Times New Roman\"Trang &P/&N")
    sheet.freeze_panes(FIRST_DATA_ROW - 1, 2 if lay.spec.layout == "table" else 0)
    sheet.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                       "select_unlocked_cells": True})
