"""Feedback marks written into the unit's own .xlsx by patching its XML (see workbook/xmlpatch.py).

`annotate` restyles and comments the cells a feedback names, turns formulas typed into text cells into
their text, and puts report sheets first, leaving every other part of the unit's workbook as it was.
It raises `Unsupported` for packages it does not edit; feedback then falls back to openpyxl.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.workbook.bookxml import Book
from pipeline.workbook.contract import ERROR_FILL, col_letter, col_number
from pipeline.workbook.sheetxml import SheetXml, formula_cells, maybe_selected, rows_folded, split_ref, unselect
from pipeline.workbook.xmlpatch import (
    CT_COMMENTS,
    CT_VML,
    MAIN_NS,
    REL_NS,
    Package,
    Styles,
    Unsupported,
    xml_text,
)

FONT = '<font><sz val="12"/><color rgb="FF000000"/><name val="Times New Roman"/><family val="1"/></font>'
FONT_BOLD = '<font><b/><sz val="12"/><color rgb="FF000000"/><name val="Times New Roman"/><family val="1"/></font>'
FONT_LINK = ('<font><u/><sz val="12"/><color rgb="FF0563C1"/><name val="Times New Roman"/><family val="1"/>'
             '</font>')


def solid(rgb: str) -> str:
    return (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/>'
            '</patternFill></fill>')


@dataclass
class Mark:
    """What to show on one cell: its fill colour (RRGGBB) and the comment lines."""

    rgb: str
    lines: list[str] = field(default_factory=list)


@dataclass
class NewSheet:
    """A plain report sheet: rows of values, column widths, bold rows, links to cells (row, col) → location."""

    name: str
    rows: list[list[object]]
    widths: list[float]
    bold: set[int] = field(default_factory=set)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    wrap: set[int] = field(default_factory=set)
    freeze: int = 0  # rows kept in view while scrolling
    merges: list[str] = field(default_factory=list)  # "A1:E1": heading lines across the table's width


def _book(pkg: Package) -> Book:
    ctypes = pkg.raw.get("[Content_Types].xml", b"")
    if b"macroEnabled" in ctypes or b"template.main" in ctypes:
        raise Unsupported("not a plain workbook")
    return Book(pkg)


Folds = dict[str, tuple[range, range]]  # sheet -> (rows shown, rows hidden): a table prints only its rows in use


def annotate(src: Path, dst: Path, marks: dict[tuple[str, str], Mark], sheets: list[NewSheet],
             as_text: dict[str, list[str]], folds: Folds | None = None) -> None:
    """Write `dst`: the workbook `src` with `marks` on (sheet, cell), formulas in `as_text` cells turned
    into text, `sheets` in front (the first one selected), and table rows shown or hidden as `folds` says."""
    pkg = Package(src)
    if any(name.lower().endswith(".vml") for name in pkg.raw):
        raise Unsupported("workbook already has comments or controls")
    book = _book(pkg)
    styles = Styles(pkg, book.styles)
    edited: dict[str, SheetXml] = {}

    def sheet(name: str) -> SheetXml:
        part = book.sheets[name]
        if part not in edited:
            edited[part] = SheetXml(pkg, part)
        return edited[part]

    neutralised = False
    marked = {name for name, _ in marks}
    for name, refs in as_text.items():
        if name in book.sheets:  # a sheet parsed anyway is asked, another one read from its bytes where they tell
            held = None if name in marked else formula_cells(pkg.raw.get(book.sheets[name], b""))
            for ref in set(refs) & (sheet(name).formula_cells() if held is None else held):
                sheet(name).formula_as_text(ref)
                neutralised = True
    chain = posixpath.join(posixpath.dirname(book.part), "calcChain.xml")
    if neutralised and chain in pkg.raw:  # Excel would "repair" a chain naming a formula that is gone
        pkg.drop(chain, book.part)
    by_sheet: dict[str, dict[str, Mark]] = {}
    for (name, ref), mark in marks.items():
        if name in book.sheets:
            cell = sheet(name).top_left(ref)
            merged = by_sheet.setdefault(name, {}).setdefault(cell, Mark(mark.rgb))
            merged.rgb = ERROR_FILL if ERROR_FILL in (merged.rgb, mark.rgb) else mark.rgb
            merged.lines += mark.lines
    _restyle(sheet, styles, by_sheet)
    for name, (shown, hidden) in (folds or {}).items():
        part = book.sheets.get(name)
        if part and (part in edited or not rows_folded(pkg.raw.get(part, b""), shown, hidden)):
            sheet(name).fold_rows(shown, hidden)
    block = 1  # VML shape ids: each drawing its own blocks of 1024
    for name, cells in by_sheet.items():
        block = _comments(pkg, book.sheets[name], sheet(name), cells, block)
    _add_reports(pkg, book, styles, sheets, edited)
    pkg.save(dst)


def insert_sheets(src: Path, dst: Path, sheets: list[NewSheet]) -> None:
    """Write `dst`: the workbook `src` with the report `sheets` in front (the first one selected) and nothing else
    changed. The openpyxl path ends here, so a report sheet is rendered one way (`sheet_xml`) on both paths."""
    pkg = Package(src)
    book = _book(pkg)
    _add_reports(pkg, book, Styles(pkg, book.styles), sheets, {})
    pkg.save(dst)


def _add_reports(pkg: Package, book: Book, styles: Styles, sheets: list[NewSheet], edited: dict) -> None:
    """The report sheets in front, the first one the only selected tab."""
    for part in book.sheets.values():
        if maybe_selected(pkg.raw.get(part, b"")) or part in edited:
            unselect(pkg, part)
    for s in sheets:  # a link to a sheet the workbook does not have would only confuse
        s.links = {at: loc for at, loc in s.links.items() if loc.split("!")[0].strip("'") in book.sheets}
    formats = _report_formats(styles)
    book.add_first([(s.name, sheet_xml(s, formats, selected=i == 0)) for i, s in enumerate(sheets)])


def _restyle(sheet, styles: Styles, by_sheet: dict[str, dict[str, Mark]]) -> None:
    fills: dict[str, int] = {}
    clones: dict[tuple[int, str], int] = {}
    for name, cells in by_sheet.items():
        sx = sheet(name)
        for ref, mark in cells.items():
            if mark.rgb not in fills:
                fills[mark.rgb] = styles.fill(solid(mark.rgb))
            old = sx.style(ref)
            if (old, mark.rgb) not in clones:
                clones[(old, mark.rgb)] = styles.with_fill(old, fills[mark.rgb])
            sx.restyle(ref, clones[(old, mark.rgb)])


def _report_formats(styles: Styles) -> dict[str, int]:
    plain, bold, link = styles.font(FONT), styles.font(FONT_BOLD), styles.font(FONT_LINK)
    base = 'numFmtId="0" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"'
    return {"text": styles.xf(f'<xf fontId="{plain}" {base}><alignment vertical="top"/></xf>'),
            "wrap": styles.xf(f'<xf fontId="{plain}" {base}><alignment vertical="top" wrapText="1"/></xf>'),
            "bold": styles.xf(f'<xf fontId="{bold}" {base}><alignment vertical="top" wrapText="1"/></xf>'),
            "link": styles.xf(f'<xf fontId="{link}" {base}><alignment vertical="top"/></xf>')}


def _cell_xml(ref: str, value: object, style: int) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'


def row_height(sheet: NewSheet, values: list[object]) -> float | None:
    """Points for a row whose wrapped text needs more than one line (12 pt Times New Roman: about one
    character per unit of column width); None for one line. Set, since not every program fits rows."""
    lines = 1
    for c, value in enumerate(values, start=1):
        if c in sheet.wrap and c <= len(sheet.widths) and isinstance(value, str):
            per_line = max(sheet.widths[c - 1] * 1.1, 1)
            lines = max(lines, sum(-(-max(len(part), 1) // int(per_line)) for part in value.split("\n")))
    return 16.0 * lines if lines > 1 else None


def sheet_xml(sheet: NewSheet, formats: dict[str, int], selected: bool) -> str:
    """A worksheet of inline strings and numbers (text is never a formula), its header frozen, printed one
    page wide (A4 landscape)."""
    rows = []
    for r, values in enumerate(sheet.rows, start=1):
        cells = []
        for c, value in enumerate(values, start=1):
            kind = ("bold" if r in sheet.bold else "link" if (r, c) in sheet.links
                    else "wrap" if c in sheet.wrap else "text")
            cells.append(_cell_xml(f"{col_letter(c)}{r}", value, formats[kind]))
        height = row_height(sheet, values)
        attrs = f' ht="{height}" customHeight="1"' if height else ""
        rows.append(f'<row r="{r}"{attrs}>{"".join(cells)}</row>')
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(sheet.widths, start=1))
    cols = f"<cols>{cols}</cols>" if cols else ""
    links = "".join(f'<hyperlink ref="{col_letter(c)}{r}" location="{xml_text(loc)}" display="{xml_text(loc)}"/>'
                    for (r, c), loc in sheet.links.items())
    pane = (f'<pane ySplit="{sheet.freeze}" topLeftCell="A{sheet.freeze + 1}" activePane="bottomLeft" '
            'state="frozen"/>' if sheet.freeze else "")
    selection = ' tabSelected="1"' if selected else ""
    view = f'<sheetView workbookViewId="0"{selection}>{pane}</sheetView>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews>{view}</sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>{"".join(rows)}</sheetData>'
            + (f'<mergeCells count="{len(sheet.merges)}">'
               + "".join(f'<mergeCell ref="{m}"/>' for m in sheet.merges) + "</mergeCells>" if sheet.merges else "")
            + (f"<hyperlinks>{links}</hyperlinks>" if links else "")
            + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            '<headerFooter><oddFooter>&amp;C&amp;"Times New Roman"Trang &amp;P/&amp;N</oddFooter></headerFooter>'
            '</worksheet>')


def _comments(pkg: Package, part: str, sx: SheetXml, cells: dict[str, Mark], block: int) -> int:
    """A comments part and its VML drawing (what Excel shows on hover) for one sheet. VML shape ids come in
    blocks of 1024 (block b: 1024·b to 1024·b + 1023) that each drawing declares in `o:idmap`: this drawing
    takes blocks from `block` on, as many as its shapes need, and returns the next free block."""
    blocks = list(range(block, block + 1 + len(cells) // 1024))
    comments, shapes = [], []
    for n, (ref, mark) in enumerate(cells.items()):
        body = "\n\n".join(mark.lines)[:30000]
        comments.append(f'<comment ref="{ref}" authorId="0"><text><r><rPr><sz val="10"/><rFont val="Tahoma"/>'
                        f'</rPr><t xml:space="preserve">{xml_text(body)}</t></r></text></comment>')
        shapes.append(_shape(ref, 1024 * block + n + 1))
    member = pkg.unique("xl/commentsAnnex", ".xml")
    pkg.put(member, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<comments xmlns="{MAIN_NS}"><authors><author>annex</author></authors>'
            f'<commentList>{"".join(comments)}</commentList></comments>')
    pkg.content_type(member, CT_COMMENTS)
    vml = pkg.unique("xl/drawings/vmlDrawingAnnex", ".vml")
    pkg.put(vml, '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
            f'<o:idmap v:ext="edit" data="{",".join(map(str, blocks))}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            + "".join(shapes) + "</xml>")
    pkg.default_type("vml", CT_VML)
    pkg.relate(part, "comments", member)
    sx.legacy_drawing(pkg.relate(part, "vmlDrawing", vml))
    return blocks[-1] + 1


def _shape(ref: str, shape_id: int) -> str:
    col, row = split_ref(ref)
    c, r = col_number(col) - 1, row - 1
    anchor = f"{c + 1}, 15, {max(r - 1, 0)}, 10, {c + 5}, 15, {max(r - 1, 0) + 8}, 4"
    return (f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
            'margin-top:2pt;width:270pt;height:120pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
            f'<x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>'
            f'<x:Row>{r}</x:Row><x:Column>{c}</x:Column></x:ClientData></v:shape>')
