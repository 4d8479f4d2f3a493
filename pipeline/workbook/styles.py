"""XlsxWriter formats shared by every workbook we write (templates, feedback, summary)."""

from __future__ import annotations

import functools
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format

FONT = "Times New Roman"  # NĐ 30/2020/NĐ-CP
SAFE_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

_BASE: dict[str, dict[str, Any]] = {
    "text": {},
    "wrap": {"text_wrap": True, "valign": "top"},
    "bold": {"bold": True},
    "italic": {"italic": True},
    "italic_wrap": {"italic": True, "text_wrap": True, "valign": "top"},
    "title": {"bold": True, "font_size": 14, "align": "center", "text_wrap": True, "valign": "vcenter"},
    "center_bold": {"bold": True, "align": "center"},
    "center": {"align": "center"},
    "center_italic": {"italic": True, "align": "center"},
    "right_italic": {"italic": True, "align": "right"},
    "head": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
             "bg_color": "#DDEBF7"},
    "colno": {"italic": True, "align": "center", "border": 1, "font_size": 11},
    "label": {"border": 1, "text_wrap": True, "valign": "vcenter"},
    "label_center": {"border": 1, "align": "center", "valign": "vcenter"},
    "locked_grey": {"border": 1, "bg_color": "#F2F2F2", "num_format": "#,##0"},
    "total": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0"},
    "total_dec": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.0"},
    "total_label": {"border": 1, "bold": True, "bg_color": "#F2F2F2"},
    "input": {"border": 1, "locked": False, "bg_color": "#FFFFFF", "text_wrap": True, "valign": "vcenter"},
    "input_int": {"border": 1, "locked": False, "num_format": "#,##0"},
    "input_dec": {"border": 1, "locked": False, "num_format": "#,##0.00"},
    "input_date": {"border": 1, "locked": False, "num_format": "dd/mm/yyyy"},
    "int": {"border": 1, "num_format": "#,##0"},
    "dec": {"border": 1, "num_format": "#,##0.0#"},
    "pct": {"border": 1, "num_format": "0.0%"},
    "date": {"border": 1, "num_format": "dd/mm/yyyy"},
    "datetime": {"border": 1, "num_format": "dd/mm/yyyy hh:mm"},
    "cell": {"border": 1, "text_wrap": True, "valign": "top"},
    "link": {"font_color": "#0563C1", "underline": 1, "border": 1},
    "bad": {"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1},
    "warn": {"bg_color": "#FFEB9C", "font_color": "#9C5700", "border": 1},
    "good": {"bg_color": "#C6EFCE", "font_color": "#006100", "border": 1},
    "bad_wrap": {"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1, "text_wrap": True, "valign": "top"},
    "warn_wrap": {"bg_color": "#FFEB9C", "font_color": "#9C5700", "border": 1, "text_wrap": True, "valign": "top"},
    "good_wrap": {"bg_color": "#C6EFCE", "font_color": "#006100", "border": 1, "text_wrap": True, "valign": "top"},
    "total_center": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "align": "center"},
    "grey": {"bg_color": "#E7E6E6", "border": 1},
    "status": {"bold": True, "font_color": "#1F4E79", "align": "left"},
}


class Styles:
    """Formats by name, all in Times New Roman at the given size."""

    def __init__(self, wb: xlsxwriter.Workbook, size: int = 12) -> None:
        self._wb, self._size = wb, size
        self._cache: dict[str, Format] = {}

    def __getitem__(self, name: str) -> Format:
        if name not in self._cache:
            props = {"font_name": FONT, "font_size": self._size, **_BASE[name]}
            self._cache[name] = self._wb.add_format(props)
        return self._cache[name]


def print_setup(sheet, last_col: int, repeat: tuple[int, int] | None = None, *, title: str = "",
                last_row: int = 10000, scale: int = 0, label_cols: int = 0, portrait: bool = False) -> None:
    """A4 landscape (or `portrait`), centred, the sheet's title in the header and page numbers in the footer,
    rows `repeat` on every page. One page wide by default; with `scale` (percent) a wide table is printed in
    page-wide column groups, its first `label_cols` columns (the row labels) repeated on each."""
    if portrait:
        sheet.set_portrait()
    else:
        sheet.set_landscape()
    sheet.set_paper(9)
    sheet.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    if scale:
        sheet.set_print_scale(scale)
        if label_cols:
            sheet.repeat_columns(0, label_cols - 1)
    else:
        sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    if repeat:
        sheet.repeat_rows(*repeat)
    if title:
        sheet.set_header(f'&C&"Times New Roman,Bold"&12{title[:200].replace("&", "&&")}')
    sheet.set_footer("&C&\"Times New Roman\"Trang &P/&N")
    sheet.print_area(0, 0, last_row, last_col)


MAX_ROW_HEIGHT = 409.0  # points: Excel's tallest row


@functools.lru_cache(maxsize=1 << 16)  # the same labels, names and states come back row after row
def text_height(text: str, width: float, size: float = 12) -> float:
    """Points a wrapped text needs in a column (or merged columns) `width` units wide: about one
    and a fifth characters of Times New Roman per unit of width at 12 pt, lines of 1.3 × the type size; at most
    Excel's tallest row."""
    per_line = max(width * 1.2 * 12 / size, 1)
    lines = sum(-(-max(len(part), 1) // int(per_line)) for part in str(text).split("\n"))
    return min(round(max(lines, 1) * size * 1.32 + 3, 1), MAX_ROW_HEIGHT)
