"""A corpus of broken and hostile files, built in code."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")
XXE = b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy a zip package, passing each member's bytes through edit(name, data)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
    return dst


def zip_bomb(dst: Path, mb: int = 40) -> Path:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            block = b" " * (1 << 20)
            for _ in range(mb):
                f.write(block)
    return dst


def sparse(dst: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.active["XFD1048576"] = 1
    wb.save(dst)
    return dst


def billion_laughs(template: Path, dst: Path) -> Path:
    def edit(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet2"):
            body = data.split(b"?>", 1)[-1]
            return LAUGHS + body.replace(b"<sheetData>", b"<sheetData><!-- &lol9; -->", 1)
        return data

    return rewrite(template, dst, edit)


def external_entity(template: Path, dst: Path) -> Path:
    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return XXE + data.split(b"?>", 1)[-1]
        return data

    return rewrite(template, dst, edit)


def external_link(template: Path, dst: Path) -> Path:
    out = rewrite(template, dst, lambda n, d: d)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("xl/externalLinks/externalLink1.xml",
                   b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   b'<externalBook r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                   b'relationships"/></externalLink>')
    return out


def macro(template: Path, dst: Path) -> Path:
    out = rewrite(template, dst, lambda n, d: d)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake VBA project: never run")
    return out


def encrypted_xlsx(template: Path, dst: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    buf = io.BytesIO()
    with template.open("rb") as f:
        OOXMLFile(f).encrypt("matkhau", buf)
    dst.write_bytes(buf.getvalue())
    return dst


def big_sheet(dst: Path, rows: int = 100_000) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    sheet = wb.create_sheet("PL2")
    for i in range(rows):
        sheet.append([i, "Tài sản", i * 2])
    wb.save(dst)
    return dst
