"""The clerk's day: the received time the clerk records, the workspace a command works on, output that can be
scanned (errors and warnings apart, progress on every step), and a roll-up that says when it is provisional."""

from __future__ import annotations

import datetime as dt
import json
import os

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.collect import collect
from pipeline.issues import SEVERITY_ACTION_VN, Severity
from pipeline.workspace import VN_TZ, init_workspace

from .helpers import ON_TIME, changed, drop, payload

LATE = dt.datetime(2026, 5, 20, 9, 0, tzinfo=VN_TZ)  # after the deadline (15/5/2026)
EARLY = dt.datetime(2026, 5, 10, 9, 0, tzinfo=VN_TZ)


def by_file(result):
    return {d.file.rel: d for d in result.files}


def test_a_dated_folder_is_the_received_time_whatever_the_files_modification_time(ready):
    ws = ready
    drop(ws, "2026-05-12/PKT.xlsx", "PKT", payload(ws, "PKT"), when=LATE)  # saved late, arrived on time
    drop(ws, "Zalo/16.05.2026 14h30/VPUB.xlsx", "VPUB", payload(ws, "VPUB"), when=EARLY)  # really late
    drop(ws, "TYT.xlsx", "TYT", payload(ws, "TYT"), when=LATE)  # nothing recorded: the modification time
    files = by_file(collect(ws))
    pkt, vpub, tyt = files["2026-05-12/PKT.xlsx"], files["Zalo/16.05.2026 14h30/VPUB.xlsx"], files["TYT.xlsx"]
    assert pkt.received_at == dt.datetime(2026, 5, 12, 0, 0, tzinfo=VN_TZ) and not pkt.late
    assert vpub.received_at == dt.datetime(2026, 5, 16, 14, 30, tzinfo=VN_TZ) and vpub.late
    assert tyt.received_at == LATE and tyt.late
    os.utime(ws.inbox / "TYT.xlsx", (EARLY.timestamp(), EARLY.timestamp()))  # touched later: first sight stays
    assert by_file(collect(ws))["TYT.xlsx"].received_at == LATE


def test_the_later_of_two_files_in_dated_folders_counts(ready):
    ws = ready
    drop(ws, "2026-05-14/PKT.xlsx", "PKT", changed(payload(ws, "PKT"), "PL1", {"ghi_chu": "bản sửa"}), when=EARLY)
    drop(ws, "2026-05-11/PKT.xlsx", "PKT", payload(ws, "PKT"), when=LATE)
    result = collect(ws)
    assert result.counted["PKT"].file.rel == "2026-05-14/PKT.xlsx"


def test_no_workspace_given_in_a_folder_that_is_not_a_round_in_progress(tmp_path, monkeypatch):
    runner = CliRunner()
    init_workspace(tmp_path / "Dot 2")
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(main, ["collect"])
    assert out.exit_code == 2 and "chưa phải thư mục làm việc" in out.output
    assert "annex collect --workspace \"Dot 2\"" in out.output  # the workspaces found here, quoted
    monkeypatch.chdir(tmp_path / "Dot 2")
    out = runner.invoke(main, ["collect"])
    assert out.exit_code == 2 and "chưa có đợt báo cáo nào đang làm" in out.output
    assert not (tmp_path / "Dot 2" / "outbox" / "TongHop_phuctho-soket-2026.xlsx").exists()  # nothing written
    assert runner.invoke(main, ["templates", "--unit", "TYT"]).exit_code == 0  # the first step is allowed
    out = runner.invoke(main, ["collect"])
    assert out.exit_code == 0 and "TYT (Trạm Y tế xã)" in out.output  # now a round in progress


def test_the_programs_own_folder_is_never_taken_for_a_workspace(monkeypatch):
    from .conftest import REPO

    monkeypatch.chdir(REPO)
    for command in (["collect"], ["templates"], ["rollup", "--parent", ".", "--unit", "X"]):
        out = CliRunner().invoke(main, command)
        assert out.exit_code == 2 and "thư mục cài chương trình annex" in out.output, out.output


