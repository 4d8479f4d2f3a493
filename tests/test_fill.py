"""The filler (template/fill.py) edits the template's XML; here it is held to what openpyxl writes when it fills
the same template the plain way (load, set the cells, save): every cell of every sheet, which rows are hidden, how
tall the filled rows are. Both are read back by openpyxl, a reader the filler does not use."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_from_string

from pipeline.demo.data import unit_payload
from pipeline.template.fill import DEFAULT_HEIGHT, Template, data_cells, fill, read_meta
from pipeline.workbook.styles import text_height

from .helpers import book_data_cells, book_meta


def reference_fill(template: Path, target: Path, data: dict) -> None:
    """The same filling through openpyxl: the cells set, rows written into shown and as tall as wrapped text."""
    wb = openpyxl.load_workbook(template)
    meta = book_meta(wb)
    for annex_id, payload in data.items():
        am = meta.annexes[annex_id]
        sheet_name, grid = book_data_cells(wb, annex_id)
        sheet = wb[sheet_name]
        if am.layout == "form":
            record = payload if isinstance(payload, dict) else payload[0]
            for key, row in zip(am.columns, grid, strict=True):
                if key in record:
                    _set(sheet, row[0], record[key])
            continue
        rows = [payload] if isinstance(payload, dict) else payload
        keys = list(am.columns)
        if am.row_key:
            where = {sheet[row[keys.index(am.row_key)]].value: row for row in grid}
            placed = [(where[rec[am.row_key]], rec) for rec in rows]
        else:
            placed = list(zip(grid, rows, strict=False))
        for row, record in placed:
            r = coordinate_from_string(row[0])[1]
            sheet.row_dimensions[r].hidden = False
            for key, coord in zip(keys, row, strict=True):
                if key in record and key != am.row_key:
                    _set(sheet, coord, record[key])
            need = max((text_height(c.value, _width(sheet, c.column), c.font.sz) for c in (sheet[x] for x in row)
                        if isinstance(c.value, str) and c.alignment.wrap_text), default=0.0)
            if need > (sheet.row_dimensions[r].height or DEFAULT_HEIGHT):
                sheet.row_dimensions[r].height = need
    wb.save(target)


def _set(sheet, coord: str, value: object) -> None:
    sheet[coord] = value
    if isinstance(value, str):
        sheet[coord].data_type = "s"


def _width(sheet, col: int) -> float:
    return next((d.width for d in sheet.column_dimensions.values() if d.min and d.max and d.min <= col <= d.max
                 and d.width), 8.43)


def _seen(path: Path) -> dict:
    """Every sheet's cell values and number formats' kind (date or not), hidden rows and row heights. (An empty text
    is no value: openpyxl saves the template's own empty text cells as empty cells.)"""
    wb = openpyxl.load_workbook(path)
    out = {}
    for sheet in wb.worksheets:
        cells = {c.coordinate: (c.value, c.is_date) for row in sheet.iter_rows() for c in row if c.value not in (None, "")}
        hidden = sorted(r for r, d in sheet.row_dimensions.items() if d.hidden)
        heights = {r: round(d.height, 1) for r, d in sheet.row_dimensions.items() if d.height}
        out[sheet.title] = (cells, hidden, heights)
    return out


def _payload(ws, code: str, seed: int) -> dict:
    unit = ws.unit_by_code[code]
    return unit_payload(random.Random(seed), code, unit.name, unit.annexes, ws.round.period_end)


@pytest.mark.parametrize("code", ["TTPVHCC", "VPUB", "PKT", "HLHPN"])
def test_the_filler_writes_what_openpyxl_writes(stock_written, tmp_path, code):
    ws, paths = stock_written
    data = _payload(ws, code, seed=len(code))
    fill(paths[code], tmp_path / "xml.xlsx", data)
    reference_fill(paths[code], tmp_path / "openpyxl.xlsx", data)
    ours, theirs = _seen(tmp_path / "xml.xlsx"), _seen(tmp_path / "openpyxl.xlsx")
    assert ours.keys() == theirs.keys()
    for sheet in ours:
        assert ours[sheet] == theirs[sheet], sheet
    assert any(ours[s][0] != _seen(paths[code])[s][0] for s in ours)  # (something was filled at all)


def test_text_stays_text_dates_get_a_date_format_and_tall_text_a_tall_row(stock_written, tmp_path):
    _ws, paths = stock_written
    long = "Trụ sở UBND xã Tích Lộc (cũ), " * 12
    pl2 = [{"loai_tai_san": "Trụ sở làm việc", "ten_tai_san": "=1+1", "dia_chi": long,
            "so_luong": 2.5, "ngay_hoan_thanh": dt.date(2026, 3, 31)},
           {"loai_tai_san": "Xe ô tô", "ten_tai_san": dt.date(2026, 1, 2), "so_luong": None}]
    data = {"PL2": pl2, "PL3": [{"linh_vuc": "Chứng thực", "hs_tong_nhan": 812}]}
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", data)
    reference_fill(paths["TTPVHCC"], tmp_path / "openpyxl.xlsx", data)
    assert _seen(out) == _seen(tmp_path / "openpyxl.xlsx")
    sheet, grid = data_cells(out, "PL2")
    keys = list(read_meta(out).annexes["PL2"].columns)
    wb = openpyxl.load_workbook(out)
    first = grid[0]
    text = wb[sheet][first[keys.index("ten_tai_san")]]
    assert text.value == "=1+1" and text.data_type == "s"
    assert wb[sheet][grid[1][keys.index("ten_tai_san")]].value == dt.datetime(2026, 1, 2)
    assert wb[sheet][grid[1][keys.index("ten_tai_san")]].is_date
    assert wb[sheet].row_dimensions[int(first[0][1:])].height > 3 * DEFAULT_HEIGHT
    with zipfile.ZipFile(out) as z:
        assert b"<f>1+1" not in z.read(Template(out).book.sheets[sheet])


def test_the_filler_reads_the_templates_self_description_as_openpyxl_does(stock_written):
    _ws, paths = stock_written
    for code in ("TTPVHCC", "DTN"):
        wb = openpyxl.load_workbook(paths[code])
        meta = read_meta(paths[code])
        assert meta == book_meta(wb)
        for annex_id in meta.annexes:
            assert data_cells(paths[code], annex_id) == book_data_cells(wb, annex_id)
