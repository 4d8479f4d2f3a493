"""Rows written in bulk are the cells XlsxWriter would have written one by one: same values, types, formats and
heights, read back by openpyxl and by LibreOffice; unit text never becomes a formula."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlsxwriter

from pipeline.workbook.bulk import BulkSheet
from pipeline.workbook.styles import SAFE_OPTIONS
from pipeline.workbook.xmlpatch import EXCEL_TEXT_MAX

from .conftest import needs
from .helpers import soffice_convert

TEXTS = ["=1+1", "=HYPERLINK(\"http://x\",\"bấm\")", "<b>&amp; \"quoted\"</b>", "_x0041_ stays literal",
         "control \x01\x07 characters", " leading and trailing ", "Đơn vị 1\nxuống dòng", "http://example.vn",
         "x" * (EXCEL_TEXT_MAX + 500), "", "+84 912", "@SUM(A1)", "no XML character: \ufffe \uffff",
         "😀" * (EXCEL_TEXT_MAX // 2 + 10)]  # cut in UTF-16 units, as Excel counts
NUMBERS = [0, -1.5, 1234567.25, 1e20, 3, float("nan"), np.int64(7), np.float32(2.5), -0.0, 1e308]
WHEN = [dt.datetime(2026, 11, 30, 14, 5), dt.datetime(2025, 7, 1)]


def _rows(formats: dict) -> list[tuple[float | None, list]]:
    rows = []
    for i, text in enumerate(TEXTS):
        rows.append((15.0 + i, [(i + 1, formats["num"]), (text, formats["text"]), (NUMBERS[i % len(NUMBERS)],
                     formats["dec"]), (WHEN[i % 2] if i % 3 else None, formats["date"]), (None, formats["grey"])]))
    rows.append((None, [("plain height", None)]))
    return rows


def _book(path: Path, bulk: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), SAFE_OPTIONS)
    formats = {"num": wb.add_format({"align": "center"}), "text": wb.add_format({"text_wrap": True, "bold": True}),
               "dec": wb.add_format({"num_format": "#,##0.00"}), "date": wb.add_format({"num_format": "dd/mm/yyyy"}),
               "grey": wb.add_format({"bg_color": "#D9D9D9"})}
    sheet = wb.add_worksheet("Bảng", BulkSheet if bulk else None)
    sheet.write_string(0, 0, "Tiêu đề trước bảng", formats["text"])  # cells before and after the block
    sheet.set_row(0, 30)
    rows = _rows(formats)
    if bulk:
        end = sheet.write_rows(2, rows)
    else:
        for r, (height, cells) in enumerate(rows, start=2):
            if height is not None:
                sheet.set_row(r, height)
            for c, (value, fmt) in enumerate(cells):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    sheet.write_blank(r, c, None, fmt)
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, fmt)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value, fmt)
                else:
                    sheet.write_number(r, c, value, fmt)
        end = 2 + len(rows)
    sheet.merge_range(end + 1, 0, end + 1, 3, "Cộng", formats["text"])
    sheet.write_number(end + 1, 4, 42, formats["num"])
    wb.close()


def _read(value: object) -> object:
    """openpyxl undoes Excel's escape of a literal "_x" in a shared string, not in an inline one (LibreOffice, like
    Excel, reads both alike: see the LibreOffice test below)."""
    return value.replace("_x005F_", "_") if isinstance(value, str) else value


def _cells(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["Bảng"]
    out = []
    for row in sheet.iter_rows():
        for cell in row:
            out.append((cell.coordinate, _read(cell.value), cell.data_type, cell.number_format, cell.font.b,
                        cell.fill.fgColor.rgb, cell.alignment.horizontal, cell.alignment.wrap_text))
    heights = {r: d.height for r, d in sheet.row_dimensions.items() if d.height}
    merged = sorted(str(m) for m in sheet.merged_cells.ranges)
    return [*out, ("heights", heights), ("merged", merged), ("dimension", sheet.dimensions)]


def test_bulk_rows_read_back_as_the_cells_written_one_by_one(tmp_path):
    _book(tmp_path / "one_by_one.xlsx", bulk=False)
    _book(tmp_path / "bulk.xlsx", bulk=True)
    assert _cells(tmp_path / "bulk.xlsx") == _cells(tmp_path / "one_by_one.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "bulk.xlsx")["Bảng"]
    texts = [sheet.cell(3 + i, 2).value for i in range(len(TEXTS))]
    assert texts[:3] + texts[5:8] == TEXTS[:3] + TEXTS[5:8]
    assert len(texts[8]) == EXCEL_TEXT_MAX and len(texts[13]) == EXCEL_TEXT_MAX // 2  # cut where Excel cuts
    with zipfile.ZipFile(tmp_path / "bulk.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no text became a formula


def test_rows_written_twice_or_past_the_sheet_and_values_with_no_cell_are_refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "clash.xlsx"))
    sheet = wb.add_worksheet("Bảng", BulkSheet)
    sheet.write_rows(1, [(None, [("a", None)]), (None, [("b", None)])])
    with pytest.raises(ValueError, match="overlap"):
        sheet.write_rows(2, [(None, [("c", None)])])
    with pytest.raises(ValueError, match="do not fit"):
        sheet.write_rows(1_048_576, [(None, [("d", None)])])
    for value in (float("inf"), True, np.bool_(False), object()):
        with pytest.raises((TypeError, ValueError)):
            sheet.write_rows(10, [(None, [(value, None)])])
    sheet.write_string(2, 3, "c")  # into a row written in bulk
    with pytest.raises(ValueError, match="rows 2-3"):
        wb.close()
    streaming = xlsxwriter.Workbook(str(tmp_path / "streaming.xlsx"), {"constant_memory": True})
    with pytest.raises(ValueError, match="constant_memory"):
        streaming.add_worksheet("Bảng", BulkSheet).write_rows(1, [(None, [("a", None)])])
    streaming.close()


@needs("soffice")
def test_libreoffice_reads_bulk_rows_as_the_cells_written_one_by_one(tmp_path):
    for name, bulk in (("one_by_one", False), ("bulk", True)):
        (tmp_path / name).mkdir()
        _book(tmp_path / name / "book.xlsx", bulk)
        soffice_convert(tmp_path / name / "book.xlsx", tmp_path / name / "out", "xlsx", tmp_path / "profile")
    resaved = [openpyxl.load_workbook(tmp_path / name / "out" / "book.xlsx")["Bảng"] for name in ("one_by_one", "bulk")]
    values = [[tuple(c.value for c in row) for row in sheet.iter_rows()] for sheet in resaved]
    assert values[0] == values[1]
    assert values[1][3][1] == TEXTS[1] and values[1][5][1] == TEXTS[3] and values[1][4][2] == NUMBERS[2]