def test_errors_and_warnings_are_counted_and_listed_apart_everywhere(ready):
    ws = ready
    data = changed(payload(ws, "VPUB", seed=3), "PL1", {"so_nu": -1})  # an error
    data = changed(data, "PL1", {"so_can_bo": 40, "so_cong_chuc": 0})  # and staff over quota: a warning
    drop(ws, "VPUB.xlsx", "VPUB", data)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    lines = out.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("VPUB.xlsx"))
    d = by_file(collect(ws))["VPUB.xlsx"]
    assert d.errors >= 1 and d.warnings >= 1
    errors, warnings = SEVERITY_ACTION_VN[Severity.ERROR], SEVERITY_ACTION_VN[Severity.WARNING]
    assert lines[head + 1] == f"    {errors}: {d.errors}"
    assert lines[head + 2 + d.errors] == f"    {warnings}: {d.warnings}"
    assert f"1 tệp bị trả lại ({d.errors} lỗi phải sửa)" in out.output
    text = (ws.outbox / "feedback" / "VPUB.txt").read_text(encoding="utf-8")
    assert f"{errors}: {d.errors}\n" in text and f"\n\n{warnings}: {d.warnings}\n" in text
    assert text.index(errors) < text.index(warnings)
    report = json.loads(CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"]).output)
    vpub = next(f for f in report["files"] if f["file"] == "VPUB.xlsx")
    assert vpub["counts"] == {"errors": d.errors, "warnings": d.warnings}
    assert report["counts"]["errors"] == d.errors and report["counts"]["files_rejected"] == 1


def test_every_step_that_takes_time_says_so(ready):
    ws = ready
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))  # one file: no "20 files" threshold any more
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    for step in ("Đang xem các tệp trong inbox…", "Đang đọc tệp…", "Đang kiểm tra số liệu…",
                 "Đang lập phản hồi cho đơn vị và bảng tổng hợp…"):
        assert step in out.output
    out = CliRunner().invoke(main, ["templates", "--workspace", str(ws.root), "--unit", "TYT"])
    assert "Đang tạo biểu mẫu cho các đơn vị…" in out.output
    quiet = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root), "--json"])
    assert "Đang" not in quiet.output and json.loads(quiet.output)


def test_a_roll_up_with_units_missing_says_it_is_provisional_and_names_them(ready, tmp_path):
    ws = ready
    for code in ("PKT", "VPUB"):
        drop(ws, f"{code}.xlsx", code, payload(ws, code))
    parent = init_workspace(tmp_path / "thanhpho")
    out = CliRunner().invoke(main, ["rollup", "--workspace", str(ws.root), "--parent", str(parent), "--unit", "PKT"])
    assert out.exit_code == 0, out.output
    assert f"từ 2/{len(ws.units)} đơn vị" in out.output and "Số liệu TẠM TÍNH" in out.output
    assert f"còn {len(ws.units) - 2} đơn vị" in out.output and "TYT (Trạm Y tế xã)" in out.output
    assert "PKT (" not in out.output.split("TẠM TÍNH")[1]


def test_a_refused_file_replaced_by_a_later_accepted_one_is_not_left_to_fix(ready):
    """The unit sent a wrong file, then a corrected one: the console says the first one needs nothing more, does
    not list its errors again, and does not count it among the files still refused."""
    ws = ready
    drop(ws, "VPUB.xlsx", "VPUB", changed(payload(ws, "VPUB", seed=3), "PL1", {"so_nu": -1}))
    drop(ws, "VPUB_DaSua.xlsx", "VPUB", payload(ws, "VPUB", seed=3), ON_TIME + dt.timedelta(hours=2))
    out = CliRunner().invoke(main, ["collect", "--workspace", str(ws.root)])
    lines = out.output.splitlines()
    first = next(line for line in lines if line.startswith("VPUB.xlsx"))
    assert "trả lại" in first and "đã có tệp gửi sau được tiếp nhận (VPUB_DaSua.xlsx)" in first, first
    assert not lines[lines.index(first) + 1].startswith("    ")  # its errors are not listed again
    assert "0 tệp bị trả lại (0 lỗi phải sửa)" in out.output and "1 tệp bị trả lại trước đây" in out.output
