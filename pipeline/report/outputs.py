"""Everything collect writes into the outbox (never the inbox): feedback per unit, and the summary (the units' report
drafts come after it, from report/drafts.py).

The summary and the feedback workbooks are written at the same time, in worker processes: the summary in
one, the CSV files its sheets point to in another, feedback workbooks in the others as they free up. The
aggregation they write from is done once, here, before the workers start (they inherit it). Each worker receives the run
once, when it starts (a forked worker inherits it without pickling). A task that fails is our failure,
never the unit's: it is logged, reported on the console, in `--json` and on the summary's quality sheet,
and a feedback workbook is never removed without saying why.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from pathlib import Path

from pipeline.files import DENIED, DISK_FULL, IO_REASONS
from pipeline.intake.isolate import Failed, run_isolated
from pipeline.issues import Issue, issue
from pipeline.messages import sentence
from pipeline.models import CollectResult
from pipeline.report.aggregate import Summary, summarize, totals_json
from pipeline.report.feedback import FeedbackJob, finish_feedback, plan_feedback, write_one
from pipeline.report.narrative.outline import outline_bytes, outline_or_note
from pipeline.report.narrative.write import UNIT_FOLDER, existing_drafts, plan_unit_drafts
from pipeline.report.pdf import summary_pdf
from pipeline.report.summary import SCREEN_SHEETS, csv_paths, write_csvs, write_summary
from pipeline.runlog import LOG_NAME, record
from pipeline.workspace import Workspace

OUTPUT_TIMEOUT = 900.0  # per task: the summary of a city is the longest
OUTPUT_MEMORY_MB = 2048  # per worker, above what it inherits: the summary of a city is the largest
SUMMARY = "summary"
CSVS = "csvs"

_Run = tuple[Workspace, Summary, list[FeedbackJob]]


def _summarized(ws: Workspace, result: CollectResult) -> Summary | Failed:
    """The aggregation the summary and its CSV files are written from; a failure of it is ours (Failed)."""
    try:
        summary = summarize(ws, result.files, result.completeness, result.counted)
    except Exception:  # noqa: BLE001 - our own code: said as the summary's failure, the feedback still written
        return Failed("internal", traceback.format_exc())
    summary.changes = result.changes
    summary.failures = result.failures  # the same list: failures found later are in the summary written again
    summary.reports = result.reports
    return summary


def _summary(ws: Workspace, summary: Summary) -> tuple[Path, str, dict]:
    path, note = write_summary(ws, summary)
    return path, note, totals_json(summary)


def _start(ws: Workspace, summary: Summary | Failed, jobs: list[FeedbackJob]) -> _Run:
    return ws, summary, jobs


def _task(run: _Run, kind: str, index: int = 0) -> object:
    ws, summary, jobs = run
    if kind == SUMMARY:
        return _summary(ws, summary)
    if kind == CSVS:
        return write_csvs(ws, summary)
    return write_one(ws, jobs[index])


def _csvs_done(ws: Workspace, result: CollectResult, out: object) -> list[str]:
    """Notes for CSV files written beside one open in Excel. After a failure, the CSV files of an earlier run are
    removed (the new workbook would send the clerk to figures it does not hold), and the failure is said."""
    if isinstance(out, Failed):
        for path in csv_paths(ws):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        result.failures.append(failure(ws, "summary_failed", "các tệp CSV đi kèm bảng tổng hợp", out))
        return []
    return [sentence("file_open", name=target.name, new=written.name)
            for target, written in out if written != target]  # type: ignore[attr-defined]


def failure(ws: Workspace, code: str, what: str, failed: Failed, **fields: object) -> Issue:
    """Log a failed output task and say what happened in Vietnamese: the machine's refusal (no right to write, a
    full disk) as such, anything else as the program's failure."""
    if failed.reason in IO_REASONS:
        record(ws.root, what, failed.detail)
        machine = {DENIED: "output_denied", DISK_FULL: "output_disk_full"}.get(failed.reason, "output_os")
        return issue(machine, what=what, path=failed.path or str(ws.outbox), detail=failed.reason,
                     file=str(fields.get("file", "")))
    detail = {"timeout": "quá thời gian", "memory": "hết bộ nhớ", "crash": "tiến trình bị dừng đột ngột",
              "internal": "lỗi trong chương trình"}.get(failed.reason, failed.reason)
    record(ws.root, what, failed.detail or failed.reason)
    return issue(code, detail=detail, log=LOG_NAME, what=what, **fields)


