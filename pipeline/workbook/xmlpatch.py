"""Edit an .xlsx package at the XML level instead of a full load-and-save.

Feedback is the unit's own workbook with a few cells restyled and commented and a report sheet in front.
openpyxl would parse and rewrite every cell (≈ 0.3 s for a template) and drop what it does not model
(images, form controls); here every part we do not touch is copied as it is, and the edit costs
milliseconds. The edits are string insertions at places the OOXML schema fixes; anything outside the
patterns handled here (prefixed main namespace, cells without references, existing VML, a sheet name
already taken) raises `Unsupported`, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET

from pipeline.workbook.contract import col_number

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
WORKSHEET = REL_NS + "/worksheet"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_TAG = re.compile(r"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Unsupported(Exception):
    """The package uses a form this patcher does not edit; fall back to a full load-and-save."""


def text(value: object) -> str:
    """Character data for XML: escaped, characters XML cannot hold removed."""
    return escape(_ILLEGAL.sub("", str(value)), {'"': "&quot;"})


def set_attr(tag: str, name: str, value: str) -> str:
    """An opening tag with attribute `name` set (replaced or added)."""
    pattern = re.compile(rf"\s{re.escape(name)}=(\"[^\"]*\"|'[^']*')")
    if pattern.search(tag):
        return pattern.sub(f' {name}="{value}"', tag, count=1)
    end = len(tag) - 2 if tag.endswith("/>") else len(tag) - 1
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


def get_attr(tag: str, name: str) -> str | None:
    m = re.search(rf"\s{re.escape(name)}=(?:\"([^\"]*)\"|'([^']*)')", tag)
    return None if m is None else (m[1] if m[1] is not None else m[2])


def insert_child(xml: str, element: str, before: set[str], start: int = 0) -> str:
    """Insert `element` as a child of the root, before the first top-level child (after `start`) whose
    local name is in `before`, else before the root's closing tag."""
    depth = 0
    for m in _TAG.finditer(xml, start):
        closing, name, empty = m[1], m[2].rsplit(":", 1)[-1], m[3]
        if closing:
            depth -= 1
            if depth < 0:
                return xml[: m.start()] + element + xml[m.start():]
        elif depth == 0 and name in before:
            return xml[: m.start()] + element + xml[m.start():]
        elif not empty:
            depth += 1
    raise Unsupported("no place for " + element[:20])


