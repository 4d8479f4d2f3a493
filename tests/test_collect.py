from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import unicodedata
from dataclasses import replace

import openpyxl
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.collect import collect
from pipeline.workbook.contract import META_SHEET, REPORT_SHEET
from pipeline.workspace import VN_TZ

from .helpers import ON_TIME, cell_of, changed, drop, drop_meta, edit_meta, payload


def by_file(result):
    return {d.file.rel: d for d in result.files}


def test_vietnamese_number_text_and_nfd_text_are_read_and_reported(ready):
    ws = ready
    data = payload(ws, "TTPVHCC")
    pl3 = data["PL3"][0]
    total = pl3["hs_tong_nhan"]
    text_total = f"{total:,}".replace(",", ".")  # "2.712": Vietnamese thousands separator
    nfd_note = unicodedata.normalize("NFD", "Đủ người, phòng Tư pháp")
    data = changed(data, "PL3", {"hs_tong_nhan": text_total, "hs_ky_truoc": "-" if pl3["hs_ky_truoc"] == 0
                                 else pl3["hs_ky_truoc"]})
    data = changed(data, "PL1", {"ghi_chu": nfd_note, "so_phong_bo_phan": " 3 "})
    drop(ws, "TTPVHCC.xlsx", "TTPVHCC", data)
    d = by_file(collect(ws))["TTPVHCC.xlsx"]
    assert d.status == "accepted", [i.message for i in d.issues]
    infos = {(i.code, i.where) for i in d.issues}
    assert ("number_text", f"PL3!{cell_of(ws, 'TTPVHCC', 'PL3', 'hs_tong_nhan')}") in infos
    assert ("text_normalized", f"PL1!{cell_of(ws, 'TTPVHCC', 'PL1', 'ghi_chu')}") in infos
    number = next(i for i in d.issues if i.code == "number_text" and i.sheet == "PL3")
    assert f"\"{text_total}\"" in number.message and f"{total:,}".replace(",", ".") in number.message
    record = d.submission.annexes["PL3"].records[0]
    assert record["hs_tong_nhan"] == total
    assert d.submission.annexes["PL1"].records[0]["ghi_chu"] == unicodedata.normalize("NFC", nfd_note)


def test_bad_values_are_errors_at_their_cells(ready):
    ws = ready
    data = changed(payload(ws, "VPUB"), "PL2", {"so_luong": 2.5, "hien_trang": "Tốt lắm", "nguyen_gia": "abc",
                                                "thoi_han_hoan_thanh": "31/13/2026"})
    data = changed(data, "PL1", {"so_nu": -1})
    drop(ws, "VPUB.xlsx", "VPUB", data)
    d = by_file(collect(ws))["VPUB.xlsx"]
    assert d.status == "rejected"
    found = {(i.code, i.cell) for i in d.issues if i.severity.value == "error"}
    cell = lambda annex, key: cell_of(ws, "VPUB", annex, key)  # noqa: E731
    assert ("not_integer", cell("PL2", "so_luong")) in found
    assert ("not_in_list", cell("PL2", "hien_trang")) in found
    assert ("not_number", cell("PL2", "nguyen_gia")) in found
    assert ("not_date", cell("PL2", "thoi_han_hoan_thanh")) in found
    assert ("below_min", cell("PL1", "so_nu")) in found
    # a value that could not be read does not also trip the rules that use it
    assert not any(i.rule == "gia_tri_con_lai" for i in d.issues)


