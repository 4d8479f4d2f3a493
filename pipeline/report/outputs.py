"""Everything collect writes into the outbox (never the inbox): feedback per unit, and the summary.

The summary and the feedback workbooks are written at the same time, in worker processes: the summary in
one (aggregation included), feedback workbooks in the others as they free up. A forked worker inherits the
run's results instead of receiving them pickled (which would cost more than the work); where workers are
spawned (Windows), or if its worker fails, the summary is written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.intake.isolate import run_isolated
from pipeline.report.aggregate import summarize, totals_json
from pipeline.report.feedback import finish_feedback, plan_feedback, write_one
from pipeline.report.summary import write_summary
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from pipeline.collect import CollectResult

OUTPUT_TIMEOUT = 900.0  # per task: the summary of a city is the longest
OUTPUT_MEMORY_MB = 2048  # per worker, above what it inherits: the summary of a city is the largest
_INHERITED: dict[str, tuple[Workspace, CollectResult]] = {}


def _summary(ws: Workspace, result: CollectResult) -> tuple[Path, str, dict]:
    summary = summarize(ws, result.files, result.completeness, result.counted)
    summary.changes = result.changes
    path, note = write_summary(ws, summary)
    return path, note, totals_json(summary)


def _task(kind: str, *args: object) -> object:
    if kind == "summary":
        if "run" not in _INHERITED:
            return None  # a spawned worker: the parent writes the summary
        return _summary(*_INHERITED["run"])
    return write_one(*args)


def write_outputs(ws: Workspace, result: CollectResult, workers: int | None = None) -> dict[str, object]:
    ws.outbox.mkdir(parents=True, exist_ok=True)
    folder = ws.outbox / "feedback"
    feedback, jobs = plan_feedback(ws, result.files, folder, result.changes)
    tasks = [("summary",), *(("feedback", *job.args) for job in jobs)]
    written: object = None
    _INHERITED["run"] = (ws, result)
    try:
        for index, out in run_isolated(_task, tasks, workers=workers, timeout=OUTPUT_TIMEOUT,
                                       memory_mb=OUTPUT_MEMORY_MB):
            if index == 0:
                written = out
            else:
                finish_feedback(jobs[index - 1], out, feedback)
    finally:
        _INHERITED.clear()
    path, note, result.totals = written if isinstance(written, tuple) else _summary(ws, result)
    outputs: dict[str, object] = {"summary": str(path), "feedback_dir": str(folder),
                                  "feedback_files": [str(p) for p in feedback]}
    if note:
        outputs["note"] = note
    return outputs
