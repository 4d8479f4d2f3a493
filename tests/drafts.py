"""Small report drafts (.docx) built in tests with python-docx, as the report writer's contract
(`pipeline/workbook/draft.py`) defines them: custom document properties in docProps/custom.xml, and each
inserted figure wrapped in a bookmark F_<figure id> around one run."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from pipeline.workbook import draft

CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

# A paragraph: plain text pieces and (figure id, text) pieces, in order.
Piece = str | tuple[str, str]


def build_draft(path: Path, paragraphs: list[list[Piece]], props: dict[str, str] | None = None) -> Path:
    """A .docx whose paragraphs hold text and bound figures; `props` become custom document properties."""
    document = docx.Document()
    seen: dict[str, int] = {}
    next_id = 1
    for pieces in paragraphs:
        para = document.add_paragraph()
        for piece in pieces:
            if isinstance(piece, str):
                para.add_run(piece)
                continue
            figure, text = piece
            seen[figure] = seen.get(figure, 0) + 1
            start = OxmlElement("w:bookmarkStart")
            start.set(qn("w:id"), str(next_id))
            start.set(qn("w:name"), draft.figure_bookmark(figure, seen[figure]))
            end = OxmlElement("w:bookmarkEnd")
            end.set(qn("w:id"), str(next_id))
            next_id += 1
            para._p.append(start)
            run = para.add_run(text)
            run._r.addnext(end)
    document.save(str(path))
    if props:
        add_custom_properties(path, props)
    return path


def draft_props(unit: str, round_id: str) -> dict[str, str]:
    return {draft.PROP_KIND: draft.DRAFT_KIND, draft.PROP_ROUND: round_id, draft.PROP_UNIT: unit,
            draft.PROP_VERSION: draft.DRAFT_VERSION}


def add_custom_properties(path: Path, props: dict[str, str]) -> None:
    """Rewrite the package with docProps/custom.xml, its content type and its package relationship."""
    items = "".join(f'<property fmtid="{FMTID}" pid="{pid}" name="{escape(name)}"><vt:lpwstr>{escape(value)}'
                    f"</vt:lpwstr></property>" for pid, (name, value) in enumerate(props.items(), start=2))
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxml'
              'formats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/'
              f'officeDocument/2006/docPropsVTypes">{items}</Properties>')
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_CT}"/></Types>').encode()
    rels = parts["_rels/.rels"].decode()
    parts["_rels/.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Id="rIdCustom1" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/>'
                            "</Relationships>").encode()
    parts["docProps/custom.xml"] = custom.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
