"""A unit's template stamped into a copy of its group's workbook instead of being built from the specs.

Units of one khối that file the same annexes get one workbook but for who they are: their name and code in
`_meta`, in the unit lines of each annex sheet's header and of the guide, and in the document's properties.
The builder itself (build.py) builds that workbook once, for a stand-in unit whose name and code are markers
no one types (characters of Unicode's private use area); every part the builder wrote a marker into is kept as
bytes, every other part is deflated once. A unit's template is then those parts with the markers replaced by
the unit's name and code (its name in capitals where the builder wrote it so), in the builder's own encoding, and
the other parts copied as they are (zipcopy.py): a file copy, not a build. Where the builder put the marker is
found by looking, never listed here, so a change of the template's layout flows through by itself.

Only what the builder writes the same way in any part is stamped: a name or code of letters, digits, spaces and
common punctuation (XML, a formula or a page header escape `&`, `<` or quotes each in their own way). A marker
written in any other form (changed, cut, spelled as a character reference) makes the group built unit by unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pipeline.files import place
from pipeline.template.build import TemplateError, TemplateResult, build_file
from pipeline.workbook import zipcopy
from pipeline.workspace import Unit, Workspace

NAME_MARK = "\ue000Ten\ue001"
CODE_MARK = "\ue000Ma\ue001"
_MARK = "\ue000".encode()
_MARK_REFERENCE = re.compile(rb"&#(?:x0*e000|57344);", re.IGNORECASE)
_PLAIN = re.compile(r"(?:[^\W_]|[.,:;()/+–-])(?:\w|[ .,:;()/+–-])*")


def stampable(unit: Unit) -> bool:
    """Whether the unit's name and code read the same in every part the builder writes them into."""
    return all(_PLAIN.fullmatch(v) is not None and v == v.strip() and "_x" not in v.lower()
               for v in (unit.name, unit.code))


@dataclass(frozen=True)
class Prototype:
    """A group's workbook: parts to copy (deflated) and parts to stamp (bytes holding the markers), in order."""

    parts: tuple[zipcopy.Member | tuple[str, bytes], ...]


def _stamped(data: bytes, name: str, code: str) -> bytes:
    return (data.replace(NAME_MARK.upper().encode(), name.upper().encode())
            .replace(NAME_MARK.encode(), name.encode()).replace(CODE_MARK.encode(), code.encode()))


def prototype(ws: Workspace, khoi: str, annexes: tuple[str, ...]) -> Prototype | None:
    """The workbook of the units of `khoi` that file `annexes`, built once for a stand-in unit; None where it
    cannot be stamped (a marker the builder wrote in another form, or a template the builder refuses: each unit
    is then built, and refused, by itself)."""
    buffer = BytesIO()
    try:
        build_file(ws, Unit(CODE_MARK, NAME_MARK, khoi, annexes), buffer)
    except TemplateError:
        return None
    buffer.seek(0)
    parts: list[zipcopy.Member | tuple[str, bytes]] = []
    for name, data in zipcopy.read(buffer):
        if _MARK_REFERENCE.search(data):
            return None
        if _MARK in data:
            if _MARK in _stamped(data, "", ""):
                return None
            parts.append((name, data))
        else:
            parts.append(zipcopy.deflate(name, data))
    return Prototype(tuple(parts))


def stamp(proto: Prototype, unit: Unit, path: Path) -> TemplateResult:
    """Write the unit's template from its group's workbook, then move it into place (as build.write_template)."""
    tmp = path.with_name(f".{path.name}.tmp")
    members = [p if isinstance(p, zipcopy.Member) else zipcopy.deflate(p[0], _stamped(p[1], unit.name, unit.code))
               for p in proto.parts]
    try:
        zipcopy.write(tmp, members)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return TemplateResult(unit.code, place(tmp, path), unit.annexes)
