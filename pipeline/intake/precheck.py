"""Checks before any parser sees a file: size, zip bombs, XML entity declarations, huge sheets, links.

Everything here reads bytes with hard caps, so a hostile file costs milliseconds: the zip's central
directory (declared sizes cannot lie: both zip layers stop at a member's declared size), then a capped
streaming scan of the XML parts for DTDs and for the largest cell reference.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.workbook.contract import col_number


@dataclass(frozen=True)
class Limits:
    file_mb: float = 50
    members: int = 3000
    total_mb: float = 400  # sum of declared uncompressed sizes
    member_mb: float = 150
    ratio: float = 300  # uncompressed / compressed, for members over 1 MB
    rows: int = 20000  # largest row number any sheet may use (at least 10,000: see _FAR)
    cols: int = 702  # largest column number any sheet may use: ZZ (see _FAR)
    scan_mb: float = 64  # bytes scanned per XML member, at most


DEFAULT = Limits()
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Only cells that could break a limit are matched, so a normal sheet costs one regex pass and no Python
# loop: a row number of five digits or more, or a column of three letters (beyond ZZ). Declared extents
# (`<dimension>`, empty `<row>` elements, styled empty cells) are not data: LibreOffice writes an empty
# row 1048576 and the dimension A1:Z1048576 whenever a row was deleted, and no reader allocates for them.
# Elements may carry any namespace prefix (<x:c>) and attributes in any order; a row's cells need no reference.
_P = rb"(?:[\w.-]+:)?"
# A literal-prefixed search for far references first (one fast pass over an ordinary sheet), then the element
# that holds each one.
_FAR = re.compile(rb'r="((?:[A-Z]{3}\d+)|(?:[A-Z]{0,2}\d{5,}))"')  # literal start: the fast search
_TAG = re.compile(rb"<" + _P + rb"(c|row)\b[^>]*?(/?)>")
_END = {b"c": re.compile(rb"</" + _P + rb"c>"), b"row": re.compile(rb"</" + _P + rb"row>")}
_CONTENT = re.compile(rb"<" + _P + rb"(?:v|f|is)\b")
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3}\d+)"')
_ERROR_CELL = re.compile(rb"<" + _P + rb'c\b[^>]*?\sr="([A-Z]{1,3}\d{1,7})"[^>]*?\bt="e"[^>]*(?<!/)>(?:(?!</'
                         + _P + rb"c>).){0,300}?<" + _P + rb"v>([^<]{1,20})</", re.DOTALL)
_SCANNED = re.compile(r"^(xl/worksheets/[^/]+\.xml|xl/workbook\.xml|xl/sharedStrings\.xml|\[Content_Types\]\.xml|"
                      r"xl/styles\.xml|content\.xml|styles\.xml|xl/_rels/workbook\.xml\.rels|"
                      r"word/document\.xml|docProps/custom\.xml|_rels/\.rels)$")  # the parts a report's reader parses


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    part: str = ""  # the zip member it was found in (named to the unit by its sheet name, never as a part)


@dataclass
class Checked:
    """What the pre-checks found: why the file is refused (None: it may be parsed), and on the way, the cells
    that show a formula error (#DIV/0!, #REF!…) by sheet part, which calamine would read as blanks."""

    refusal: Refusal | None = None
    errors: dict[str, dict[str, str]] = field(default_factory=dict)


def precheck(path: Path, kind: str, limits: Limits = DEFAULT) -> Checked:
    checked = Checked()
    checked.refusal = _precheck(path, kind, limits, checked.errors)
    return checked


def _precheck(path: Path, kind: str, limits: Limits, errors: dict[str, dict[str, str]]) -> Refusal | None:
    """None when the file may be handed to a parser; otherwise why not."""
    size = path.stat().st_size
    if size > limits.file_mb * 1024 * 1024:
        return Refusal("too_large", f"{size / 1024 / 1024:.0f} MB, giới hạn {limits.file_mb:.0f} MB")
    if kind in ("xlsx", "xlsm", "ods", "docx"):
        try:
            with zipfile.ZipFile(path) as z:
                return _zip(z, kind, limits, errors)
        except (PermissionError, FileNotFoundError):  # held by another program, or moved away: the machine's
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError):  # what a damaged or odd zip raises: the file's problem (its words are English)
            return Refusal("unreadable", "tệp nén hỏng hoặc bị cắt cụt")
    return None


