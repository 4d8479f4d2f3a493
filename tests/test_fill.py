"""The filler (template/fill.py) edits the template's XML; here it is held to what openpyxl writes when it fills
the same template the plain way (load, set the cells, show the rows, save): every cell of every sheet (value, type,
number format), which rows are hidden or grouped, how tall the filled rows are, read back by openpyxl and by
python-calamine (the intake's reader), neither of which the filler uses; and LibreOffice shows the rows filled."""

from __future__ import annotations

import datetime as dt
import decimal
import random
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import coordinate_from_string
from python_calamine import CalamineWorkbook

from pipeline.demo.data import unit_payload
from pipeline.template.fill import Template, data_cells, fill, read_meta
from pipeline.workbook.contract import META_SHEET, origin_row
from pipeline.workbook.sheetxml import DEFAULT_ROW_HEIGHT
from pipeline.workbook.styles import MAX_ROW_HEIGHT, text_height
from pipeline.workbook.xmlpatch import EXCEL_TEXT_MAX

from .conftest import needs
from .helpers import book_data_cells, book_meta, soffice_convert

# A date typed where the cell has no date format gets Excel's built-in one (openpyxl would pick its own).
DATE_FORMATS = {dt.date: "mm-dd-yy", dt.datetime: "m/d/yy h:mm"}


def reference_fill(template: Path, target: Path, data: dict) -> None:
    """The same filling through openpyxl: the cells set, rows written into shown (out of a hidden group too) and
    as tall as their wrapped text."""
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
            for key, coord in zip(keys, row, strict=True):
                if key in record and key != am.row_key:
                    _set(sheet, coord, record[key])
            _show(sheet, row)
    wb.save(target)


def _set(sheet, coord: str, value: object) -> None:
    sheet[coord] = value
    if isinstance(value, str):
        sheet[coord].data_type = "s"
    if isinstance(value, dt.date) and sheet[coord].number_format in ("yyyy-mm-dd", "yyyy-mm-dd h:mm:ss"):
        sheet[coord].number_format = DATE_FORMATS[type(value)]


def _show(sheet, row: list[str]) -> None:
    r = coordinate_from_string(row[0])[1]
    dim = sheet.row_dimensions[r]
    dim.hidden, dim.outline_level = False, 0
    need = max((text_height(c.value, _width(sheet, c.column), c.font.sz) for c in (sheet[x] for x in row)
                if isinstance(c.value, str) and c.alignment.wrap_text), default=0.0)
    if need > (dim.height or DEFAULT_ROW_HEIGHT):
        dim.height = need


def _width(sheet, col: int) -> float:
    return next((d.width for d in sheet.column_dimensions.values() if d.min and d.max and d.min <= col <= d.max
                 and d.width), 8.43)


def _seen(path: Path) -> dict:
    """Per sheet: every cell's value, type and number format; the rows hidden, grouped, and their heights; and the
    values python-calamine reads. (An empty text is no value: openpyxl saves the template's own empty text cells as
    empty cells.)"""
    wb = openpyxl.load_workbook(path)
    book = CalamineWorkbook.from_path(str(path))
    out = {}
    for sheet in wb.worksheets:
        cells = {c.coordinate: (c.value, c.data_type, c.number_format) for row in sheet.iter_rows() for c in row
                 if c.value not in (None, "")}
        rows = {r: (d.hidden, d.outline_level, d.height and round(d.height, 1)) for r, d in sheet.row_dimensions.items()
                if d.hidden or d.outline_level or d.height}
        out[sheet.title] = (cells, rows, book.get_sheet_by_name(sheet.title).to_python(skip_empty_area=False))
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
    ours, theirs, blank = _seen(tmp_path / "xml.xlsx"), _seen(tmp_path / "openpyxl.xlsx"), _seen(paths[code])
    assert list(ours) == list(theirs)
    for sheet in ours:
        assert ours[sheet] == theirs[sheet], sheet
    assert all(any(ours[s][0] != blank[s][0] for s in ours if s == ws.specs.annexes[a].sheet) for a in data)


