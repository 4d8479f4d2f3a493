"""The corpus cases: one function per edit a person makes to a template in LibreOffice (issue #16).

Each function gets a Person (office.py) holding a fresh copy of the unit's template and the unit's ordinary
valid data; it types that data, performs its one oddity, and returns a note for the manifest ('' if none).
Cells are found through the template's own description (_meta, the <ANNEX>_data names, header texts).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from office import Person, col_letter, split_cell


@dataclass
class Ctx:
    """What an edit function gets besides the person: the unit's ordinary data and a scratch folder."""
    data: dict[str, Any]
    scratch: Path


Edit = Callable[[Person, Ctx], str]  # performs the edit, returns a note ('' when nothing to say)


@dataclass(frozen=True)
class Case:
    name: str
    unit: str  # whose template is opened
    behaviour: str
    description: str
    edit: Edit
    formats: tuple[str, ...] = ("xlsx",)
    locale: str = "en-US"
    filled_by: str = ""  # another unit typing into `unit`'s template
    csv_sheet: int = 0  # CSV filter's sheet token: 0 = LibreOffice's default (the first sheet)


# -- helpers shared by the cases ----------------------------------------------------------------
EXTRA_ASSETS = [
    {"loai_tai_san": "Máy móc, trang thiết bị", "ten_tai_san": "Máy chiếu hội trường", "nguon_goc": "Xã Tích Lộc",
     "so_luong": 2, "nguyen_gia": 35.5, "gia_tri_con_lai": 10.6, "hien_trang": "Đang sử dụng",
     "phuong_an_xu_ly": "Tiếp tục sử dụng (bố trí, sắp xếp lại)", "tinh_trang": "Đang thực hiện"},
    {"loai_tai_san": "Máy móc, trang thiết bị", "ten_tai_san": "Bộ máy vi tính để bàn",
     "nguon_goc": "Xã Long Thượng", "so_luong": 5, "nguyen_gia": 60.0, "gia_tri_con_lai": 18.0,
     "hien_trang": "Đang sử dụng", "phuong_an_xu_ly": "Điều chuyển", "co_quan_chu_tri": "Phòng Kinh tế",
     "noi_dung_phuong_an": "Điều chuyển cho Trạm Y tế xã", "thoi_han_hoan_thanh": dt.date(2026, 9, 30),
     "tinh_trang": "Đang thực hiện"},
]


def type_table_row(p: Person, annex: str, record: dict[str, Any], row: int) -> None:
    """Type a record into sheet row `row` of a table annex, in the table's columns (inside it or not)."""
    keys = p.meta()[f"columns:{annex}"].split(",")
    sheet, grid = p.annex_cells(annex)
    for key, cell in zip(keys, grid[0], strict=True):
        if record.get(key) not in (None, ""):
            p.type(sheet, f"{column_of(cell)}{row}", record[key])


def row_of(cell: str) -> int:
    return split_cell(cell)[0]


def column_of(cell: str) -> str:
    return cell.rstrip("0123456789")


def without(data: dict[str, Any], annex: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != annex}


