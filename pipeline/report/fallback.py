"""The openpyxl path of a feedback workbook (when the XML patcher declines a file): the report sheets added and the
cells marked as the patcher would."""

from __future__ import annotations

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from pipeline.report.annotate import Mark, NewSheet, row_height
from pipeline.workbook.contract import col_letter


def add_sheet(wb: openpyxl.Workbook, spec: NewSheet, index: int) -> None:
    sheet = wb.create_sheet(spec.name, index)
    for r, values in enumerate(spec.rows, start=1):
        for c, value in enumerate(values, start=1):
            target = sheet.cell(r, c)
            put(target, value)
            target.font = Font(name="Times New Roman", bold=r in spec.bold)
            target.alignment = Alignment(wrap_text=c in spec.wrap or r in spec.bold, vertical="top")
            if (r, c) in spec.links and spec.links[(r, c)].split("!")[0].strip("'") in wb.sheetnames:
                # a place in this workbook (location), not a file to open (target): that would be an external link
                target.hyperlink = Hyperlink(ref=target.coordinate, location=spec.links[(r, c)])
                target.font = Font(name="Times New Roman", color="0563C1", underline="single")
    for c, width in enumerate(spec.widths, start=1):
        sheet.column_dimensions[col_letter(c)].width = width
    for ref in spec.merges:
        sheet.merge_cells(ref)
    for r, values in enumerate(spec.rows, start=1):
        sheet.row_dimensions[r].height = row_height(spec, values)
    if spec.freeze:
        sheet.freeze_panes = f"A{spec.freeze + 1}"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


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
