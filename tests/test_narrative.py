"""A unit's narrative report (báo cáo lời) returned into the inbox: read, recognised, counted beside the annexes,
and its bound figures compared with the unit's accepted annex."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pipeline.collect as collect_module
from pipeline.cli import main
from pipeline.collect import collect
from pipeline.intake.docx import figure_text, read_report
from pipeline.issues import REPORT_STATE_VN
from pipeline.judge.narrative import Figure, parse_figure, same_figure
from pipeline.vntext import fmt_number
from pipeline.workbook.contract import REPORT_SHEET

from .conftest import needs
from .drafts import build_draft, draft_props
from .helpers import changed, drop, payload
from .hostile import LAUGHS, rewrite

FIGURE = "pl1_sum_tong_hien_co"  # the unit's staff in post (PL1), as the report writer's outline binds it


@pytest.fixture
def figures(ready):
    """The drafts' own figure source is in place (a unit draft binds FIGURE to its PL1 staff total)."""
    drafted = collect_module._draft_figures(ready)
    assert drafted is not None
    return drafted


def report(path: Path, unit: str, round_id: str, staff: str, props: bool = True) -> Path:
    return build_draft(path, [
        ["PHÒNG KINH TẾ" if unit == "PKT" else unit],
        ["BÁO CÁO Sơ kết 01 năm"],
        ["I. Khái quát đặc điểm tình hình"],
        ["Tổng số người đang làm việc tại đơn vị là ", (FIGURE, staff), " người, trong đó có nhiều đồng chí trẻ."],
    ], draft_props(unit, round_id) if props else None)


def by_file(result):
    return {d.file.rel: d for d in result.files}


def reports_of(result):
    return {r["unit"]: r for r in result.reports}


# ---------------------------------------------------------------- reading a .docx


def test_a_figure_typed_over_its_bookmark_is_read_whole():
    # LibreOffice 7.4 leaves the bookmark around the first character typed: "1" of "1.300"
    text = "Tổng số 1.300 người, đạt 45,6 % kế hoạch."
    assert figure_text(text, 8, 9) == "1.300"
    assert figure_text(text, 25, 29) == "45,6 %"
    assert figure_text(text, 8, 8) == "1.300"  # an emptied bookmark beside the number typed in its place
    assert figure_text("Số liệu: chưa có.", 9, 16) == "chưa có"


def test_vietnamese_figures_are_parsed_and_compared_as_printed():
    assert parse_figure("1.266,5") == 1266.5
    assert parse_figure("45,6 %") == 45.6
    assert parse_figure("1.266") == 1266
    assert parse_figure("12,5") == 12.5
    assert parse_figure("chưa có") is None
    assert same_figure("45,6 %", Figure("45,6 %", 45.6123))  # the draft's rounding is the figure
    assert same_figure("1266", Figure("1.266", 1266.0))
    assert not same_figure("1.300", Figure("1.266", 1266.0))


def test_properties_bookmarks_paragraphs_and_tracked_changes_are_read(tmp_path):
    path = build_draft(tmp_path / "d.docx", [["Mở đầu"], [""], ["Có ", ("pl1_a", "12"), " và ", ("pl1_a", "12")]],
                       draft_props("PKT", "r1"))

    def track(name: str, data: bytes) -> bytes:  # a tracked change: "12" deleted, "15" inserted, in a second run
        if name != "word/document.xml":
            return data
        return data.replace(b"<w:t>12</w:t></w:r>", b"<w:t>1</w:t></w:r><w:del><w:r><w:delText>2</w:delText>"
                            b"</w:r></w:del><w:ins><w:r><w:t>5</w:t></w:r></w:ins>", 1)

    reading = read_report(rewrite(path, tmp_path / "t.docx", track))
    assert reading.properties["AnnexUnit"] == "PKT" and reading.properties["AnnexRound"] == "r1"
    assert [(b.bookmark, b.text, b.paragraph) for b in reading.figures] == [("F_pl1_a", "15", 2),
                                                                             ("F_pl1_a__2", "12", 2)]
    assert reading.figures[0].start == "Có 15 và 12" and reading.head.startswith("Mở đầu")


