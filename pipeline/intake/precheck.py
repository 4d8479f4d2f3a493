"""Checks before any parser sees a file: size, zip bombs, XML entity declarations, huge sheets, links.

Everything here reads bytes with hard caps, so a hostile file costs milliseconds: the zip's central
directory (declared sizes cannot lie: both zip layers stop at a member's declared size), then a capped
streaming scan of the XML parts for DTDs and for the largest cell reference.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
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
# Only references that could break a limit are matched, so a normal sheet costs one regex pass and no Python
# loop: a row number of five digits or more, or a column of three letters (beyond ZZ).
_FAR = re.compile(rb' r="\$?(?:([A-Z]{3})\$?(\d+)|[A-Z]{0,2}\$?(\d{5,})")')
_DIM = re.compile(rb'<dimension\b[^>]*?\bref="([^"]{1,40})"')
_SCANNED = re.compile(r"^(xl/worksheets/[^/]+\.xml|xl/workbook\.xml|xl/sharedStrings\.xml|\[Content_Types\]\.xml|"
                      r"xl/styles\.xml|content\.xml|styles\.xml|xl/_rels/workbook\.xml\.rels)$")


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str


def precheck(path: Path, kind: str, limits: Limits = DEFAULT) -> Refusal | None:
    """None when the file may be handed to a parser; otherwise why not."""
    size = path.stat().st_size
    if size > limits.file_mb * 1024 * 1024:
        return Refusal("too_large", f"{size / 1024 / 1024:.0f} MB, giới hạn {limits.file_mb:.0f} MB")
    if kind in ("xlsx", "xlsm", "ods"):
        try:
            with zipfile.ZipFile(path) as z:
                return _zip(z, kind, limits)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError) as exc:  # what a damaged or odd zip raises: the file's problem
            return Refusal("unreadable", f"tệp nén hỏng: {exc}")
    return None


def _zip(z: zipfile.ZipFile, kind: str, limits: Limits) -> Refusal | None:
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
            refusal = _scan(z, info, limits)
            if refusal:
                return refusal
    return None


def _scan(z: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> Refusal | None:
    """Stream one XML part: refuse entity declarations and cell references beyond the limits."""
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
            tail = data[-200:]
    return None


def _refs(data: bytes, name: str, limits: Limits) -> Refusal | None:
    short = name.rsplit("/", 1)[-1]
    for m in _FAR.finditer(data):  # one pass: three-letter columns, and rows of five digits or more
        if m[1] and col_number(m[1].decode()) > limits.cols:
            return Refusal("sheet_too_big", f"{short}: cột {m[1].decode()}")
        row = m[2] or m[3]
        if row and int(row) > limits.rows:
            return Refusal("sheet_too_big", f"{short}: dòng {int(row)}")
    dim = _DIM.search(data)
    if dim:
        for ref in dim[1].decode("ascii", "replace").split(":"):
            letters = ref.rstrip("0123456789").lstrip("$").rstrip("$")
            digits = ref[len(ref.rstrip("0123456789")):]
            if digits and (int(digits) > limits.rows or (letters and col_number(letters) > limits.cols)):
                return Refusal("sheet_too_big", f"{short}: vùng dữ liệu {dim[1].decode('ascii', 'replace')}")
    return None