def test_text_stays_text_dates_get_a_date_format_and_tall_text_a_tall_row(stock_written, tmp_path):
    _ws, paths = stock_written
    long = "Trụ sở UBND xã Tích Lộc (cũ), " * 12
    pl2 = [{"loai_tai_san": "Trụ sở làm việc", "ten_tai_san": "=1+1", "dia_chi": long,
            "so_luong": 2.5, "ngay_hoan_thanh": dt.date(2026, 3, 31)},
           {"loai_tai_san": "Xe ô tô", "ten_tai_san": dt.date(2026, 1, 2), "dia_chi": dt.datetime(2026, 1, 2, 8, 30),
            "so_luong": None}]
    pl2 += [{"ten_tai_san": f"Tài sản số {n}"} for n in range(3, 31)]  # past the rows the template shows
    data = {"PL2": pl2, "PL3": [{"linh_vuc": "Chứng thực", "hs_tong_nhan": 812}]}
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", data)
    reference_fill(paths["TTPVHCC"], tmp_path / "openpyxl.xlsx", data)
    assert _seen(out) == _seen(tmp_path / "openpyxl.xlsx")
    sheet, grid = data_cells(out, "PL2")
    keys = list(read_meta(out).annexes["PL2"].columns)
    pl2_sheet = openpyxl.load_workbook(out)[sheet]
    name = [pl2_sheet[row[keys.index("ten_tai_san")]] for row in grid]
    assert name[0].value == "=1+1" and name[0].data_type == "s"
    assert name[1].value == dt.datetime(2026, 1, 2) and name[1].is_date
    assert [c.value for c in name[2:30]] == [f"Tài sản số {n}" for n in range(3, 31)]
    rows = [pl2_sheet.row_dimensions[int(row[0][1:])] for row in grid[:31]]
    assert not any(d.hidden or d.outline_level for d in rows[:30]) and rows[30].hidden
    assert rows[0].height > 3 * DEFAULT_ROW_HEIGHT
    with zipfile.ZipFile(out) as z:
        assert b"<f>1+1" not in z.read(Template(out).book.sheets[sheet])


def test_values_that_are_not_there_leave_the_cell_empty_and_text_reads_back_as_written(stock_written, tmp_path):
    _ws, paths = stock_written
    texts = ["_x0041_ stays literal", "a\x01b", " edges ", "dòng 1\ndòng 2", "x" * 40_000]
    missing = [float("nan"), float("inf"), np.float32("nan"), decimal.Decimal("NaN"), decimal.Decimal("Infinity"),
               pd.NaT, None, ""]
    rows = [{"ten_tai_san": t, "so_luong": m} for t, m in zip(texts * 2, missing, strict=False)]
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", {"PL2": rows})
    sheet, grid = data_cells(out, "PL2")
    keys = list(read_meta(out).annexes["PL2"].columns)
    read = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    first = int(grid[0][0][1:]) - 1
    col = {k: openpyxl.utils.column_index_from_string(grid[0][i].rstrip("0123456789")) - 1 for i, k in enumerate(keys)}
    got = [(read[first + i][col["ten_tai_san"]], read[first + i][col["so_luong"]]) for i in range(len(rows))]
    expected = [t if len(t) <= EXCEL_TEXT_MAX else t[:EXCEL_TEXT_MAX] for t in texts * 2][:len(rows)]
    assert got == [(t, "") for t in expected]
    assert openpyxl.load_workbook(out)[sheet].row_dimensions[first + 5].height == MAX_ROW_HEIGHT


def test_meta_rows_added_at_the_end_are_within_the_sheets_used_range(stock_written, tmp_path):
    _ws, paths = stock_written
    origin = origin_row("PL2", 12, "VPUB (tệp VPUB.xlsx)")
    out = fill(paths["PKT"], tmp_path / "filled.xlsx", {}, meta_rows=[origin])
    meta = openpyxl.load_workbook(out, read_only=True)[META_SHEET]  # trusts the sheet's <dimension>
    assert origin in [tuple(r[:2]) for r in meta.iter_rows(values_only=True)]
    assert read_meta(out).origins == {"PL2": {12: "VPUB (tệp VPUB.xlsx)"}}


