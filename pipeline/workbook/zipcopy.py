"""A zip package written from members deflated beforehand.

Templates of units that file the same annexes are one workbook but for a few parts: those parts are deflated
once per workbook and their compressed bytes copied into every unit's file, so that writing a unit's template
costs what copying a file does. The archive is a plain one (no data descriptors, no zip64: a template is far
below 4 GiB) that zipfile, Excel, LibreOffice and calamine read.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DOS_DATE = (1 << 5) | 1  # 1980-01-01, as XlsxWriter dates its members
_VERSION = 20
_UTF8 = 0x800


@dataclass(frozen=True)
class Member:
    name: str
    crc: int
    size: int
    data: bytes  # raw deflate stream


def deflate(name: str, data: bytes, level: int = 6) -> Member:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Member(name, zlib.crc32(data), len(data), packer.compress(data) + packer.flush())


def read(source: Path | BinaryIO) -> list[tuple[str, bytes]]:
    """Every member of a zip package, in its order, uncompressed."""
    with zipfile.ZipFile(source) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def write(path: Path, members: list[Member]) -> None:
    """A zip package holding the members, in their order."""
    central = []
    with open(path, "wb") as f:
        for m in members:
            name = m.name.encode()
            flags = 0 if name.isascii() else _UTF8
            fields = (_VERSION, flags, zipfile.ZIP_DEFLATED, 0, _DOS_DATE, m.crc, len(m.data), m.size, len(name))
            central.append(struct.pack("<4s2H", b"PK\x01\x02", _VERSION, fields[0])
                           + struct.pack("<2H2HIIIH", *fields[1:]) + struct.pack("<4H2I", 0, 0, 0, 0, 0, f.tell())
                           + name)
            f.write(struct.pack("<4s3H2HIIIHH", b"PK\x03\x04", *fields, 0) + name)
            f.write(m.data)
        start = f.tell()
        directory = b"".join(central)
        f.write(directory)
        f.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0))
