"""The summary workbook, checked against figures recomputed here from the fixture inputs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from pipeline.collect import collect
from pipeline.issues import STATE_VN
from pipeline.messages import REPORT_SHORT_VN, STATE_SHORT_VN
from pipeline.report.pdf import VIETNAMESE, covers, font_note, for_print
from pipeline.report.summary import SCREEN_SHEETS
from pipeline.vntext import fmt_number
from pipeline.workspace import VN_TZ

from .conftest import needs
from .helpers import ON_TIME, changed, drop, payload, soffice_convert

INJECTED = '=HYPERLINK("http://example.com","bấm vào đây")'


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, stock):
    from pipeline.workspace import init_workspace, open_workspace

    ws = open_workspace(init_workspace(tmp_path_factory.mktemp("summary") / "ws"))
    stock(ws)
    accepted = {}
    for seed, code in enumerate(("VPUB", "TTPVHCC", "PKT", "VPDU", "DTN"), start=1):
        accepted[code] = payload(ws, code, seed)
    accepted["TTPVHCC"] = changed(accepted["TTPVHCC"], "PL1", {"ghi_chu": INJECTED})
    accepted["VPUB"] = changed(accepted["VPUB"], "PL2", {"ten_tai_san": "=1+1"})
    for code, data in accepted.items():
        drop(ws, f"{code}.xlsx", code, data, ON_TIME)
    bad = changed(payload(ws, "PKT", 99), "PL1", {"so_nu": -5})
    drop(ws, "PKT_cu.xlsx", "PKT", bad, ON_TIME - dt.timedelta(days=2))
    late = dt.datetime(2026, 5, 20, 10, 0, tzinfo=VN_TZ)
    accepted["HND"] = payload(ws, "HND", 11)
    drop(ws, "HND.xlsx", "HND", accepted["HND"], late)
    result = collect(ws)
    wb = openpyxl.load_workbook(result.outputs["summary"])
    return ws, accepted, result, wb


def _header_cols(sheet):
    """The columns of the detail table (below the printed blocks, for the screen)."""
    header_row = next(r[0].row for r in sheet.iter_rows() if r[1].value == "Mã đơn vị" and r[0].value == "STT")
    return {c.value: c.column for c in sheet[header_row] if c.value}


def _row_of(sheet, label, col=1):
    for row in sheet.iter_rows(min_col=col, max_col=col):
        if row[0].value == label or str(row[0].value).startswith(label + "\n"):  # a rate: its name, then how
            return row[0].row
    raise AssertionError(f"{label!r} not found in {sheet.title}")


def test_totals_by_commune_and_khoi_equal_sums_of_the_inputs(scenario):
    ws, accepted, _, wb = scenario
    sheet = wb["PL1"]
    cols = _header_cols(sheet)
    total_row = _row_of(sheet, "TOÀN XÃ")
    for col in ws.specs.annexes["PL1"].columns:
        if col.numeric:
            expected = sum(d["PL1"][col.key] for d in accepted.values() if "PL1" in d)
            assert sheet.cell(total_row, cols[col.label]).value == expected, col.key
    khoi_row = _row_of(sheet, "Cộng khối Chính quyền")
    expected = sum(d["PL1"]["tong_hien_co"] for c, d in accepted.items() if c in ("VPUB", "TTPVHCC", "PKT"))
    assert sheet.cell(khoi_row, cols["Tổng số hiện có"]).value == expected
    printed = _row_of(sheet, "Tổng số hiện có")  # the printed table: indicators down the page, khối across
    heads = {c.value: c.column for c in sheet[_row_of(sheet, "Chỉ tiêu")] if c.value}
    assert sheet.cell(printed, heads["Khối Chính quyền"]).value == expected
    assert sheet.cell(printed, heads["Toàn xã"]).value == sum(d["PL1"]["tong_hien_co"] for d in accepted.values()
                                                             if "PL1" in d)


def test_rates_are_ratios_of_sums(scenario):
    _, accepted, _, wb = scenario
    pl3 = accepted["TTPVHCC"]["PL3"]

    def s(*keys):
        return sum(r.get(k, 0) for r in pl3 for k in keys)

    expected = {
        "Tỷ lệ hồ sơ giải quyết đúng hạn": s("da_gq_truoc_han", "da_gq_dung_han") /
        s("da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"),
        "Tỷ lệ hồ sơ quá hạn": s("da_gq_qua_han", "dang_gq_qua_han") / s("hs_tong_nhan"),
        "Tỷ lệ hồ sơ tiếp nhận trực tuyến": s("hs_moi_truc_tuyen") / s("hs_moi_truc_tuyen", "hs_moi_truc_tiep"),
        "Tỷ lệ hài lòng": s("luot_hai_long") / s("luot_danh_gia"),
    }
    sheet = wb["PL3"]
    heads = {c.value: c.column for c in sheet[_row_of(sheet, "Chỉ tiêu và cách tính")] if c.value}
    for label, value in expected.items():
        row = _row_of(sheet, label)
        assert sheet.cell(row, heads["Toàn xã"]).value == pytest.approx(value, rel=1e-12), label
        assert sheet.cell(row, heads["Toàn xã"]).number_format == "0.0%"
        how = sheet.cell(row, 1).value.split("\n")[1]
        assert how.startswith("Cách tính: ") and "/" in how and "=" in how, how  # how it is computed, in words
    pl1 = wb["PL1"]
    staff = [d["PL1"] for d in accepted.values() if "PL1" in d]
    row = _row_of(pl1, "Tỷ lệ nữ")
    assert pl1.cell(row, 4).value == pytest.approx(sum(p["so_nu"] for p in staff) / sum(p["tong_hien_co"]
                                                                                     for p in staff))
    hoc = sum(r["hs_tong_nhan"] for r in pl3 if r["linh_vuc"] == "Hộ tịch")
    row = _row_of(sheet, "Hộ tịch")
    assert hoc in [c.value for c in sheet[row]]
    # a difference (thừa / thiếu biên chế) is shown as the difference of its sums, never as a division
    have = sum(p["so_can_bo"] + p["so_cong_chuc"] for p in staff)
    quota = sum(p["bien_che_cong_chuc_giao"] for p in staff)
    how = pl1.cell(_row_of(pl1, "Thừa (+) / thiếu (−) so với biên chế công chức được giao"), 1).value.split("\n")[1]
    assert how.endswith(f"= {fmt_number(have)} − {fmt_number(quota)}"), how


def test_submission_status_lists_missing_and_late_units(scenario):
    ws, _, _, wb = scenario
    sheet = wb["Chi tiết nộp"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    states = {(r[1], r[4]): r[5] for r in rows if r[1]}
    assert states[("HCCB", "PL1")] == STATE_VN["missing"]
    assert states[("HND", "PL1")] == STATE_VN["accepted_late"]
    assert states[("PKT", "PL1")] == STATE_VN["accepted"]
    reminder = next(r[8] for r in rows if r[1] == "HCCB" and r[8])
    assert "Hội Cựu chiến binh xã" in reminder and "15/05/2026" in reminder
    overview = wb["Tổng quan"]
    values = {r[0]: r[1] for r in overview.iter_rows(values_only=True) if r[0]}
    assert values["Đơn vị phải nộp"] == len(ws.units)
    assert values["Đơn vị có biểu được tiếp nhận"] == 6
    assert values["Trong đó: nộp muộn"] == 1
    assert values["Tệp bị trả lại (số tệp)"] == 1
    sentences = [r[0] for r in overview.iter_rows(values_only=True) if r[0] and str(r[0]).startswith("PHỤ LỤC 3")]
    assert len(sentences) == 2 and "đúng hạn, đạt" in sentences[1] and "\u00a0% số hồ sơ đã giải quyết" in sentences[1]
    assert any("tạm tính" in str(r[0]) for r in overview.iter_rows(values_only=True) if r[0])


def test_status_on_paper_has_a_row_per_unit_a_mark_per_annex_and_one_for_the_report(scenario):
    ws, _, result, wb = scenario
    rows = list(wb["Tình hình nộp"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "STT")
    heads = rows[at]
    table = {r[1]: dict(zip(heads, r, strict=True)) for r in rows[at + 1:] if isinstance(r[0], int)}
    assert list(table) == [u.code for u in ws.units] and heads[-1] == "Báo cáo lời"
    for unit in ws.units:
        for annex, spec in ws.specs.annexes.items():
            if annex not in unit.annexes and spec.sheet in heads:
                assert table[unit.code][spec.sheet] is None, (unit.code, annex)  # nothing to file: a grey cell
    for item in result.completeness:
        mark = table[item["unit"]][ws.specs.annexes[item["annex"]].sheet]
        assert mark.startswith(STATE_SHORT_VN[item["state"]]), (item, mark)
    assert table["HND"]["PL1"] == "Nộp muộn" and table["HCCB"]["PL1"] == "Chưa nộp"
    assert all(table[r["unit"]]["Báo cáo lời"] == REPORT_SHORT_VN[r["state"]] for r in result.reports)
    counted = next(r for r in rows if r[0] and str(r[0]).startswith("Số đơn vị đã có biểu"))
    for annex, spec in ws.specs.annexes.items():
        due = [u for u in ws.units if annex in u.annexes]
        done = [u for u in due if any(i["unit"] == u.code and i["annex"] == annex and i["state"].startswith(
            "accepted") for i in result.completeness)]
        assert counted[heads.index(spec.sheet)] == f"{len(done)}/{len(due)}", annex
    legend = next(r[0] for r in rows if r[0] and str(r[0]).startswith("Ghi chú:"))
    assert all(f"{STATE_SHORT_VN[k]}: {STATE_VN[k].lower()}" in legend for k in STATE_VN if k != "missing")


def test_no_placeholder_text_for_blanks(scenario):
    _, _, _, wb = scenario
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not {"NaT", "nan", "None"} & {v for v in row if isinstance(v, str)}, (sheet.title, row)


def test_text_from_units_is_never_a_formula(scenario):
    _, _, _, wb = scenario
    found = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    found.append((sheet.title, c.coordinate, c.data_type, c.value))
    assert {v for *_, v in found} >= {INJECTED, "=1+1"}
    assert all(t == "s" for _, _, t, _ in found), found


def test_quality_sheet_and_long_data(scenario):
    _, accepted, _, wb = scenario
    quality = list(wb["Chất lượng dữ liệu"].iter_rows(min_row=2, values_only=True))
    assert any(r[1] == "PKT_cu.xlsx" and r[4] == "Lỗi" and r[6] for r in quality)
    data = list(wb["Dữ liệu"].iter_rows(min_row=2, values_only=True))
    total = sum(r[7] for r in data if r[3] == "PL1" and r[5] == "tong_hien_co")
    assert total == sum(d["PL1"]["tong_hien_co"] for d in accepted.values() if "PL1" in d)


def test_json_totals_match_the_workbook(scenario):
    _, accepted, result, _ = scenario
    totals = result.to_json()["totals"]
    assert totals["PL3"]["columns"]["hs_tong_nhan"] == sum(r["hs_tong_nhan"] for r in accepted["TTPVHCC"]["PL3"])
    assert 0 < totals["PL3"]["rates"]["ty_le_dung_han"] <= 1
    assert totals["PL1"]["provisional"] is True


def test_same_inputs_same_summary_data(scenario):
    ws, _, _, wb = scenario
    again = openpyxl.load_workbook(collect(ws).outputs["summary"])
    for name in wb.sheetnames:
        first = [[c for c in r] for r in wb[name].iter_rows(values_only=True)]
        second = [[c for c in r] for r in again[name].iter_rows(values_only=True)]
        if name == "Tổng quan":  # only the generated-at stamp may differ
            first = [r for r in first if r[0] != "Thời điểm tổng hợp"]
            second = [r for r in second if r[0] != "Thời điểm tổng hợp"]
        if name == "Chi tiết nộp":  # reminders carry today's date
            first, second = [r[:8] for r in first], [r[:8] for r in second]
        assert first == second, name


def test_the_copy_for_print_hides_the_screen_sheets_and_their_print_areas(scenario, tmp_path):
    _, _, result, _ = scenario
    copy = for_print(Path(result.outputs["summary"]), SCREEN_SHEETS, tmp_path)
    wb = openpyxl.load_workbook(copy)
    assert SCREEN_SHEETS == ("Chi tiết nộp", "Dữ liệu")
    for sheet in wb.worksheets:
        screen = sheet.title in SCREEN_SHEETS
        assert (sheet.sheet_state == "hidden") == screen, sheet.title
        assert (not sheet.print_area) == screen, sheet.title  # LibreOffice prints a hidden sheet that has one
    original = openpyxl.load_workbook(result.outputs["summary"])
    assert all(s.sheet_state == "visible" for s in original.worksheets)  # the workbook keeps them for the screen


@needs("soffice")
def test_a_font_without_vietnamese_letters_for_times_new_roman_is_said_with_its_fix(tmp_path, monkeypatch):
    """On Linux, LibreOffice prints page headers in the font fontconfig gives for Times New Roman; Nimbus Roman
    (what a bare Debian has) lacks ế, ộ…, so the headers print without their marks: the clerk is told how to fix it."""
    fake = tmp_path / "fc-match"
    fake.write_text("#!/bin/sh\nprintf 'Nimbus Roman|20-7e a0-17f 192 1fa-1ff'\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    note = font_note()
    assert "Nimbus Roman" in note and "fonts-liberation2" in note and "thiếu dấu tiếng Việt" in note
    fake.write_text("#!/bin/sh\nprintf 'Liberation Serif|20-7e a0-36f 1e00-1ef9'\n", encoding="utf-8")
    assert font_note() == ""
    assert not covers("20-7e a0-17f", VIETNAMESE) and covers("20-7e a0-36f 1ea0-1ef9", VIETNAMESE)


@needs("fc-match")
def test_this_machine_prints_times_new_roman_with_vietnamese_letters():
    """Every paper test reads PDFs LibreOffice printed here: their headers must carry their marks (.ci/run installs
    fonts-liberation2)."""
    assert font_note() == ""


def test_summary_converts_to_pdf_in_libreoffice(scenario, tmp_path):
    _, _, result, _ = scenario
    soffice_convert(Path(result.outputs["summary"]), tmp_path, "pdf", tmp_path / "p")
    pdf = next(tmp_path.glob("*.pdf"))
    assert pdf.stat().st_size > 10_000


def test_large_detail_goes_to_csv_beside_the_workbook(ws, monkeypatch, stock):
    import csv

    from pipeline.report import summary, summary_annex

    monkeypatch.setattr(summary_annex, "DETAIL_LIMIT", 3)
    monkeypatch.setattr(summary, "LONG_LIMIT", 10)
    stock(ws, ["TTPVHCC", "VPUB"])
    data = payload(ws, "TTPVHCC")
    drop(ws, "TTPVHCC.xlsx", "TTPVHCC", data)
    vpub = changed(payload(ws, "VPUB"), "PL2", {"ten_tai_san": '=HYPERLINK("http://x","bấm")'})
    drop(ws, "VPUB.xlsx", "VPUB", vpub)
    result = collect(ws)
    detail = ws.outbox / f"ChiTiet_PL3_{ws.round.round_id}.csv"
    with detail.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["Mã đơn vị", "Tên đơn vị", "Khối"] and len(rows) == 1 + 15
    total_col = rows[0].index("Số hồ sơ nhận giải quyết: Tổng số")
    assert sum(float(r[total_col]) for r in rows[1:]) == sum(r["hs_tong_nhan"] for r in data["PL3"])
    long = ws.outbox / f"DuLieu_{ws.round.round_id}.csv"
    with long.open(encoding="utf-8-sig") as f:
        dates = {r[7] for r in csv.reader(f) if r[0] == "VPUB" and r[5] == "thoi_han_hoan_thanh"}
    expected = {r["thoi_han_hoan_thanh"].strftime("%d/%m/%Y") for r in vpub["PL2"] if r.get("thoi_han_hoan_thanh")}
    assert dates == expected and expected
    with long.open(encoding="utf-8-sig") as f:  # Excel would run "=…" in a CSV: it stays text
        names = {r[7] for r in csv.reader(f) if r[0] == "VPUB" and r[5] == "ten_tai_san"}
    assert "'=HYPERLINK(\"http://x\",\"bấm\")" in names and not any(n.startswith("=") for n in names)
    wb = openpyxl.load_workbook(result.outputs["summary"])
    assert any("ChiTiet_PL3" in str(v) for r in wb["PL3"].iter_rows(values_only=True) for v in r)
    assert "DuLieu_" in str(wb["Dữ liệu"]["A2"].value)


def test_a_rate_computed_by_group_is_never_pooled_across_units_of_measure(scenario):
    """PL4c counts each database in its own unit (records, plots, files…): its rates are shown per database, and no
    commune or khối figure adds them up (a leader would quote it)."""
    ws, accepted, _, wb = scenario
    sheet = wb["PL4c"]
    labels = [str(c.value) for row in sheet.iter_rows(max_col=1) for c in row if c.value]
    for rate in ws.specs.annexes["PL4c"].rates:
        assert rate.by and not any(label.startswith(rate.label + "\n") for label in labels), rate.label
    rows = [r for d in accepted.values() for r in d.get("PL4c", [])]
    done, need = {}, {}
    for r in rows:
        done[r["ten_csdl"]] = done.get(r["ten_csdl"], 0) + r["so_da_so_hoa"]
        need[r["ten_csdl"]] = need.get(r["ten_csdl"], 0) + r["tong_so_can_so_hoa"]
    shown = {str(row[0].value): [c.value for c in row[1:]] for row in sheet.iter_rows() if row[0].value in done}
    for name in done:  # each database's own rate is there
        assert any(v == pytest.approx(done[name] / need[name]) for v in shown[name] if isinstance(v, float)), name


def test_an_earlier_pdf_is_not_left_beside_a_summary_it_does_not_match(tmp_path, monkeypatch):
    """No PDF this time (LibreOffice missing, or failing): last run's PDF would be read on a phone as this run's. It
    is removed; one that cannot be removed is said to be old."""
    from pipeline.messages import sentence
    from pipeline.report import pdf

    monkeypatch.setenv("ANNEX_PDF", "1")
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    xlsx = tmp_path / "TongHop.xlsx"
    xlsx.write_bytes(b"this run's summary")
    old = tmp_path / "TongHop.pdf"
    old.write_bytes(b"%PDF last week's figures")
    assert pdf.summary_pdf(xlsx) == (None, sentence("pdf_no_office")) and not old.exists()
    old.mkdir()  # a PDF that cannot be removed (on Windows: open in a reader)
    made, note = pdf.summary_pdf(xlsx)
    assert made is None and sentence("pdf_stale", name="TongHop.pdf") in note
