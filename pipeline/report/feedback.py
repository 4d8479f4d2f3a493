"""Stage 5b: feedback to each unit with errors or warnings, as files it can act on.

`outbox/feedback/<code>.xlsx` is the unit's own workbook with every bad cell highlighted and commented and a
first sheet "Lỗi cần sửa" linking to each cell; `_meta` is kept, so the corrected file can go straight back
into the inbox. `<code>.txt` is a short message the clerk can paste into an e-mail or a chat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from pipeline.files import keep_written, place
from pipeline.intake.read import read_book
from pipeline.issues import NOT_READ, SEVERITY_ACTION_VN, Issue, Severity
from pipeline.judge.compare import change_text, show_value
from pipeline.messages import phrase
from pipeline.models import Decision, Resubmission
from pipeline.report import fallback
from pipeline.report.annotate import Mark, NewSheet, annotate
from pipeline.report.fallback import put
from pipeline.report.folds import folds_in_use
from pipeline.template.build import write_template
from pipeline.workbook.contract import (
    CHANGES_SHEET,
    ERROR_FILL,
    REPORT_SHEET,
    WARNING_FILL,
    parse_range,
)
from pipeline.workbook.xmlpatch import Unsupported
from pipeline.workspace import VN_TZ, Unit, Workspace

FILL = {Severity.ERROR: ERROR_FILL, Severity.WARNING: WARNING_FILL}
REPORT_PLACE = "Báo cáo lời"  # the "Trang" of a row about the unit's narrative report
_CELL = re.compile(r"^(?:(?P<sheet>[^!]+)!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)$")


def feedback_targets(decisions: list[Decision]) -> dict[str, Decision]:
    """unit -> the file it should act on: its newest file, when that has errors or warnings."""
    newest: dict[str, Decision] = {}
    for d in sorted(decisions, key=lambda d: d.received_at):
        if d.unit and not d.report and d.status not in ("duplicate", "superseded", "failed"):  # ours: not theirs
            newest[d.unit] = d
    return {unit: d for unit, d in newest.items() if d.errors or d.warnings}


def report_targets(decisions: list[Decision]) -> dict[str, Decision]:
    """unit -> its newest narrative report (báo cáo lời), when the unit has something to read about it."""
    newest: dict[str, Decision] = {}
    for d in sorted(decisions, key=lambda d: d.received_at):
        if d.unit and d.report and d.status in ("report", "rejected"):
            newest[d.unit] = d
    return {unit: d for unit, d in newest.items() if d.errors or d.warnings}


@dataclass(frozen=True)
class FeedbackJob:
    """One feedback workbook to write, and the stamp that marks it done."""

    unit: str
    target: Decision
    issues: list[Issue]
    diff: Resubmission | None
    xlsx: Path
    stamp: Path
    key: str
    report: Decision | None = None  # the unit's narrative report, when it has something to say


def plan_feedback(ws: Workspace, decisions: list[Decision], folder: Path,
                  changes: dict[str, Resubmission] | None = None) -> tuple[list[Path], list[FeedbackJob]]:
    """Write every .txt message, remove stale feedback, and list the workbooks still to write (a workbook
    whose file and message are unchanged since the last run is not rewritten)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    jobs = []
    targets = feedback_targets(decisions)
    reports = report_targets(decisions)
    for unit in ws.units:
        target, report = targets.get(unit.code), reports.get(unit.code)
        xlsx, txt, stamp = folder / f"{unit.code}.xlsx", folder / f"{unit.code}.txt", folder / f".{unit.code}.key"
        if target is None:  # nothing to fix any more: remove stale feedback (our outbox only)
            for stale in (xlsx, txt, stamp):
                stale.unlink(missing_ok=True)
            if report is not None:  # only the narrative report has something to say: a message alone
                txt.write_text(report_message(ws, unit, report), encoding="utf-8")
                written.append(txt)
            continue
        issues = [i for i in target.issues if i.severity in (Severity.ERROR, Severity.WARNING)]
        diff = changes.get(unit.code) if changes else None
        diff = diff if diff and diff.new is target else None
        readable = not any(i.code in NOT_READ for i in target.issues)
        text = message_text(ws, unit, target, issues, diff, readable, report)
        key = hashlib.sha256((target.sha256 + text).encode()).hexdigest()
        written.append(txt)
        if not readable:  # a file refused unread is never opened to be marked: the message says what to do
            txt.write_text(text, encoding="utf-8")
            xlsx.unlink(missing_ok=True)
            stamp.unlink(missing_ok=True)
            continue
        if xlsx.exists() and txt.exists() and stamp.exists() and stamp.read_text() == key:
            written.append(xlsx)
            continue
        txt.write_text(text, encoding="utf-8")
        stamp.unlink(missing_ok=True)
        jobs.append(FeedbackJob(unit.code, target, issues, diff, xlsx, stamp, key, report))
    return written, jobs


