"""The XML-level patcher on packages as different producers write them: namespaces declared on the root
(XlsxWriter, Excel), on each element that uses them (openpyxl with lxml), bound to other prefixes."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from pipeline.report.annotate import Mark, NewSheet, annotate
from pipeline.workbook.contract import ERROR_FILL, REPORT_SHEET, WARNING_FILL
from pipeline.workbook.xmlpatch import MAIN_NS, PKG_NS, REL_NS, TYPES_NS, Unsupported

from .conftest import needs
from .helpers import soffice_convert, strict_workbook

LINK = '=HYPERLINK("http://x","bấm")'
MARKS = {("PL1", "C2"): Mark(ERROR_FILL, ["giữa hai ô"]), ("PL1", "A9"): Mark(WARNING_FILL, ["dòng mới cuối"]),
         ("PL1", "A3"): Mark(WARNING_FILL, ["ô mới đầu dòng"]), ("PL1", "G8"): Mark(ERROR_FILL, ["ô gộp"]),
         ("PL2", "A1"): Mark(ERROR_FILL, ["trang khác"])}


def _source(path: Path) -> Path:
    """Written by XlsxWriter: every namespace declared on the root element, as Excel does."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    pl1, pl2 = wb.add_worksheet("PL1"), wb.add_worksheet("PL2")
    pl1.write("B2", "a")
    pl1.write("D2", 1)
    pl1.write("B5", "b")
    pl1.merge_range("F7:G8", "gộp")
    pl1.write_formula("C3", LINK)  # typed into a text cell: must come back as text
    pl1.print_area("A1:G9")
    pl2.write("A1", 2)
    pl2.activate()
    wb.close()
    return path


def _redeclare(xml: bytes, prefixes: dict[str, str | None], local: frozenset[str] = frozenset()) -> bytes:
    """The same document with namespaces (uri -> prefix) bound to other prefixes; those in `local` declared
    on each element that uses them, not on the root."""
    src = etree.fromstring(xml)
    top = {p: u for p, u in src.nsmap.items() if u not in prefixes}
    top.update({p: u for u, p in prefixes.items() if u not in local})

    def build(old: etree._Element, parent: etree._Element | None) -> etree._Element:
        used = {etree.QName(old).namespace} | {etree.QName(a).namespace for a in old.attrib}
        here = {prefixes[u]: u for u in used if u in local}
        new = (etree.Element(old.tag, nsmap={**top, **here}) if parent is None
               else etree.SubElement(parent, old.tag, nsmap=here or None))
        for key, value in old.attrib.items():
            new.set(key, value)
        new.text, new.tail = old.text, old.tail
        for child in old:
            if isinstance(child.tag, str):
                build(child, new)
            else:
                new.append(copy.deepcopy(child))
        return new

    return etree.tostring(build(src, None), xml_declaration=True, encoding="UTF-8", standalone=True)


def _rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))
    return dst


def _local(name: str, data: bytes) -> bytes:
    """xmlns:r on each <sheet>, <legacyDrawing>, … instead of the root."""
    if name == "xl/workbook.xml" or name.startswith("xl/worksheets/sheet"):
        return _redeclare(data, {REL_NS: "r"}, frozenset({REL_NS}))
    return data


def _prefixed(name: str, data: bytes) -> bytes:
    """The main namespace bound to x:, relationships to rel:; package relationships and content types too."""
    if name in ("xl/workbook.xml", "xl/styles.xml") or name.startswith("xl/worksheets/sheet"):
        return _redeclare(data, {MAIN_NS: "x", REL_NS: "rel"})
    if name.endswith(".rels"):
        return _redeclare(data, {PKG_NS: "pr"})
    if name == "[Content_Types].xml":
        return _redeclare(data, {TYPES_NS: "ct"})
    return data


def _producer(kind: str, tmp_path: Path) -> Path:
    src = _source(tmp_path / "xlsxwriter.xlsx")
    if kind == "local":
        return _rewrite(src, tmp_path / "local.xlsx", _local)
    if kind == "prefixed":
        return _rewrite(src, tmp_path / "prefixed.xlsx", _prefixed)
    if kind == "openpyxl":  # with lxml installed, openpyxl declares xmlns:r on each <sheet>
        wb = openpyxl.load_workbook(src)
        wb.save(tmp_path / "openpyxl.xlsx")
        return tmp_path / "openpyxl.xlsx"
    return src


