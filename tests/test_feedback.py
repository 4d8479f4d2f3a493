"""Feedback workbooks: the unit's own file, patched at the XML level, as Excel, LibreOffice and openpyxl see it.
Every feedback workbook a test makes goes through `strict_workbook`: strict XML parsing of every part, then openpyxl."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import shutil
import zipfile
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.comments import Comment

from pipeline.collect import collect
from pipeline.report.annotate import Mark, NewSheet, annotate
from pipeline.workbook.contract import CHANGES_SHEET, REPORT_SHEET, SHOWN_ROWS, SIGNATURE_TITLES, Layout
from pipeline.workbook.xmlpatch import Unsupported
from pipeline.workspace import init_workspace, open_workspace

from .conftest import needs
from .helpers import (
    MAIN,
    ON_TIME,
    cell_of,
    changed,
    drop,
    gnumeric_convert,
    payload,
    sheet_parts,
    soffice_convert,
    strict_workbook,
)

LINK = '=HYPERLINK("http://x","bấm")'


def _filled_by(producer: str, ws, tmp_path, data) -> tuple[str, object]:
    """A PKT file with errors, as written by openpyxl (our fill), LibreOffice or Gnumeric, in the inbox."""
    original = drop(ws, "goc/PKT.xlsx", "PKT", data)
    shutil.move(original, tmp_path / "PKT.xlsx")
    source = tmp_path / "PKT.xlsx"
    if producer == "openpyxl":  # a live formula typed into a text cell
        wb = openpyxl.load_workbook(source)
        wb["PL1"][cell_of(ws, "PKT", "PL1", "ghi_chu")] = LINK
        wb.save(source)
    elif producer == "libreoffice":
        source = soffice_convert(source, tmp_path / "lo", "xlsx", tmp_path / "profile")
    else:
        source = gnumeric_convert(source, tmp_path / "gn.xlsx")
    shutil.rmtree(ws.inbox / "goc")
    target = ws.inbox / f"PKT_{producer}.xlsx"
    shutil.copy(source, target)
    os.utime(target, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    return target


@pytest.mark.parametrize("producer", [
    "openpyxl",
    pytest.param("libreoffice", marks=needs("soffice")),
    pytest.param("gnumeric", marks=needs("ssconvert")),
])
def test_feedback_is_the_units_own_file_patched(ws, tmp_path, producer, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    sent = _filled_by(producer, ws, tmp_path, changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 1}))
    collect(ws)
    fb = ws.outbox / "feedback" / "PKT.xlsx"
    with zipfile.ZipFile(sent) as src, zipfile.ZipFile(fb) as out:
        kept = [n for n in src.namelist() if n.startswith(("docProps/", "xl/theme/"))]
        assert kept and all(src.read(n) == out.read(n) for n in kept), "untouched parts are copied as they were"
    wb = strict_workbook(fb)
    assert wb.sheetnames[0] == REPORT_SHEET and wb.active.title == REPORT_SHEET
    assert [s.title for s in wb.worksheets if s.sheet_view.tabSelected] == [REPORT_SHEET]
    total = cell_of(ws, "PKT", "PL1", "tong_hien_co")
    pl1 = wb["PL1"]
    assert pl1[total].fill.fgColor.rgb.endswith("FFC7CE")
    assert pl1[total].protection.locked is False, "the flagged input cell stays editable"
    assert "Tổng số hiện có" in pl1[total].comment.text
    assert pl1[total].value == good["PL1"]["tong_hien_co"] + 1
    link = next(c for c in wb[REPORT_SHEET]["D"][1:] if c.value == total)
    assert link.hyperlink.location == f"'PL1'!{total}"
    report = wb[REPORT_SHEET]  # readable on screen and on paper: header kept in view, one page wide
    assert report.freeze_panes == "A7" and report.page_setup.fitToWidth == 1
    assert "Phòng Kinh tế (mã PKT)" in report["A2"].value and "A1:E1" in report.merged_cells, "a heading: who, when"
    assert report.row_dimensions[link.row].height >= 32, "a long message gets the lines it needs"
    if producer == "openpyxl":
        note = pl1[cell_of(ws, "PKT", "PL1", "ghi_chu")]
        assert note.data_type == "s" and note.value == LINK, "a typed formula comes back as text"
    if pl1.print_area:  # print settings still belong to their own sheet after the report went first
        assert "PL1" in pl1.print_area


@needs("soffice")
def test_libreoffice_opens_the_patched_feedback_with_its_comments(ws, tmp_path, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    drop(ws, "PKT.xlsx", "PKT", changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 1}))
    collect(ws)
    strict_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    soffice_convert(ws.outbox / "feedback" / "PKT.xlsx", tmp_path / "out", "ods", tmp_path / "profile")
    with zipfile.ZipFile(tmp_path / "out" / "PKT.ods") as z:
        content = z.read("content.xml").decode()
    assert REPORT_SHEET in content and content.count("<office:annotation") >= 6
    assert "Tổng số hiện có phải bằng" in content


def test_cells_missing_from_the_sheet_and_merged_cells_are_marked(tmp_path):
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "PL1"
    sheet["B2"], sheet["D2"], sheet["B5"] = "a", 1, "b"
    sheet.merge_cells("F7:G8")
    wb.save(tmp_path / "in.xlsx")
    marks = {("PL1", "C2"): Mark("FFC7CE", ["giữa hai ô"]), ("PL1", "A9"): Mark("FFEB9C", ["dòng mới cuối"]),
             ("PL1", "A3"): Mark("FFEB9C", ["dòng mới giữa"]), ("PL1", "G8"): Mark("FFC7CE", ["ô gộp"])}
    report = NewSheet(REPORT_SHEET, [["Ô"], ["C2"]], [10], links={(2, 1): "'PL1'!C2"})
    annotate(tmp_path / "in.xlsx", tmp_path / "out.xlsx", marks, [report], {})
    out = strict_workbook(tmp_path / "out.xlsx")["PL1"]
    assert [out[c].fill.fgColor.rgb for c in ("C2", "A9", "A3", "F7")] == ["FFFFC7CE", "FFFFEB9C", "FFFFEB9C",
                                                                        "FFFFC7CE"]
    assert out["F7"].comment.text == "ô gộp" and out["A3"].comment.text == "dòng mới giữa"
    assert (out["B2"].value, out["D2"].value, out["B5"].value) == ("a", 1, "b")


def test_a_workbook_with_comments_of_its_own_falls_back_to_openpyxl(ws, tmp_path, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    path = drop(ws, "PKT.xlsx", "PKT", changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 1}))
    wb = openpyxl.load_workbook(path)
    wb["PL1"]["Z1"].comment = Comment("ghi chú của đơn vị", "đơn vị")
    wb.save(path)
    os.utime(path, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    with pytest.raises(Unsupported):
        annotate(path, tmp_path / "x.xlsx", {}, [], {})
    collect(ws)
    fb = strict_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    total = cell_of(ws, "PKT", "PL1", "tong_hien_co")
    assert fb.sheetnames[0] == REPORT_SHEET and "Tổng số hiện có" in fb["PL1"][total].comment.text
    assert fb["PL1"]["Z1"].comment.text == "ghi chú của đơn vị"
    with zipfile.ZipFile(ws.outbox / "feedback" / "PKT.xlsx") as z:  # links to cells, not files to open
        part = sheet_parts(z)[REPORT_SHEET]
        rels = f"{posixpath.dirname(part)}/_rels/{posixpath.basename(part)}.rels"
        assert rels not in z.namelist() or b"External" not in z.read(rels)
        links = list(ET.fromstring(z.read(part)).iter(MAIN + "hyperlink"))
    assert f"'PL1'!{total}" in {link.get("location") for link in links}
    assert not any(key.endswith("}id") for link in links for key in link.attrib)


def _report_sheet_as_read(sheet) -> dict:
    """What a reader sees of a report sheet: every cell's value, font, fill, wrapping and link, the columns'
    widths, the rows' heights, merges, frozen rows and how it prints."""
    cells = {c.coordinate: (c.value, c.font.b, c.font.u, c.font.color.rgb if c.font.color else None,
                            c.fill.fill_type, c.fill.fgColor.rgb, c.alignment.wrap_text, c.alignment.vertical,
                            c.hyperlink.location if c.hyperlink else None)
             for row in sheet.iter_rows() for c in row}
    setup = sheet.page_setup
    return {"cells": cells, "widths": {k: d.width for k, d in sheet.column_dimensions.items()},
            "heights": {r: d.height for r, d in sheet.row_dimensions.items() if d.height},
            "merges": sorted(str(m) for m in sheet.merged_cells.ranges), "freeze": sheet.freeze_panes,
            "print": (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight,
                      sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.oddFooter.center.text),
            "selected": sheet.sheet_view.tabSelected}