def finish_feedback(job: FeedbackJob, out: object, written: list[Path]) -> None:
    """Record a workbook written by `write_one` (its path: beside the old one when that is open in Excel, and then
    not stamped, so the next run puts it in place); after a failure, remove what is left of it (an older workbook
    would tell the unit about a file it no longer sent). The caller reports the failure."""
    if not keep_written(job.xlsx, job.stamp, job.key, out, written):
        job.xlsx.unlink(missing_ok=True)
        job.xlsx.with_name(f".{job.xlsx.name}.tmp").unlink(missing_ok=True)


def write_one(ws: Workspace, job: FeedbackJob) -> Path:
    return _workbook(ws, ws.unit_by_code[job.unit], job.target, job.issues, job.xlsx, job.diff, job.report)


def message_text(ws: Workspace, unit: Unit, d: Decision, issues: list[Issue], diff: Resubmission | None = None,
                 marked: bool = True, report: Decision | None = None) -> str:
    errors = [i for i in issues if i.severity == Severity.ERROR]
    warnings = [i for i in issues if i.severity == Severity.WARNING]
    head = phrase("fb_head", unit=unit.name, commune=ws.round.commune, file=sent_name(d), time=_when(d),
                  round=ws.round.title)
    also = phrase("fb_also", n=len(warnings)) if warnings else ""
    verdict = "fb_unread" if errors and not marked else "fb_errors" if errors else "fb_accepted"
    head += phrase(verdict, errors=len(errors), also=also, resend=resend_when(ws), code=unit.code)
    lines: list[str] = []
    for title, found in ((f"{SEVERITY_ACTION_VN[Severity.ERROR]}: {len(errors)}", errors),
                         (f"{SEVERITY_ACTION_VN[Severity.WARNING]}: {len(warnings)}", warnings)):
        if found:  # errors and warnings counted and listed apart: a unit sees at once what must be fixed
            lines += [("\n" if lines else "") + title, *(f"- {i.where or sent_name(d)}: {i.message}" for i in found)]
    if diff:
        old, cells = diff.old, diff.cells
        lines.append("\n" + phrase("fb_changed", file=sent_name(old), n=len(cells)))
        lines += [f"- {change_text(c)}" for c in cells[:50]]
        if len(cells) > 50:
            lines.append("- " + phrase("fb_more_changes", n=len(cells) - 50, sheet=CHANGES_SHEET))
    if report is not None:
        lines += ["\n" + phrase("fb_report_about", file=sent_name(report), time=_when(report)),
                  *report_lines(report)]
    return head + "\n" + "\n".join(lines) + "\n\n" + phrase("fb_closing") + "\n"


def report_message(ws: Workspace, unit: Unit, d: Decision) -> str:
    """The message about a unit's narrative report (báo cáo lời) when its annexes need no feedback."""
    verdict = phrase("fb_report_refused" if d.errors else "fb_report_noted")
    return (phrase("fb_report_head", unit=unit.name, commune=ws.round.commune, file=sent_name(d), time=_when(d),
                   round=ws.round.title, verdict=verdict)
            + "\n".join(report_lines(d)) + "\n\n" + phrase("fb_closing") + "\n")


def _when(d: Decision) -> str:
    return f"{d.received_at:%H:%M ngày %d/%m/%Y}"


def report_lines(d: Decision) -> list[str]:
    """The errors and warnings about a narrative report, one line each, errors first."""
    found = sorted((i for i in d.issues if i.severity in (Severity.ERROR, Severity.WARNING)),
                   key=lambda i: i.severity != Severity.ERROR)
    return [f"- {SEVERITY_ACTION_VN[i.severity]}: {i.message}" for i in found]


def sent_name(d: Decision) -> str:
    """The name of the file the unit sent, without the folders the clerk sorted it into."""
    return PurePath(d.file.rel).name


