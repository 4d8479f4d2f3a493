"""Intake: pre-checks judge content, not declared extents; files refused unread are still tied to their unit;
values in messages read the Vietnamese way."""

from __future__ import annotations

import re
import zipfile

import openpyxl

from pipeline.collect import collect
from pipeline.intake.parts import sheet_parts

from .helpers import cell_of, changed, drop, payload
from .hostile import external_link, rewrite


def _sheet_part(path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return next(part for part, sheet in sheet_parts(z).items() if sheet == name)


def _edit_sheet(src, dst, sheet: str, edit):
    part = _sheet_part(src, sheet)
    return rewrite(src, dst, lambda name, data: edit(data.decode()).encode() if name == part else data)


def test_an_empty_last_row_and_a_huge_declared_extent_are_not_data(ready):
    """What LibreOffice writes after a row is deleted: an empty row 1048576 and the dimension A1:Z1048576."""
    ws = ready
    data = payload(ws, "PKT")
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", data)

    def libreoffice_like(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:Z1048576"/>', xml)
        return xml.replace("</sheetData>", '<row r="1048576" s="3" customFormat="1"><c r="A1048576" s="3"/>'
                                           '<c r="Z1048576" s="3"></c></row></sheetData>')

    _edit_sheet(filled, ws.inbox / "PKT.xlsx", "PL2", libreoffice_like)
    d, = collect(ws).files
    assert d.status in ("accepted", "accepted_with_warnings"), [i.message for i in d.issues]
    got = d.submission.annexes["PL2"].records
    assert [r["ten_tai_san"] for r in got] == [r["ten_tai_san"] for r in data["PL2"]]


def test_a_real_value_far_away_is_refused_at_its_cell_and_the_unit_is_told(ready):
    ws = ready
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    _edit_sheet(filled, ws.inbox / "PKT.xlsx", "PL2",
                lambda xml: xml.replace("</sheetData>", '<row r="30000"><c r="C30000"><v>5</v></c></row></sheetData>'))
    result = collect(ws)
    d, = result.files
    hit, = [i for i in d.issues if i.code == "sheet_too_big"]
    assert (hit.sheet, hit.cell) == ("PL2", "C30000") and "PL2!C30000" in hit.message
    assert ".xml" not in hit.message and "vùng dữ liệu" not in hit.message
    assert d.status == "rejected" and d.unit == "PKT"  # tied through its _meta, read safely
    states = {c["annex"]: c["state"] for c in result.completeness if c["unit"] == "PKT"}
    assert set(states.values()) == {"rejected"}
    text = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert "PL2!C30000" in text and "tô đỏ" not in text
    assert not (ws.outbox / "feedback" / "PKT.xlsx").exists()  # a refused file is never opened to be marked


def test_a_file_refused_for_an_external_link_is_still_the_units(ready, tmp_path):
    ws = ready
    filled = drop(ws, "../VPUB_filled.xlsx", "VPUB", payload(ws, "VPUB"))
    external_link(filled, ws.inbox / "bao_cao.xlsx")
    result = collect(ws)
    d, = result.files
    assert d.status == "rejected" and d.unit == "VPUB" and d.issues[0].code == "external_link"
    assert {c["state"] for c in result.completeness if c["unit"] == "VPUB"} == {"rejected"}


def test_a_template_saved_as_csv_is_refused_and_tied_to_its_unit(ready, tmp_path):
    ws = ready
    filled = drop(ws, "../DTN_filled.xlsx", "DTN", payload(ws, "DTN"))
    sheet = openpyxl.load_workbook(filled, data_only=True)["PL1"]
    lines = [",".join("" if v is None else str(v).replace(",", " ") for v in row)
             for row in sheet.iter_rows(values_only=True)]
    (ws.inbox / "bieu_mau.csv").write_text("\n".join(lines), encoding="utf-8")
    (ws.inbox / "ghi_chu.txt").write_text("không phải biểu", encoding="utf-8")
    files = {d.file.rel: d for d in collect(ws).files}
    csv = files["bieu_mau.csv"]
    assert csv.status == "rejected" and csv.unit == "DTN" and csv.issues[0].code == "csv_file"
    assert ".xlsx" in csv.issues[0].message
    assert files["ghi_chu.txt"].status == "ignored"


def test_numbers_in_messages_use_vietnamese_notation(ready):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_can_bo": 1.266}))
    d, = collect(ws).files
    hit = next(i for i in d.issues if i.code == "not_integer")
    assert "1,266" in hit.message and "1.266" not in hit.message


def _with_cell_rewritten(ws, body: str) -> str:
    """PKT's filled file in the inbox, its PL1 staff count cell rewritten as `<c r=… t="…"` + `body` (the cell's
    own attributes kept); returns the cell's reference."""
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    cell = cell_of(ws, "PKT", "PL1", "so_can_bo")

    def rewrite_cell(xml: str) -> str:
        xml, n = re.subn(rf'<c r="{cell}"([^>]*?)(?: t="n")?>(?:<f>[^<]*</f>)?<v>[^<]*</v></c>',
                         rf'<c r="{cell}"\1{body}', xml)
        assert n == 1
        return xml

    _edit_sheet(filled, ws.inbox / "PKT.xlsx", "PL1", rewrite_cell)
    return cell


def test_cells_showing_formula_errors_are_named_as_such(ready):
    ws = ready
    cell = _with_cell_rewritten(ws, ' t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    d, = collect(ws).files
    hit, = [i for i in d.issues if i.cell == cell]
    assert hit.code == "formula_error" and "#DIV/0!" in hit.message and f"PL1!{cell}" in hit.message
    assert not any(i.code in ("required", "rule") and cell in (i.related or i.cell) for i in d.issues)


def test_an_error_cell_without_a_value_does_not_borrow_the_next_cells(ready):
    """`<c r="D13" t="e"/>` holds no error to show: the message must not name the value of a cell after it."""
    from pipeline.intake.precheck import precheck

    ws = ready
    cell = _with_cell_rewritten(ws, ' t="e"/>')
    errors = precheck(ws.inbox / "PKT.xlsx", "xlsx").errors
    assert not any(cell in found for found in errors.values()), errors


def test_another_units_name_typed_into_the_header_is_not_counted_as_the_template_owner(ready):
    ws = ready
    filled = drop(ws, "HLHPN.xlsx", "DTN", payload(ws, "DTN"))  # HLHPN filled DTN's template
    wb = openpyxl.load_workbook(filled)
    for sheet in ("PL1", "PL4b"):
        for row in wb[sheet].iter_rows(max_row=8):
            for c in row:
                if isinstance(c.value, str) and ws.unit_by_code["DTN"].name in c.value:
                    c.value = f"Đơn vị báo cáo: {ws.unit_by_code['HLHPN'].name}"
    wb.save(filled)
    drop(ws, "DTN.xlsx", "DTN", payload(ws, "DTN", 3))
    files = {d.file.rel: d for d in collect(ws).files}
    wrong = files["HLHPN.xlsx"]
    assert wrong.status == "rejected"
    hits = [i for i in wrong.issues if i.code == "unit_mismatch"]
    assert {i.sheet for i in hits} == {"PL1", "PL4b"} and "HLHPN" in hits[0].message
    assert files["DTN.xlsx"].status == "accepted"  # the header of an untouched template names its own unit


def test_far_values_are_found_whatever_the_prefix_attribute_order_or_reference(ready):
    """A hostile producer may bind the main namespace to a prefix, reorder attributes or leave cells unnamed."""
    ws = ready
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    cases = {
        "prefixed.xlsx": '<x:row r="40000" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         '<x:c s="1" r="B40000"><x:v>5</x:v></x:c></x:row>',
        "unnamed.xlsx": '<row r="50000"><c><v>7</v></c></row>',
        "wide.xlsx": '<row r="13"><c t="n" r="ABC13"><v>1</v></c></row>',
    }
    for name, row in cases.items():
        _edit_sheet(filled, ws.inbox / name, "PL2",
                    lambda xml, row=row: xml.replace("</sheetData>", row + "</sheetData>"))
    files = {d.file.rel: d for d in collect(ws).files}
    for name in cases:
        assert [i.code for i in files[name].issues][:1] == ["sheet_too_big"], (name, files[name].issues)


def test_input_cells_merged_as_excel_does_are_named_not_silently_blank(ready):
    """Excel keeps only the first cell's value when cells are merged: the hidden cell reads blank, and the unit is
    told which range was merged and which cells it hid (LibreOffice's kept values: tests/test_real_filling.py)."""
    ws = ready
    data = payload(ws, "PKT")
    assert len(data["PL2"]) >= 2
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", data)
    top, below = cell_of(ws, "PKT", "PL2", "loai_tai_san"), cell_of(ws, "PKT", "PL2", "loai_tai_san", 1)
    wb = openpyxl.load_workbook(filled)
    sheet = next(s for s in wb.worksheets if s.title == "PL2")
    sheet.protection.sheet = False
    sheet.merge_cells(f"{top}:{below}")  # what Excel's Merge & Center does after its warning: `below` emptied
    wb.save(ws.inbox / "PKT.xlsx")
    d, = collect(ws).files
    hit, = [i for i in d.issues if i.code == "merged_hidden_blank"]
    assert hit.cell == below and f"PL2!{top}:{below}" in hit.message and f"ô {below} bị che" in hit.message
    assert hit.severity.value == "warning"


def test_cells_merged_to_the_sheets_end_are_named_at_once_not_a_file_too_slow_to_read(ready):
    """Every column from the table's first input to the sheet's last, down to its last row, selected and merged: a
    range of seventeen billion cells. The input cells it hides are found without visiting them all (visiting them
    took the reader past its time, and the unit was told its file was too slow to read)."""
    ws = ready
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    top = cell_of(ws, "PKT", "PL2", "loai_tai_san")
    letter, row = re.match(r"([A-Z]+)(\d+)", top).groups()
    span = f"{letter}{row}:XFD1048576"
    _edit_sheet(filled, ws.inbox / "PKT.xlsx", "PL2",
                lambda xml: xml.replace("</mergeCells>", f'<mergeCell ref="{span}"/></mergeCells>'))
    d, = collect(ws).files
    assert not [i for i in d.issues if i.code == "unreadable"], d.issues
    hidden = [i for i in d.issues if i.code.startswith("merged_hidden")]
    assert hidden and all(f"PL2!{span}" in i.message for i in hidden), d.issues


def test_an_ods_cut_short_is_refused_not_read_in_part(ready, capfd):
    """A download cut short inside content.xml: calamine refuses it, and the second reader (odfpy) went on with the
    rows before the cut, saying so only on the console, where it printed the whole XML (breaking `--json`): the
    file was accepted with its last rows missing."""
    from .conftest import REPO

    src = REPO / "tests" / "fixtures" / "real" / "pkt_filled.ods"
    with zipfile.ZipFile(src) as z:
        content = z.read("content.xml")
    cut = content.rfind(b"<table:table-row", 0, len(content) * 3 // 4) + 10  # inside a row's tag
    rewrite(src, ready.inbox / "PKT.ods", lambda name, data: data[:cut] if name == "content.xml" else data)
    d, = collect(ready, write_outputs=False).files
    said = capfd.readouterr()
    assert d.status == "rejected" and [i.code for i in d.issues] == ["unreadable"], d.issues
    assert "SAX" not in said.out + said.err and "<table:" not in said.out + said.err


def test_a_value_typed_far_right_of_a_table_is_named_not_ignored(ready):
    """Right of the hidden check columns the template has nothing: a note typed there (the sheet unprotected), beside
    a row of the table or up by the title, is named cell by cell (it was read by nobody and said nowhere)."""
    ws = ready
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    wb = openpyxl.load_workbook(filled)
    sheet = wb["PL2"]
    sheet.protection.sheet = False
    sheet["AD12"] = "ghi chú của đơn vị"
    sheet["AF3"] = 125
    wb.save(ws.inbox / "PKT.xlsx")
    d, = collect(ws).files
    outside = {i.cell: i.message for i in d.issues if i.code == "data_outside"}
    assert set(outside) == {"AD12", "AF3"}, d.issues
    assert "PL2!AD12" in outside["AD12"] and "ghi chú của đơn vị" in outside["AD12"] and "125" in outside["AF3"]


def test_a_value_typed_far_below_a_form_is_named_not_ignored(ready):
    """Below a form's signature block, further than anything the template puts there: named, not left unread."""
    ws = ready
    filled = drop(ws, "../PKT_filled.xlsx", "PKT", payload(ws, "PKT"))
    wb = openpyxl.load_workbook(filled)
    sheet = wb["PL1"]
    sheet.protection.sheet = False
    sheet["D150"] = 17
    wb.save(ws.inbox / "PKT.xlsx")
    d, = collect(ws).files
    assert [(i.code, i.cell) for i in d.issues if i.code == "data_outside"] == [("data_outside", "D150")], d.issues


def test_the_inbox_listing_leaves_out_hidden_folders_links_and_lock_files(tmp_path):
    import os

    from pipeline.intake.inbox import scan

    inbox = tmp_path / "inbox"
    for folder in ("a/.hidden", "B/c", "2026-05-09 nộp", ".git"):
        (inbox / folder).mkdir(parents=True)
    for name in ("x.xlsx", "~$x.xlsx", ".~lock.x.xlsx#", ".hidden.xlsx", "Thumbs.db", "a/y.xlsx", "a/Z.xlsx",
                 "a/.hidden/z.xlsx", "B/c/w.xlsx", ".git/q.xlsx", "2026-05-09 nộp/v.xlsx"):
        (inbox / name).write_bytes(b"x" * len(name))
    (inbox / "link.xlsx").symlink_to(inbox / "x.xlsx")  # a link is not followed: the file may live anywhere
    (inbox / "a" / "linked").symlink_to(inbox / "B", target_is_directory=True)
    os.mkfifo(inbox / "pipe.xlsx")  # not a regular file: reading it would block
    found = scan(inbox)
    assert [f.rel for f in found] == ["2026-05-09 nộp/v.xlsx", "B/c/w.xlsx", "a/Z.xlsx", "a/y.xlsx", "x.xlsx"]
    assert all(f.size == len(f.rel) and f.path == inbox / f.rel for f in found)