def test_the_report_sheets_are_the_same_whichever_path_wrote_the_feedback(tmp_path, stock):
    """The same files, once as they are (patched) and once with a comment of the unit's own (the patcher declines
    it: openpyxl marks the cells): the report sheets a unit reads are the same, cell by cell."""
    books = {}
    for path in ("patched", "openpyxl"):
        ws = open_workspace(init_workspace(tmp_path / path))
        stock(ws, ["PKT"])
        good = payload(ws, "PKT")
        total = good["PL1"]["tong_hien_co"]
        drop(ws, "PKT.xlsx", "PKT", changed(good, "PL1", {"tong_hien_co": total + 1}))
        later = drop(ws, "PKT_sua.xlsx", "PKT", changed(good, "PL1", {"tong_hien_co": total + 2, "so_nu": -1}),
                     ON_TIME + dt.timedelta(days=1))
        if path == "openpyxl":
            wb = openpyxl.load_workbook(later)
            wb["PL1"]["Z1"].comment = Comment("ghi chú của đơn vị", "đơn vị")
            wb.save(later)
            os.utime(later, ((ON_TIME + dt.timedelta(days=1)).timestamp(),) * 2)
            with pytest.raises(Unsupported):
                annotate(later, tmp_path / "x.xlsx", {}, [], {})
        collect(ws)
        books[path] = strict_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    patched, fallback = books["patched"], books["openpyxl"]
    assert fallback["PL1"]["Z1"].comment.text == "ghi chú của đơn vị", "the openpyxl path was taken"
    assert patched.sheetnames[:2] == fallback.sheetnames[:2] == [REPORT_SHEET, CHANGES_SHEET]
    for name in (REPORT_SHEET, CHANGES_SHEET):
        seen = _report_sheet_as_read(patched[name])
        assert seen == _report_sheet_as_read(fallback[name])
        assert seen["merges"] and seen["freeze"] and any(v[1] for v in seen["cells"].values())
    report = _report_sheet_as_read(patched[REPORT_SHEET])  # the comparison covers what the report sheet has
    assert report["heights"] and any(v[8] for v in report["cells"].values()) and any(
        v[6] for v in report["cells"].values())
    assert [s.title for s in fallback.worksheets if s.sheet_view.tabSelected] == [REPORT_SHEET]
    assert fallback.active.title == REPORT_SHEET


