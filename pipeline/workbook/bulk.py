"""A worksheet (XlsxWriter's, subclassed) that also takes whole tables of plain cells at once.

The summary's detail tables run to tens of thousands of cells, and a cell written through XlsxWriter costs
microseconds twice (when written, and again as XML when the workbook closes). `BulkSheet.write_rows` turns a block
of rows into their XML at once; at close it goes out between the rows XlsxWriter writes itself. What goes in is
what XlsxWriter would have written for the same calls: text as text (an inline string, never a formula or a link;
control characters as Excel's _xHHHH_ escapes, cut at Excel's 32,767 characters), numbers and dates as numbers,
None as a blank cell that keeps its format, each row with its height in points. It relies on XlsxWriter's
worksheet internals (3.3 to 3.x: `row_info`, `row_sizes`, `_check_dimensions`, `_write_rows`); tests/test_bulk.py
compares both ways of writing, so a version that changes them fails there first.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Sequence

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from pipeline.workbook.xmlpatch import cut_text, excel_string

Cell = tuple[object, Format | None]  # (value, format): str, int, float, date or datetime, or None for a blank
Row = tuple[float | None, Sequence[Cell]]  # (height in points or None, the cells from column 0)

_EDGE_SPACE = re.compile(r"^\s|\s$")
_SPECIAL = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|^\s|\s$")  # any of these, or markup


def _text(value: str) -> str:
    value = cut_text(value)
    if not _SPECIAL.search(value):
        return f"<is><t>{value}</t></is>"
    value = excel_string(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(value) else ""
    return f"<is><t{space}>{value}</t></is>"


class BulkSheet(Worksheet):
    """Use as `workbook.add_worksheet(name, worksheet_class=BulkSheet)`; everything else is XlsxWriter's."""

    def __init__(self) -> None:
        super().__init__()
        self._blocks: list[tuple[int, int, str]] = []  # (first row, last row, their XML)
        self._styles: dict[int, str] = {}  # a format's style attribute, by the format's id (formats live on)
        self._texts: dict[str, str] = {}  # a text's inline string: names, khối and states repeat down a table

    def cell_xml(self, ref: str, value: object, fmt: Format | None) -> str:
        """One cell's XML, as XlsxWriter writes it (text inline)."""
        style = self._styles.get(id(fmt)) if fmt is not None else ""
        if style is None:
            style = self._styles[id(fmt)] = f' s="{fmt._get_xf_index()}"'  # type: ignore[union-attr]
        if value is None:
            return f'<c r="{ref}"{style}/>'
        if isinstance(value, str):
            text = self._texts.get(value)
            if text is None:
                text = self._texts[value] = _text(value)
            return f'<c r="{ref}"{style} t="inlineStr">{text}</c>'
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            raise TypeError("a truth value has no cell of its own here: write the text the reader should see")
        if isinstance(value, dt.date | dt.time):  # as XlsxWriter converts them, under this workbook's options
            value = self._convert_date_time(value)
        if isinstance(value, numbers.Real):  # numpy's scalars too
            value = float(value)
            if math.isnan(value):
                return f'<c r="{ref}"{style}/>'
            if math.isinf(value):
                raise ValueError("an infinite number has no cell (XlsxWriter refuses it too)")
            return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'
        raise TypeError(f"no cell for a {type(value).__name__}")

    def write_rows(self, first: int, rows: Iterable[Row]) -> int:
        """Write `rows` from row `first` (0-based) down; returns the row after the last. No cell may be written
        into these rows in any other way, and blocks may not overlap."""
        if self.constant_memory:
            raise ValueError("rows in bulk need the whole sheet in memory (not constant_memory)")
        columns: list[str] = []
        out: list[str] = []
        r = first
        for height, cells in rows:
            while len(columns) < len(cells):
                columns.append(xl_col_to_name(len(columns)))
            n = r + 1
            out.append(f'<row r="{n}"{self._height(r, height)}>' + "".join(
                self.cell_xml(f"{columns[c]}{n}", value, fmt) for c, (value, fmt) in enumerate(cells)) + "</row>")
            r += 1
        if r > first:
            if any(a <= r - 1 and first <= b for a, b, _ in self._blocks):
                raise ValueError(f"rows {first + 1}-{r} overlap rows written in bulk before")
            if self._check_dimensions(first, 0) or self._check_dimensions(r - 1, max(len(columns) - 1, 0)):
                raise ValueError(f"rows {first + 1}-{r} do not fit in a worksheet")
            self._blocks.append((first, r - 1, "".join(out)))
        return r

    def _height(self, row: int, points: float | None) -> str:
        """A row's height attributes as XlsxWriter's set_row writes them (in whole pixels, none for the default);
        the height is also where XlsxWriter places pictures and charts from."""
        if points is None:
            return ""
        pixels = int(points * 4.0 / 3.0 + 0.5)
        self.row_sizes[row] = [pixels, False]
        if pixels == self.original_row_height == self.default_row_height:
            return ""
        return f' ht="{pixels * 0.75:.16g}" customHeight="1"'

    def _write_rows(self) -> None:
        if not self._blocks:
            super()._write_rows()
            return
        low, high = self.dim_rowmin, self.dim_rowmax
        start = low
        try:
            for first, last, xml in sorted(self._blocks):
                if any(self.table.get(r) or r in self.row_info for r in range(first, last + 1)):
                    raise ValueError(f"rows {first + 1}-{last + 1} are written in bulk and cell by cell")
                if start < first:
                    self.dim_rowmin, self.dim_rowmax = start, first - 1
                    super()._write_rows()
                self.fh.write(xml)
                start = last + 1
            if start <= high:
                self.dim_rowmin, self.dim_rowmax = start, high
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = low, high