# ---------------------------------------------------------------- in a collect run


def test_a_changed_figure_is_flagged_at_its_paragraph_with_both_values(ready, figures):
    ws = ready
    data = payload(ws, "PKT")
    drop(ws, "PKT.xlsx", "PKT", data)
    staff = data["PL1"]["tong_hien_co"]
    report(ws.inbox / "BaoCao_PKT.docx", "PKT", ws.round.round_id, fmt_number(staff + 7))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in ws.inbox.iterdir()}
    result = collect(ws)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in ws.inbox.iterdir()} == before
    files = by_file(result)
    assert files["PKT.xlsx"].status == "accepted"  # the annexes are judged as before
    d = files["BaoCao_PKT.docx"]
    assert d.report and d.unit == "PKT" and d.status == "report"
    (warning,) = [i for i in d.issues if i.code == "report_figure_changed"]
    assert "Đoạn 4 " in warning.message and "Tổng số người đang làm việc" in warning.message
    assert f"ghi {fmt_number(staff + 7)}," in warning.message and f"({fmt_number(staff)})" in warning.message
    assert reports_of(result)["PKT"]["state"] == "mismatch"
    text = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert "báo cáo lời" in text and warning.message in text
    wb = openpyxl.load_workbook(result.outputs["summary"])
    quality = [r[-1] for r in wb["Chất lượng dữ liệu"].iter_rows(values_only=True)]
    assert warning.message in quality
    status = list(wb["Chi tiết nộp"].iter_rows(min_row=2, values_only=True))
    rows = {r[1]: r for r in status if r[4] == "Báo cáo lời"}  # one row per unit, after its annexes, on the screen
    assert len(rows) == len(ws.units)
    assert rows["PKT"][5] == f"{REPORT_STATE_VN['mismatch']} (1 số liệu)" and rows["PKT"][6] == "BaoCao_PKT.docx"
    assert rows["VPUB"][5] == REPORT_STATE_VN["missing"] and not rows["VPUB"][6]
    pkt = [r[4] for r in status if r[1] == "PKT"]
    assert pkt[-1] == "Báo cáo lời" and len(pkt) == len(ws.unit_by_code["PKT"].annexes) + 1
    assert any("báo cáo lời" in (r[8] or "") for r in status if r[1] == "VPUB")  # the reminder names it


def test_an_unedited_report_raises_nothing_and_counts_beside_the_annexes(ready, figures):
    ws = ready
    data = payload(ws, "PKT")
    drop(ws, "PKT.xlsx", "PKT", data)
    report(ws.inbox / "bao cao.docx", "PKT", ws.round.round_id, fmt_number(data["PL1"]["tong_hien_co"]))
    result = collect(ws)
    d = by_file(result)["bao cao.docx"]
    assert d.status == "report" and not d.errors and not d.warnings
    assert [i.code for i in d.issues] == ["report_checked"]
    assert reports_of(result)["PKT"]["state"] == "matched"
    assert not (ws.outbox / "feedback" / "PKT.txt").exists()


def test_an_annex_changed_after_the_draft_is_flagged_too(ready, figures):
    ws = ready
    drafted, sent = payload(ws, "PKT", seed=7), payload(ws, "PKT", seed=9)  # the annex sent again, other figures
    old, new = drafted["PL1"]["tong_hien_co"], sent["PL1"]["tong_hien_co"]
    assert old != new
    report(ws.inbox / "PKT_baocao.docx", "PKT", ws.round.round_id, fmt_number(old))
    drop(ws, "PKT.xlsx", "PKT", sent)
    result = collect(ws)
    assert by_file(result)["PKT.xlsx"].status in ("accepted", "accepted_with_warnings")
    (warning,) = [i for i in by_file(result)["PKT_baocao.docx"].issues if i.code == "report_figure_changed"]
    assert f"ghi {fmt_number(old)}," in warning.message and f"({fmt_number(new)})" in warning.message