def test_lock_files_skipped_junk_ignored_renamed_junk_rejected(ready):
    ws = ready
    drop(ws, "sub/PKT.xlsx", "PKT", payload(ws, "PKT"))
    (ws.inbox / "~$PKT.xlsx").write_bytes(b"\x00lock")
    (ws.inbox / "sub" / ".~lock.PKT.xlsx#").write_text("lock")
    (ws.inbox / "ghi chu.txt").write_text("Gửi kèm báo cáo", encoding="utf-8")
    (ws.inbox / "anh.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    (ws.inbox / "rong.xlsx").write_bytes(b"")
    files = by_file(collect(ws))
    assert set(files) == {"sub/PKT.xlsx", "ghi chu.txt", "anh.xlsx", "rong.xlsx"}
    assert files["sub/PKT.xlsx"].status == "accepted"
    assert files["ghi chu.txt"].status == "ignored" and files["ghi chu.txt"].issues[0].code == "ignored"
    assert files["anh.xlsx"].status == "rejected" and "PDF" in files["anh.xlsx"].issues[0].message
    assert files["rong.xlsx"].status == "rejected" and files["rong.xlsx"].issues[0].code == "empty_file"


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_resubmissions_duplicates_lateness_and_an_untouched_inbox(ready):
    ws = ready
    good = payload(ws, "PKT")
    bad = changed(good, "PL1", {"tong_hien_co": good["PL1"]["tong_hien_co"] + 5})
    drop(ws, "PKT_lan1.xlsx", "PKT", bad, ON_TIME)
    drop(ws, "PKT_lan2.xlsx", "PKT", good, ON_TIME + dt.timedelta(days=1))
    drop(ws, "VPDU.xlsx", "VPDU", payload(ws, "VPDU"), ON_TIME)
    drop(ws, "VPDU_moi.xlsx", "VPDU", changed(payload(ws, "VPDU"), "PL1", {"so_nu": -3}),
         ON_TIME + dt.timedelta(days=2))
    drop(ws, "TTCT.xlsx", "TTCT", payload(ws, "TTCT"), ON_TIME)
    drop(ws, "TTCT_v2.xlsx", "TTCT", payload(ws, "TTCT", seed=9), ON_TIME + dt.timedelta(hours=3))
    (ws.inbox / "PKT_ban_sao.xlsx").write_bytes((ws.inbox / "PKT_lan2.xlsx").read_bytes())
    os.utime(ws.inbox / "PKT_ban_sao.xlsx", ((ON_TIME + dt.timedelta(days=3)).timestamp(),) * 2)
    late = dt.datetime(2026, 5, 16, 8, 0, tzinfo=VN_TZ)
    drop(ws, "HND.xlsx", "HND", payload(ws, "HND"), late)
    before = _snapshot(ws.inbox)
    result = collect(ws)
    assert _snapshot(ws.inbox) == before, "collect must never touch the inbox"
    files = by_file(result)
    assert files["PKT_lan1.xlsx"].status == "rejected"
    assert files["PKT_lan2.xlsx"].status == "accepted"
    assert files["PKT_ban_sao.xlsx"].status == "duplicate"
    assert "PKT_lan2.xlsx" in files["PKT_ban_sao.xlsx"].issues[0].message
    assert files["VPDU.xlsx"].status == "accepted"  # still counts; the newer rejected file is reported on it
    assert any(i.code == "newer_rejected" and "VPDU_moi.xlsx" in i.message for i in files["VPDU.xlsx"].issues)
    assert files["VPDU_moi.xlsx"].status == "rejected"
    assert files["TTCT.xlsx"].status == "superseded" and files["TTCT_v2.xlsx"].status == "accepted"
    assert result.counted["TTCT"].file.rel == "TTCT_v2.xlsx"
    assert files["HND.xlsx"].late and not files["PKT_lan2.xlsx"].late
    states = {(c["unit"], c["annex"]): c["state"] for c in result.completeness}
    assert states[("HND", "PL1")] == "accepted_late"
    assert states[("PKT", "PL1")] == "accepted"
    assert states[("HCCB", "PL1")] == "missing"


def test_rerun_changes_nothing_and_received_time_survives_a_touch(ready):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"), ON_TIME)
    first = collect(ws).to_json()
    ledger = _ledger_rows(ws)
    second = collect(ws).to_json()
    assert first == second and _ledger_rows(ws) == ledger  # same verdicts, and the ledger says the same
    rows = ledger["files"]
    assert len(rows) == 1 and rows[0][3].startswith("2026-05-10T09:00")
    late = dt.datetime(2026, 6, 1, tzinfo=VN_TZ).timestamp()
    os.utime(ws.inbox / "PKT.xlsx", (late, late))  # touched after the deadline: still received on 10/5
    third = collect(ws).to_json()
    assert third["files"][0]["late"] is False and third["files"][0]["received_at"].startswith("2026-05-10T09:00")
    assert _ledger_rows(ws)["files"] == ledger["files"]


def _ledger_rows(ws) -> dict[str, list[tuple]]:
    con = sqlite3.connect(ws.root / "ledger.sqlite")
    try:
        return {table: sorted(con.execute(f"SELECT * FROM {table}").fetchall()) for table in ("files", "cache")}
    finally:
        con.close()


def test_identity_from_meta_name_or_nothing(ready, tmp_path):
    ws = ready
    drop(ws, "PKT.xlsx", "VPUB", payload(ws, "VPUB"))  # VPUB's template under PKT's name
    drop_meta(drop(ws, "khong_meta.xlsx", "PKT", payload(ws, "PKT")))
    anonymous = drop(ws, "vo_danh.xlsx", "PKT", payload(ws, "PKT"))
    drop_meta(anonymous)
    wb = openpyxl.load_workbook(anonymous)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(max_row=8):
            for c in row:
                if isinstance(c.value, str) and type(c).__name__ != "MergedCell":
                    c.value = None
    wb.save(anonymous)
    other = drop(ws, "dot_khac.xlsx", "TTCT", payload(ws, "TTCT"))
    edit_meta(other, lambda meta: meta.values.update(round_id="dot-khac-2025"))
    files = by_file(collect(ws))
    assert files["PKT.xlsx"].unit == "VPUB"
    assert any(i.code == "name_mismatch" for i in files["PKT.xlsx"].issues)
    assert files["khong_meta.xlsx"].unit == "PKT" and files["khong_meta.xlsx"].status == "accepted"
    assert any(i.code == "matched_by_name" for i in files["khong_meta.xlsx"].issues)
    assert files["vo_danh.xlsx"].status == "unidentified"
    assert files["dot_khac.xlsx"].status == "rejected"
    assert files["dot_khac.xlsx"].issues[0].code == "other_round"


def test_feedback_workbook_marks_cells_and_once_corrected_is_accepted(ready):
    ws = ready
    good = payload(ws, "PKT")
    wrong_total = good["PL1"]["tong_hien_co"] + 1
    bad = changed(good, "PL1", {"tong_hien_co": wrong_total, "ghi_chu": "=HYPERLINK(\"http://x\",\"bấm\")"})
    drop(ws, "PKT.xlsx", "PKT", bad)
    result = collect(ws)
    fb = ws.outbox / "feedback" / "PKT.xlsx"
    assert fb.exists() and (ws.outbox / "feedback" / "PKT.txt").exists()
    txt = (ws.outbox / "feedback" / "PKT.txt").read_text(encoding="utf-8")
    assert "CHƯA được tiếp nhận" in txt and "PL1!" in txt
    wb = openpyxl.load_workbook(fb)
    assert wb.sheetnames[0] == REPORT_SHEET and META_SHEET in wb.sheetnames
    report = wb[REPORT_SHEET]
    rows = list(report.iter_rows(min_row=2, values_only=True))
    total_cell = cell_of(ws, "PKT", "PL1", "tong_hien_co")
    assert any(r[2] == "PL1" and r[3] == total_cell for r in rows)
    link = next(c for c in report["D"][1:] if c.value == total_cell)
    assert link.hyperlink.location == f"'PL1'!{total_cell}" or link.hyperlink.target.endswith(total_cell)
    pl1 = wb["PL1"]
    assert pl1[total_cell].fill.fgColor.rgb.endswith("FFC7CE")
    assert "Tổng số hiện có" in pl1[total_cell].comment.text
    note = pl1[cell_of(ws, "PKT", "PL1", "ghi_chu")]
    assert note.data_type == "s" and note.value.startswith("=HYPERLINK")  # text, never a live formula
    assert result.files[0].status == "rejected"
    # the unit corrects the flagged cell in the feedback file and sends it back
    pl1[total_cell] = good["PL1"]["tong_hien_co"]
    fixed = ws.inbox / "PKT_sua.xlsx"
    wb.save(fixed)
    os.utime(fixed, ((ON_TIME + dt.timedelta(days=1)).timestamp(),) * 2)
    files = by_file(collect(ws))
    assert files["PKT_sua.xlsx"].status == "accepted", [i.message for i in files["PKT_sua.xlsx"].issues]
    assert not fb.exists(), "stale feedback is removed once the unit is clean"


def test_cross_unit_duplicate_address_is_a_warning(ready):
    ws = ready
    a = payload(ws, "PKT")
    b = changed(payload(ws, "VPUB"), "PL2", {"dia_chi": a["PL2"][0]["dia_chi"].upper() + "  "})
    drop(ws, "PKT.xlsx", "PKT", a)
    drop(ws, "VPUB.xlsx", "VPUB", b)
    files = by_file(collect(ws))
    for name, other in (("PKT.xlsx", "VPUB"), ("VPUB.xlsx", "PKT")):
        d = files[name]
        dup = [i for i in d.issues if i.code == "duplicate_across_units"]
        assert dup and other in dup[0].message and d.status == "accepted_with_warnings"


def test_cli_json_exit_codes_and_strict(ready):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"so_nu": -1}))
    runner = CliRunner()
    out = runner.invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) >= {"files", "completeness", "outputs"}
    f = data["files"][0]
    assert set(f) >= {"file", "sha256", "unit", "status", "late", "issues"}
    assert f["status"] == "rejected" and f["issues"][0]["cell"] and f["issues"][0]["sheet"] == "PL1"
    assert set(f["issues"][0]) >= {"code", "severity", "sheet", "cell", "value", "message"}
    strict = runner.invoke(main, ["collect", "--workspace", str(ws.root), "--strict"])
    assert strict.exit_code == 1
    assert "PKT.xlsx" in strict.output and "Đơn vị còn thiếu" in strict.output
    bad = runner.invoke(main, ["collect", "--workspace", str(ws.root / "khong_co")])
    assert bad.exit_code == 2 and "round.toml" in bad.output


