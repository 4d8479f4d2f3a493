"""Stage 7: the summary workbook leadership reads (XlsxWriter), written atomically into the outbox.

Numbers are numbers with formats; every text that came from a unit is written with `write_string`, so
nothing a unit typed ever becomes a live formula or link.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import xlsxwriter

from pipeline.files import place
from pipeline.issues import ENVIRONMENT, SEVERITY_VN, STATE_VN, STATUS_VN, Severity
from pipeline.judge.compare import change_text
from pipeline.messages import sentence
from pipeline.report import summary_annex
from pipeline.report.aggregate import Summary
from pipeline.report.csvfile import column_fields, field, write_csv
from pipeline.report.summary_status import DETAIL_SHEET, STATUS_SHEET, detail_sheet, status_sheet
from pipeline.report.summary_tables import cell_value
from pipeline.vntext import fmt_number
from pipeline.workbook.bulk import BulkSheet
from pipeline.workbook.styles import SAFE_OPTIONS, Styles, print_setup, text_height
from pipeline.workspace import Workspace

LONG_SHEET = "Dữ liệu"
SCREEN_SHEETS = (DETAIL_SHEET, LONG_SHEET)  # for filters and copying on a screen: left out of the PDF


def summary_name(ws: Workspace) -> str:
    return f"TongHop_{ws.round.round_id}.xlsx"


def write_summary(ws: Workspace, summary: Summary) -> tuple[Path, str]:
    """Write to a temporary file, then move it into place (beside the old one when that is open in Excel).
    Returns (path, note for the clerk). A failed write leaves no temporary file behind."""
    target = ws.outbox / summary_name(ws)
    tmp = ws.outbox / f".{target.stem}.tmp.xlsx"
    try:
        build_workbook(ws, summary, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    written = place(tmp, target)
    return written, (sentence("file_open", name=target.name, new=written.name) if written != target else "")


def build_workbook(ws: Workspace, summary: Summary, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), SAFE_OPTIONS)
    wb.set_properties({"title": f"Tổng hợp — {ws.round.title}", "author": ws.round.commune})
    st = Styles(wb, 12)
    overview = wb.add_worksheet("Tổng quan")
    status_counts = status_sheet(wb.add_worksheet(STATUS_SHEET), st, ws, summary)
    detail_sheet(wb.add_worksheet(DETAIL_SHEET, BulkSheet), st, ws, summary)
    _overview(wb, overview, st, ws, summary, status_counts)
    for agg in summary.annexes.values():
        summary_annex.write_annex_sheet(wb, wb.add_worksheet(agg.spec.sheet, BulkSheet), st, ws, agg, path.parent)
    _quality(wb.add_worksheet("Chất lượng dữ liệu"), st, summary)
    csv_name = long_csv_path(ws, path.parent).name
    _long(wb.add_worksheet(LONG_SHEET, BulkSheet), st, summary, long_count(summary), csv_name)
    overview.activate()
    wb.close()


def long_csv_path(ws: Workspace, outdir: Path) -> Path:
    return outdir / f"DuLieu_{ws.round.round_id}.csv"


def csv_paths(ws: Workspace) -> list[Path]:
    """Every CSV file the summary's sheets may point to."""
    return [long_csv_path(ws, ws.outbox), *(summary_annex.detail_csv_path(spec, ws.outbox, ws.round.round_id)
                                            for spec in ws.specs.annexes.values())]


