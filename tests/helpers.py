"""Fixtures built in code: filled templates dropped into an inbox, through `_meta` and defined names only."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import posixpath
import random
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
import openpyxl

from pipeline.demo.data import unit_payload
from pipeline.template.fill import data_cells, fill, read_meta
from pipeline.workbook.contract import (
    CHECK_CODE_COL,
    CHECK_SHEET,
    COUNT_COL,
    FIRST_CHECK_ROW,
    META_SHEET,
    STATUS_ROW,
    TemplateMeta,
    data_name,
    parse_range,
)
from pipeline.workspace import VN_TZ, Workspace

ON_TIME = dt.datetime(2026, 5, 10, 9, 0, tzinfo=VN_TZ)


def payload(ws: Workspace, code: str, seed: int = 7) -> dict:
    unit = ws.unit_by_code[code]
    return unit_payload(random.Random(seed), code, unit.name, unit.annexes, ws.round.period_end)


# (the template's digest, the data) -> the bytes `fill` wrote: a test process fills each pair once
_FILLED: dict[tuple[str, str], bytes] = {}


def drop(ws: Workspace, name: str, code: str, data: dict, when: dt.datetime = ON_TIME) -> Path:
    """Fill the unit's template with `data` into inbox/<name>, received at `when`. Where the same template (same
    bytes) was filled with the same data earlier in the session, that workbook is copied instead of filled again."""
    template = ws.templates / f"{code}.xlsx"
    target = ws.inbox / name
    target.parent.mkdir(parents=True, exist_ok=True)
    key = (hashlib.sha256(template.read_bytes()).hexdigest(), repr(data))
    if key in _FILLED:
        target.write_bytes(_FILLED[key])
    else:
        fill(template, target, data)
        _FILLED[key] = target.read_bytes()
    os.utime(target, (when.timestamp(), when.timestamp()))
    return target


def changed(data: dict, annex: str, changes: dict, row: int = 0) -> dict:
    """A deep copy of `data` with `changes` applied to one record of one annex."""
    out = copy.deepcopy(data)
    target = out[annex] if isinstance(out[annex], dict) else out[annex][row]
    target.update(changes)
    return out


# (the template's digest, annex) -> its column keys and data cells, as the template describes them
_CELLS: dict[tuple[str, str], tuple[list[str], list[list[str]]]] = {}


def cell_of(ws: Workspace, code: str, annex: str, key: str, row: int = 0) -> str:
    """A cell's A1 address, found through the template's own self-description (not the layout code); each
    template version is read once per session."""
    template = ws.templates / f"{code}.xlsx"
    found = (hashlib.sha256(template.read_bytes()).hexdigest(), annex)
    if found not in _CELLS:
        _CELLS[found] = (list(read_meta(template).annexes[annex].columns), data_cells(template, annex)[1])
    keys, grid = _CELLS[found]
    if len(grid[0]) == 1:  # form: one cell per field
        return grid[keys.index(key)][0]
    return grid[row][keys.index(key)]


RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice_convert(files: Path | list[Path], outdir: Path, fmt: str, profile: Path, timeout: int = 180) -> Path:
    """Open the file(s) in headless LibreOffice (its own profile) and save as `fmt` into `outdir`;
    returns the first file written."""
    files = files if isinstance(files, list) else [files]
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), *map(str, files)], check=True, capture_output=True, timeout=timeout)
    return outdir / f"{files[0].stem}.{fmt.split(':')[0]}"


def gnumeric_convert(src: Path, target: Path) -> Path:
    """Open `src` in Gnumeric (ssconvert) and save it as `target` (format from its extension)."""
    subprocess.run(["ssconvert", str(src), str(target)], check=True, capture_output=True, timeout=120)
    return target


def libreoffice_recalculate(files: list[Path], outdir: Path, profile: Path, fmt: str = "xlsx") -> list[Path]:
    """Open each file in headless LibreOffice with recalculation on load forced, save as xlsx (or `fmt`)."""
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
    soffice_convert(files, outdir, fmt, profile, timeout=600)
    return [outdir / f"{f.stem}.{fmt}" for f in files]


def pdf_page_pixels(pdf: Path, heading: str, rgb: str, dpi: int = 50) -> int:
    """How many pixels of colour `rgb` (RRGGBB) poppler draws on the page of `pdf` that has `heading` as a line."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    (page,) = [n for n, text in enumerate(pages, start=1) if heading in (line.strip() for line in text.splitlines())]
    ppm = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)], check=True,
                         capture_output=True).stdout
    _magic, _size, _depth, pixels = ppm.split(b"\n", 3)  # binary PPM (P6), 8 bits a channel
    colour = bytes.fromhex(rgb)
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i: i + 3] == colour)