def resend_when(ws: Workspace, today: dt.date | None = None) -> str:
    """When to send the file again, worded so that it still makes sense once the deadline has passed."""
    today = today or dt.datetime.now(VN_TZ).date()
    if today <= ws.round.deadline:
        return phrase("fb_resend_before", deadline=f"{ws.round.deadline:%d/%m/%Y}")
    return phrase("fb_resend_late", deadline=f"{ws.round.deadline:%d/%m/%Y}")


def _open_copy(ws: Workspace, unit: Unit, d: Decision, tmp: Path) -> openpyxl.Workbook:
    """The unit's own workbook; for .xls/.ods (or a file openpyxl cannot open) a fresh template with its values."""
    if d.kind in ("xlsx", "xlsm"):
        try:
            wb = openpyxl.load_workbook(d.file.path)
        except Exception:  # noqa: BLE001 - any failure falls back to a rebuilt copy
            pass
        else:
            _neutralise_text_formulas(wb, d)
            _clear_old_marks(wb)
            return wb
    write_template(ws, unit, tmp)
    wb = openpyxl.load_workbook(tmp)
    sub = d.submission
    if sub is None or not sub.annexes:
        return wb
    wanted = frozenset(data.sheet.strip().casefold() for data in sub.annexes.values())
    book = read_book(d.file.path, wanted, 5000)
    for data in sub.annexes.values():  # the values exactly as the unit typed them, read again
        grid, sheet = book.sheets.get(data.sheet, []), wb[data.spec.sheet]
        for row in data.rows:
            sheet.row_dimensions[data.layout.row_of(data.spec.keys[0], row)].hidden = False
            for key in data.spec.keys:
                r, c = parse_range(data.cell_of(key, row))[:2]
                value = grid[r - 1][c - 1] if r - 1 < len(grid) and c - 1 < len(grid[r - 1]) else ""
                if value not in ("", None) and key != data.spec.row_key:
                    put(sheet[data.layout.cell_of(key, row)], value)
    return wb


def _neutralise_text_formulas(wb: openpyxl.Workbook, d: Decision) -> None:
    """A formula in a text or category input cell is kept as its text, never as a live formula."""
    for name, refs in _text_cells(d).items():
        if name in wb.sheetnames:
            for ref in refs:
                if wb[name][ref].data_type == "f":
                    wb[name][ref].data_type = "s"


def _clear_old_marks(wb: openpyxl.Workbook) -> None:
    """A feedback file sent back: our earlier comments and fills go, so only what is still wrong is marked."""
    ours = {"00" + rgb for rgb in FILL.values()} | {"FF" + rgb for rgb in FILL.values()}
    for sheet in wb.worksheets:
        for target in list(sheet._cells.values()):  # the stored cells, not the whole grid
            if target.comment is not None and _ours(target.comment):
                target.comment = None
                if target.fill is not None and target.fill.fgColor.rgb in ours:
                    target.fill = PatternFill(fill_type=None)


def _ours(comment: Comment) -> bool:
    """A comment our feedback wrote (LibreOffice drops its author on saving; its wording stays)."""
    prefixes = tuple(f"{SEVERITY_ACTION_VN[s]}: " for s in (Severity.ERROR, Severity.WARNING))
    return comment.author == "annex" or (comment.text or "").startswith(prefixes)


def _text_cells(d: Decision) -> dict[str, list[str]]:
    """sheet -> the text and category input cells of every record (where a typed formula must stay text)."""
    cells: dict[str, list[str]] = {}
    for data in (d.submission.annexes.values() if d.submission else ()):
        keys = [c.key for c in data.spec.columns if c.type in ("text", "category")]
        cells.setdefault(data.sheet, []).extend(data.cell_of(k, row) for row in data.rows for k in keys)
    return cells


