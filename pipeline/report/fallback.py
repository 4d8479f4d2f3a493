"""The openpyxl path of a feedback workbook (when the XML patcher declines a file): the cells marked and the rows
folded as the patcher would, the workbook saved, then the report sheets put in front by the patcher itself
(`annotate.insert_sheets`), so a report sheet is rendered one way only."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from pipeline.report.annotate import Folds, Mark, NewSheet, insert_sheets
from pipeline.report.folds import fold_rows
from pipeline.workbook.contract import CHANGES_SHEET, REPORT_SHEET


def write(wb: openpyxl.Workbook, sheets: list[NewSheet], marks: dict[tuple[str, str], Mark], folds: Folds,
          dst: Path) -> None:
    """Write `dst`: `wb` with `marks` on (sheet, cell), rows folded, `sheets` first (the report sheets of a feedback
    file sent back are removed first)."""
    for name in (REPORT_SHEET, CHANGES_SHEET):
        if name in wb.sheetnames:
            del wb[name]
    for (name, ref), mark in marks.items():
        if name in wb.sheetnames:
            mark_cell(wb[name], ref, mark)
    for name, (shown, hidden) in folds.items():
        if name in wb.sheetnames:
            fold_rows(wb[name], shown, hidden)
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    marked = dst.with_name(f".{dst.name}.marked.xlsx")
    try:
        wb.save(marked)
        insert_sheets(marked, dst, sheets)
    finally:
        marked.unlink(missing_ok=True)


def put(target, value: object) -> None:
    """Set a cell; text is always text (openpyxl would turn "=…" into a live formula)."""
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"


def mark_cell(sheet, ref: str, mark: Mark) -> None:
    """Highlight and comment a cell (inside merged cells: the merged range's top-left cell)."""
    target = sheet[ref]
    if type(target).__name__ == "MergedCell":
        for rng in sheet.merged_cells.ranges:
            if rng.min_row <= target.row <= rng.max_row and rng.min_col <= target.column <= rng.max_col:
                target = sheet.cell(rng.min_row, rng.min_col)
                break
    target.fill = PatternFill("solid", fgColor=mark.rgb)
    text = "\n\n".join(mark.lines)
    if target.comment is not None and target.comment.author == "annex":  # two cells merged into this one
        text = target.comment.text + "\n\n" + text
    target.comment = Comment(text[:30000], "annex", width=360, height=160)