@pytest.mark.parametrize("kind", ["xlsxwriter", "local", "openpyxl", "prefixed"])
def test_namespaces_are_kept_as_each_producer_declares_them(tmp_path, kind):
    src = _producer(kind, tmp_path)
    report = NewSheet(REPORT_SHEET, [["Ô"], ["C2"]], [10], links={(2, 1): "'PL1'!C2"})
    out = tmp_path / "out.xlsx"
    annotate(src, out, MARKS, [report], {"PL1": ["C3"]})
    wb = strict_workbook(out)
    assert wb.sheetnames == [REPORT_SHEET, "PL1", "PL2"] and wb.active.title == REPORT_SHEET
    assert [s.title for s in wb.worksheets if s.sheet_view.tabSelected] == [REPORT_SHEET]
    pl1 = wb["PL1"]
    fills = [pl1[c].fill.fgColor.rgb[2:] for c in ("C2", "A9", "A3", "F7")]
    assert fills == [ERROR_FILL, WARNING_FILL, WARNING_FILL, ERROR_FILL]
    assert pl1["F7"].comment.text == "ô gộp" and pl1["A3"].comment.text == "ô mới đầu dòng"
    assert wb["PL2"]["A1"].fill.fgColor.rgb[2:] == ERROR_FILL and wb["PL2"]["A1"].comment.text == "trang khác"
    assert (pl1["B2"].value, pl1["D2"].value, pl1["B5"].value, wb["PL2"]["A1"].value) == ("a", 1, "b", 2)
    assert pl1["C3"].data_type == "s" and pl1["C3"].value == LINK
    assert "PL1" in pl1.print_area, "the print area still belongs to its sheet"
    assert wb[REPORT_SHEET]["A2"].hyperlink.location == "'PL1'!C2"
    with zipfile.ZipFile(src) as before, zipfile.ZipFile(out) as after:
        kept = [n for n in before.namelist() if n.startswith(("docProps/", "xl/theme/"))]
        assert kept and all(before.read(n) == after.read(n) for n in kept), "untouched parts are copied as they were"
        book = after.read("xl/workbook.xml")
        assert b"ns0:" not in book and b"xmlns:ns0" not in book, "no generated prefixes"
        if kind == "prefixed":  # our additions take the producer's prefixes
            assert book.startswith(b"<?xml") and b"<x:sheet name=\"L" in book and b"rel:id=\"rIdAnnex1\"" in book
            assert b"<pr:Relationship " in after.read("xl/_rels/workbook.xml.rels")


def test_what_the_patcher_does_not_edit_is_unsupported_not_a_crash(tmp_path):
    src = _source(tmp_path / "src.xlsx")
    cases = {
        "entity": ("xl/styles.xml", lambda d: b'<?xml version="1.0"?><!DOCTYPE styleSheet [<!ENTITY e SYSTEM '
                   b'"file:///etc/passwd">]>' + d.split(b"?>", 1)[1].replace(b"<fonts", b"<!-- &e; --><fonts", 1)),
        "unbound prefix": ("xl/workbook.xml", lambda d: d.replace(b' xmlns:r="' + REL_NS.encode() + b'"', b"")),
        "rows without references": ("xl/worksheets/sheet1.xml", lambda d: d.replace(b'<row r="2"', b"<row")),
    }
    for part, change in cases.values():
        broken = _rewrite(src, tmp_path / "broken.xlsx", lambda n, d, p=part, c=change: c(d) if n == p else d)
        with pytest.raises(Unsupported):
            annotate(broken, tmp_path / "out.xlsx", MARKS, [NewSheet(REPORT_SHEET, [["x"]], [])], {})



