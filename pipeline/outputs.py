"""Everything collect writes into the outbox (never the inbox): feedback per unit, and the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .aggregate import summarize, totals_json
from .feedback import write_feedback
from .summary import write_summary
from .workspace import Workspace

if TYPE_CHECKING:
    from .collect import CollectResult


def write_outputs(ws: Workspace, result: CollectResult) -> dict[str, object]:
    ws.outbox.mkdir(parents=True, exist_ok=True)
    folder = ws.outbox / "feedback"
    feedback = write_feedback(ws, result.files, folder, result.changes)
    summary = summarize(ws, result.files, result.completeness, result.counted)
    summary.changes = result.changes
    result.totals = totals_json(summary)
    path, note = write_summary(ws, summary)
    outputs: dict[str, object] = {"summary": str(path), "feedback_dir": str(folder),
                                  "feedback_files": [str(p) for p in feedback]}
    if note:
        outputs["note"] = note
    return outputs