def write_csvs(ws: Workspace, summary: Summary) -> list[tuple[Path, Path]]:
    """The CSV files the summary's sheets point to (by a task of their own: beside the workbook's in a plain collect,
    after it in watch mode): the long data when it is too long for its sheet, and an annex's detail rows when they
    are too many for the annex's sheet. A file no longer needed is removed, so that no stale copy from an earlier run
    is left. Returns (the name the sheets give, the file written: another name when that one is open in Excel)."""
    written = []
    path = long_csv_path(ws, ws.outbox)
    if LONG_LIMIT < long_count(summary) <= EXCEL_ROWS:
        written.append((path, write_csv(path, long_rows(summary, as_text=True), LONG_HEADS, formatted=True)))
    else:  # not needed, or more rows than Excel can open
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    for agg in summary.annexes.values():
        path = summary_annex.detail_csv_path(agg.spec, ws.outbox, ws.round.round_id)
        if summary_annex.detail_in_csv(agg):
            written.append((path, summary_annex.detail_csv(agg, path)))
        else:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    return written


def _overview(wb, sheet, st: Styles, ws: Workspace, summary: Summary, status_counts: dict[str, int]) -> None:
    rnd = ws.round
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 2, 80)
    sheet.merge_range(0, 0, 0, 2, "", st["title"])
    sheet.write_string(0, 0, f"TỔNG HỢP BIỂU PHỤ LỤC — {rnd.title.upper()}", st["title"])
    sheet.set_row(0, 40)
    lines = [("Địa phương", rnd.commune), ("Kỳ báo cáo", f"Từ ngày {rnd.period_start:%d/%m/%Y} đến ngày "
                                                      f"{rnd.period_end:%d/%m/%Y}"),
             ("Hạn nộp", f"{rnd.deadline:%d/%m/%Y}"),
             ("Thời điểm tổng hợp", f"{summary.generated_at:%H:%M ngày %d/%m/%Y}")]
    row = 2
    for label, value in lines:
        sheet.write_string(row, 0, label, st["bold"])
        sheet.write_string(row, 2, value, st["text"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "Tình hình nộp", st["head"])
    sheet.write_string(row, 1, "Số đơn vị", st["head"])
    _status_chart(wb, sheet, status_counts, row)  # beside the counts, in the wide column
    row += 1
    counts = summary.counts
    for label, key in (("Đơn vị phải nộp", "expected"), ("Đơn vị đã gửi tệp", "received"),
                       ("Đơn vị có biểu được tiếp nhận", "accepted"), ("Trong đó: nộp muộn", "late"),
                       ("Đơn vị chưa gửi tệp", "missing"),
                       ("Đơn vị đã gửi báo cáo lời", "reports"), ("Tệp bị trả lại (số tệp)", "rejected_files"),
                       ("Tệp không nhận ra đơn vị (số tệp)", "unidentified_files")):
        sheet.write_string(row, 0, label, st["label"])
        sheet.write_number(row, 1, counts[key], st["int"])
        row += 1
    row += 1
    sheet.write_string(row, 0, "Số liệu chính (có thể trích dẫn nguyên văn trong báo cáo)", st["bold"])
    row += 1
    for agg in summary.annexes.values():
        for text in agg.sentences:
            sheet.merge_range(row, 0, row, 2, "", st["wrap"])
            quoted = f"{agg.spec.heading}: {text}".replace(" %", "\u00a0%")  # "%" stays on its number's line
            sheet.write_string(row, 0, quoted, st["wrap"])
            sheet.set_row(row, text_height(quoted, 138))
            row += 1
    print_setup(sheet, 2, title=f"TỔNG QUAN — {rnd.title}", last_row=row)


def _status_chart(wb, sheet, counts: dict[str, int], row: int) -> None:
    """A bar chart of unit × annex states beside the table of counts that starts at `row`, from a small table
    outside the print area."""
    first = row
    counts = {state: n for state, n in counts.items() if n}  # the states that occur: every label legible
    if not counts:
        return
    for i, (state, n) in enumerate(counts.items()):
        sheet.write_string(row + i, 4, STATE_VN[state])
        sheet.write_number(row + i, 5, n)
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"name": "Số phụ lục", "categories": ["Tổng quan", first, 4, first + len(counts) - 1, 4],
                      "values": ["Tổng quan", first, 5, first + len(counts) - 1, 5],
                      "data_labels": {"value": True, "font": {"name": "Times New Roman", "size": 12}},
                      "fill": {"color": "#4472C4"}})
    chart.set_title({"name": "Tình hình nộp theo đơn vị × phụ lục", "name_font": {"name": "Times New Roman"}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": "Times New Roman", "size": 11}})
    chart.set_y_axis({"num_font": {"name": "Times New Roman", "size": 11}, "reverse": True})
    sheet.insert_chart(first, 2, chart, {"x_offset": 10, "x_scale": 1.1, "y_scale": 0.72})


def _quality(sheet, st: Styles, summary: Summary) -> None:
    heads = ["STT", "Tệp", "Đơn vị", "Trạng thái tệp", "Mức độ", "Trang", "Ô", "Nội dung"]
    for c, (h, w) in enumerate(zip(heads, (5, 20, 8, 13, 9, 7, 7, 71), strict=True)):
        sheet.write_string(0, c, h, st["head"])
        sheet.set_column(c, c, w)
    r = 0
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for d in summary.files:
        if d.status in ("superseded", "duplicate"):
            continue
        for i in sorted(d.issues, key=lambda i: order[i.severity]):
            if i.severity == Severity.INFO and d.status not in ("accepted", "accepted_with_warnings"):
                continue
            r += 1
            style = {Severity.ERROR: "bad", Severity.WARNING: "warn", Severity.INFO: "cell"}[i.severity]
            sheet.write_number(r, 0, r, st["label_center"])
            for c, value in enumerate((d.file.rel, d.unit or "", STATUS_VN[d.status]), start=1):
                sheet.write_string(r, c, value, st["cell"])
            sheet.write_string(r, 4, SEVERITY_VN[i.severity], st[style])
            sheet.write_string(r, 5, i.sheet, st["cell"])
            sheet.write_string(r, 6, i.cell, st["cell"])
            sheet.write_string(r, 7, i.message, st["cell"])
            sheet.set_row(r, max(text_height(i.message, 71), text_height(d.file.rel, 20),
                                 text_height(STATUS_VN[d.status], 13)))
    for unit, resub in summary.changes.items():
        for ch in resub.cells:
            r += 1
            sheet.write_number(r, 0, r, st["label_center"])
            for c, value in enumerate((resub.new.file.rel, unit, "Thay đổi so với lần gửi trước", "Ô đã sửa",
                                       ch.sheet, ch.cell), start=1):
                sheet.write_string(r, c, value, st["cell"])
            note = f"{change_text(ch)} (tệp trước: {resub.old.file.rel})"
            sheet.write_string(r, 7, note, st["cell"])
            sheet.set_row(r, max(text_height(note, 71), text_height(resub.new.file.rel, 20),
                                 text_height("Thay đổi so với lần gửi trước", 13)))
    for failure in summary.failures:  # of this program or of the machine, never the unit's
        r += 1
        sheet.write_number(r, 0, r, st["label_center"])
        whose = "Do máy tính hoặc thư mục" if failure.code in ENVIRONMENT else "Lỗi chương trình"
        for c, value in enumerate((failure.file, "", whose), start=1):
            sheet.write_string(r, c, value, st["cell"])
        sheet.write_string(r, 4, SEVERITY_VN[failure.severity], st["bad"])
        sheet.write_string(r, 7, failure.message, st["cell"])
        sheet.set_row(r, text_height(failure.message, 71))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(r, 1), len(heads) - 1)
    print_setup(sheet, len(heads) - 1, (0, 0), title="CHẤT LƯỢNG DỮ LIỆU: CẢNH BÁO, TỆP BỊ TRẢ LẠI, Ô ĐÃ SỬA")


EXCEL_ROWS = 1_048_575  # data rows below a header that Excel can open
LONG_LIMIT = 60_000  # rows of the "Dữ liệu" sheet; beyond that the long data goes to a CSV file beside it


def long_count(summary: Summary) -> int:
    """How many values the long data has (without building it)."""
    return int(sum(agg.rows[[c.key for c in agg.spec.input_columns]].notna().to_numpy().sum()
                   for agg in summary.annexes.values() if not agg.rows.empty))


def long_rows(summary: Summary, as_text: bool = False) -> pd.DataFrame:
    """All accepted values in long form (one row per value), built with pandas melt, in annex, row and
    column order; values keep their types, or with `as_text` are CSV fields (formatted while still wide:
    one call per column instead of one per value)."""
    parts = []
    ids = ["unit", "unit_name", "khoi", "_row", "source"]
    for agg in summary.annexes.values():
        spec = agg.spec
        if agg.rows.empty:
            continue
        frame = agg.rows.copy()
        if spec.row_key:
            frame["_row"] = frame[spec.row_key].astype(str)
        elif spec.layout == "table":
            frame["_row"] = spec.sheet + "!" + frame["row"].astype("Int64").astype(str)
        else:
            frame["_row"] = ""
        keys = [c.key for c in spec.input_columns]
        present = frame[keys].notna().melt(value_vars=keys)["value"].to_numpy()
        labels = {c.key: field(c.label) if as_text else c.label for c in spec.columns}
        sheet = field(spec.sheet) if as_text else spec.sheet
        for key in (keys + ids if as_text else keys):  # one object column to melt into, types kept
            frame[key] = column_fields(frame[key]) if as_text else frame[key].astype(object)
        frame["_order"] = range(len(frame))
        long = frame.melt(id_vars=[*ids, "_order"], value_vars=keys, var_name="key", value_name="value")[present]
        long["sheet"] = sheet
        long["label"] = long["key"].map(labels)
        long["_col"] = long["key"].map({k: i for i, k in enumerate(keys)})
        parts.append(long.sort_values(["_order", "_col"], kind="stable"))
    columns = ["unit", "unit_name", "khoi", "sheet", "_row", "key", "label", "value", "source"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


LONG_HEADS = ["Mã đơn vị", "Tên đơn vị", "Khối", "Phụ lục", "Dòng", "Mã cột", "Chỉ tiêu", "Giá trị", "Nguồn"]


def _long(sheet, st: Styles, summary: Summary, count: int, csv_name: str) -> None:
    """The long data for pivot tables; past LONG_LIMIT rows, a pointer to the CSV file instead."""
    for c, (h, w) in enumerate(zip(LONG_HEADS, (10, 28, 16, 8, 22, 24, 40, 16, 36), strict=True)):
        sheet.write_string(0, c, h, st["head"])
        sheet.set_column(c, c, w)
    n = fmt_number(count)
    if count > EXCEL_ROWS:
        sheet.write_string(1, 0, f"Có {n} giá trị, nhiều hơn số dòng tối đa Excel mở được; số liệu chi tiết "
                                 "nằm ở các trang phụ lục và các tệp ChiTiet_*.csv cùng thư mục.", st["bold"])
        return
    if count > LONG_LIMIT:
        sheet.write_string(1, 0, f"Có {n} giá trị, quá nhiều cho một trang tính; toàn bộ dữ liệu dạng dài "
                                 f"nằm trong tệp {csv_name} cùng thư mục (mở bằng Excel).", st["bold"])
        return
    by_key = {}
    for spec_agg in summary.annexes.values():
        by_key.update({(spec_agg.spec.sheet, c.key): c for c in spec_agg.spec.columns})
    sheet.write_rows(1, ((None, (*((str(row[c]), None) for c in range(7)),
                                 cell_value(row[7], by_key[(row[3], row[5])], st), (str(row[8]), None)))
                         for row in long_rows(summary).itertuples(index=False, name=None)))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(count, 1), len(LONG_HEADS) - 1)
    # for screens (filters, PivotTables): only the column headings go to paper
    print_setup(sheet, 4, title="DỮ LIỆU DẠNG DÀI: dùng để lọc, lập PivotTable trên máy tính, không in",
                last_row=0, scale=100)