def test_a_formula_typed_into_a_text_cell_becomes_text_and_the_calc_chain_goes(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "PL1"
    wb["PL1"]["B2"] = '=HYPERLINK("http://x","bấm")'
    wb["PL1"]["C2"] = "=1+1"  # a number cell's formula is the unit's own business: kept
    wb.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, zipfile.ZipFile(tmp_path / "in.xlsx", "w") as dst:
        for name in src.namelist():  # as Excel saves it: with a calculation chain naming both formulas
            data = src.read(name)
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdCc" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/calcChain" '
                                    b'Target="calcChain.xml"/></Relationships>')
            if name == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
            dst.writestr(name, data)
        dst.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                         'main"><c r="B2" i="1"/><c r="C2"/></calcChain>')
    annotate(tmp_path / "in.xlsx", tmp_path / "out.xlsx", {}, [NewSheet(REPORT_SHEET, [["x"]], [])],
             {"PL1": ["B2"]})
    with zipfile.ZipFile(tmp_path / "out.xlsx") as out:
        assert "xl/calcChain.xml" not in out.namelist()
        assert b"calcChain" not in out.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in out.read("[Content_Types].xml")
    sheet = strict_workbook(tmp_path / "out.xlsx")["PL1"]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value == '=HYPERLINK("http://x","bấm")'
    assert sheet["C2"].data_type == "f"