def test_the_filler_reads_the_templates_self_description_as_openpyxl_does(stock_written):
    _ws, paths = stock_written
    for code in ("TTPVHCC", "DTN"):
        wb = openpyxl.load_workbook(paths[code])
        meta = read_meta(paths[code])
        assert meta == book_meta(wb)
        for annex_id in meta.annexes:
            assert data_cells(paths[code], annex_id) == book_data_cells(wb, annex_id)


@needs("soffice")
def test_libreoffice_shows_every_row_filled(stock_written, tmp_path):
    """Rows past the ones a template shows sit in a hidden group; the filled ones must show in LibreOffice."""
    _ws, paths = stock_written
    names = [f"Tài sản số {n}" for n in range(1, 31)]
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", {"PL2": [{"ten_tai_san": n} for n in names]})
    saved = soffice_convert(out, tmp_path / "lo", "xlsx", tmp_path / "profile")
    sheet, grid = data_cells(out, "PL2")
    shown = openpyxl.load_workbook(saved)[sheet]
    keys = list(read_meta(out).annexes["PL2"].columns)
    assert [shown[row[keys.index("ten_tai_san")]].value for row in grid[:30]] == names
    assert not any(shown.row_dimensions[int(row[0][1:])].hidden for row in grid[:30])
    assert shown.row_dimensions[int(grid[30][0][1:])].hidden


def test_a_workbook_without_shared_strings_gets_its_text_inline(stock_written, tmp_path):
    """openpyxl writes every text inline, with no shared strings table: such a workbook is filled all the same."""
    _ws, paths = stock_written
    reference_fill(paths["PKT"], tmp_path / "openpyxl.xlsx", {"PL1": {"ghi_chu": "Đủ người"}})
    with zipfile.ZipFile(tmp_path / "openpyxl.xlsx") as z:
        assert not any(n.endswith("sharedStrings.xml") for n in z.namelist())
    out = fill(tmp_path / "openpyxl.xlsx", tmp_path / "again.xlsx", {"PL1": {"ghi_chu": "Thiếu 2 người"}})
    sheet, grid = data_cells(out, "PL1")
    row = grid[list(read_meta(out).annexes["PL1"].columns).index("ghi_chu")]
    assert openpyxl.load_workbook(out)[sheet][row[0]].value == "Thiếu 2 người"
    assert read_meta(out) == read_meta(paths["PKT"])


def test_dates_at_the_edge_of_excels_calendar(stock_written, tmp_path):
    """Excel counts a 29 February 1900: a date before March 1900 is one day fewer; before 1900 there is no date,
    nor a time zone, and the filler says so rather than write another day."""
    _ws, paths = stock_written
    days = [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.datetime(2026, 5, 15, 14, 30)]
    out = fill(paths["TTPVHCC"], tmp_path / "filled.xlsx", {"PL2": [{"ngay_hoan_thanh": d} for d in days]})
    sheet, grid = data_cells(out, "PL2")
    col = list(read_meta(out).annexes["PL2"].columns).index("ngay_hoan_thanh")
    pl2 = openpyxl.load_workbook(out)[sheet]
    assert [pl2[row[col]].value for row in grid[:4]] == [dt.datetime.combine(d, dt.time()) for d in days[:3]] + days[3:]
    for wrong in (dt.date(1899, 12, 31), dt.datetime(2026, 5, 15, tzinfo=dt.UTC)):
        with pytest.raises(ValueError):
            fill(paths["TTPVHCC"], tmp_path / "wrong.xlsx", {"PL2": [{"ngay_hoan_thanh": wrong}]})


def test_the_shared_strings_count_is_the_cells_that_refer_to_them(stock_written, tmp_path):
    _ws, paths = stock_written
    first = fill(paths["PKT"], tmp_path / "first.xlsx", {"PL1": {"ghi_chu": "Đủ người"}})
    again = fill(first, tmp_path / "again.xlsx", {"PL1": {"ghi_chu": 3}})  # text overwritten by a number
    with zipfile.ZipFile(again) as z:
        referring = sum(z.read(n).count(b't="s"') for n in z.namelist() if n.startswith("xl/worksheets/"))
        sst = z.read("xl/sharedStrings.xml")
    assert f'count="{referring}"'.encode() in sst
