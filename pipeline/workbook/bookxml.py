"""The workbook part of a package being patched (see xmlpatch.py): its sheets, defined names, shared strings and
cell formats, and sheets added in front. Worksheet parts themselves are edited by `sheetxml.py`.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from dataclasses import dataclass

from lxml import etree

from pipeline.spec.expr import to_serial
from pipeline.workbook.xmlpatch import CT_WORKSHEET, MAIN, REL_NS, XML_SPACE, Package, Unsupported, with_rel_id

_DATE_FORMAT_IDS = frozenset((*range(14, 23), *range(45, 48)))
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


class Book:
    """The workbook part: sheet name -> worksheet part, the styles part, the shared strings part (or "")."""

    def __init__(self, pkg: Package) -> None:
        office = [r for r in pkg.relationships("") if r.get("Type", "").endswith("/officeDocument")]
        if len(office) != 1:
            raise Unsupported("workbook part")
        self.pkg, self.part = pkg, pkg.target("", office[0])
        rels = {r.get("Id"): r for r in pkg.relationships(self.part)}
        self.root = pkg.root(self.part, MAIN + "workbook")
        self.sheets: dict[str, str] = {}
        self.ids: list[int] = []
        for sheet in self.root.iter(MAIN + "sheet"):
            rel = rels.get(sheet.get(f"{{{REL_NS}}}id"))
            if rel is None:
                raise Unsupported("sheet relationship")
            self.sheets[sheet.get("name", "")] = pkg.target(self.part, rel)
            self.ids.append(int(sheet.get("sheetId", "0")))
        styles = [r for r in rels.values() if r.get("Type", "").endswith("/styles")]
        if not styles:
            raise Unsupported("no styles")
        self.styles = pkg.target(self.part, styles[0])
        strings = [r for r in rels.values() if r.get("Type", "").endswith("/sharedStrings")]
        self.strings = pkg.target(self.part, strings[0]) if strings else ""

    def defined_name(self, name: str) -> str:
        """The formula of a workbook-level defined name ("" where there is none)."""
        for element in self.root.iter(MAIN + "definedName"):
            if element.get("name") == name and element.get("localSheetId") is None:
                return element.text or ""
        return ""

    def add_first(self, parts: list[tuple[str, str]]) -> None:
        """Insert sheets (name, worksheet xml) before all others and make the first one active."""
        sheets = self.root.find(MAIN + "sheets")
        if sheets is None or len(sheets) == 0:
            raise Unsupported("sheets element")
        first = sheets[0]
        for n, (name, sheet_xml) in enumerate(parts, start=1):
            if name in self.sheets:
                raise Unsupported("sheet name taken")
            member = self.pkg.unique("xl/worksheets/sheetAnnex", ".xml")
            self.pkg.put(member, sheet_xml)
            self.pkg.content_type(member, CT_WORKSHEET)
            rid = self.pkg.relate(self.part, "worksheet", member)
            attrib = {"name": name, "sheetId": str(max(self.ids, default=0) + n)}
            first.addprevious(with_rel_id(sheets, MAIN + "sheet", attrib, rid))
        for name in self.root.iter(MAIN + "definedName"):  # print areas and the like follow their sheet
            if name.get("localSheetId", "").isdigit():
                name.set("localSheetId", str(int(name.get("localSheetId")) + len(parts)))
        for view in self.root.iter(MAIN + "workbookView"):
            for attr in ("activeTab", "firstSheet"):
                if attr in view.attrib:
                    view.set(attr, "0")
        self.pkg.touch(self.part)


class SharedStrings:
    """The shared strings table: read by index, and text added once (as Excel adds what is typed). Where the
    workbook has no table (openpyxl writes text inline), it reads nothing and `add` is not offered (`present`)."""

    def __init__(self, book: Book) -> None:
        self.pkg, self.part = book.pkg, book.strings
        self.present = bool(book.strings)
        self.root = self.pkg.root(self.part, MAIN + "sst") if self.present else None
        items = list(self.root.iterchildren(MAIN + "si")) if self.root is not None else []
        self.texts = [text_of(si) for si in items]
        self._plain = [len(si) == 1 and si[0].tag == MAIN + "t" for si in items]  # not rich text
        self._index: dict[str, int] | None = None

    def add(self, text: str) -> int:
        """The index of `text` (as a cell's <t> holds it, see xmlpatch.excel_string), added where it is new."""
        if self._index is None:
            self._index = {t: i for i, t in reversed(list(enumerate(self.texts))) if self._plain[i]}
        if text not in self._index:
            t = etree.SubElement(etree.SubElement(self.root, MAIN + "si"), MAIN + "t")
            if text != text.strip():
                t.set(XML_SPACE, "preserve")
            t.text = text
            self._index[text] = len(self.texts)
            self.texts.append(text)
            self._plain.append(True)
            self.root.set("uniqueCount", str(len(self.texts)))
        self._count(+1)
        return self._index[text]

    def release(self) -> None:
        """One cell fewer refers to the table."""
        self._count(-1)

    def _count(self, change: int) -> None:
        if self.root is not None and (self.root.get("count") or "").isdigit():
            self.root.set("count", str(max(int(self.root.get("count")) + change, 0)))
            self.pkg.touch(self.part)


def text_of(si: etree._Element) -> str:
    """The text of a shared string (<si>) or an inline one (<is>): its runs, without phonetic readings."""
    return "".join(t.text or "" for t in si.iter(MAIN + "t") if t.getparent().tag != MAIN + "rPh")


@dataclass(frozen=True)
class Look:
    """What a cell format tells of how its text shows: wrapped or not, the type size, a date format or not."""

    wrap: bool = False
    size: float = 11.0
    date: bool = False


def looks(pkg: Package, part: str) -> list[Look]:
    """The cell formats (cellXfs) of a styles part, in order."""
    root = pkg.root(part, MAIN + "styleSheet")
    sizes = []
    for font in root.iterfind(f"{MAIN}fonts/{MAIN}font"):
        sz = font.find(MAIN + "sz")
        sizes.append(float(sz.get("val", "11")) if sz is not None else 11.0)
    custom = {f.get("numFmtId"): f.get("formatCode", "") for f in root.iterfind(f"{MAIN}numFmts/{MAIN}numFmt")}
    out = []
    for xf in root.iterfind(f"{MAIN}cellXfs/{MAIN}xf"):
        align = xf.find(MAIN + "alignment")
        font = int(xf.get("fontId", "0") or 0)
        fmt = xf.get("numFmtId", "0") or "0"
        date = int(fmt) in _DATE_FORMAT_IDS if fmt.isdigit() else False
        if fmt in custom:
            date = any(ch in _QUOTED_OR_ESCAPED.sub("", custom[fmt]).lower() for ch in "dmy")
        out.append(Look(align is not None and align.get("wrapText") in ("1", "true"),
                        sizes[font] if font < len(sizes) else 11.0, date))
    return out


def serial(value: dt.date) -> float:
    """A date (or date and time) as a cell holds it: days since 30 December 1899 (a whole number for a day), one
    fewer before 1 March 1900 (Excel counts a 29 February 1900). Excel has no date before 1900, nor time zones."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError(f"a date and time with a time zone ({value}): Excel has none")
    if value.year < 1900:
        raise ValueError(f"{value}: Excel has no date before 1900")
    days = to_serial(value)
    days = days - 1 if days < 61 else days
    return int(days) if days.is_integer() else days


def number_text(value: numbers.Number) -> str:
    """A number as a cell's <v> holds it."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() and abs(as_float) < 2**53 else repr(as_float)