def test_a_report_without_annex_or_bookmarks_is_received_not_checked(ready, figures):
    ws = ready
    report(ws.inbox / "PKT.docx", "PKT", ws.round.round_id, "12")
    build_draft(ws.inbox / "VPUB_bc.docx", [["VĂN PHÒNG HĐND VÀ UBND"], ["Báo cáo không còn số liệu gắn biểu."]],
                draft_props("VPUB", ws.round.round_id))
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    result = collect(ws)
    files, rows = by_file(result), reports_of(result)
    assert [i.code for i in files["PKT.docx"].issues] == ["report_no_annex"] and rows["PKT"]["state"] == "unchecked"
    assert [i.code for i in files["VPUB_bc.docx"].issues] == ["report_unbound"] and rows["VPUB"]["state"] == "unchecked"
    completeness = {(c["unit"], c["annex"]): c["state"] for c in result.completeness}
    assert completeness[("PKT", "PL1")] == "missing"  # a report is not an annex


def test_a_warm_process_reads_a_report_once(ready, figures, monkeypatch):
    ws = ready
    build_draft(ws.inbox / "VPUB_bc.docx", [["VĂN PHÒNG HĐND VÀ UBND"], ["Báo cáo không còn số liệu gắn biểu."]],
                draft_props("VPUB", ws.round.round_id))
    drop(ws, "VPUB.xlsx", "VPUB", payload(ws, "VPUB"))
    real, reads = collect_module.run_isolated, []

    def counting(fn, tasks, **kw):
        if fn is collect_module.process_report:
            reads.append(len(tasks))
        return real(fn, tasks, **kw)

    monkeypatch.setattr(collect_module, "run_isolated", counting)
    warm = collect_module.Warm()
    first, again = (collect(ws, warm=warm, write_outputs=False) for _ in range(2))
    assert reads == [1]  # read once, remembered the second time
    assert [d.to_json() for d in again.files] == [d.to_json() for d in first.files] and again.reports == first.reports


def test_doc_and_pdf_reports_are_counted_and_told_they_cannot_be_checked(ready, figures):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 120 + "WordDocument".encode("utf-16-le") + b"\0" * 400
    (ws.inbox / "PKT_bao_cao.doc").write_bytes(ole)
    (ws.inbox / "VPUB-baocao.pdf").write_bytes(b"%PDF-1.4\n% a scanned report\n")
    (ws.inbox / "TTCT bao cao.rtf").write_bytes(b"{\\rtf1\\ansi B\\'e1o c\\'e1o}")
    (ws.inbox / "HND").mkdir()  # the clerk sorted the unit's files into a folder named with its code
    (ws.inbox / "HND" / "Bao cao so ket.pdf").write_bytes(b"%PDF-1.7\n")
    drop(ws, "MTTQ.docx", "MTTQ", payload(ws, "MTTQ"))  # a workbook under a Word name is still a workbook
    result = collect(ws)
    files, rows = by_file(result), reports_of(result)
    assert not files["MTTQ.docx"].report and files["MTTQ.docx"].status == "accepted"
    for name, unit, shown in (("PKT_bao_cao.doc", "PKT", "Word cũ (.doc)"), ("VPUB-baocao.pdf", "VPUB", "PDF"),
                              ("TTCT bao cao.rtf", "TTCT", "RTF"), ("HND/Bao cao so ket.pdf", "HND", "PDF")):
        d = files[name]
        assert d.report and d.unit == unit and d.status == "report", d.issues
        (note,) = [i for i in d.issues if i.code == "report_unchecked"]
        assert f"gửi dạng {shown} " in note.message and ".docx" in note.message
        assert any(i.code == "report_by_name" and ("tên tệp" in i.message or "thư mục \"HND\"" in i.message)
                   for i in d.issues)
        assert rows[unit]["state"] == "unchecked" and rows[unit]["file"] == name
        assert note.message in (ws.outbox / "feedback" / f"{unit}.txt").read_text(encoding="utf-8")
    assert files["PKT.xlsx"].status == "accepted"  # the workbook's own feedback is not hidden by the report


