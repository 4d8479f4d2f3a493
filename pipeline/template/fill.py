"""Fill a template through its self-description alone: `_meta` and the data names of the workbook contract.

Used by the demo, the roll-up and the tests; it knows nothing of the sheet layout, as any other tool would.
It changes what a person typing into the template in Excel changes, and nothing else: the cells typed into
(text goes to the shared strings, as Excel puts it), their rows shown and made tall enough for wrapped text.
Every other part is copied as it was (workbook/xmlpatch.py): a fifth of the time openpyxl takes to load and save
the whole workbook, and the template's own XML left as its writer wrote it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.workbook.bookxml import Book, Look, SharedStrings, looks, number_text, serial, text_of
from pipeline.workbook.contract import META_SHEET, TemplateMeta, cell, col_number, data_name, parse_range
from pipeline.workbook.sheetxml import SheetXml, split_ref
from pipeline.workbook.styles import text_height
from pipeline.workbook.xmlpatch import MAIN, Package, Styles, cut_text, excel_string

Record = Mapping[str, Any]
DATE_FORMAT, DATE_TIME_FORMAT = 14, 22  # Excel's built-in number formats for a date, and a date and time


class Template:
    """A template opened for filling, or for reading what it says of itself."""

    def __init__(self, path: Path) -> None:
        self.pkg = Package(path)
        self.book = Book(self.pkg)
        self.strings = SharedStrings(self.book)
        self._sheets: dict[str, SheetXml] = {}
        self._looks: list[Look] | None = None
        self._formats: dict[tuple[int, int], int] = {}  # (a cell format, a date format) -> the copy with it

    def sheet(self, name: str) -> SheetXml:
        if name not in self._sheets:
            self._sheets[name] = SheetXml(self.pkg, self.book.sheets[name])
        return self._sheets[name]

    def text(self, sheet: str, ref: str) -> str:
        """A cell's value as text ("" for an empty cell), as a reader of the template sees it."""
        c = self.sheet(sheet).find(ref)
        if c is None:
            return ""
        kind, v = c.get("t", "n"), c.find(MAIN + "v")
        if kind == "inlineStr":
            inline = c.find(MAIN + "is")
            return text_of(inline) if inline is not None else ""
        value = "" if v is None else v.text or ""
        return self.strings.texts[int(value)] if kind == "s" and value else value

    def meta(self) -> TemplateMeta:
        pairs = {}
        for r in self.sheet(META_SHEET).row_numbers():
            key = self.text(META_SHEET, f"A{r}")
            if key:
                pairs[key] = self.text(META_SHEET, f"B{r}")
        return TemplateMeta.parse(pairs)

    def data_cells(self, annex_id: str) -> tuple[str, list[list[str]]]:
        """The sheet name and the grid of cell coordinates that the annex's data name covers (rows × columns)."""
        sheet, _, ref = self.book.defined_name(data_name(annex_id)).rpartition("!")
        r1, c1, r2, c2 = parse_range(ref)
        return sheet.strip("'").replace("''", "'"), [[cell(r, c) for c in range(c1, c2 + 1)]
                                                     for r in range(r1, r2 + 1)]

    def put(self, sheet: str, ref: str, value: object) -> None:
        """Write a value into a cell, its format kept. Text stays text, as if typed with a leading apostrophe:
        "=1+1" is not a formula here. None, "" and a number or date that is not one (NaN, NaT, infinity) leave
        the cell empty."""
        sx = self.sheet(sheet)
        old = sx.find(ref)
        if old is not None and old.get("t") == "s":
            self.strings.release()
        c = sx.clear(ref)
        if _missing(value):
            return
        if isinstance(value, bool):
            c.set("t", "b")
            text = "1" if value else "0"
        elif isinstance(value, str):
            text = excel_string(cut_text(value))
            if not self.strings.present:
                sx.put_inline(ref, text)
                return
            c.set("t", "s")
            text = str(self.strings.add(text))
        elif isinstance(value, dt.date):
            self._date_format(c, DATE_TIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT)
            text = number_text(serial(value))
        elif isinstance(value, numbers.Number):
            text = number_text(value)
        else:
            raise TypeError(f"{sheet}!{ref}: {type(value).__name__}")
        etree.SubElement(c, MAIN + "v").text = text

    def look(self, c: etree._Element | None) -> Look:
        if self._looks is None:
            self._looks = looks(self.pkg, self.book.styles)
        index = int(c.get("s", "0") or 0) if c is not None else 0
        return self._looks[index] if index < len(self._looks) else Look()

    def _date_format(self, c: etree._Element, number_format: int) -> None:
        """A date typed into a cell without a date format gets one, as Excel gives it."""
        if self.look(c).date:
            return
        key = (int(c.get("s", "0") or 0), number_format)
        if key not in self._formats:
            self._formats[key] = Styles(self.pkg, self.book.styles).with_number_format(*key)
            self._looks = None
        c.set("s", str(self._formats[key]))

    def show_and_fit(self, sheet: str, row: list[str]) -> None:
        """A row written into is shown, as a person shows hidden rows before typing into them, and as tall as its
        wrapped text, as Excel and LibreOffice make it when a person types into it."""
        sx = self.sheet(sheet)
        need = 0.0
        for ref in row:
            c = sx.find(ref)
            look = self.look(c)
            if look.wrap and c is not None and c.get("t") in ("s", "inlineStr"):
                width = sx.column_width(col_number(split_ref(ref)[0]))
                need = max(need, text_height(self.text(sheet, ref), width, look.size))
        sx.show_row(split_ref(row[0])[1], need)

    def append_meta(self, rows: Sequence[tuple[str, str]]) -> None:
        """Key/value rows added at the end of the `_meta` sheet."""
        last = max(self.sheet(META_SHEET).row_numbers(), default=0)
        for n, (key, value) in enumerate(rows, start=last + 1):
            self.put(META_SHEET, f"A{n}", key)
            self.put(META_SHEET, f"B{n}", value)

    def save(self, target: Path) -> None:
        """Write the filled copy; its formulas keep no value computed for the empty template."""
        for name in self.book.sheets:
            self.sheet(name).drop_cached_values()
        self.pkg.save(target)