# -- the cases ----------------------------------------------------------------------------------
def ordinary_fill(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    return ""


def vi_locale_typing(p: Person, ctx: Ctx) -> str:
    data = copy.deepcopy(ctx.data)
    data["PL2"][0].update(nguyen_gia="1.234", gia_tri_con_lai="12,5", thoi_han_hoan_thanh="15/5/2026")
    pl1 = data["PL1"]
    count = next((k for k, v in pl1.items() if v == 3 and k != "so_phong_bo_phan"), "so_can_bo")
    pl1[count] = f"{pl1[count]} người"
    pl1["so_phong_bo_phan"] = "1/7/2025"
    p.fill(data)
    return ("Typing went through .uno:EnterString, which skips the cells' data validation (the GUI's input "
            "handler would have refused the count with a unit word in its whole-number cell). The date "
            "typed into the count cell keeps that cell's number format #,##0, so it is stored as the "
            "serial number 45839 (shown as 45.839).")


def pl2_row_deleted(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, cell = p.cell_of("PL2", "ten_tai_san", row=2)
    p.unprotect(sheet)
    p.delete_row(sheet, row_of(cell))
    return ("The sheet is protected (no password); a person switches protection off to delete a row. "
            "PL2_data shrank to end one row higher (_meta's range:PL2 did not change); the locked row numbers "
            "in column A now skip one. In the xlsx LibreOffice writes the sheet dimension A1:Z1048576 and an "
            "empty <row r=\"1048576\">.")


def pl2_rows_below_table(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, grid = p.annex_cells("PL2")
    p.unprotect(sheet)
    last = row_of(grid[-1][0])
    for i, record in enumerate(EXTRA_ASSETS):
        type_table_row(p, "PL2", record, last + 1 + i)
    return (f"Rows {last + 1}-{last + 2} lie outside PL2_data; they are locked, so protection was switched off "
            f"first. The table's own rows below the ordinary data stay empty.")


def pl1_row_inserted(p: Person, ctx: Ctx) -> str:
    data = copy.deepcopy(ctx.data)
    data["PL1"]["ghi_chu"] = "Số liệu theo hồ sơ cán bộ ngày 10/5/2026"
    p.fill(data)
    sheet, cell = p.cell_of("PL1", "ghi_chu")
    row = row_of(cell)
    p.unprotect(sheet)
    p.insert_row(sheet, row)
    p.type(sheet, f"B{row}", "Trong đó: Đảng viên")
    p.type(sheet, f"C{row}", "người")
    p.type(sheet, f"{column_of(cell)}{row}", data["PL1"]["tong_hien_co"] - 2)
    return "LibreOffice extended PL1_data over the new row: it now ends one row lower, on the notes row."


def pl1_note_beside_value(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, cell = p.cell_of("PL1", "so_cong_chuc")
    p.type(sheet, f"E{row_of(cell)}", "Gồm 02 công chức biệt phái từ UBND xã")
    return ""


def pl2_row_inserted_inside(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, cell = p.cell_of("PL2", "ten_tai_san", row=2)
    row = row_of(cell)
    p.unprotect(sheet)
    p.insert_row(sheet, row)
    type_table_row(p, "PL2", EXTRA_ASSETS[0], row)
    return "The inserted row has no STT (column A is left as LibreOffice made it: empty)."


def pl3_sorted(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, grid = p.annex_cells("PL3")
    _, by = p.cell_of("PL3", "hs_tong_nhan")
    first, last = row_of(grid[0][0]), row_of(grid[-1][0])
    p.unprotect(sheet)
    # The person selects the whole visible table body: STT (A) to the computed "Tổng số" columns (Y).
    p.sort_rows(sheet, f"A{first}:Y{last}", by=column_of(by), key=column_of(grid[0][0]), descending=True)
    return ("The preset, locked field labels (column B) and the row numbers (column A) moved with their rows; "
            "the row formulas in X:Y moved too and still refer to their own row.")


def pl4b_renamed(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    p.rename_sheet("PL4b", "PL4b sửa")
    return "The defined name PL4b_data follows the sheet; _meta's range:PL4b still names the old sheet."


def pl4b_merged(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, top = p.cell_of("PL4b", "mang_tsl_chuyen_dung")
    _, bottom = p.cell_of("PL4b", "internet_bang_thong_rong")
    p.unprotect(sheet)
    p.merge(sheet, f"{top}:{bottom}")
    return "Merged after typing; the hidden cell keeps its value (the API merges without the GUI's question)."


def pl2_column_inserted(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    sheet, cell = p.cell_of("PL2", "nguyen_gia")
    header = p.find(sheet, "Nguyên giá (triệu đồng)")
    column = column_of(cell)
    p.unprotect(sheet)
    p.insert_column(sheet, column)
    p.type(sheet, f"{column}{row_of(header)}", "Năm đưa vào sử dụng")
    for i, _record in enumerate(ctx.data["PL2"]):
        p.type(sheet, f"{column}{row_of(cell) + i}", 1998 + 3 * i)
    return "LibreOffice widened PL2_data by one column; the merged group header above moved right."


def pl2_header_in_dong(p: Person, ctx: Ctx) -> str:
    data = copy.deepcopy(ctx.data)
    for record in data["PL2"]:
        record["nguyen_gia"] = round(record["nguyen_gia"] * 1_000_000)
    p.fill(data)
    sheet = p.annex_cells("PL2")[0]
    header = p.find(sheet, "Nguyên giá (triệu đồng)")
    p.unprotect(sheet)
    p.type(sheet, header, "Nguyên giá (đồng)")
    return "Only the cost column was converted to dong; the residual value column stays in millions."


def other_units_header(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    for annex in ("PL1", "PL4b"):
        sheet = p.annex_cells(annex)[0]
        p.unprotect(sheet)
        p.type(sheet, p.find(sheet, "ĐOÀN TNCS HỒ CHÍ MINH XÃ"), "HỘI LIÊN HIỆP PHỤ NỮ XÃ")
        p.type(sheet, p.find(sheet, "Đơn vị báo cáo: …"), "Đơn vị báo cáo: Hội Liên hiệp Phụ nữ xã Phúc Thọ")
    return "The hidden _meta sheet still says DTN; the data are HLHPN's."


def untouched(p: Person, ctx: Ctx) -> str:
    return ""


def formula_errors(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    pl1, women = p.cell_of("PL1", "so_nu")
    _, total = p.cell_of("PL1", "tong_hien_co")
    blank = f"{column_of(total)}{row_of(p.annex_cells('PL1')[1][-1][0]) + 2}"
    p.type(pl1, women, f"={total}/{blank}")
    pl4b, staff = p.cell_of("PL4b", "tong_cbccvc")
    p.unprotect(pl4b)
    row, n = row_of(staff), ctx.data["PL4b"]["tong_cbccvc"]
    p.type(pl4b, f"F{row}", n - 2)
    p.type(pl4b, f"F{row + 1}", 2)
    p.type(pl4b, staff, f"=F{row}+F{row + 1}")
    p.delete_column(pl4b, "F")
    return (f"{pl1}!{women} divides by the empty cell {blank}: #DIV/0!. In {pl4b}, the person added two "
            f"helper numbers in column F, summed them in {staff}, then deleted column F: the formula became "
            f"=#REF!+#REF!. Both are saved with their cached error values.")


def csv_first_sheet(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    p.select("PL1", "A1")
    return ("Saved from PL1, but headless LibreOffice's CSV filter wrote the first sheet (the instructions "
            "sheet): no typed value is in the file.")


def csv_annex_sheet(p: Person, ctx: Ctx) -> str:
    p.fill(ctx.data)
    return "CSV of the PL1 sheet (the filter's sheet option); numbers and dates as the cells show them."


def external_link(p: Person, ctx: Ctx) -> str:
    sheet, quota = p.cell_of("PL1", "bien_che_cong_chuc_giao")
    other = Person(p.office, p.office.new_document(), p.locale)
    other.type(other.doc.Sheets.getByIndex(0).Name, "B2", ctx.data["PL1"]["bien_che_cong_chuc_giao"])
    linked = ctx.scratch / "Bien_che_giao_2025.xlsx"
    other.save_as(linked, "xlsx")
    other.close()
    data = copy.deepcopy(ctx.data)
    del data["PL1"]["bien_che_cong_chuc_giao"]
    p.fill(data)
    p.type(sheet, quota, f"='{linked.as_uri()}'#$Sheet1.B2")
    p.edits.append({"op": "external_link", "sheet": sheet, "cell": quota, "workbook": linked.name})
    return (f"The linked workbook sat next to the saved file and is not part of the corpus (the office never "
            f"gets it); xlsx keeps a relative link ({linked.name}) and the cached value "
            f"{ctx.data['PL1']['bien_che_cong_chuc_giao']}.")


def pasted_rows(p: Person, ctx: Ctx) -> str:
    keys = p.meta()["columns:PL2"].split(",")
    sheet, grid = p.annex_cells("PL2")
    source = Person(p.office, p.office.new_document(), p.locale)
    for r, record in enumerate(ctx.data["PL2"], start=1):
        for c, key in enumerate(keys):
            if record.get(key) not in (None, ""):
                source.type(source.doc.Sheets.getByIndex(0).Name, f"{col_letter(c)}{r}", record[key])
    rows = len(ctx.data["PL2"])
    p.paste(source, f"A1:{col_letter(len(keys) - 1)}{rows}", sheet, grid[0][0])
    source.close()
    p.fill(without(ctx.data, "PL2"))
    return ("A plain paste (Ctrl+V) brings the source's cell formats along: the pasted cells lose the template's "
            "font, fill, borders and data validation and take the source's number formats (ISO dates); they "
            "stay unlocked. Paste Special (values only) could not be made: its dialog's .ui file is missing "
            "from libreoffice-calc-nogui and headless LibreOffice aborts.")


CASES = [
    Case("pkt_filled", "PKT", "ordinary_fill", "Every annex of PKT filled by typing, saved in three formats.",
         ordinary_fill, formats=("xlsx", "xls", "ods")),
    Case("vi_locale_typing", "PKT", "vi_locale_typing",
         "Typed with a vi-VN locale: dotted thousands, comma decimals, day-first dates, a count with a unit "
         "word, a date in the departments count.", vi_locale_typing, locale="vi-VN"),
    Case("pl2_row_deleted", "PKT", "table_row_deleted", "The third filled PL2 row deleted (sheet row 14).",
         pl2_row_deleted, formats=("xlsx", "ods")),
    Case("pl2_rows_below_table", "PKT", "rows_below_table",
         "Two PL2 asset rows typed just below the table's last input row.", pl2_rows_below_table),
    Case("pl1_row_inserted", "PKT", "form_row_inserted",
         "A row inserted in the PL1 form above its notes row, with a label and a value typed in it.",
         pl1_row_inserted),
    Case("pl1_note_beside_value", "PKT", "form_note_beside_value",
         "A remark typed in the PL1 notes column (E) next to a value.", pl1_note_beside_value),
    Case("pl2_row_inserted_inside", "PKT", "table_row_inserted",
         "A row inserted between filled PL2 rows, an asset typed in it.", pl2_row_inserted_inside),
    Case("pl3_sorted", "TTPVHCC", "preset_rows_sorted",
         "PL3's preset rows sorted by total dossiers received, descending.", pl3_sorted),
    Case("pl4b_renamed", "PKT", "annex_sheet_renamed", "The PL4b sheet renamed with a suffix.", pl4b_renamed),
    Case("pl4b_merged", "PKT", "input_cells_merged", "Two typed PL4b input cells merged into one.", pl4b_merged),
    Case("pl2_column_inserted", "PKT", "table_column_inserted",
         "A column inserted in the PL2 table before the cost column, with a header and years typed.",
         pl2_column_inserted),
    Case("pl2_header_in_dong", "PKT", "header_unit_changed",
         "PL2 cost header changed from millions of dong to dong, costs typed times one million.",
         pl2_header_in_dong),
    Case("dtn_template_filled_by_hlhpn", "DTN", "other_units_template",
         "The women's union typed its own name over the header of the youth union's template and its data.",
         other_units_header, filled_by="HLHPN"),
    Case("tyt_blank", "TYT", "blank_template", "TYT's template (table annexes only) opened and saved untouched.",
         untouched),
    Case("formula_errors", "PKT", "formula_error_cells",
         "Input cells holding formulas that evaluate to #DIV/0! (PL1) and #REF! (PL4b).", formula_errors),
    Case("pkt_first_sheet", "PKT", "csv_first_sheet", "The filled template saved as CSV (first sheet only).",
         csv_first_sheet, formats=("csv",)),
    Case("pkt_pl1_sheet", "PKT", "csv_annex_sheet", "The filled template's PL1 sheet saved as CSV.",
         csv_annex_sheet, formats=("csv",), csv_sheet=2),
    Case("external_link", "PKT", "external_link",
         "A PL1 value typed as a formula referencing a cell of another workbook file.", external_link),
    Case("pl2_pasted", "PKT", "pasted_from_other_workbook",
         "PL2 rows copied from another workbook and pasted into the table.", pasted_rows),
]
