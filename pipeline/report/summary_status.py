"""The summary's submission status, in two sheets: "Tình hình nộp" is what a leader reads on paper (one row per
unit, a short mark per annex and for the narrative report, a legend under it, one page for a commune);
"Chi tiết nộp" is the clerk's screen list (each unit × annex with the file counted, when it came, and a reminder
ready to send), left out of printing."""

from __future__ import annotations

import datetime as dt

from pipeline.issues import REPORT_STATE_VN, STATE_VN
from pipeline.messages import REPORT_SHORT_VN, STATE_SHORT_VN
from pipeline.report.aggregate import Summary
from pipeline.workbook.bulk import Row
from pipeline.workbook.styles import Styles, print_setup, text_height
from pipeline.workspace import Workspace

STATUS_SHEET, DETAIL_SHEET = "Tình hình nộp", "Chi tiết nộp"
STATE_STYLE = {"missing": "bad", "rejected": "bad", "accepted": "good", "accepted_with_warnings": "warn",
               "accepted_late": "warn", "failed": "warn"}
REPORT_ROW = "Báo cáo lời"  # the "Phụ lục" of a unit's narrative report in the detail list, its column on paper
REPORT_STYLE = {"missing": "bad", "rejected": "bad", "matched": "good", "mismatch": "warn", "unchecked": "warn",
                "failed": "warn"}
ID_WIDTHS, MARK_WIDTH, REPORT_WIDTH = (5, 9, 26, 16), 10, 13


def status_sheet(sheet, st: Styles, ws: Workspace, summary: Summary) -> dict[str, int]:
    """One row per unit: an annex's mark in its column (grey where the unit files no such annex), the narrative
    report's in the last; a row of counts and the legend below. Returns the unit × annex states counted."""
    annexes = [a for a in ws.specs.annexes if any(a in u.annexes for u in ws.units)]
    heads = ["STT", "Mã đơn vị", "Tên đơn vị", "Khối", *(ws.specs.annexes[a].sheet for a in annexes), REPORT_ROW]
    widths = [*ID_WIDTHS, *(MARK_WIDTH,) * len(annexes), REPORT_WIDTH]
    last = len(heads) - 1
    title = "TÌNH HÌNH NỘP BIỂU PHỤ LỤC VÀ BÁO CÁO LỜI CỦA CÁC ĐƠN VỊ"
    sheet.merge_range(0, 0, 0, last, "", st["title"])
    sheet.write_string(0, 0, title, st["title"])
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, last, "", st["italic"])
    sheet.write_string(1, 0, f"{ws.round.commune} — {ws.round.title}; hạn nộp ngày {ws.round.deadline:%d/%m/%Y}.",
                       st["italic"])
    for c, (h, w) in enumerate(zip(heads, widths, strict=True)):
        sheet.write_string(3, c, h, st["head"])
        sheet.set_column(c, c, w)
    sheet.set_row(3, text_height(REPORT_ROW, REPORT_WIDTH))
    counts = dict.fromkeys(STATE_VN, 0)
    items = {(i["unit"], i["annex"]): i for i in summary.completeness}
    reports = {r["unit"]: r for r in summary.reports}
    r = 3
    for n, unit in enumerate(ws.units, start=1):
        r += 1
        sheet.write_number(r, 0, n, st["label_center"])
        for c, text in ((1, unit.code), (2, unit.name), (3, unit.khoi)):
            sheet.write_string(r, c, text, st["cell"])
        marks = [unit.name, unit.khoi]
        for c, annex in enumerate(annexes, start=len(ID_WIDTHS)):
            item = items.get((unit.code, annex))
            if item is None:
                sheet.write_blank(r, c, None, st["grey"])
                continue
            counts[item["state"]] += 1
            mark = _mark(item)
            sheet.write_string(r, c, mark, st[STATE_STYLE[item["state"]] + "_wrap"])
            marks.append(mark)
        if unit.code in reports:
            report = reports[unit.code]
            mark = REPORT_SHORT_VN[report["state"]] + (f" ({report['mismatches']})" if report["mismatches"] else "")
            sheet.write_string(r, last, mark, st[REPORT_STYLE[report["state"]] + "_wrap"])
        else:
            sheet.write_blank(r, last, None, st["grey"])
        sheet.set_row(r, max(text_height(t, w) for t, w in zip(marks, (ID_WIDTHS[2], ID_WIDTHS[3], *(
            (MARK_WIDTH,) * (len(marks) - 2))), strict=True)))
    r = _counts_row(sheet, st, summary, annexes, r + 1, last)
    _legend(sheet, st, r + 1, last)
    sheet.freeze_panes(4, 3)
    print_setup(sheet, last, (3, 3), title=f"TÌNH HÌNH NỘP BIỂU — {ws.round.title}", last_row=r + 1)
    return counts


