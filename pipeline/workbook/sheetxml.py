"""Worksheet parts of a package being patched (see xmlpatch.py): find, restyle and insert cells, turn a formula
typed into a text cell into its text, attach the comments' drawing, unselect the tab; and two readings of a
sheet's bytes that spare parsing it when they tell for sure.
"""

from __future__ import annotations

import re

from lxml import etree

from pipeline.workbook.contract import col_letter, col_number
from pipeline.workbook.xmlpatch import MAIN, MAIN_NS, XML_SPACE, Package, Unsupported, local_name, with_rel_id


def split_ref(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
    if m is None:
        raise Unsupported(f"cell {ref}")
    return m[1], int(m[2])


# top-level children of <worksheet> that come after <legacyDrawing> in the schema's order
_AFTER_LEGACY = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst", "AlternateContent"}


_FORMULA_REFERENCES = etree.XPath("m:sheetData/m:row/m:c[m:f]/@r", namespaces={"m": MAIN_NS}, smart_strings=False)
_FORMULA_UNREFERENCED = etree.XPath("m:sheetData/m:row/m:c[m:f][not(@r)]", namespaces={"m": MAIN_NS})
_CACHED_VALUES = etree.XPath("m:sheetData/m:row/m:c[m:f]/m:v", namespaces={"m": MAIN_NS})
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>\s*<f[\s/>]')
_HIDING_OR_FORMULA = re.compile(rb"<(?:[!?]|f[\s/>])")  # comment, CDATA, DTD, processing instruction; formula
_DECLARATION = re.compile(rb"""xmlns(:[^\s=]*)?\s*=\s*("[^"]*"|'[^']*')""")
_XMLNS = re.compile(rb"xmlns")


def formula_cells(raw: bytes) -> set[str] | None:
    """The cells of a worksheet part that hold a formula, read from its bytes without parsing it (a template's
    sheets are large, and a text cell rarely holds one); None where the bytes cannot tell for sure, and the part
    must be parsed: markup that could hide an element (a comment, CDATA, a DTD, a processing instruction), an
    encoding that is not ASCII-compatible, a prefix bound to the main namespace (or any declaration written with
    a reference), a formula that is not the first child of a cell whose first attribute is its reference.
    (Regular expressions, not bytes.count: "<" is everywhere, and count is slow on it.)"""
    body = raw.removeprefix(b"\xef\xbb\xbf")
    if body.startswith(b"<?xml") and body[5:6].isspace():
        body = body[body.find(b"?>") + 2:]
    if b"\x00" in body[:64] or b"<sheetData" not in body:
        return None
    found = _HIDING_OR_FORMULA.findall(body)
    if any(m[1] != ord("f") for m in found):
        return None
    declarations = _DECLARATION.findall(body)
    if len(declarations) != len(_XMLNS.findall(body)) or any(
            b"&" in value or (prefix and value[1:-1] == MAIN_NS.encode()) for prefix, value in declarations):
        return None
    cells = _FORMULA_CELL.findall(body)
    return {ref.decode() for ref in cells} if len(cells) == len(found) else None


DEFAULT_ROW_HEIGHT = 15.75  # points: a row without a height of its own, as Excel and openpyxl take it
_ROW_TAG = re.compile(rb'<row r="([0-9]{1,7})"([^>]*)>')
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')


def rows_folded(raw: bytes, shown: range, hidden: range) -> bool:
    """Whether the bytes tell for sure that rows `shown` are visible and rows `hidden` hidden already (a template
    filled as the contract says), so that the part need not be parsed."""
    if formula_cells(raw) is None:
        return False
    state = {int(m[1]): bool(_HIDDEN.search(m[2])) for m in _ROW_TAG.finditer(raw)}
    return all(not state.get(r, False) for r in shown) and all(state.get(r, False) for r in hidden)


def maybe_selected(raw: bytes) -> bool:
    """Whether a sheet part may be a selected tab, told from its bytes: False only when every tabSelected is
    written "false" or "0" (LibreOffice writes one on every sheet), so that parsing it could change nothing."""
    return raw.count(b"tabSelected") != raw.count(b'tabSelected="false"') + raw.count(b'tabSelected="0"')


def unselect(pkg: Package, part: str) -> None:
    """No sheet view of this sheet (worksheet or chart sheet) is a selected tab any more."""
    for view in pkg.root(part).iterfind(f"{MAIN}sheetViews/{MAIN}sheetView"):  # not .iter(): that walks every cell
        if view.get("tabSelected") in ("1", "true"):
            del view.attrib["tabSelected"]
            pkg.touch(part)


class SheetXml:
    """One worksheet part: find, restyle, insert cells; neutralise formulas; attach comments."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        self.root = pkg.root(part, MAIN + "worksheet")
        self.data = self.root.find(MAIN + "sheetData")
        if self.data is None:
            raise Unsupported("no sheetData")
        merges = self.root.find(MAIN + "mergeCells")
        spans = [] if merges is None else [m.get("ref", "").split(":") for m in merges.iterchildren(MAIN + "mergeCell")]
        self._merged = [(split_ref(s[0]), split_ref(s[1])) for s in spans if len(s) == 2]
        self._rows: dict[int, etree._Element] = {}
        for row in self.data.iterchildren(MAIN + "row"):
            r = row.get("r", "")
            if not r.isdigit():
                raise Unsupported("rows without references")
            self._rows[int(r)] = row
        self._cells: dict[int, dict[str, etree._Element]] = {}  # row -> its cells by reference, when asked

    def _row_cells(self, r: int) -> dict[str, etree._Element]:
        if r not in self._cells:
            row = self._rows.get(r)
            self._cells[r] = {}
            for c in row.iterchildren(MAIN + "c") if row is not None else ():
                if c.get("r") is None:
                    raise Unsupported("cell without reference")
                self._cells[r][c.get("r")] = c
        return self._cells[r]

    def find(self, ref: str) -> etree._Element | None:
        """The cell element, or None where the sheet has none (nothing is inserted)."""
        return self._row_cells(split_ref(ref)[1]).get(ref)

    def cell(self, ref: str) -> etree._Element:
        """The cell element, inserted (empty, in its place) where the row has none."""
        c = self.find(ref)
        return self._insert_cell(ref) if c is None else c

    def row(self, r: int) -> etree._Element:
        """The row element, inserted (in its place) where the sheet has none."""
        return self._rows[r] if r in self._rows else self._insert_row(r)  # (an empty element is falsy)

    def row_numbers(self) -> list[int]:
        return sorted(self._rows)

    def clear(self, ref: str) -> etree._Element:
        """The cell emptied of its value (its format kept), inserted where there is none."""
        c = self.cell(ref)
        for child in list(c):
            c.remove(child)
        for name in [n for n in c.attrib if n not in ("r", "s")]:
            del c.attrib[name]
        self._cover(ref)
        self.pkg.touch(self.part)
        return c

    def show_row(self, r: int, height: float = 0.0) -> None:
        """Row `r` shown (out of a hidden group too, as `fold_rows` shows a row in use) and at least `height`
        points tall."""
        row = self.row(r)
        _unfold(row)
        if height > float(row.get("ht") or DEFAULT_ROW_HEIGHT):
            row.set("ht", f"{height:g}")
            row.set("customHeight", "1")
        self.pkg.touch(self.part)

    def _cover(self, ref: str) -> None:
        """The sheet's <dimension> (the used range a reader may trust) extended to the cell."""
        dim = self.root.find(MAIN + "dimension")
        if dim is None or not dim.get("ref"):
            return
        corners = [split_ref(x) for x in dim.get("ref").split(":")]
        (c1, r1), (c2, r2) = corners[0], corners[-1]
        col, r = split_ref(ref)
        cols = sorted((col_number(c1), col_number(c2), col_number(col)))
        first, last = (min(r1, r), max(r2, r))
        dim.set("ref", f"{col_letter(cols[0])}{first}:{col_letter(cols[-1])}{last}")

    def column_width(self, col: int, default: float = 8.43) -> float:
        """A column's width in characters, as <cols> sets it."""
        cols = self.root.find(MAIN + "cols")
        for c in cols.iterchildren(MAIN + "col") if cols is not None else ():
            if int(c.get("min", "0")) <= col <= int(c.get("max", "0")) and c.get("width"):
                return float(c.get("width"))
        return default

    def drop_cached_values(self) -> None:
        """Formulas keep no value computed before the sheet was edited (a reader that does not calculate sees
        none, rather than a stale one; Excel and LibreOffice calculate on opening)."""
        cached = _CACHED_VALUES(self.root)
        for v in cached:
            v.getparent().remove(v)
        if cached:
            self.pkg.touch(self.part)

    def formula_cells(self) -> set[str]:
        """The references of every cell holding a formula (XPath: no Python object per cell)."""
        if _FORMULA_UNREFERENCED(self.root):
            raise Unsupported("formula in a cell without reference")
        return set(_FORMULA_REFERENCES(self.root))

    def top_left(self, ref: str) -> str:
        """The cell itself, or for a cell inside merged cells the merged range's top-left cell."""
        col, row = split_ref(ref)
        c = col_number(col)
        for (c1, r1), (c2, r2) in self._merged:
            if r1 <= row <= r2 and col_number(c1) <= c <= col_number(c2):
                return f"{c1}{r1}"
        return f"{col}{row}"

    def style(self, ref: str) -> int:
        c = self.find(ref)
        value = c.get("s", "") if c is not None else ""
        return int(value) if value.isdigit() else 0

    def restyle(self, ref: str, style: int) -> None:
        self.cell(ref).set("s", str(style))
        self.pkg.touch(self.part)

    def _insert_cell(self, ref: str) -> etree._Element:
        col, r = split_ref(ref)
        row = self.row(r)
        row.attrib.pop("spans", None)  # a hint for the old cells only
        after = next((other for other in row if local_name(other) != "c"  # the row's extLst
                      or col_number(split_ref(other.get("r"))[0]) > col_number(col)), None)
        cell = etree.SubElement(row, MAIN + "c", r=ref)
        if after is not None:
            after.addprevious(cell)
        self._row_cells(r)[ref] = cell
        return cell

    def _insert_row(self, r: int) -> etree._Element:
        later = [n for n in self._rows if n > r]
        row = etree.SubElement(self.data, MAIN + "row", r=str(r))
        if later:
            self._rows[min(later)].addprevious(row)
        self._rows[r] = row
        return row

    def formula_as_text(self, ref: str) -> None:
        """A live formula typed into a text cell becomes that text (never a live formula in our output)."""
        c = self.find(ref)
        f = c.find(MAIN + "f") if c is not None else None
        if f is None:
            return
        if f.get("t", "normal") != "normal":
            raise Unsupported("shared or array formula in a text cell")
        self.put_inline(ref, "=" + (f.text or ""))

    def put_inline(self, ref: str, text: str) -> None:
        """The cell holding `text` as an inline string (as its <t> holds it), its format kept."""
        c = self.clear(ref)
        c.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(c, MAIN + "is"), MAIN + "t")
        t.set(XML_SPACE, "preserve")
        t.text = text

    def fold_rows(self, shown: range, hidden: range) -> bool:
        """Show rows `shown`, group and hide rows `hidden` (a "+" below them shows them again), so that only rows
        in use print; False, changing nothing, when a row to hide holds a value beyond its row number (the table
        is not where the template put it: rows inserted or deleted)."""
        for r in hidden:  # (a number in column A is the template's own row number)
            if any(c.find(MAIN + "f") is None and len(c) and (c.get("r") != f"A{r}" or c.get("t", "n") != "n")
                   for c in self._row_cells(r).values()):
                return False
        for r in shown:
            if r in self._rows:
                _unfold(self._rows[r])
        for r in hidden:
            row = self.row(r)
            row.set("hidden", "1")
            row.set("outlineLevel", "1")
        if hidden:
            self.row(hidden.stop).set("collapsed", "1")
            self._outline_level()
        self.pkg.touch(self.part)
        return True

    def _outline_level(self) -> None:
        fmt = self.root.find(MAIN + "sheetFormatPr")
        if fmt is None:
            fmt = etree.Element(MAIN + "sheetFormatPr", defaultRowHeight="15")
            cols = self.root.find(MAIN + "cols")
            (cols if cols is not None else self.data).addprevious(fmt)
        if int(fmt.get("outlineLevelRow", "0") or 0) < 1:
            fmt.set("outlineLevelRow", "1")

    def legacy_drawing(self, rid: str) -> None:
        """Point the sheet at its VML drawing (comments), at the place the schema gives <legacyDrawing>."""
        if self.root.find(MAIN + "legacyDrawing") is not None:
            raise Unsupported("sheet already has comments")
        children = list(self.root)
        later = [child for child in children[children.index(self.data) + 1:] if local_name(child) in _AFTER_LEGACY]
        element = with_rel_id(self.root, MAIN + "legacyDrawing", {}, rid)
        if later:
            later[0].addprevious(element)
        self.pkg.touch(self.part)


def _unfold(row: etree._Element) -> None:
    """A row shown, and out of any hidden group."""
    for name in ("hidden", "outlineLevel", "collapsed"):
        row.attrib.pop(name, None)