def test_report_warnings_join_the_feedback_workbook_of_a_unit_that_has_one(ready, figures):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_nu": -1}))  # returned: a feedback workbook
    (ws.inbox / "PKT_bao_cao.pdf").write_bytes(b"%PDF-1.4\n% a scanned report\n")
    result = collect(ws)
    (note,) = [i for i in by_file(result)["PKT_bao_cao.pdf"].issues if i.code == "report_unchecked"]
    sheet = openpyxl.load_workbook(ws.outbox / "feedback" / "PKT.xlsx")[REPORT_SHEET]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[-1] == note.message]
    assert len(rows) == 1 and rows[0][2] == "Báo cáo lời"
    text = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert note.message in text and "PKT_bao_cao.pdf" in text

def test_reports_recognised_by_name_and_random_word_files_reported(ready, figures):
    ws = ready
    report(ws.inbox / "bao_cao_khong_ten.docx", "PKT", ws.round.round_id, "5", props=False)
    build_draft(ws.inbox / "thu_moi_hop.docx", [["Kính mời các đồng chí dự họp"], ["Thời gian: 8h00"]])
    report(ws.inbox / "cu.docx", "PKT", "dot-nam-ngoai", "5")
    (ws.inbox / "hong.docx").write_bytes(b"PK\x03\x04 not really a zip")
    result = collect(ws)
    files = by_file(result)
    named = files["bao_cao_khong_ten.docx"]
    assert named.unit == "PKT" and any(i.code == "report_by_name" and "đầu văn bản" in i.message
                                       for i in named.issues)
    letter = files["thu_moi_hop.docx"]
    assert letter.status == "ignored" and letter.issues[0].code == "report_unidentified"
    assert files["cu.docx"].status == "rejected" and files["cu.docx"].issues[0].code == "report_other_round"
    assert files["hong.docx"].status == "rejected" and files["hong.docx"].issues[0].code == "report_refused"


def _zip_bomb_docx(path: Path, mb: int = 40) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("word/document.xml", "w") as f:
            for _ in range(mb):
                f.write(b" " * (1 << 20))
    return path


