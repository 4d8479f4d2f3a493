"""Fill a template through its self-description alone: `_meta` and the data names of the workbook contract.

Used by the demo, the roll-up and the tests; it knows nothing of the sheet layout, as any other tool would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from pipeline.workbook.contract import META_SHEET, TemplateMeta, data_name, parse_range
from pipeline.workbook.styles import text_height

Record = Mapping[str, Any]


def read_meta(wb: openpyxl.Workbook) -> TemplateMeta:
    sheet = wb[META_SHEET]
    return TemplateMeta.parse({str(k): "" if v is None else str(v)
                               for k, v in sheet.iter_rows(min_col=1, max_col=2, values_only=True) if k is not None})


def data_cells(wb: openpyxl.Workbook, annex_id: str) -> tuple[str, list[list[str]]]:
    """The sheet name and the grid of cell coordinates that the annex's data name covers (rows × columns)."""
    defined = wb.defined_names[data_name(annex_id)]
    (sheet, ref), = list(defined.destinations)
    r1, c1, r2, c2 = parse_range(ref)
    grid = [[f"{openpyxl.utils.get_column_letter(c)}{r}" for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
    return sheet, grid


def fill(template: Path, target: Path, data: Mapping[str, Record | Sequence[Record]]) -> Path:
    """Write `data` (annex id -> one record for a form, a list of records for a table) into a copy."""
    wb = openpyxl.load_workbook(template)
    meta = read_meta(wb)
    for annex_id, payload in data.items():
        am = meta.annexes[annex_id]
        sheet_name, grid = data_cells(wb, annex_id)
        sheet = wb[sheet_name]
        if am.layout == "form":
            record = payload if isinstance(payload, Mapping) else payload[0]
            for key, row in zip(am.columns, grid, strict=True):
                if key in record:
                    _put(sheet, row[0], record[key])
        else:
            rows = [payload] if isinstance(payload, Mapping) else list(payload)
            _fill_table(sheet, list(am.columns), grid, rows, am.row_key)
    wb.save(target)
    return target


def _put(sheet, coord: str, value: object) -> None:
    """Text stays text, as if typed with a leading apostrophe: "=1+1" is not a formula here."""
    sheet[coord] = value
    if isinstance(value, str):
        sheet[coord].data_type = "s"


def _show(sheet, coord: str) -> None:
    """A row written into is shown, as a person shows a hidden row before typing into it."""
    row = openpyxl.utils.cell.coordinate_from_string(coord)[1]
    if sheet.row_dimensions[row].hidden:
        sheet.row_dimensions[row].hidden = False


def _fill_table(sheet, keys: list[str], grid: list[list[str]], rows: list[Record], row_key: str) -> None:
    """Rows in order; or, where the table has preset locked row keys, each record on its key's row."""
    if row_key:
        col = keys.index(row_key)
        where = {sheet[row[col]].value: row for row in grid}
        placed = [(where[rec[row_key]], rec) for rec in rows]
    else:
        if len(rows) > len(grid):
            raise ValueError(f"{len(rows)} rows do not fit in {len(grid)}")
        placed = list(zip(grid, rows, strict=False))
    for row, record in placed:
        _show(sheet, row[0])
        for key, coord in zip(keys, row, strict=True):
            if key in record and key != row_key:
                _put(sheet, coord, record[key])
        _fit_height(sheet, row)


def _fit_height(sheet, row: list[str]) -> None:
    """A row as tall as its wrapped text, as Excel and LibreOffice make it when a person types into it."""
    need = 0.0
    for coord in row:
        c = sheet[coord]
        if isinstance(c.value, str) and c.alignment.wrap_text:
            width = _width(sheet, c.column)
            need = max(need, text_height(c.value, width, c.font.sz or 12))
    r = openpyxl.utils.cell.coordinate_from_string(row[0])[1]
    if need > (sheet.row_dimensions[r].height or 15.75):
        sheet.row_dimensions[r].height = need


def _width(sheet, col: int) -> float:
    for dim in sheet.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 8.43
