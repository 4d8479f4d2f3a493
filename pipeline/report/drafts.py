"""The units' report drafts (`outbox/baocao/<code>.docx`, with the short message `<code>.txt` that offers each):
written after the summary is in place — by `annex report` for every accepted unit, and in watch mode after each
collect for the units whose accepted data changed — never inside `annex collect` itself.

A draft costs 50–100 ms (its figures aggregated, its Word document built): nothing for a commune, a minute for
a thousand units received at once, which would hold the summary back (issue 15). A draft whose inputs
are unchanged is not written again, so after the first time only the changed units cost anything.

Drafts are written in worker processes like the feedback; a failure is the program's (`draft_failed`): logged,
said on the console and in `--json`, and what is left of that draft removed (an older one would carry figures the
unit no longer sent).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.intake.isolate import Failed, run_isolated
from pipeline.messages import sentence
from pipeline.models import CollectResult
from pipeline.report.narrative.figures import commune_scope, missing_units
from pipeline.report.narrative.outline import Outline, load_outline, outline_bytes, outline_or_note
from pipeline.report.narrative.write import (
    DraftJob,
    existing_drafts,
    finish_unit_draft,
    plan_unit_drafts,
    write_commune_draft,
    write_unit_draft,
)
from pipeline.report.outputs import failure
from pipeline.workspace import Workspace

DRAFT_TIMEOUT = 300.0  # per draft
DRAFT_MEMORY_MB = 1024  # per worker, above what it inherits

_Run = tuple[Workspace, CollectResult, list[DraftJob], Outline]


def _start(ws: Workspace, result: CollectResult, jobs: list[DraftJob], outline: Outline) -> _Run:
    return ws, result, jobs, outline


def _task(run: _Run, index: int) -> object:
    ws, result, jobs, outline = run
    code = jobs[index].code
    return write_unit_draft(ws, code, result.counted[code], result.completeness, outline)


def write_unit_drafts(ws: Workspace, result: CollectResult, workers: int | None = None,
                      progress: Callable[[str, int, int], None] | None = None) -> dict[str, object]:
    """Write the drafts still to write for the units whose submission counts (and remove those of units that no
    longer have one); returns the outputs to add to the run's (`drafts_dir`, `draft_files`, `notes`)."""
    notes: list[str] = []
    outline = outline_or_note(ws.root, ws.specs, notes)
    if outline is None:
        return {"notes": notes}
    before = existing_drafts(ws)
    drafted, jobs = plan_unit_drafts(ws, result.files, result.counted, result.completeness, outline_bytes(ws.root))
    if progress:
        progress("drafts", 0, len(jobs))
    tasks = [(i,) for i in range(len(jobs))]
    for done, (index, out) in enumerate(run_isolated(_task, tasks, workers=workers, timeout=DRAFT_TIMEOUT,
                                                     memory_mb=DRAFT_MEMORY_MB, setup=_start,
                                                     setup_args=(ws, result, jobs, outline)), start=1):
        if progress:
            progress("drafts", done, len(jobs))
        _drafted(ws, result, jobs[index], out, drafted, notes)
    new = [job.code for job in jobs if job.path in drafted]
    outputs: dict[str, object] = {"notes": notes, "drafts_new": new,
                                  "drafts_removed": sorted(before - existing_drafts(ws) - set(new))}
    if drafted:
        outputs.update({"drafts_dir": str(drafted[0].parent), "draft_files": [str(p) for p in sorted(drafted)]})
    return outputs


def _drafted(ws: Workspace, result: CollectResult, job: DraftJob, out: object, drafted: list[Path],
             notes: list[str]) -> None:
    finish_unit_draft(job, out, drafted)
    if isinstance(out, Path) and out != job.path:
        notes.append(sentence("file_open", name=job.path.name, new=out.name))
    if isinstance(out, Failed):
        what = f"dự thảo báo cáo lời cho {job.code}"
        result.failures.append(failure(ws, "draft_failed", what, out, unit=job.code))


def add_unit_drafts(ws: Workspace, result: CollectResult, workers: int | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> None:
    """The drafts written into a finished run's outputs (its notes kept, the drafts' added)."""
    extra = write_unit_drafts(ws, result, workers, progress)
    notes = [*result.outputs.get("notes", []), *extra.pop("notes", [])]  # type: ignore[misc]
    removed = {*result.outputs.get("drafts_removed", []), *extra.pop("drafts_removed", [])}  # type: ignore[misc]
    result.outputs.update(extra)
    result.outputs["drafts_removed"] = sorted(removed - set(extra.get("drafts_new", [])))  # type: ignore[arg-type]
    result.outputs["notes"] = list(dict.fromkeys(notes))


def write_report(ws: Workspace, result: CollectResult, workers: int | None = None,
                 progress: Callable[[str, int, int], None] | None = None, outline: Outline | None = None) -> Path:
    """`annex report` after its collect: the units' drafts, then the commune's (`outputs["report"]`); `outline`:
    the workspace's, when the caller has loaded it already."""
    add_unit_drafts(ws, result, workers, progress)
    outline = outline or load_outline(ws.root, ws.specs)
    path = write_commune_draft(ws, result.counted, result.completeness, outline)
    result.outputs["report"] = str(path)
    missing = missing_units(commune_scope(ws, result.counted, result.completeness))  # as the draft says
    result.outputs["report_missing"] = [f"{u.code} ({u.name})" for u in missing]
    return path