def _mark(item: dict) -> str:
    """A unit × annex state in a word or two; a late or accepted file that carries a warning says so too."""
    extra = item["warnings"] and item["state"] in ("accepted_late", "failed")
    return STATE_SHORT_VN[item["state"]] + (f", {STATE_SHORT_VN['accepted_with_warnings'].lower()}" if extra else "")


def _counts_row(sheet, st: Styles, summary: Summary, annexes: list[str], r: int, last: int) -> int:
    """How many units have the annex accepted, of those that must file it; reports received of all units."""
    sheet.merge_range(r, 0, r, len(ID_WIDTHS) - 1, "", st["total_label"])
    sheet.write_string(r, 0, "Số đơn vị đã có biểu, báo cáo được tiếp nhận", st["total_label"])
    for c, annex in enumerate(annexes, start=len(ID_WIDTHS)):
        mine = [i for i in summary.completeness if i["annex"] == annex]
        done = sum(i["state"].startswith("accepted") for i in mine)
        sheet.write_string(r, c, f"{done}/{len(mine)}", st["total_center"])
    received = sum(rep["state"] not in ("missing", "rejected") for rep in summary.reports)
    sheet.write_string(r, last, f"{received}/{len(summary.reports)}", st["total_center"])
    return r


def _legend(sheet, st: Styles, r: int, last: int) -> None:
    states = "; ".join(f"{STATE_SHORT_VN[k]}: {STATE_VN[k][0].lower()}{STATE_VN[k][1:]}" for k in STATE_VN
                       if STATE_SHORT_VN[k] != STATE_VN[k])
    reports = "; ".join(f"{REPORT_SHORT_VN[k]}: {REPORT_STATE_VN[k][0].lower()}{REPORT_STATE_VN[k][1:]}"
                        for k in ("matched", "mismatch", "unchecked"))
    text = (f"Ghi chú: {states}. Báo cáo lời — {reports} (trong ngoặc: số số liệu lệch). Ô màu xám: đơn vị không "
            f"phải nộp. Tệp được tính, thời điểm nhận và lời nhắc gửi từng đơn vị: trang \"{DETAIL_SHEET}\".")
    sheet.merge_range(r, 0, r, last, "", st["italic_wrap"])
    sheet.write_string(r, 0, text, st["italic_wrap"])
    sheet.set_row(r, text_height(text, sum(ID_WIDTHS) + MARK_WIDTH * (last - len(ID_WIDTHS)) + REPORT_WIDTH))


def detail_sheet(sheet, st: Styles, ws: Workspace, summary: Summary) -> None:
    """One row per unit × annex, then the unit's narrative report (báo cáo lời) on a row of its own, with the file
    counted, when it came and the reminder to send; for the screen (filters), not for paper."""
    heads = ["STT", "Mã đơn vị", "Tên đơn vị", "Khối", "Phụ lục", "Tình trạng", "Tệp được tính",
             "Thời điểm nhận", "Lời nhắc gửi đơn vị"]
    widths = (5, 9, 22, 11, 7, 16, 18, 16, 60)
    for c, (h, w) in enumerate(zip(heads, widths, strict=True)):
        sheet.write_string(0, c, h, st["head"])
        sheet.set_column(c, c, w)
    reminders = _reminders(ws, summary)
    rows = _status_rows(summary)
    sheet.write_rows(1, (_detail_row(n, item, ws, st, reminders) for n, item in enumerate(rows, start=1)))
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, len(rows), len(heads) - 1)
    sheet.set_row(0, 36)
    print_setup(sheet, len(heads) - 1, title="CHI TIẾT NỘP BIỂU: để lọc, sao chép lời nhắc trên máy tính, không in",
                last_row=0)


