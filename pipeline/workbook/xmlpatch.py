"""Edit an .xlsx package at the XML level instead of a full load-and-save.

Feedback is the unit's own workbook with a few cells restyled and commented and a report sheet in front.
openpyxl would parse and rewrite every cell (≈ 0.3 s for a template) and drop what it does not model
(images, form controls); here every part we do not touch is copied byte for byte, and the few we edit
(workbook, styles, the marked sheets, relationships, content types) are parsed with lxml, changed as trees
and written back with their own prefixes and declarations. Elements are found by namespace URI, never by
prefix, so where a producer declares its namespaces, and which prefixes it binds, does not matter. Anything
outside what is handled here (cells without references, existing VML, a sheet name already taken, a part
that is not well-formed or has a DTD) raises `Unsupported`, and the caller falls back to openpyxl.
Worksheet parts are edited by `sheetxml.py`.
"""

from __future__ import annotations

import copy
import posixpath
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAIN = f"{{{MAIN_NS}}}"
PKG_REL = f"{{{PKG_NS}}}Relationship"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
WORKSHEET = REL_NS + "/worksheet"
TYPES = "[Content_Types].xml"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EXCEL_TEXT_MAX = 32_767  # characters in a cell, counted in UTF-16 units
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f\ufffe\uffff])")  # no XML character: Excel's _xHHHH_ escape


class Unsupported(Exception):
    """The package uses a form this patcher does not edit; fall back to a full load-and-save."""


def xml_text(value: object) -> str:
    """Character data for XML we write as text: escaped, characters XML cannot hold removed."""
    return escape(_ILLEGAL.sub("", str(value)), {'"': "&quot;"})


def cut_text(value: str) -> str:
    """At most Excel's 32,767 characters, counted in UTF-16 units as Excel (and XlsxWriter) count them."""
    if len(value) <= EXCEL_TEXT_MAX // 2:
        return value
    length = 0
    for index, char in enumerate(value):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > EXCEL_TEXT_MAX:
            return value[:index]
    return value


def excel_string(value: str) -> str:
    """A cell's text as its <t> holds it (before XML escaping), as Excel writes it: a literal "_x0041_" kept
    literal ("_x005F_x0041_"), a character XML cannot hold as its _xHHHH_ escape."""
    return _CONTROL.sub(lambda m: f"_x{ord(m[1]):04X}_", _ESCAPED_ESCAPE.sub(r"_x005F\1", value))


def _parser() -> etree.XMLParser:
    """For parts of an untrusted file: no entities resolved, no network, no huge trees, no DTD loaded
    (the pre-checks already refuse DTDs; this does not rely on them)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def local_name(element: etree._Element) -> str:
    """An element's name without its namespace ("" for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def with_rel_id(parent: etree._Element, tag: str, attrib: dict[str, str], rid: str) -> etree._Element:
    """A new child of `parent` carrying a relationship id (`r:id`), under whichever prefix is in scope for the
    relationships namespace; where none is (a producer may declare it on each element), it is declared here."""
    nsmap = None
    if REL_NS not in parent.nsmap.values():
        prefix = next(p for p in ("r", *(f"r{n}" for n in range(1, 100))) if p not in parent.nsmap)
        nsmap = {prefix: REL_NS}
    element = etree.SubElement(parent, tag, attrib, nsmap=nsmap)
    element.set(f"{{{REL_NS}}}id", rid)
    return element