def _zip(z: zipfile.ZipFile, kind: str, limits: Limits, errors: dict[str, dict[str, str]]) -> Refusal | None:
    infos = z.infolist()
    if len(infos) > limits.members:
        return Refusal("zip_bomb", f"{len(infos)} thành phần trong tệp nén")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            return Refusal("encrypted", "")
        total += info.file_size
        big = info.file_size > 1024 * 1024
        if info.file_size > limits.member_mb * 1024 * 1024 or (
                big and info.file_size / max(info.compress_size, 1) > limits.ratio):
            return Refusal("zip_bomb", f"{info.filename}: {info.file_size / 1024 / 1024:.0f} MB khi giải nén "
                                       f"từ {info.compress_size / 1024:.0f} KB")
    if total > limits.total_mb * 1024 * 1024:
        return Refusal("zip_bomb", f"tổng cộng {total / 1024 / 1024:.0f} MB khi giải nén")
    names = {i.filename for i in infos}
    if any(n.startswith("xl/externalLinks/") for n in names):
        return Refusal("external_link", "")
    if "xl/connections.xml" in names or any(n.startswith("xl/queryTables/") for n in names):
        return Refusal("data_connection", "")
    for info in infos:
        if _SCANNED.match(info.filename):
            refusal = _scan(z, info, limits, errors)
            if refusal:
                return refusal
    return None


def _scan(z: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits,
          errors: dict[str, dict[str, str]]) -> Refusal | None:
    """Stream one XML part: refuse entity declarations and cell references beyond the limits; note error cells."""
    cap = int(limits.scan_mb * 1024 * 1024)
    tail = b""
    seen = 0
    is_sheet = info.filename.startswith("xl/worksheets/")
    with z.open(info) as f:
        while seen < cap:
            block = f.read(1 << 16)
            if not block:
                break
            seen += len(block)
            data = tail + block
            if b"<!" in data and _DTD.search(data):  # memchr first: the regex ignores case, and is slower
                return Refusal("xml_entities", info.filename)
            if is_sheet:
                refusal = _refs(data, info.filename, limits)
                if refusal:
                    return refusal
                if b't="e"' in data:  # memchr first: error cells are rare
                    errors.setdefault(info.filename, {}).update(
                        (m[1].decode(), m[2].decode("utf-8", "replace")) for m in _ERROR_CELL.finditer(data))
            tail = data[-4096:]
    return None


def _refs(data: bytes, name: str, limits: Limits) -> Refusal | None:
    """A cell (or a row) beyond the limits that holds a value, a formula or text; empty ones are no data."""
    for far in _FAR.finditer(data):  # three-letter columns, and rows of five digits or more
        if not data[far.start() - 1: far.start()].isspace():
            continue  # another attribute ending in r (ver="…")
        m = _TAG.match(data, data.rfind(b"<", 0, far.start()))
        if m is None or m.end() < far.end() or m[2]:  # not a cell or row; or <c …/>, <row …/>: empty
            continue
        end = _END[m[1]].search(data, m.end())
        if end is None:
            if m.start() >= len(data) - 4096:
                continue  # the element goes on in the next block, which starts with this block's tail
            end_at = len(data)  # an element longer than the tail: look at what there is
        else:
            end_at = end.start()
        if not _CONTENT.search(data, m.end(), end_at):
            continue
        ref = far[1].decode()
        if m[1] == b"row" and (named := _CELL_REF.search(data, m.end(), end_at)):
            ref = named[1].decode()  # name the row's first cell that has a reference
        letters = ref.rstrip("0123456789")
        if (letters and col_number(letters) > limits.cols) or int(ref[len(letters):]) > limits.rows:
            return Refusal("sheet_too_big", ref if letters else f"A{ref}", name)
    return None
