"""A second reader for OpenDocument spreadsheets that python-calamine refuses (Gnumeric's .ods).

odfpy parses content.xml (already checked for DTDs and size by precheck.py); repeated rows and columns
are expanded only up to the limits the caller gives, so a sheet that asks for billions of cells cannot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

from odf.namespaces import OFFICENS, TABLENS
from odf.opendocument import load
from odf.table import Table, TableRow
from odf.text import P

from pipeline.models import RawBook
from pipeline.workbook.contract import META_SHEET, NOT_ANNEX_SHEETS

MAX_COLS = 256


def _text(cell) -> str:
    return "\n".join(str(p) for p in cell.getElementsByType(P))


def _value(cell) -> object:
    kind = cell.getAttrNS(OFFICENS, "value-type")
    if kind in ("float", "percentage", "currency"):
        return float(cell.getAttrNS(OFFICENS, "value"))
    if kind == "date":
        text = cell.getAttrNS(OFFICENS, "date-value")
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    if kind == "boolean":
        return cell.getAttrNS(OFFICENS, "boolean-value") == "true"
    return _text(cell) if kind else ""


def _rows(table, max_rows: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for row in table.getElementsByType(TableRow):
        repeat = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
        cells: list[object] = []
        for cell in row.childNodes:
            kind = getattr(cell, "qname", (None, None))[1]
            if kind not in ("table-cell", "covered-table-cell"):
                continue
            span = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
            value = _value(cell) if kind == "table-cell" else ""
            cells.extend([value] * min(span, max(0, MAX_COLS - len(cells))))
        while cells and cells[-1] == "":
            cells.pop()
        rows.extend([list(cells) for _ in range(min(repeat, max(0, max_rows - len(rows))))])
        if len(rows) >= max_rows:
            break
    while rows and not rows[-1]:
        rows.pop()
    return rows


class SheetFilter:
    """Which sheets a reader reads: the annex sheets by name (casefolded `wanted`), and up to `extra` sheets of
    other names that are not the template's own (a renamed annex sheet is then found by its content)."""

    def __init__(self, wanted: frozenset[str], extra: int = 8) -> None:
        self.wanted, self.extra = wanted, extra

    def __call__(self, name: str) -> bool:
        folded = name.strip().casefold()
        if folded in self.wanted:
            return True
        if folded in NOT_ANNEX_SHEETS or self.extra <= 0:
            return False
        self.extra -= 1
        return True


class OdsDamaged(ValueError):
    """content.xml is not well-formed (a file cut short): odfpy says so on standard output and goes on with the
    rows it parsed, which would pass a truncated table for a whole one."""


def _load(path: Path):
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # odfpy prints the whole content.xml when it fails to parse it
        doc = load(str(path))
    if "SAX FAILED TO PARSE" in said.getvalue():
        raise OdsDamaged(path.name)
    return doc


def read_ods(path: Path, wanted: frozenset[str], max_rows: int) -> RawBook:
    book = RawBook()
    doc = _load(path)
    wants = SheetFilter(wanted)
    for table in doc.getElementsByType(Table):
        name = table.getAttrNS(TABLENS, "name")
        book.sheet_names.append(name)
        if name == META_SHEET:
            book.meta = {str(r[0]).strip(): str(r[1]).strip() for r in _rows(table, 2000)
                         if len(r) >= 2 and str(r[0]).strip()}
        elif wants(name):
            book.sheets[name] = _rows(table, max_rows)
    return book