class Package:
    """The members of a zip package; edited parts are kept as text and written back on save."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.infos = z.infolist()
            self.raw = {i.filename: z.read(i.filename) for i in self.infos}
        self.edited: dict[str, str] = {}

    def xml(self, name: str) -> str:
        if name not in self.edited:
            if name not in self.raw:
                raise Unsupported(f"missing part {name}")
            self.edited[name] = self.raw[name].decode("utf-8-sig")
        return self.edited[name]

    def put(self, name: str, value: str) -> None:
        self.edited[name] = value

    def unique(self, stem: str, ext: str) -> str:
        n = 1
        while f"{stem}{n}{ext}" in self.raw or f"{stem}{n}{ext}" in self.edited:
            n += 1
        return f"{stem}{n}{ext}"

    def relationships(self, part: str) -> list[dict[str, str]]:
        name = rels_name(part)
        if name not in self.raw and name not in self.edited:
            return []
        root = SafeET.fromstring(self.xml(name).encode())
        return [dict(r.attrib) for r in root.iter(PKG_REL)]

    def target(self, part: str, rel: dict[str, str]) -> str:
        """The member name a relationship of `part` points at."""
        target = rel.get("Target", "")
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))

    def relate(self, part: str, kind: str, member: str) -> str:
        """Add a relationship from `part` to the member; returns its new id."""
        name = rels_name(part)
        ids = {r.get("Id") for r in self.relationships(part)}
        rid = next(f"rIdAnnex{n}" for n in range(1, 10_000) if f"rIdAnnex{n}" not in ids)
        target = posixpath.relpath(member, posixpath.dirname(part) or ".")
        rel = f'<Relationship Id="{rid}" Type="{REL_NS}/{kind}" Target="{text(target)}"/>'
        if name not in self.raw and name not in self.edited:
            self.put(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                     f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rel}</Relationships>')
        else:
            xml = self.xml(name)
            if "</Relationships>" not in xml:
                raise Unsupported("relationships")
            self.put(name, xml.replace("</Relationships>", rel + "</Relationships>", 1))
        return rid

    def content_type(self, member: str, ctype: str) -> None:
        xml = self.xml("[Content_Types].xml")
        if "</Types>" not in xml:
            raise Unsupported("content types")
        entry = f'<Override PartName="/{member}" ContentType="{ctype}"/>'
        self.put("[Content_Types].xml", xml.replace("</Types>", entry + "</Types>", 1))

    def default_type(self, ext: str, ctype: str) -> None:
        xml = self.xml("[Content_Types].xml")
        if not re.search(rf"<Default\b[^>]*Extension=\"{ext}\"", xml, re.I):
            self.put("[Content_Types].xml", xml.replace("</Types>", f'<Default Extension="{ext}" '
                                                        f'ContentType="{ctype}"/></Types>', 1))

    def drop(self, member: str, owner: str) -> None:
        """Remove a part, its relationship from `owner` and its content type override."""
        self.raw.pop(member, None)
        self.edited.pop(member, None)
        self.infos = [i for i in self.infos if i.filename != member]
        target = posixpath.basename(member)
        rels = rels_name(owner)
        self.put(rels, re.sub(rf"<Relationship\b[^>]*Target=\"[^\"]*{re.escape(target)}\"[^>]*/>", "",
                              self.xml(rels)))
        self.put("[Content_Types].xml", re.sub(rf"<Override\b[^>]*PartName=\"/{re.escape(member)}\"[^>]*/>", "",
                                               self.xml("[Content_Types].xml")))

    def save(self, dst: Path) -> None:
        names = [i.filename for i in self.infos]
        names += [n for n in self.edited if n not in self.raw]
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for name in sorted(names, key=lambda n: n != "[Content_Types].xml"):
                data = self.edited[name].encode() if name in self.edited else self.raw[name]
                z.writestr(name, data)


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


class Styles:
    """Append fonts, fills and cell formats to styles.xml; returns their indices."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        if not re.search(r"<styleSheet\b", pkg.xml(part)):
            raise Unsupported("styles namespace")
        self._xfs: list[str] | None = None

    def _append(self, block: str, child: str, item: str) -> int:
        xml = self.pkg.xml(self.part)
        m = re.search(rf"<{block}\b[^>]*?(/?)>", xml)
        if m is None:
            raise Unsupported(f"no {block}")
        if m[1]:  # <fills count="0"/>
            self.pkg.put(self.part, xml[: m.start()] + f'<{block} count="1">{item}</{block}>' + xml[m.end():])
            return 0
        end = xml.index(f"</{block}>", m.end())
        count = len(re.findall(rf"<{child}\b", xml[m.end(): end]))
        head = set_attr(m[0], "count", str(count + 1))
        self.pkg.put(self.part, xml[: m.start()] + head + xml[m.end(): end] + item + xml[end:])
        if block == "cellXfs":
            self._xfs = None
        return count

    def font(self, item: str) -> int:
        return self._append("fonts", "font", item)

    def fill(self, item: str) -> int:
        return self._append("fills", "fill", item)

    def xf(self, item: str) -> int:
        return self._append("cellXfs", "xf", item)

    def cell_format(self, index: int) -> str:
        if self._xfs is None:
            xml = self.pkg.xml(self.part)
            m = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
            self._xfs = re.findall(r"<xf\b[^>]*?/>|<xf\b[^>]*?>.*?</xf>", m[1], re.S) if m else []
        if not 0 <= index < len(self._xfs):
            raise Unsupported(f"style {index}")
        return self._xfs[index]


def with_fill(xf: str, fill: int) -> str:
    """A copy of a cell format (`<xf …>`) with another fill; alignment and protection kept."""
    m = re.match(r"<xf\b[^>]*?/?>", xf)
    head = set_attr(set_attr(m[0], "fillId", str(fill)), "applyFill", "1")
    return head + xf[m.end():]


