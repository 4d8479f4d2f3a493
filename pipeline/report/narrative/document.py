"""The Word draft's page and blocks, per Nghị định 30/2020/NĐ-CP (Phụ lục I): A4 portrait, Times New Roman,
margins top and bottom 20 mm, left 30 mm, right 15 mm; the header block in two columns (issuing body left,
national or Party motto right), number and date lines, title, body, "Nơi nhận" and signature.

Every figure of the text is a run wrapped in a bookmark named after its figure id (workbook/draft.py), so a
returned report can be compared figure by figure; places left for the unit to write are highlighted.
"""

from __future__ import annotations

from collections import Counter

from docx import Document as new_docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from pipeline.report.narrative.figures import Figure, Para

__all__ = ["Bookmarks", "Para", "body", "header_block", "heading", "line", "new_document", "new_section", "page",
           "signature_block", "title_block"]
from pipeline.workbook.draft import figure_bookmark

FONT = "Times New Roman"
BODY_PT = 14
A4 = (Mm(210), Mm(297))
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
HEADING_STYLES = {1: "Heading 1", 2: "Heading 2", 3: "Heading 3"}


class Bookmarks:
    """Bookmark ids and names of one document: the n-th use of a figure gets `F_<id>__n`."""

    def __init__(self) -> None:
        self.next_id = 1
        self.seen: Counter[str] = Counter()

    def wrap(self, paragraph: Paragraph, figure: Figure) -> None:
        self.seen[figure.id] += 1
        name = figure_bookmark(figure.id, self.seen[figure.id])
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self.next_id))
        start.set(qn("w:name"), name)
        paragraph._p.append(start)
        paragraph.add_run(nobreak(figure.text))
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self.next_id))
        paragraph._p.append(end)
        self.next_id += 1


def new_document() -> Document:
    doc = new_docx()
    page(doc.sections[0], landscape=False)
    normal = doc.styles["Normal"]
    _font(normal, BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for level, name in HEADING_STYLES.items():
        style = doc.styles[name]
        _font(style, BODY_PT, bold=True, italic=level == 3)
        style.font.color.rgb = None
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.first_line_indent = Pt(6), Pt(6), Cm(1)
        fmt.keep_with_next = True
    return doc


def _font(style, size: float, bold: bool | None = None, italic: bool | None = None) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):  # Vietnamese letters stay in Times New Roman
        fonts.set(qn(attr), FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)


def page(section, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = A4
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    if landscape:  # the binding edge (left of a portrait page) is the top of a landscape one
        section.top_margin, section.bottom_margin = MARGINS["left"], MARGINS["right"]
        section.left_margin, section.right_margin = MARGINS["top"], MARGINS["bottom"]
    else:
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]


def nobreak(text: str) -> str:
    """A percent sign kept on the line of its number (a no-break space before it, as Vietnamese writes "45,8 %")."""
    return text.replace(" %", "\u00a0%")


def line(target: Document | _Cell, text: str, size: float = BODY_PT, bold: bool = False, italic: bool = False,
         underline: bool = False, center: bool = True, space_after: float = 0) -> Paragraph:
    p = target.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.first_line_indent = None
    p.paragraph_format.line_spacing = 1.0
    run = p.add_run(nobreak(text))
    run.font.size, run.bold, run.italic, run.underline = Pt(size), bold, italic, underline
    return p


def header_block(doc: Document, left: list[str], right: list[str], number: str, date_line: str) -> None:
    """Two columns without borders: the issuing body (its superior, then itself in bold) and the number on the
    left; the motto (quốc hiệu and tiêu ngữ, or "ĐẢNG CỘNG SẢN VIỆT NAM") and the place and date on the right."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Cm(7), Cm(9.5))
    party = not any(r.strip() for r in right[1:])
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = width
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    lcell, rcell = table.rows[0].cells
    lines = [x for x in left if x.strip()]
    for n, text in enumerate(lines):
        line(lcell, text, 13, bold=n == len(lines) - 1 and len(lines) > 1)
    line(lcell, "*" if party else "―――――", 13)
    line(lcell, number, 13)
    motto = [x for x in right if x.strip()]
    for n, text in enumerate(motto):
        line(rcell, text, 13 if n == 0 else 14, bold=True, underline=n == len(motto) - 1)
    line(rcell, "", 13)
    line(rcell, date_line, 14, italic=True)


def title_block(doc: Document, title: str, subject: str) -> None:
    line(doc, "", space_after=6)
    line(doc, title, 14, bold=True)
    line(doc, subject, 14, bold=True)
    line(doc, "―――――――", 14, space_after=12)


def heading(doc: Document, level: int, text: str) -> None:
    p = doc.add_paragraph(text)
    p._p.style = HEADING_STYLES[level].replace(" ", "")  # the style's id: a lookup by name scans every style
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def body(doc: Document, para: Para, marks: Bookmarks) -> Paragraph:
    """A paragraph of the draft: justified, first line indented; a listed line starts with a dash, a place to
    write is yellow, a provisional note italic."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    p.paragraph_format.first_line_indent = Cm(1)
    if para.style == "item":
        p.add_run("- ")
    for piece in para.pieces:
        if isinstance(piece, Figure):
            marks.wrap(p, piece)
        else:
            run = p.add_run(nobreak(piece))
            if para.style == "write":
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                run.italic = True
            elif para.style == "note":
                run.italic = True
    return p


def signature_block(doc: Document, recipients: list[str], signature: list[str]) -> None:
    """"Nơi nhận:" and its list on the left (12 and 11 pt), the signature on the right."""
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    lcell, rcell = table.rows[0].cells
    lcell.width, rcell.width = Cm(8), Cm(8.5)
    for cell in (lcell, rcell):
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    line(lcell, "Nơi nhận:", 12, bold=True, italic=True, center=False)
    for text in recipients:
        line(lcell, f"- {text}", 11, center=False)
    for n, text in enumerate(signature):
        line(rcell, text, 14, bold=n < 2 or n == len(signature) - 1)


def new_section(doc: Document, landscape: bool) -> None:
    from docx.enum.section import WD_SECTION

    page(doc.add_section(WD_SECTION.NEW_PAGE), landscape)