class Package:
    """The members of a zip package. Parts read as XML are parsed once and kept as trees; the ones edited
    (`touch`) are serialised again on save, every other member is written back byte for byte."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.infos = z.infolist()
            self.raw = {i.filename: z.read(i.filename) for i in self.infos}
        self.new: dict[str, bytes] = {}  # parts we write whole
        self._trees: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._parser = _parser()

    def has(self, name: str) -> bool:
        return name in self.raw or name in self.new or name in self._trees

    def parse(self, data: bytes | str, name: str = "fragment") -> etree._Element:
        """A well-formed document without a DTD, else Unsupported."""
        try:
            root = etree.fromstring(data.encode() if isinstance(data, str) else data, self._parser)
        except etree.XMLSyntaxError as exc:
            raise Unsupported(f"{name} is not well-formed: {exc}") from exc
        if root.getroottree().docinfo.doctype:
            raise Unsupported(f"{name} declares a DTD")
        return root

    def root(self, name: str, tag: str | None = None) -> etree._Element:
        """A part's root element, parsed once; with `tag`, the root must be that (namespace-qualified) element."""
        if name not in self._trees:
            data = self.new.get(name, self.raw.get(name))
            if data is None:
                raise Unsupported(f"missing part {name}")
            self._trees[name] = self.parse(data, name)
        root = self._trees[name]
        if tag is not None and root.tag != tag:
            raise Unsupported(f"{name}: {root.tag}")
        return root

    def touch(self, name: str) -> None:
        """Mark a parsed part as edited: it is written from its tree on save."""
        self._dirty.add(name)

    def put(self, name: str, xml: str) -> None:
        """A whole new part, as text."""
        self.new[name] = xml.encode()
        self._trees.pop(name, None)
        self._dirty.discard(name)

    def unique(self, stem: str, ext: str) -> str:
        n = 1
        while self.has(f"{stem}{n}{ext}"):
            n += 1
        return f"{stem}{n}{ext}"

    def _rels(self, part: str) -> etree._Element:
        return self.root(rels_name(part), f"{{{PKG_NS}}}Relationships")

    def relationships(self, part: str) -> list[dict[str, str]]:
        if not self.has(rels_name(part)):
            return []
        return [dict(r.attrib) for r in self._rels(part).iter(PKG_REL)]

    def target(self, part: str, rel: dict[str, str]) -> str:
        """The member name a relationship of `part` points at."""
        target = rel.get("Target", "")
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))

    def relate(self, part: str, kind: str, member: str) -> str:
        """Add a relationship from `part` to the member; returns its new id."""
        name = rels_name(part)
        if not self.has(name):
            self.put(name, f'{XML_DECLARATION}<Relationships xmlns="{PKG_NS}"/>')
        ids = {r.get("Id") for r in self.relationships(part)}
        rid = next(f"rIdAnnex{n}" for n in range(1, 10_000) if f"rIdAnnex{n}" not in ids)
        target = posixpath.relpath(member, posixpath.dirname(part) or ".")
        etree.SubElement(self._rels(part), PKG_REL, Id=rid, Type=f"{REL_NS}/{kind}", Target=target)
        self.touch(name)
        return rid

    def _types(self) -> etree._Element:
        self.touch(TYPES)
        return self.root(TYPES, f"{{{TYPES_NS}}}Types")

    def content_type(self, member: str, ctype: str) -> None:
        etree.SubElement(self._types(), f"{{{TYPES_NS}}}Override", PartName=f"/{member}", ContentType=ctype)

    def default_type(self, ext: str, ctype: str) -> None:
        types = self._types()
        if not any(d.get("Extension", "").lower() == ext for d in types.iter(f"{{{TYPES_NS}}}Default")):
            etree.SubElement(types, f"{{{TYPES_NS}}}Default", Extension=ext, ContentType=ctype)

    def drop(self, member: str, owner: str) -> None:
        """Remove a part, its relationship from `owner` and its content type override."""
        for store in (self.raw, self.new, self._trees):
            store.pop(member, None)
        self._dirty.discard(member)
        self.infos = [i for i in self.infos if i.filename != member]
        if self.has(rels_name(owner)):
            for rel in list(self._rels(owner).iter(PKG_REL)):
                if rel.get("TargetMode") != "External" and self.target(owner, dict(rel.attrib)) == member:
                    rel.getparent().remove(rel)
                    self.touch(rels_name(owner))
        for override in list(self._types().iter(f"{{{TYPES_NS}}}Override")):
            if override.get("PartName", "").lstrip("/").lower() == member.lower():
                override.getparent().remove(override)

    def _bytes(self, name: str) -> bytes:
        if name in self._dirty:
            tree = self._trees[name].getroottree()
            return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=tree.docinfo.standalone)
        return self.new[name] if name in self.new else self.raw[name]

    def save(self, dst: Path) -> None:
        names = [i.filename for i in self.infos]
        names += [n for n in self.new if n not in self.raw]
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for name in sorted(names, key=lambda n: n != TYPES):
                z.writestr(name, self._bytes(name))


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


class Styles:
    """Append fonts, fills and cell formats to styles.xml; returns their indices."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        self.root = pkg.root(part, MAIN + "styleSheet")

    def _block(self, name: str) -> etree._Element:
        block = self.root.find(MAIN + name)
        if block is None:
            raise Unsupported(f"no {name}")
        return block

    def _append(self, name: str, child: str, item: etree._Element) -> int:
        block = self._block(name)
        index = sum(1 for _ in block.iterchildren(MAIN + child))
        block.append(item)
        block.set("count", str(index + 1))
        self.pkg.touch(self.part)
        return index

    def _fragment(self, xml: str) -> etree._Element:
        """One element of the main namespace, written unprefixed; it takes the part's own prefix when added."""
        return self.pkg.parse(f'<fragment xmlns="{MAIN_NS}">{xml}</fragment>')[0]

    def font(self, xml: str) -> int:
        return self._append("fonts", "font", self._fragment(xml))

    def fill(self, xml: str) -> int:
        return self._append("fills", "fill", self._fragment(xml))

    def xf(self, xml: str) -> int:
        return self._append("cellXfs", "xf", self._fragment(xml))

    def with_fill(self, index: int, fill: int) -> int:
        """A copy of cell format `index` with another fill (font, border, alignment, protection kept)."""
        return self._copy_xf(index, fillId=str(fill), applyFill="1")

    def with_number_format(self, index: int, number_format: int) -> int:
        """A copy of cell format `index` with another (built-in) number format."""
        return self._copy_xf(index, numFmtId=str(number_format), applyNumberFormat="1")

    def _copy_xf(self, index: int, **changes: str) -> int:
        xfs = list(self._block("cellXfs").iterchildren(MAIN + "xf"))
        if not 0 <= index < len(xfs):
            raise Unsupported(f"style {index}")
        xf = copy.deepcopy(xfs[index])
        for name, value in changes.items():
            xf.set(name, value)
        return self._append("cellXfs", "xf", xf)