def test_older_template_versions_are_read_when_columns_match_and_refused_when_not(ready):
    ws = ready
    old = drop(ws, "PKT_mau_cu.xlsx", "PKT", payload(ws, "PKT"))
    edit_meta(old, lambda m: m.annexes.update(PL1=replace(m.annexes["PL1"], fingerprint="0000000000", version="0")))
    other = drop(ws, "VPUB_mau_khac.xlsx", "VPUB", payload(ws, "VPUB"))
    spec = ws.specs.annexes["PL4b"]
    edit_meta(other, lambda m: m.annexes.update(PL4b=replace(m.annexes["PL4b"], fingerprint="1111111111",
                                                             columns=spec.keys[:-1])))
    files = by_file(collect(ws))
    d = files["PKT_mau_cu.xlsx"]
    assert d.status == "accepted" and any(i.code == "old_version" and i.sheet == "PL1" for i in d.issues)
    d = files["VPUB_mau_khac.xlsx"]
    assert d.status == "rejected" and any(i.code == "incompatible_version" for i in d.issues)
    assert "biểu mẫu mới" in next(i.message for i in d.issues if i.code == "incompatible_version")


def test_every_command_has_vietnamese_help():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    commands = top.output.split("Các lệnh:")[1].splitlines()
    assert top.exit_code == 0 and not any(line.rstrip().endswith("...") for line in commands)
    for name, command in main.commands.items():
        out = runner.invoke(main, [name, "--help"])
        assert out.exit_code == 0 and command.help and len(command.help) > 20, name
        assert any(ch in out.output for ch in "ăâđêôơư"), f"{name}: help is not Vietnamese"


def test_half_written_outputs_of_a_killed_run_are_removed_from_the_outbox_only(ready):
    """A run killed while writing leaves `.<name>.tmp…` files; the next run removes them wherever outputs are
    written (the summary, feedback, the units' drafts), and never touches the inbox."""
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    planted = [ws.outbox / ".TongHop_x.tmp.xlsx", ws.outbox / "feedback" / ".PKT.tmp.xlsx",
               ws.outbox / "baocao" / ".PKT.tmp.docx"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    kept = ws.inbox / ".nhap.tmp.xlsx"
    kept.write_bytes(b"a unit's own file, whatever its name")
    collect(ws, workers=1)
    assert not [p for p in planted if p.exists()] and kept.read_bytes() == b"a unit's own file, whatever its name"