def write_outputs(ws: Workspace, result: CollectResult, workers: int | None = None,
                  progress: Callable[[str, int, int], None] | None = None,
                  csv_last: bool = False) -> dict[str, object]:
    """Feedback, the summary and its CSV files. `csv_last` (watch mode, where what matters is how soon the new
    summary is there): the CSV files are written once the workbook and the feedback are, not beside them."""
    ws.outbox.mkdir(parents=True, exist_ok=True)
    folder = ws.outbox / "feedback"
    feedback, jobs = plan_feedback(ws, result.files, folder, result.changes)
    notes: list[str] = []
    outline_or_note(ws.root, ws.specs, notes)  # said here too: returned reports are checked against its figures
    summary = _summarized(ws, result)
    tasks = [] if isinstance(summary, Failed) else [(SUMMARY,), (CSVS,)]
    tasks += [("feedback", i) for i in range(len(jobs))]
    batches = [[t for t in tasks if t != (CSVS,)], [t for t in tasks if t == (CSVS,)]] if csv_last else [tasks]
    written: object = summary
    done = 0
    if progress:
        progress("outputs", 0, len(tasks))
    for batch in batches:
        for index, out in run_isolated(_task, batch, workers=workers, timeout=OUTPUT_TIMEOUT,
                                       memory_mb=OUTPUT_MEMORY_MB, setup=_start, setup_args=(ws, summary, jobs)):
            done += 1
            if progress:
                progress("outputs", done, len(tasks))
            kind = batch[index][0]
            if kind == SUMMARY:
                written = out
            elif kind == CSVS:
                notes += _csvs_done(ws, result, out)
            else:
                notes += _feedback_done(ws, result, jobs[batch[index][1]], out, feedback)
    outputs = _summary_done(ws, result, summary, written, notes)
    before = existing_drafts(ws)  # the drafts: after the summary, which a person may be waiting for
    current, pending = plan_unit_drafts(ws, result.files, result.counted, result.completeness, outline_bytes(ws.root),
                                        offer=False)  # drafts are written by `annex report`: none left out of date
    outputs.update({"feedback_dir": str(folder), "feedback_files": [str(p) for p in feedback], "notes": notes,
                    "drafts_current": [str(p) for p in current], "drafts_pending": [job.code for job in pending],
                    "drafts_removed": sorted(before - existing_drafts(ws)),
                    "drafts_dir": str(ws.outbox / UNIT_FOLDER)})
    return outputs


def _feedback_done(ws: Workspace, result: CollectResult, job: FeedbackJob, out: object,
                   feedback: list[Path]) -> list[str]:
    finish_feedback(job, out, feedback)
    if isinstance(out, Failed):
        result.failures.append(failure(ws, "feedback_failed", f"phản hồi cho {job.unit}", out, unit=job.unit,
                                        file=job.target.file.rel))
    if isinstance(out, Path) and out != job.xlsx:
        return [sentence("file_open", name=job.xlsx.name, new=out.name)]
    return []


def _summary_done(ws: Workspace, result: CollectResult, summary: Summary | Failed, written: object,
                  notes: list[str]) -> dict[str, object]:
    """The summary as written (again, with this run's failures on its quality sheet, when there are any) and its
    PDF; or why there is none."""
    outputs: dict[str, object] = {}
    if isinstance(written, Failed):
        result.failures.append(failure(ws, "summary_failed", "bảng tổng hợp", written))
        return outputs
    if result.failures:  # the summary was written beside the feedback: write it again with the failures
        with contextlib.suppress(OSError):  # the machine refused: the summary as written stays, failures are said
            written = _summary(ws, summary)  # type: ignore[arg-type]
    path, note, result.totals = written  # type: ignore[misc]
    outputs["summary"] = str(path)
    notes += [note] if note else []
    # here, not in a worker: LibreOffice needs more than a worker's memory cap
    pdf, pdf_note = summary_pdf(path, SCREEN_SHEETS)
    if pdf is not None:
        outputs["summary_pdf"] = str(pdf)
    notes += [pdf_note] if pdf_note else []
    return outputs
