"""Custom document properties of a Word draft (docProps/custom.xml), which python-docx has no API for.

The part is small and standard (ECMA-376 Part 1, 22.3: one <property> per name, fmtid of user-defined
properties, pid from 2, a vt:lpwstr value); Word and LibreOffice both keep it through opening and saving.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from docx.document import Document
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part

CUSTOM_PART = "docProps/custom.xml"
NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
USER_DEFINED = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def custom_xml(props: dict[str, str]) -> bytes:
    items = "".join(f'<property fmtid="{USER_DEFINED}" pid="{pid}" name={quoteattr(name)}>'
                    f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
                    for pid, (name, value) in enumerate(props.items(), start=2))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{NS}" xmlns:vt="{VT}">{items}</Properties>').encode()


def set_custom_properties(document: Document, props: dict[str, str]) -> None:
    """Add the custom properties part to a document about to be saved (python-docx writes its content type
    and the package relationship from the part itself)."""
    package = document.part.package
    part = Part(PackURI("/" + CUSTOM_PART), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, custom_xml(props), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def read_custom_properties(path: Path) -> dict[str, str]:
    """The custom properties of a .docx (name → text); {} when it has none."""
    with zipfile.ZipFile(path) as z:
        if CUSTOM_PART not in z.namelist():
            return {}
        root = SafeET.fromstring(z.read(CUSTOM_PART))
    return {p.get("name", ""): "".join(p.itertext()) for p in root.iter(f"{{{NS}}}property")}
