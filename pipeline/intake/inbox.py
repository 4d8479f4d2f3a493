"""Stage 2a: what is in the inbox. Never modifies, moves or deletes anything there.

Each file is identified by content: its leading bytes say xlsx/xlsm (zip), xls (OLE), ods (zip with an
OpenDocument mimetype) or none of these; lock files and hidden files are skipped silently.

When a file arrived is the clerk's to record: a folder named with a date (`inbox/2026-05-12/…`, `12-05-2026`,
`12.05.2026`), optionally with a time (`2026-05-12 14h30`), gives the received time of every file under it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.models import InboxFile
from pipeline.settings.model import VN_TZ

_TIME = r"(?:[ _T-]+(?P<hh>\d{1,2})[hHgG:.-](?P<mm>\d{2}))?"
_DATED = (re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)" + _TIME),
          re.compile(r"(?<!\d)(?P<d>\d{1,2})[-._](?P<m>\d{1,2})[-._](?P<y>\d{4})(?!\d)" + _TIME))

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
WORKBOOK_EXTS = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".xltx", ".xltm", ".ots", ".csv"}
# A unit's narrative report (báo cáo lời): a .docx is read and checked, the others only counted.
REPORT_EXTS = {".docx", ".docm", ".doc", ".odt", ".rtf", ".pdf"}
REPORT_KINDS = {"docx", "doc", "odt", "pdf"}


@dataclass(frozen=True)
class Sniffed:
    kind: str  # xlsx, xlsm, xls, ods, xlsb, csv, docx, doc, odt, pdf, encrypted, empty, broken, other
    detail: str = ""


def skipped_name(name: str) -> bool:
    """Lock files (~$x.xlsx, .~lock.x.xlsx#) and hidden files, by name: never reported."""
    return name.startswith(("~$", ".~lock", ".")) or name.endswith("#") or name in ("Thumbs.db", "desktop.ini")


def scan(inbox: Path) -> list[InboxFile]:
    """Every file under the inbox (sub-folders included, not hidden ones, no link followed) in a stable order, lock
    and hidden files left out. One directory listing per folder (os.scandir): watch mode lists the inbox at every
    poll, and on Windows the listing carries each file's size and time."""
    found: list[InboxFile] = []
    if not inbox.is_dir():
        return found
    folders: list[tuple[str, tuple[str, ...]]] = [(str(inbox), ())]
    while folders:
        folder, parts = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except (PermissionError, FileNotFoundError):  # a folder we may not list, or moved away meanwhile
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if not entry.name.startswith("."):
                        folders.append((entry.path, (*parts, entry.name)))
                elif entry.is_file() and not skipped_name(entry.name):
                    st = entry.stat()
                    found.append(InboxFile(Path(entry.path), "/".join((*parts, entry.name)), st.st_size,
                                           st.st_mtime))
            except FileNotFoundError:  # moved away since the folder was listed (into a dated folder…)
                continue
    found.sort(key=lambda f: f.path)
    return found


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sniff(path: Path) -> Sniffed:
    """The file type from its leading bytes (and, for zips, its member names), not from its name."""
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        return Sniffed("empty")
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path)
    if head.startswith(b"%PDF"):
        return Sniffed("pdf", "tệp PDF")
    if not head.startswith(ZIP_MAGIC):
        if path.suffix.lower() == ".csv":
            return Sniffed("csv", "tệp CSV")
        return Sniffed("other", _describe(head))
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names:
                mime = z.read("mimetype")[:100]
                if mime.startswith(ODT_MIME):
                    return Sniffed("odt", "văn bản OpenDocument (.odt)")
                return Sniffed("ods") if mime.startswith(ODS_MIME) else Sniffed("other", "tệp OpenDocument khác")
            if "word/document.xml" in names:
                return Sniffed("docx", "văn bản Word")
            if "xl/workbook.bin" in names:
                return Sniffed("xlsb")
            if "xl/workbook.xml" not in names:
                return Sniffed("other", "tệp nén zip không phải bảng tính")
            return Sniffed("xlsm" if "xl/vbaProject.bin" in names else "xlsx")
    except (PermissionError, FileNotFoundError):  # held by another program, or moved away: not the file's fault
        raise
    except (zipfile.BadZipFile, OSError, EOFError):  # the library's own words are English: not for a unit
        return Sniffed("broken", "tệp nén hỏng hoặc bị cắt cụt")


def _sniff_ole(path: Path) -> Sniffed:
    """An OLE file is a legacy .xls, or an encrypted OOXML workbook (EncryptedPackage stream).

    The stream names live in the directory sectors, which may sit anywhere in the file: read it whole
    (up to 64 MB; a larger file is refused by the pre-checks anyway) or its first and last 4 MB."""
    size = path.stat().st_size
    with path.open("rb") as f:
        if size <= 64 << 20:
            data = f.read()
        else:
            data = f.read(4 << 20)
            f.seek(-(4 << 20), 2)
            data += f.read()
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return Sniffed("encrypted")
    if "WordDocument".encode("utf-16-le") in data:
        return Sniffed("doc", "văn bản Word cũ (.doc)")
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return Sniffed("xls")
    return Sniffed("other", "tệp Office không phải bảng tính")


def _describe(head: bytes) -> str:
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"GIF8"):
        return "tệp ảnh"
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        return "tệp HTML/XML"
    return "không rõ định dạng"


def dated(rel: str) -> dt.datetime | None:
    """The received time the clerk wrote into a folder name of `rel` (the innermost dated folder), or None."""
    for folder in reversed(rel.split("/")[:-1]):
        for pattern in _DATED:
            found = pattern.search(folder)
            if found is None:
                continue
            try:
                day = dt.date(int(found["y"]), int(found["m"]), int(found["d"]))
                moment = dt.time(int(found["hh"]), int(found["mm"])) if found["hh"] else dt.time(0, 0)
            except ValueError:
                continue
            return dt.datetime.combine(day, moment, VN_TZ)
    return None


def is_report(sniffed: Sniffed, path: Path) -> bool:
    """A narrative report: a Word, OpenDocument text or PDF file by content (unless named as a workbook), or any
    file named as one (an encrypted or damaged .docx included)."""
    ext = path.suffix.lower()
    if sniffed.kind in ("xlsx", "xlsm", "xls", "ods", "xlsb"):  # a workbook under a Word name is read as one
        return False
    return ext in REPORT_EXTS or (sniffed.kind in REPORT_KINDS and ext not in WORKBOOK_EXTS)
