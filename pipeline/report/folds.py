"""Which rows of a feedback workbook's table sheets print: the rows in use (records and marked cells, at least a
page) are shown, the empty rows beyond hidden in a group, so the signature block prints right after them."""

from __future__ import annotations

import re

from pipeline.models import Decision
from pipeline.report.annotate import Folds, Mark
from pipeline.workbook.contract import Layout

_ROW = re.compile(r"(\d+)$")


def folds_in_use(d: Decision, marks: dict[tuple[str, str], Mark]) -> Folds:
    """Per table sheet: its rows up to the last one in use (a record or a marked cell), at least a page, are
    shown; the empty rows beyond are hidden, so the signature block prints right after the rows in use."""
    folds: Folds = {}
    for data in (d.submission.annexes.values() if d.submission else ()):
        lay = Layout(data.spec)
        marked = [int(m[1]) for (name, ref) in marks if name == data.sheet and (m := _ROW.search(ref))]
        hidden = lay.rows_to_hide(max([*data.rows, *marked], default=0))
        if not lay.form and hidden:
            folds[data.sheet] = (range(lay.first_row, hidden.start), hidden)
    return folds


def fold_rows(sheet, shown: range, hidden: range) -> None:
    """`folds_in_use` through openpyxl (rows holding a typed value are never hidden: then nothing is)."""
    typed = (c for r in hidden for c in sheet[r] if c.value is not None and c.data_type != "f")
    if any(c.column > 1 or c.data_type != "n" for c in typed):  # (a number in column A is the row's own)
        return
    for r in shown:
        sheet.row_dimensions[r].hidden, sheet.row_dimensions[r].outline_level = False, 0
    for r in hidden:
        sheet.row_dimensions[r].hidden, sheet.row_dimensions[r].outline_level = True, 1
    sheet.sheet_format.outlineLevelRow = 1
