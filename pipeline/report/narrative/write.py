"""The Word drafts of the report in words: `outbox/BaoCao_<round>.docx` for the commune from every accepted
submission, and `outbox/baocao/<code>.docx` for each unit from its own accepted submission, both following the
workspace's outline (baocao.toml) and describing themselves (custom properties, workbook/draft.py)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document

from pipeline.files import keep_written, place
from pipeline.judge.ledger import cache_key
from pipeline.messages import sentence
from pipeline.models import Decision, Submission
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


@dataclass(frozen=True)
class DraftJob:
    code: str
    path: Path
    stamp: Path
    key: str


def plan_unit_drafts(ws: Workspace, decisions: list[Decision], counted: dict[str, Submission],
                     completeness: list[dict], outline_bytes: bytes,
                     offer: bool = True) -> tuple[list[Path], list[DraftJob]]:
    """Each unit whose submission counts is offered a draft from it (with a short message, `<code>.txt`); a draft
    whose inputs are unchanged since the last run is not rewritten, and drafts of units that no longer have an
    accepted submission are removed (our outbox only). Returns the drafts that are current and the ones to write.

    `offer=False` (collect, which writes no draft): nothing is offered, and a draft that is no longer current is
    removed with its message, so that the outbox never holds a draft (or a "your annex was accepted" message)
    that contradicts the unit's latest feedback; the jobs returned are the units still to draft."""
    folder = ws.outbox / UNIT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    digests = {id(d.submission): d.sha256 for d in decisions if d.submission is not None}
    base = cache_key(ws).encode() + outline_bytes
    written, jobs = [], []
    by_unit: dict[str, list[dict]] = {}
    for item in completeness:
        by_unit.setdefault(item["unit"], []).append(item)
    present = set(os.listdir(folder))  # one listing, not three look-ups a unit
    for unit in ws.units:
        path, txt, stamp = unit_path(ws, unit.code), folder / f"{unit.code}.txt", folder / f".{unit.code}.key"
        sub = counted.get(unit.code)
        if sub is None:
            _remove(*(p for p in (path, txt, stamp) if p.name in present))
            continue
        if offer:
            txt.write_text(sentence("draft_offer", unit=unit.name, code=unit.code), encoding="utf-8")
        key = hashlib.sha256(base + repr((digests.get(id(sub), ""), by_unit.get(unit.code, []))).encode()).hexdigest()
        if path.name in present and stamp.name in present and stamp.read_text() == key:
            written.append(path)
            continue
        _remove(stamp, *(() if offer else (path, txt)))
        jobs.append(DraftJob(unit.code, path, stamp, key))
    return written, jobs


def existing_drafts(ws: Workspace) -> set[str]:
    """The codes of the units whose draft is in the outbox."""
    return {p.stem for p in (ws.outbox / UNIT_FOLDER).glob("*.docx")}


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def finish_unit_draft(job: DraftJob, out: object, written: list[Path]) -> None:
    """Stamp a draft written in place; after a failure remove what is left of it (an older draft would carry
    figures the unit no longer sent). The caller reports the failure."""
    if not keep_written(job.path, job.stamp, job.key, out, written):
        job.path.unlink(missing_ok=True)
        job.path.with_suffix(".txt").unlink(missing_ok=True)  # its covering note says the draft is attached


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