def test_outputs_with_spawned_workers_as_on_windows(ws, monkeypatch, stock):
    """Where workers are spawned, not forked, they do not inherit the run: the summary is written by the
    collect process itself, and the feedback workbooks still by the workers."""
    import pipeline.intake.isolate

    monkeypatch.setattr(pipeline.intake.isolate, "START_METHOD", "spawn")
    stock(ws, ["PKT", "VPUB"])
    good = payload(ws, "PKT")
    drop(ws, "PKT.xlsx", "PKT", changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 1}))
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    result = collect(ws, workers=2)
    summary = openpyxl.load_workbook(result.outputs["summary"])
    assert "Tổng quan" in summary.sheetnames and result.totals
    feedback = strict_workbook(ws.outbox / "feedback" / "PKT.xlsx")
    assert feedback.sheetnames[0] == REPORT_SHEET


@needs("soffice")
def test_a_feedback_file_sent_back_half_fixed_is_marked_only_where_still_wrong(ws, tmp_path, stock):
    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    total, first = cell_of(ws, "PKT", "PL1", "tong_hien_co"), cell_of(ws, "PKT", "PL1", "so_phong_bo_phan")
    bad = changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 1, "so_phong_bo_phan": -2})
    drop(ws, "PKT.xlsx", "PKT", bad)
    collect(ws)
    fb = ws.outbox / "feedback" / "PKT.xlsx"
    wb = strict_workbook(fb)
    assert wb["PL1"][first].comment is not None and wb["PL1"][total].comment is not None
    wb["PL1"][first] = 3  # the unit fixes one of the two cells, in the feedback file, and re-saves it
    wb.save(tmp_path / "half.xlsx")
    soffice_convert(tmp_path / "half.xlsx", tmp_path / "lo", "xlsx", tmp_path / "profile")
    sent = ws.inbox / "PKT_sua.xlsx"
    shutil.copy(tmp_path / "lo" / "half.xlsx", sent)
    later = ON_TIME.timestamp() + 86400
    os.utime(sent, (later, later))
    collect(ws)
    again = strict_workbook(fb)
    pl1 = again["PL1"]
    assert pl1[first].comment is None and not pl1[first].fill.fgColor.rgb.endswith("FFC7CE")
    assert pl1[total].fill.fgColor.rgb.endswith("FFC7CE")
    assert pl1[total].comment.text.count("Tổng số hiện có phải bằng") == 1, "no stale text from the first round"
    assert again.sheetnames.count(REPORT_SHEET) == 1