def _many_marks(tmp_path: Path) -> tuple[Path, int]:
    """A sheet with more marks than one block of 1024 VML shape ids holds, and another sheet with marks."""
    wb = openpyxl.Workbook()
    wb.active.title = "PL1"
    wb.create_sheet("PL2")["A1"] = 1
    wb.save(tmp_path / "in.xlsx")
    marks = {("PL1", f"{col}{row}"): Mark(ERROR_FILL, [f"ô {col}{row}"]) for row in range(1, 601) for col in "AB"}
    marks |= {("PL2", f"A{row}"): Mark(WARNING_FILL, [f"ô A{row}"]) for row in range(1, 6)}
    annotate(tmp_path / "in.xlsx", tmp_path / "out.xlsx", marks, [NewSheet(REPORT_SHEET, [["x"]], [])], {})
    return tmp_path / "out.xlsx", len(marks)


def test_comment_shape_ids_stay_in_the_blocks_their_drawing_declares(tmp_path):
    out, count = _many_marks(tmp_path)
    wb = strict_workbook(out)
    assert sum(1 for s in wb.worksheets for row in s.iter_rows() for c in row if c.comment) == count
    seen: list[int] = []
    owners: dict[int, str] = {}
    o = "{urn:schemas-microsoft-com:office:office}"
    with zipfile.ZipFile(out) as z:
        for name in (n for n in z.namelist() if n.endswith(".vml")):
            root = etree.fromstring(z.read(name))
            blocks = [int(b) for b in root.find(f"{o}shapelayout/{o}idmap").get("data").split(",")]
            for b in blocks:
                assert owners.setdefault(b, name) == name, f"block {b} declared by two drawings"
            ids = [int(s.get("id").removeprefix("_x0000_s")) for s in root.iter("{urn:schemas-microsoft-com:vml}shape")]
            assert all(i // 1024 in blocks for i in ids), (name, blocks)
            seen += ids
    assert len(seen) == count == len(set(seen)) and len(owners) == 3, "1,200 shapes take two blocks, 5 take one"


@needs("soffice")
def test_libreoffice_opens_a_sheet_with_more_than_a_block_of_comments(tmp_path):
    out, count = _many_marks(tmp_path)
    soffice_convert(out, tmp_path / "lo", "ods", tmp_path / "profile")
    with zipfile.ZipFile(tmp_path / "lo" / "out.ods") as z:
        content = z.read("content.xml").decode()
    assert content.count("<office:annotation") == count and "ô B600" in content and "ô A5" in content


SHEET = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>'
         '<row r="2">{cells}</row></sheetData></worksheet>')
TRICKS = {  # the formula of C2 hidden from a byte-level reading: it must abstain (None), never answer wrongly
    "comment": '<c r="C2"><!-- <c r="B2" --><f>1+1</f></c>',
    "processing instruction": '<c r="C2"><?pi <c r="B2" ?><f>1+1</f></c>',
    "reference not first": '<c s="0" r="C2"><f>1+1</f></c>',
    "formula not first": '<c r="C2"><v>2</v><f>1+1</f></c>',
    "prefix bound to the main namespace": f'<x:c xmlns:x="{MAIN_NS}" r="C2"><x:f>1+1</x:f></x:c>',
    "declaration with a reference": f'<x:c xmlns:x="{MAIN_NS[:-4]}&#109;ain" r="C2"><x:f>1+1</x:f></x:c>',
}


def test_formula_cells_read_from_bytes_agree_with_the_parsed_sheet_or_abstain(tmp_path):
    from pipeline.workbook.sheetxml import SheetXml, formula_cells
    from pipeline.workbook.xmlpatch import Package

    answered = 0
    for kind in ("xlsxwriter", "local", "openpyxl", "prefixed"):
        pkg = Package(_producer(kind, tmp_path))
        for part in (n for n in pkg.raw if n.startswith("xl/worksheets/sheet")):
            fast = formula_cells(pkg.raw[part])
            assert fast is None or fast == SheetXml(pkg, part).formula_cells(), (kind, part)
            answered += fast is not None
    assert answered >= 4, "the usual forms are read without parsing"
    plain = SHEET.replace("{cells}", '<c r="B2" t="s"><v>0</v></c><c r="C2"><f>1+1</f><v>2</v></c>').encode()
    assert formula_cells(plain) == {"C2"}
    for case, cells in TRICKS.items():
        assert formula_cells(SHEET.replace("{cells}", cells).encode()) is None, case
