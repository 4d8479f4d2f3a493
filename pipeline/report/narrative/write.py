"""The Word drafts of the report in words: `outbox/BaoCao_<round>.docx` for the commune from every accepted
submission, and `outbox/baocao/<code>.docx` for each unit from its own accepted submission, both following the
workspace's outline (baocao.toml) and describing themselves (custom properties, workbook/draft.py)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from docx.document import Document

from pipeline.files import place
from pipeline.messages import sentence
from pipeline.models import Submission
from pipeline.report.narrative import document as dm
from pipeline.report.narrative.appendix import appendices
from pipeline.report.narrative.docprops import set_custom_properties
from pipeline.report.narrative.figures import Draft, build_draft, commune_scope, unit_scope
from pipeline.report.narrative.outline import Outline, load_outline
from pipeline.workbook.draft import (
    COMMUNE_UNIT,
    DRAFT_KIND,
    DRAFT_VERSION,
    PROP_KIND,
    PROP_ROUND,
    PROP_UNIT,
    PROP_VERSION,
)
from pipeline.workspace import Workspace

UNIT_FOLDER = "baocao"


def commune_path(ws: Workspace) -> Path:
    return ws.outbox / f"BaoCao_{ws.round.round_id}.docx"


def unit_path(ws: Workspace, code: str) -> Path:
    return ws.outbox / UNIT_FOLDER / f"{code}.docx"


def write_commune_draft(ws: Workspace, counted: dict[str, Submission], completeness: list[dict],
                        outline: Outline | None = None) -> Path:
    outline = outline or load_outline(ws.root, ws.specs)
    draft = build_draft(commune_scope(ws, counted, completeness), outline)
    return _save(render(ws, draft, outline), ws, COMMUNE_UNIT, commune_path(ws))


def write_unit_draft(ws: Workspace, code: str, accepted: Submission, completeness: list[dict] | None = None,
                     outline: Outline | None = None) -> Path:
    outline = outline or load_outline(ws.root, ws.specs)
    draft = build_draft(unit_scope(ws, code, accepted, completeness), outline)
    return _save(render(ws, draft, outline), ws, code, unit_path(ws, code))


def write_unit_drafts(ws: Workspace, counted: dict[str, Submission], completeness: list[dict],
                      outline: Outline | None = None) -> list[Path]:
    """One draft per unit whose submission counts; drafts of units that no longer have one are removed."""
    outline = outline or load_outline(ws.root, ws.specs)
    written = [write_unit_draft(ws, code, sub, completeness, outline) for code, sub in counted.items()]
    folder = ws.outbox / UNIT_FOLDER
    for old in folder.glob("*.docx"):
        if old.stem not in counted and old.stem in ws.unit_by_code:
            with contextlib.suppress(OSError):
                old.unlink()
    return written


def _save(doc: Document, ws: Workspace, unit: str, target: Path) -> Path:
    set_custom_properties(doc, {PROP_KIND: DRAFT_KIND, PROP_ROUND: ws.round.round_id, PROP_UNIT: unit,
                                PROP_VERSION: DRAFT_VERSION})
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    doc.save(str(tmp))
    return place(tmp, target)


def _fill(text: str, fields: dict[str, str]) -> str:
    for key, value in fields.items():
        text = text.replace("{" + key + "}", value)
    return text


def render(ws: Workspace, draft: Draft, outline: Outline) -> Document:
    """The draft as a Word document: header block, title, the outline's sections, signature, appendices."""
    unit = draft.scope.unit
    issuer = unit.name if unit else str(outline.get("issuer", ws.round.commune))
    fields = {"issuer": issuer, "code": unit.code if unit else "", "commune": ws.round.commune}
    header = ws.round.header_for(unit.khoi if unit else str(outline.get("issuer_khoi", "")))
    left = [x.replace("{UNIT}", issuer.upper()) for x in header.left]
    year = ws.round.deadline.year
    doc = dm.new_document()
    number = _fill(str(outline.get("unit_number" if unit else "number", "Số:")), fields)
    dm.header_block(doc, left, list(header.right), number, f"{ws.round.place}, ngày     tháng     năm {year}")
    subject = str(outline.get("subject", "")) or ws.round.title
    dm.title_block(doc, str(outline.get("title", "BÁO CÁO")), subject)
    if draft.missing:
        done = len(draft.scope.ws.units) - len(draft.missing)
        note = sentence("draft_provisional_all", done=done, expected=len(draft.scope.ws.units),
                        names=", ".join(u.name for u in draft.missing))
        dm.body(doc, dm.Para([note], "note"), dm.Bookmarks())
    marks = dm.Bookmarks()
    if outline.get("intro"):
        dm.body(doc, dm.Para([_fill(str(outline.get("intro")), fields)]), marks)
    for section, paras in draft.sections:
        dm.heading(doc, section.level, section.heading)
        for para in paras:
            dm.body(doc, para, marks)
    if outline.get("closing"):
        dm.body(doc, dm.Para([_fill(str(outline.get("closing")), fields)]), marks)
    if outline.get("appendix_note") and outline.appendices:
        dm.line(doc, str(outline.get("appendix_note")), 14, italic=True, space_after=12)
    signature = outline.get("unit_signature" if unit else "signature", [])
    dm.signature_block(doc, [_fill(str(r), fields) for r in outline.get("recipients", [])],
                       [_fill(str(s), fields) for s in signature])
    reference = f"(Kèm theo Báo cáo của {issuer})"
    appendices(doc, draft.scope, outline.appendices, reference)
    return doc