def test_the_message_counts_errors_and_warnings_apart_and_names_only_the_sent_file(ws, stock):
    import datetime as dt
    import re

    from pipeline.report.feedback import resend_when

    stock(ws, ["PKT"])
    good = payload(ws, "PKT")
    pl1 = good["PL1"]
    bad = changed(good, "PL1", {"tong_hien_co": pl1["tong_hien_co"] + 1,  # an error
                                "bien_che_cong_chuc_giao": pl1["so_can_bo"] + pl1["so_cong_chuc"] - 1})  # a warning
    drop(ws, "Zalo/PKT gửi lần 2/PKT.xlsx", "PKT", bad)
    collect(ws)
    text = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert "Zalo" not in text and "\"PKT.xlsx\"" in text, "the unit sees its own file name, not the clerk's folders"
    said = int(re.search(r"Tệp có (\d+) lỗi", text)[1])
    errors = re.search(r"Lỗi \(phải sửa\): (\d+)\n((?:- .*\n)+)", text)
    warnings = re.search(r"Cảnh báo \(kiểm tra lại\): (\d+)\n((?:- .*\n)+)", text)
    assert said == int(errors[1]) == len(errors[2].splitlines()) >= 1
    assert int(warnings[1]) == len(warnings[2].splitlines()) >= 1
    assert "vượt biên chế" in warnings[2] and "vượt biên chế" not in errors[2]
    report = openpyxl.load_workbook(ws.outbox / "feedback" / "PKT.xlsx")[REPORT_SHEET]
    items = [r for r in report.iter_rows(min_row=7, values_only=True) if r[0]]
    assert len(items) == said + int(warnings[1]) and "Zalo" not in report["A3"].value
    assert [r[1].split(" ")[0] for r in items] == ["Lỗi"] * said + ["Cảnh"] * int(warnings[1]), "errors first"
    after = resend_when(ws, ws.round.deadline + dt.timedelta(days=2))
    assert "đã qua" in after and "trước hạn" not in after, "still sensible after the deadline"
    assert "trước hạn" in resend_when(ws, ws.round.deadline)


def _hidden_rows(sheet) -> set[int]:
    return {r for r, dim in sheet.row_dimensions.items() if dim.hidden}


def test_a_table_shows_its_rows_in_use_and_hides_the_empty_rest(ws, stock, tmp_path):
    """A blank template shows a page of empty rows; feedback shows every row in use (here 20, in a file whose
    unit showed all 200 rows) and hides the rest, so the signature block prints right after them."""
    stock(ws, ["VPUB"])
    lay = Layout(ws.specs.annexes["PL2"])
    template = openpyxl.load_workbook(ws.templates / "VPUB.xlsx")["PL2"]
    assert _hidden_rows(template) == set(range(lay.first_row + SHOWN_ROWS, lay.last_row + 1))
    good = payload(ws, "VPUB")
    rows = [dict(good["PL2"][0], ten_tai_san=f"Tài sản {i}") for i in range(20)]
    rows[0]["so_luong"] = -1  # an error, so that the unit gets feedback
    path = drop(ws, "VPUB.xlsx", "VPUB", {**good, "PL2": rows})
    wb = openpyxl.load_workbook(path)
    for dim in wb["PL2"].row_dimensions.values():
        dim.hidden = False
    wb.save(path)
    os.utime(path, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    collect(ws)
    fb = strict_workbook(ws.outbox / "feedback" / "VPUB.xlsx")["PL2"]
    assert _hidden_rows(fb) == set(range(lay.first_row + 20, lay.last_row + 1))
    assert fb.sheet_format.outlineLevelRow == 1 and fb.row_dimensions[lay.first_row + 25].outline_level == 1


def test_rows_are_not_hidden_where_the_table_is_not_where_the_template_put_it(ws, stock, tmp_path):
    stock(ws, ["VPUB"])
    lay = Layout(ws.specs.annexes["PL2"])
    shown, hidden = range(lay.first_row, lay.first_row + 3), range(lay.first_row + 3, lay.last_row + 1)
    wb = openpyxl.load_workbook(ws.templates / "VPUB.xlsx")
    wb["PL2"][f"A{lay.first_row + 40}"] = SIGNATURE_TITLES[0]  # rows deleted above: the signature moved up
    wb.save(tmp_path / "moved.xlsx")
    annotate(tmp_path / "moved.xlsx", tmp_path / "out.xlsx", {}, [], {}, {"PL2": (shown, hidden)})
    assert _hidden_rows(openpyxl.load_workbook(tmp_path / "out.xlsx")["PL2"]) == _hidden_rows(wb["PL2"])
    annotate(ws.templates / "VPUB.xlsx", tmp_path / "plain.xlsx", {}, [], {}, {"PL2": (shown, hidden)})
    assert _hidden_rows(strict_workbook(tmp_path / "plain.xlsx")["PL2"]) == set(hidden)