def test_hostile_reports_are_refused_unread_and_tied_to_their_unit(ready, figures, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    _zip_bomb_docx(ws.inbox / "PKT_bom.docx")
    plain = report(tmp_path / "p.docx", "VPUB", ws.round.round_id, "3")
    buf = io.BytesIO()
    with plain.open("rb") as f:
        OOXMLFile(f).encrypt("matkhau", buf)
    (ws.inbox / "VPUB.docx").write_bytes(buf.getvalue())
    rewrite(plain, ws.inbox / "TTCT.docx",
            lambda name, data: LAUGHS + data.split(b"?>", 1)[-1] if name == "word/document.xml" else data)
    result = collect(ws)
    files, rows = by_file(result), reports_of(result)
    for name, unit, words in (("PKT_bom.docx", "PKT", "dung lượng bất thường"), ("VPUB.docx", "VPUB", "mật khẩu"),
                              ("TTCT.docx", "TTCT", "thực thể XML")):
        d = files[name]
        assert d.status == "rejected" and d.unit == unit and rows[unit]["state"] == "rejected"
        assert d.issues[0].code == "report_refused" and words in d.issues[0].message
    completeness = {(c["unit"], c["annex"]): c["state"] for c in result.completeness}
    assert completeness[("PKT", "PL1")] == "accepted" and completeness[("VPUB", "PL1")] == "missing"


def test_console_and_json_count_the_reports(ready, figures):
    ws = ready
    data = payload(ws, "PKT")
    drop(ws, "PKT.xlsx", "PKT", data)
    report(ws.inbox / "PKT.docx", "PKT", ws.round.round_id, fmt_number(data["PL1"]["tong_hien_co"]))
    runner = CliRunner()
    out = runner.invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == 0, out.output
    parsed = json.loads(out.output)
    rows = {r["unit"]: r for r in parsed["reports"]}
    assert rows["PKT"]["state"] == "matched" and rows["VPUB"]["state"] == "missing"
    assert len(rows) == len(ws.units)
    assert next(f for f in parsed["files"] if f["file"] == "PKT.docx")["report"] is True
    shown = runner.invoke(main, ["collect", "--workspace", str(ws.root)])
    assert f"Báo cáo lời: đã nhận của 1/{len(ws.units)} đơn vị" in shown.output
    missing = next(line for line in shown.output.splitlines() if line.startswith(f"  {REPORT_STATE_VN['missing']} ("))
    assert f"({len(ws.units) - 1} đơn vị)" in missing and "VPUB" in missing and "PKT" not in missing



# ---------------------------------------------------------------- edited in LibreOffice as a person would

EDIT = Path(__file__).resolve().parent / "corpus" / "edit_report.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's interpreter: the one that has python3-uno


def _edit_in_libreoffice(src: Path, dst: Path, *args: str) -> dict:
    """Open `src` in headless LibreOffice, make the edits, save as .docx ("MS Word 2007 XML") to `dst`; returns
    what LibreOffice held after loading (bookmarks, custom properties)."""
    done = subprocess.run([SYSTEM_PYTHON, str(EDIT), str(src), str(dst), *args], capture_output=True, text=True,
                          timeout=180, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _has_uno() -> bool:
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@needs("soffice")
def test_reports_edited_in_libreoffice_are_recognised_counted_and_checked(ready, figures, tmp_path):
    if not _has_uno():
        pytest.skip("Debian's python3-uno is not installed")
    ws = ready
    staff = {}
    for code in ("PKT", "VPUB", "TTCT"):
        data = payload(ws, code)
        drop(ws, f"{code}.xlsx", code, data)
        staff[code] = data["PL1"]["tong_hien_co"]
        report(tmp_path / f"{code}.docx", code, ws.round.round_id, fmt_number(staff[code]))
    bookmark = f"F_{FIGURE}"
    seen = _edit_in_libreoffice(tmp_path / "PKT.docx", ws.inbox / "PKT_bao_cao.docx",
                                "--figure", f"{bookmark}={fmt_number(staff['PKT'] + 7)}",
                                "--add", "Đơn vị bổ sung: đã hoàn thành 12,5 % kế hoạch số hóa.")
    assert seen["bookmarks"] == [bookmark]
    assert {k: seen["properties"][k] for k in draft_props("PKT", "")} == draft_props("PKT", ws.round.round_id)
    _edit_in_libreoffice(tmp_path / "VPUB.docx", ws.inbox / "VPUB_bao_cao.docx")  # opened and saved only
    _edit_in_libreoffice(tmp_path / "TTCT.docx", ws.inbox / "TTCT_bao_cao.docx", "--delete", bookmark)
    result = collect(ws)
    files, rows = by_file(result), reports_of(result)
    edited = files["PKT_bao_cao.docx"]
    assert edited.unit == "PKT" and edited.status == "report" and rows["PKT"]["state"] == "mismatch"
    (warning,) = [i for i in edited.issues if i.code == "report_figure_changed"]
    assert "Đoạn 4 " in warning.message and "Tổng số người đang làm việc" in warning.message
    assert f"ghi {fmt_number(staff['PKT'] + 7)}," in warning.message
    assert f"({fmt_number(staff['PKT'])})" in warning.message
    unedited = files["VPUB_bao_cao.docx"]
    assert unedited.unit == "VPUB" and not unedited.warnings and rows["VPUB"]["state"] == "matched"
    unbound = files["TTCT_bao_cao.docx"]
    assert unbound.unit == "TTCT" and not unbound.warnings and [i.code for i in unbound.issues] == ["report_unbound"]


def test_with_an_unusable_outline_a_report_is_counted_and_said_unchecked(ready):
    ws = ready
    (ws.root / "baocao.toml").write_text("[[section\n", encoding="utf-8")  # broken: no figures can be computed
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    report(ws.inbox / "PKT.docx", "PKT", ws.round.round_id, "1")
    result = collect(ws, write_outputs=False)
    assert [i.code for i in by_file(result)["PKT.docx"].issues] == ["report_no_figures"]
    assert reports_of(result)["PKT"]["state"] == "unchecked"