def split_ref(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
    if m is None:
        raise Unsupported(f"cell {ref}")
    return m[1], int(m[2])


# top-level children of <worksheet> that come after <legacyDrawing> in the schema's order
_AFTER_LEGACY = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst", "AlternateContent"}


def formula_cells(xml: str) -> set[str]:
    """The references of every cell holding a formula (<f> is a cell's first child in the schema)."""
    return set(re.findall(r"<c\b[^>]*?\sr=\"([A-Z]+\d+)\"[^>]*>\s*<f\b", xml)) if "<f" in xml else set()


class SheetXml:
    """One worksheet part as text: find, restyle, insert cells; neutralise formulas; attach comments."""

    def __init__(self, xml: str) -> None:
        if not re.search(r"<worksheet\b", xml):
            raise Unsupported("worksheet namespace")
        self.xml = xml
        start = xml.find("<mergeCells")
        block = xml[start: xml.find("</mergeCells>", start)] if start >= 0 else ""
        self._merged = [tuple(split_ref(x) for x in m) for m in
                        re.findall(r"<mergeCell\b[^>]*?\sref=\"([A-Z]+\d+):([A-Z]+\d+)\"", block)]

    def top_left(self, ref: str) -> str:
        """The cell itself, or for a cell inside merged cells the merged range's top-left cell."""
        col, row = split_ref(ref)
        c = col_number(col)
        for (c1, r1), (c2, r2) in self._merged:
            if r1 <= row <= r2 and col_number(c1) <= c <= col_number(c2):
                return f"{c1}{r1}"
        return f"{col}{row}"

    def _cell(self, ref: str) -> re.Match | None:
        return re.search(rf"<c\b[^>]*?\sr=\"{ref}\"[^>]*?(?:/>|>.*?</c>)", self.xml, re.S)

    def style(self, ref: str) -> int:
        m = self._cell(ref)
        value = get_attr(re.match(r"<c\b[^>]*>", m[0])[0], "s") if m else None
        return int(value) if value and value.isdigit() else 0

    def restyle(self, ref: str, style: int) -> None:
        m = self._cell(ref)
        if m is not None:
            head = re.match(r"<c\b[^>]*?(?=/?>)", m[0])[0]
            self.xml = self.xml[: m.start()] + set_attr(head + ">", "s", str(style))[:-1] + m[0][len(head):] + \
                self.xml[m.end():]
            return
        self._insert_cell(ref, f'<c r="{ref}" s="{style}"/>')

    def _insert_cell(self, ref: str, cell: str) -> None:
        if len(re.findall(r"<row\b", self.xml)) != len(re.findall(r"<row\b[^>]*?\sr=\"\d+\"", self.xml)):
            raise Unsupported("rows without references")
        col, row = split_ref(ref)
        m = re.search(rf"<row\b[^>]*?\sr=\"{row}\"[^>]*?(/?)>", self.xml)
        if m is not None and m[1]:
            self.xml = self.xml[: m.start()] + m[0][:-2] + ">" + cell + "</row>" + self.xml[m.end():]
            return
        if m is not None:  # spans are a hint for the old cells only: drop it
            head = re.sub(r"\sspans=\"[^\"]*\"", "", m[0])
            self.xml = self.xml[: m.start()] + head + self.xml[m.end():]
            m = re.search(rf"<row\b[^>]*?\sr=\"{row}\"[^>]*?>", self.xml)
            end = self.xml.index("</row>", m.end())
            at = end
            for c in re.finditer(r"<c\b[^>]*?>", self.xml[m.end(): end]):
                cref = get_attr(c[0], "r")
                if cref is None:
                    raise Unsupported("cell without reference")
                if col_number(split_ref(cref)[0]) > col_number(col):
                    at = m.end() + c.start()
                    break
            self.xml = self.xml[:at] + cell + self.xml[at:]
            return
        self._insert_row(row, f'<row r="{row}">{cell}</row>')

    def _insert_row(self, row: int, element: str) -> None:
        empty = re.search(r"<sheetData\s*/>", self.xml)
        if empty:
            self.xml = self.xml[: empty.start()] + f"<sheetData>{element}</sheetData>" + self.xml[empty.end():]
            return
        for r in re.finditer(r"<row\b[^>]*?\sr=\"(\d+)\"", self.xml):
            if int(r[1]) > row:
                self.xml = self.xml[: r.start()] + element + self.xml[r.start():]
                return
        end = self.xml.index("</sheetData>")
        self.xml = self.xml[:end] + element + self.xml[end:]

    def formula_as_text(self, ref: str) -> None:
        """A live formula typed into a text cell becomes that text (never a live formula in our output)."""
        m = self._cell(ref)
        if m is None or "<f" not in m[0]:
            return
        f = re.search(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", m[0], re.S)
        if f is None or "shared" in f[1] or "array" in f[1] or "dataTable" in f[1]:
            raise Unsupported("shared formula in a text cell")
        style = self.style(ref)
        cell = (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">={f[2] or ""}</t></is></c>')
        self.xml = self.xml[: m.start()] + cell + self.xml[m.end():]

    def unselect(self) -> None:
        self.xml = re.sub(r"\stabSelected=(\"(?:1|true)\"|'(?:1|true)')", "", self.xml)

    def legacy_drawing(self, rid: str) -> None:
        if re.search(r"<legacyDrawing\b", self.xml):
            raise Unsupported("sheet already has comments")
        end = self.xml.find("</sheetData>")
        start = end + len("</sheetData>") if end >= 0 else re.search(r"<sheetData\s*/>", self.xml).end()
        element = f'<legacyDrawing xmlns:r="{REL_NS}" r:id="{rid}"/>'
        self.xml = insert_child(self.xml, element, _AFTER_LEGACY, start)