def _report(ws: Workspace, unit: Unit, d: Decision, issues: list[Issue], report: Decision | None = None) -> NewSheet:
    """The "Lỗi cần sửa" sheet: a heading (unit, round, file, date, counts), then one row per issue, errors
    first, its cell a link to the cell."""
    errors = [i for i in issues if i.severity == Severity.ERROR]
    warnings = [i for i in issues if i.severity == Severity.WARNING]
    today = dt.datetime.now(VN_TZ)
    verdict = phrase("fb_sheet_refused" if errors else "fb_sheet_accepted", errors=len(errors),
                     warnings=len(warnings), resend=resend_when(ws))
    rows: list[list[object]] = [
        [phrase("fb_sheet_title")],
        [phrase("fb_sheet_unit", unit=unit.name, code=unit.code, round=ws.round.title)],
        [phrase("fb_sheet_file", file=sent_name(d), time=_when(d), today=f"{today:%d/%m/%Y}")],
        [verdict],
        [],
        phrase("fb_sheet_heads").split("|"),
    ]
    top = len(rows)
    links = {}
    for n, i in enumerate(errors + warnings, start=1):
        rows.append([n, SEVERITY_ACTION_VN[i.severity], i.sheet, i.cell, i.message])
        if i.sheet and i.cell:
            links[(top + n, 4)] = f"'{i.sheet}'!{i.cell}"
    told = [i for i in report.issues if i.severity in (Severity.ERROR, Severity.WARNING)] if report else []
    for n, i in enumerate(told, start=len(errors) + len(warnings) + 1):  # the narrative report's, after the annexes'
        rows.append([n, SEVERITY_ACTION_VN[i.severity], REPORT_PLACE, "", i.message])
    return NewSheet(REPORT_SHEET, rows, [6, 22, 10, 10, 100], bold={1, top}, links=links, wrap={5}, freeze=top,
                    merges=[f"A{r}:E{r}" for r in range(1, top - 1)])


def _changes(diff: Resubmission) -> NewSheet:
    """What changed since the unit's previous file, cell by cell (old → new), each value as a reader reads it."""
    old, cells = diff.old, diff.cells
    rows: list[list[object]] = [[phrase("fb_changes_title", file=sent_name(old), n=len(cells))], [],
                                phrase("fb_changes_heads").split("|")]
    for ch in cells:
        rows.append([ch.sheet, ch.cell, ch.label, _shown(ch.old), _shown(ch.new)])
    return NewSheet(CHANGES_SHEET, rows, [8, 8, 60, 30, 30], bold={1, 3}, wrap={3, 4, 5}, freeze=3,
                    merges=["A1:E1"])


def _shown(value: object) -> object:
    """A value of the "Thay đổi" sheet: numbers stay numbers, text stays as typed, a blank says so."""
    if value is None or isinstance(value, int | float | str):
        return show_value(None) if value is None else value
    return show_value(value)


def _marks(issues: list[Issue]) -> dict[tuple[str, str], Mark]:
    """(sheet, cell) -> fill and comment, for every cell an issue names (a cross-field rule names several)."""
    marks: dict[tuple[str, str], Mark] = {}
    for i in issues:
        refs = [r.strip() for r in (i.related.split(",") if i.related else [i.cell]) if r.strip()]
        for ref in refs:
            m = _CELL.match(ref)
            if not m or not (m["sheet"] or i.sheet):
                continue
            mark = marks.setdefault((m["sheet"] or i.sheet, f"{m['col']}{m['row']}"), Mark(FILL[Severity.WARNING]))
            if i.severity == Severity.ERROR:
                mark.rgb = FILL[Severity.ERROR]
            mark.lines.append(f"{SEVERITY_ACTION_VN[i.severity]}: {i.message}")
    return marks


def _workbook(ws: Workspace, unit: Unit, d: Decision, issues: list[Issue], path: Path,
              diff: Resubmission | None = None, report: Decision | None = None) -> Path:
    sheets = [_report(ws, unit, d, issues, report)] + ([_changes(diff)] if diff else [])
    marks = _marks(issues)
    folds = folds_in_use(d, marks)
    tmp_out = path.with_name(f".{path.name}.tmp")
    if d.kind == "xlsx":
        try:  # the unit's own file, patched: fast, and keeps everything openpyxl would drop
            annotate(d.file.path, tmp_out, marks, sheets, _text_cells(d), folds)
        except Unsupported:  # the patcher's own signal; any other exception is our bug and is reported
            tmp_out.unlink(missing_ok=True)
        else:
            return place(tmp_out, path)
    tmp = path.with_name(f".{path.stem}.template.xlsx")
    wb = _open_copy(ws, unit, d, tmp)
    tmp.unlink(missing_ok=True)
    fallback.write(wb, sheets, marks, folds, tmp_out)
    return place(tmp_out, path)
