"""Everything collect writes into the outbox (never the inbox): feedback per unit, and the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .feedback import write_feedback
from .workspace import Workspace

if TYPE_CHECKING:
    from .collect import CollectResult


def write_outputs(ws: Workspace, result: CollectResult) -> dict[str, str]:
    ws.outbox.mkdir(parents=True, exist_ok=True)
    folder = ws.outbox / "feedback"
    files = write_feedback(ws, result.files, folder)
    return {"feedback": str(folder), "feedback_files": [str(p) for p in files]}  # type: ignore[dict-item]
