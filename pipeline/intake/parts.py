"""Small, capped looks inside an .xlsx package without a spreadsheet parser: which part holds which sheet,
and the `_meta` sheet of a file refused before reading.

Every read here is bounded (parts over `MAX_PART` bytes are skipped) and parsed with defusedxml, so it is
safe on a file the pre-checks refused for its size or its extent (not on one refused for XML entities:
callers do not ask then).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MAX_PART = 4 * 1024 * 1024


def _xml(z: zipfile.ZipFile, name: str) -> Element | None:
    try:
        info = z.getinfo(name)
        if info.file_size > MAX_PART:
            return None
        return SafeET.fromstring(z.read(info))
    except (KeyError, zipfile.BadZipFile, OSError, SafeET.ParseError, DefusedXmlException, ValueError):
        return None


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Part name (xl/worksheets/sheet3.xml) -> sheet name (PL2), as the workbook declares them."""
    book, rels = _xml(z, "xl/workbook.xml"), _xml(z, "xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(PKG_REL)}
    out = {}
    for sheet in book.iter(MAIN + "sheet"):
        target = targets.get(sheet.get(REL_ID), "")
        if target:
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            out[part] = sheet.get("name", "")
    return out


def meta_of_refused(path: str, meta_sheet: str) -> dict[str, str]:
    """The `_meta` key/value rows of a workbook refused before reading (empty when they cannot be had)."""
    try:
        with zipfile.ZipFile(path) as z:
            part = next((p for p, name in sheet_parts(z).items() if name == meta_sheet), None)
            root = _xml(z, part) if part else None
            if root is None:
                return {}
            shared = _xml(z, "xl/sharedStrings.xml")
            strings = ["".join(t.text or "" for t in si.iter(MAIN + "t")) for si in shared.iter(MAIN + "si")] \
                if shared is not None else []
            return _pairs(root, strings)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return {}


def _pairs(root: Element, strings: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in root.iter(MAIN + "row"):
        cells = {}
        for c in row.iter(MAIN + "c"):
            ref = c.get("r", "")
            kind, v = c.get("t"), c.find(MAIN + "v")
            text = "".join(t.text or "" for t in c.iter(MAIN + "t")) if kind == "inlineStr" else (
                v.text if v is not None else "")
            if kind == "s" and text and text.isdigit() and int(text) < len(strings):
                text = strings[int(text)]
            cells[ref.rstrip("0123456789")] = (text or "").strip()
        if cells.get("A"):
            out[cells["A"]] = cells.get("B", "")
    return out


def errors_by_sheet(path: Path, by_part: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Error cells found by part (xl/worksheets/sheet3.xml) keyed by the sheet's name instead."""
    try:
        with zipfile.ZipFile(path) as z:
            names = sheet_parts(z)
    except (zipfile.BadZipFile, OSError):
        return {}
    return {names[part]: cells for part, cells in by_part.items() if part in names}