def _detail_row(n: int, item: dict, ws: Workspace, st: Styles, reminders: dict[str, str]) -> Row:
    """One row of "Chi tiết nộp": an annex of a unit, or its narrative report; the reminder on its first row."""
    if item["annex"] is None:  # the unit's narrative report
        label, style, annex = _report_state(item), REPORT_STYLE[item["state"]], REPORT_ROW
    else:
        label = STATE_VN[item["state"]] + (" (có cảnh báo)" if item["warnings"] and item["state"] != "rejected"
                                           and item["state"] != "accepted_with_warnings" else "")
        style, annex = STATE_STYLE[item["state"]], ws.specs.annexes[item["annex"]].sheet
    received = (dt.datetime.fromisoformat(item["received_at"]).replace(tzinfo=None) if item["received_at"]
                else None)
    reminder = reminders.pop(item["unit"], "")
    cell = st["cell"]
    texts = (item["unit_name"], item["khoi"], annex, label, item["file"] or "", reminder)
    height = max(text_height(t, w) for t, w in zip(texts, (22, 11, 7, 16, 18, 60), strict=True))
    return height, ((n, st["label_center"]), (item["unit"], cell), (item["unit_name"], cell), (item["khoi"], cell),
                    (annex, cell), (label, st[style + "_wrap"]), (item["file"] or "", cell),
                    (received, st["datetime"] if received else cell), (reminder, cell))


def _status_rows(summary: Summary) -> list[dict]:
    """The completeness rows, each unit's narrative report (annex None) after its last annex."""
    reports = {r["unit"]: {**r, "annex": None} for r in summary.reports}
    rows: list[dict] = []
    for n, item in enumerate(summary.completeness):
        rows.append(item)
        following = summary.completeness[n + 1]["unit"] if n + 1 < len(summary.completeness) else None
        if following != item["unit"] and item["unit"] in reports:
            rows.append(reports.pop(item["unit"]))
    return rows + list(reports.values())  # a unit that files no annex


def _report_state(report: dict) -> str:
    text = REPORT_STATE_VN[report["state"]]
    return text + (f" ({report['mismatches']} số liệu)" if report["mismatches"] else "")


def _reminders(ws: Workspace, summary: Summary) -> dict[str, str]:
    """A ready reminder text for each unit with a missing or rejected annex or narrative report (on its first
    row)."""
    todo: dict[str, list[str]] = {}
    for item in summary.completeness:
        if item["state"] in ("missing", "rejected"):
            todo.setdefault(item["unit"], []).append(f"Phụ lục {ws.specs.annexes[item['annex']].code}")
    no_report = {r["unit"] for r in summary.reports if r["state"] in ("missing", "rejected")}
    today, deadline = summary.generated_at.date(), ws.round.deadline
    when = (f"trước hạn nộp ngày {deadline:%d/%m/%Y}" if today <= deadline
            else f"trong thời gian sớm nhất (hạn nộp ngày {deadline:%d/%m/%Y} đã qua)")
    out = {}
    for unit in ws.units:
        if unit.code in todo or unit.code in no_report:
            wanted = [f"biểu hợp lệ ({', '.join(todo[unit.code])})"] if unit.code in todo else []
            wanted += ["báo cáo lời"] if unit.code in no_report else []
            out[unit.code] = (f"Kính gửi {unit.name}: đến ngày {today:%d/%m/%Y}, {ws.round.commune} chưa "
                              f"nhận được {' và '.join(wanted)} của đơn vị cho đợt {ws.round.title}. Đề nghị đơn "
                              f"vị hoàn thành và gửi về {ws.round.contact or ws.round.commune} {when}.")
    return out