def _missing(value: object) -> bool:
    """Nothing to write: None, "", or a number or date that is not one (NaN, NaT, infinity in any type)."""
    if value is None or (isinstance(value, str) and not value):
        return True
    try:
        return value != value or (isinstance(value, numbers.Number) and not math.isfinite(value))
    except (TypeError, ValueError, ArithmeticError):  # (an int too large for a float is a number)
        return False


def read_meta(template: Path) -> TemplateMeta:
    return Template(template).meta()


def data_cells(template: Path, annex_id: str) -> tuple[str, list[list[str]]]:
    return Template(template).data_cells(annex_id)


def fill(template: Path, target: Path, data: Mapping[str, Record | Sequence[Record]],
         meta_rows: Sequence[tuple[str, str]] = ()) -> Path:
    """Write `data` (annex id -> one record for a form, a list of records for a table) into a copy, and
    `meta_rows` at the end of its `_meta` sheet."""
    filled = Template(template)
    meta = filled.meta()
    for annex_id, payload in data.items():
        am = meta.annexes[annex_id]
        sheet, grid = filled.data_cells(annex_id)
        if am.layout == "form":
            record = payload if isinstance(payload, Mapping) else payload[0]
            for key, row in zip(am.columns, grid, strict=True):
                if key in record:
                    filled.put(sheet, row[0], record[key])
        else:
            rows = [payload] if isinstance(payload, Mapping) else list(payload)
            _fill_table(filled, sheet, list(am.columns), grid, rows, am.row_key)
    filled.append_meta(meta_rows)
    filled.save(target)
    return target


def _fill_table(filled: Template, sheet: str, keys: list[str], grid: list[list[str]], rows: list[Record],
                row_key: str) -> None:
    """Rows in order; or, where the table has preset locked row keys, each record on its key's row."""
    if row_key:
        col = keys.index(row_key)
        where = {filled.text(sheet, row[col]): row for row in grid}
        placed = [(where[rec[row_key]], rec) for rec in rows]
    else:
        if len(rows) > len(grid):
            raise ValueError(f"{len(rows)} rows do not fit in {len(grid)}")
        placed = list(zip(grid, rows, strict=False))
    for row, record in placed:
        for key, ref in zip(keys, row, strict=True):
            if key in record and key != row_key:
                filled.put(sheet, ref, record[key])
        filled.show_and_fit(sheet, row)