def check_results(path: Path) -> dict[str, int]:
    """The recalculated 'Kiểm tra' sheet: check code (annex.rule) -> number of failing places."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for row in wb[CHECK_SHEET].iter_rows(min_row=FIRST_CHECK_ROW, values_only=True):
        code, failing = row[CHECK_CODE_COL - 1], row[COUNT_COL - 1]
        if code and isinstance(failing, int | float):
            out[code] = int(failing)
    return out


def book_meta(wb: openpyxl.Workbook) -> TemplateMeta:
    """The `_meta` sheet of a workbook opened by openpyxl: the template's self-description read by another library
    than the filler's."""
    sheet = wb[META_SHEET]
    return TemplateMeta.parse({str(k): "" if v is None else str(v)
                               for k, v in sheet.iter_rows(min_col=1, max_col=2, values_only=True) if k is not None})


def book_data_cells(wb: openpyxl.Workbook, annex_id: str) -> tuple[str, list[list[str]]]:
    """The sheet and the grid of cells an annex's data name covers, in a workbook opened by openpyxl."""
    (sheet, ref), = list(wb.defined_names[data_name(annex_id)].destinations)
    r1, c1, r2, c2 = parse_range(ref)
    return sheet.replace("''", "'"), [[f"{openpyxl.utils.get_column_letter(c)}{r}" for c in range(c1, c2 + 1)]
                                      for r in range(r1, r2 + 1)]


def edit_meta(path: Path, change: Callable[[TemplateMeta], None]) -> None:
    """Rewrite a workbook's `_meta` sheet after `change` edits its parsed form (as a unit's tool might)."""
    meta = read_meta(path)
    change(meta)
    wb = openpyxl.load_workbook(path)
    sheet = wb[META_SHEET]
    sheet.delete_rows(1, sheet.max_row)
    for key, value in meta.rows():
        sheet.append([key, value])
    wb.save(path)


def drop_meta(path: Path) -> None:
    """Remove the hidden self-description, as a unit copying the sheets into a new workbook would."""
    wb = openpyxl.load_workbook(path)
    del wb[META_SHEET]
    wb.save(path)


def check_rows(wb: openpyxl.Workbook) -> dict[str, tuple]:
    """The 'Kiểm tra' sheet of a (recalculated) template: check code (annex.rule) -> its row's values."""
    rows = wb[CHECK_SHEET].iter_rows(min_row=FIRST_CHECK_ROW, values_only=True)
    return {r[CHECK_CODE_COL - 1]: r for r in rows if r[CHECK_CODE_COL - 1]}


def status_line(wb: openpyxl.Workbook, sheet: str) -> str:
    """An annex sheet's "✓ Sẵn sàng gửi" / "✗ Còn n lỗi" line."""
    return str(wb[sheet].cell(STATUS_ROW, 1).value)


TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package, read through the workbook and its relationships."""
    rels = SafeET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(RELATIONSHIP)}
    parts = {}
    for sheet in SafeET.fromstring(z.read("xl/workbook.xml")).iter(MAIN + "sheet"):
        target = targets[sheet.get(REL_ID)]
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return parts


def strict_workbook(path: Path) -> openpyxl.Workbook:
    """A workbook as a strict reader sees it (Excel repairs nothing silently): every XML part parses with a
    strict parser (an unbound prefix, a mismatched tag or an undefined entity fails, no recovery), every
    member has a content type, every internal relationship points at a member; then openpyxl loads it."""
    with zipfile.ZipFile(path) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}
        parts = {n: _strict_xml(z, n) for n in names if n.endswith((".xml", ".rels", ".vml"))}
    types = parts["[Content_Types].xml"]
    overrides = {o.get("PartName", "").lstrip("/") for o in types.iter(TYPES + "Override")}
    defaults = {d.get("Extension", "").lower() for d in types.iter(TYPES + "Default")}
    assert overrides <= names, f"content types for parts that are not there: {overrides - names}"
    for name in names - {"[Content_Types].xml"}:
        assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, f"{name} has no content type"
    for name, root in parts.items():
        if name.endswith(".rels"):
            folder = posixpath.dirname(posixpath.dirname(name))
            for rel in root.iter(RELATIONSHIP):
                target = rel.get("Target", "")
                if rel.get("TargetMode") != "External":
                    member = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                    assert posixpath.normpath(member) in names, f"{name}: {target} is not in the package"
    return openpyxl.load_workbook(path)


def _strict_xml(z: zipfile.ZipFile, name: str):
    try:
        return SafeET.fromstring(z.read(name))
    except ParseError as exc:
        raise AssertionError(f"{name} is not well-formed XML: {exc}") from exc
