"""The "Kiểm tra" sheet of a template: one row per live check (template/checks.py), its status line on top."""

from __future__ import annotations

from pipeline.issues import SEVERITY_VN, Severity
from pipeline.template.checks import LiveCheck, status_cached, status_formula
from pipeline.workbook.contract import (
    CHECK_ANNEX_COL,
    CHECK_CODE_COL,
    CHECK_COLUMNS,
    CHECK_RESULT_COL,
    CHECK_SEVERITY_COL,
    CHECK_STATUS_CELL,
    COUNT_COL,
    FIRST_CHECK_ROW,
    cell,
    col_letter,
    parse_range,
)
from pipeline.workbook.styles import print_setup, text_height

TITLE = "KIỂM TRA BIỂU TRƯỚC KHI GỬI"
NOTE = ("✓ là đạt; ✗ là còn sai: sửa các ô ghi ở cột \"Cần sửa ở\" (trên trang phụ lục, ô có lỗi được tô đỏ, ô có "
        "cảnh báo được tô vàng).")


def write_check_sheet(sheet, st, checks: list[LiveCheck], sheets: dict[str, str]) -> None:
    """One row per check: annex, what is checked, severity, ✓/✗, how many places, where to look."""
    heads = list(zip(CHECK_COLUMNS, (5, 9, 52, 9, 9, 10, 30, 18), strict=True))
    sheet.merge_range(0, 0, 0, 6, f"{TITLE} (tự cập nhật khi nhập số liệu)", st["title"])
    status_row, status_col = parse_range(CHECK_STATUS_CELL)[:2]
    sheet.merge_range(status_row - 1, status_col - 1, status_row - 1, 6, "", st["center_bold"])
    sheet.write_formula(status_row - 1, status_col - 1, status_formula(""), st["center_bold"],
                        status_cached(checks, ""))
    sheet.merge_range(2, 0, 2, 6, NOTE, st["italic_wrap"])
    for c, (h, w) in enumerate(heads):
        sheet.write_string(FIRST_CHECK_ROW - 2, c, h, st["head"])
        sheet.set_column(c, c, w, None, {"hidden": c == CHECK_CODE_COL - 1})  # the check's code: for tests only
    for i, chk in enumerate(checks):
        r = FIRST_CHECK_ROW - 1 + i
        count_ref = cell(r + 1, COUNT_COL)
        sheet.write_number(r, 0, i + 1, st["label_center"])
        sheet.write_string(r, CHECK_ANNEX_COL - 1, sheets[chk.annex], st["label_center"])
        sheet.write_string(r, 2, chk.label, st["cell"])
        sheet.set_row(r, text_height(chk.label, heads[2][1]))
        sheet.write_string(r, CHECK_SEVERITY_COL - 1, SEVERITY_VN[Severity(chk.severity)], st["label_center"])
        sheet.write_formula(r, CHECK_RESULT_COL - 1, f'=IF({count_ref}=0,"✓","✗")', st["label_center"],
                            "✓" if not chk.cached else "✗")
        sheet.write_formula(r, COUNT_COL - 1, f"={chk.count}", st["int"], chk.cached)
        sheet.write_formula(r, 6, f"={chk.cells}", st["cell"], "")
        sheet.write_string(r, CHECK_CODE_COL - 1, f"{chk.annex}.{chk.id}", st["cell"])
    last = FIRST_CHECK_ROW - 1 + len(checks)
    result = col_letter(CHECK_RESULT_COL)
    rng = f"{result}{FIRST_CHECK_ROW}:{result}{last}"
    sheet.conditional_format(rng, {"type": "cell", "criteria": "==", "value": '"✗"', "format": st["bad"]})
    sheet.conditional_format(rng, {"type": "cell", "criteria": "==", "value": '"✓"', "format": st["good"]})
    sheet.freeze_panes(FIRST_CHECK_ROW - 1, 0)
    sheet.set_row(2, text_height(NOTE, sum(w for _, w in heads[:7])))
    print_setup(sheet, CHECK_CODE_COL - 2, (FIRST_CHECK_ROW - 2, FIRST_CHECK_ROW - 2), title=TITLE, last_row=last - 1)
    sheet.protect()
