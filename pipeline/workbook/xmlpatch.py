"""Edit an .xlsx package at the XML level instead of a full load-and-save.

Feedback is the unit's own workbook with a few cells restyled and commented and a report sheet in front.
openpyxl would parse and rewrite every cell (≈ 0.3 s for a template) and drop what it does not model
(images, form controls); here every part we do not touch is copied byte for byte, and the few we edit
(workbook, styles, the marked sheets, relationships, content types) are parsed with lxml, changed as trees
and written back with their own prefixes and declarations. Elements are found by namespace URI, never by
prefix, so where a producer declares its namespaces, and which prefixes it binds, does not matter. Anything
outside what is handled here (cells without references, existing VML, a sheet name already taken, a part
that is not well-formed or has a DTD) raises `Unsupported`, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import copy
import posixpath
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from pipeline.workbook.contract import col_number

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


class Unsupported(Exception):
    """The package uses a form this patcher does not edit; fall back to a full load-and-save."""


def text(value: object) -> str:
    """Character data for XML we write as text: escaped, characters XML cannot hold removed."""
    return escape(_ILLEGAL.sub("", str(value)), {'"': "&quot;"})


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
        xfs = list(self._block("cellXfs").iterchildren(MAIN + "xf"))
        if not 0 <= index < len(xfs):
            raise Unsupported(f"style {index}")
        xf = copy.deepcopy(xfs[index])
        xf.set("fillId", str(fill))
        xf.set("applyFill", "1")
        return self._append("cellXfs", "xf", xf)


def split_ref(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
    if m is None:
        raise Unsupported(f"cell {ref}")
    return m[1], int(m[2])


# top-level children of <worksheet> that come after <legacyDrawing> in the schema's order
_AFTER_LEGACY = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst", "AlternateContent"}


_FORMULA_REFERENCES = etree.XPath("m:sheetData/m:row/m:c[m:f]/@r", namespaces={"m": MAIN_NS}, smart_strings=False)
_FORMULA_UNREFERENCED = etree.XPath("m:sheetData/m:row/m:c[m:f][not(@r)]", namespaces={"m": MAIN_NS})
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>\s*<f[\s/>]')
_HIDING_OR_FORMULA = re.compile(rb"<(?:[!?]|f[\s/>])")  # comment, CDATA, DTD, processing instruction; formula
_DECLARATION = re.compile(rb"""xmlns(:[^\s=]*)?\s*=\s*("[^"]*"|'[^']*')""")
_XMLNS = re.compile(rb"xmlns")


def formula_cells(raw: bytes) -> set[str] | None:
    """The cells of a worksheet part that hold a formula, read from its bytes without parsing it (a template's
    sheets are large, and a text cell rarely holds one); None where the bytes cannot tell for sure, and the part
    must be parsed: markup that could hide an element (a comment, CDATA, a DTD, a processing instruction), an
    encoding that is not ASCII-compatible, a prefix bound to the main namespace (or any declaration written with
    a reference), a formula that is not the first child of a cell whose first attribute is its reference.
    (Regular expressions, not bytes.count: "<" is everywhere, and count is slow on it.)"""
    body = raw.removeprefix(b"\xef\xbb\xbf")
    if body.startswith(b"<?xml") and body[5:6].isspace():
        body = body[body.find(b"?>") + 2:]
    if b"\x00" in body[:64] or b"<sheetData" not in body:
        return None
    found = _HIDING_OR_FORMULA.findall(body)
    if any(m[1] != ord("f") for m in found):
        return None
    declarations = _DECLARATION.findall(body)
    if len(declarations) != len(_XMLNS.findall(body)) or any(
            b"&" in value or (prefix and value[1:-1] == MAIN_NS.encode()) for prefix, value in declarations):
        return None
    cells = _FORMULA_CELL.findall(body)
    return {ref.decode() for ref in cells} if len(cells) == len(found) else None


def maybe_selected(raw: bytes) -> bool:
    """Whether a sheet part may be a selected tab, told from its bytes: False only when every tabSelected is
    written "false" or "0" (LibreOffice writes one on every sheet), so that parsing it could change nothing."""
    return raw.count(b"tabSelected") != raw.count(b'tabSelected="false"') + raw.count(b'tabSelected="0"')


def unselect(pkg: Package, part: str) -> None:
    """No sheet view of this sheet (worksheet or chart sheet) is a selected tab any more."""
    for view in pkg.root(part).iterfind(f"{MAIN}sheetViews/{MAIN}sheetView"):  # not .iter(): that walks every cell
        if view.get("tabSelected") in ("1", "true"):
            del view.attrib["tabSelected"]
            pkg.touch(part)


class SheetXml:
    """One worksheet part: find, restyle, insert cells; neutralise formulas; attach comments."""

    def __init__(self, pkg: Package, part: str) -> None:
        self.pkg, self.part = pkg, part
        self.root = pkg.root(part, MAIN + "worksheet")
        self.data = self.root.find(MAIN + "sheetData")
        if self.data is None:
            raise Unsupported("no sheetData")
        merges = self.root.find(MAIN + "mergeCells")
        spans = [] if merges is None else [m.get("ref", "").split(":") for m in merges.iterchildren(MAIN + "mergeCell")]
        self._merged = [(split_ref(s[0]), split_ref(s[1])) for s in spans if len(s) == 2]
        self._rows: dict[int, etree._Element] = {}
        for row in self.data.iterchildren(MAIN + "row"):
            r = row.get("r", "")
            if not r.isdigit():
                raise Unsupported("rows without references")
            self._rows[int(r)] = row
        self._cells: dict[int, dict[str, etree._Element]] = {}  # row -> its cells by reference, when asked

    def _row_cells(self, r: int) -> dict[str, etree._Element]:
        if r not in self._cells:
            row = self._rows.get(r)
            self._cells[r] = {}
            for c in row.iterchildren(MAIN + "c") if row is not None else ():
                if c.get("r") is None:
                    raise Unsupported("cell without reference")
                self._cells[r][c.get("r")] = c
        return self._cells[r]

    def _cell(self, ref: str) -> etree._Element | None:
        return self._row_cells(split_ref(ref)[1]).get(ref)

    def formula_cells(self) -> set[str]:
        """The references of every cell holding a formula (XPath: no Python object per cell)."""
        if _FORMULA_UNREFERENCED(self.root):
            raise Unsupported("formula in a cell without reference")
        return set(_FORMULA_REFERENCES(self.root))

    def top_left(self, ref: str) -> str:
        """The cell itself, or for a cell inside merged cells the merged range's top-left cell."""
        col, row = split_ref(ref)
        c = col_number(col)
        for (c1, r1), (c2, r2) in self._merged:
            if r1 <= row <= r2 and col_number(c1) <= c <= col_number(c2):
                return f"{c1}{r1}"
        return f"{col}{row}"

    def style(self, ref: str) -> int:
        c = self._cell(ref)
        value = c.get("s", "") if c is not None else ""
        return int(value) if value.isdigit() else 0

    def restyle(self, ref: str, style: int) -> None:
        c = self._cell(ref)
        if c is None:
            c = self._insert_cell(ref)
        c.set("s", str(style))
        self.pkg.touch(self.part)

    def _insert_cell(self, ref: str) -> etree._Element:
        col, r = split_ref(ref)
        row = self._rows[r] if r in self._rows else self._insert_row(r)  # (an empty element is falsy)
        row.attrib.pop("spans", None)  # a hint for the old cells only
        after = next((other for other in row if local_name(other) != "c"  # the row's extLst
                      or col_number(split_ref(other.get("r"))[0]) > col_number(col)), None)
        cell = etree.SubElement(row, MAIN + "c", r=ref)
        if after is not None:
            after.addprevious(cell)
        self._row_cells(r)[ref] = cell
        return cell

    def _insert_row(self, r: int) -> etree._Element:
        later = [n for n in self._rows if n > r]
        row = etree.SubElement(self.data, MAIN + "row", r=str(r))
        if later:
            self._rows[min(later)].addprevious(row)
        self._rows[r] = row
        return row

    def formula_as_text(self, ref: str) -> None:
        """A live formula typed into a text cell becomes that text (never a live formula in our output)."""
        c = self._cell(ref)
        f = c.find(MAIN + "f") if c is not None else None
        if f is None:
            return
        if f.get("t", "normal") != "normal":
            raise Unsupported("shared or array formula in a text cell")
        formula = f.text or ""
        for child in list(c):
            c.remove(child)
        for name in list(c.attrib):
            if name not in ("r", "s"):
                del c.attrib[name]
        c.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(c, MAIN + "is"), MAIN + "t")
        t.set(XML_SPACE, "preserve")
        t.text = "=" + formula
        self.pkg.touch(self.part)

    def legacy_drawing(self, rid: str) -> None:
        """Point the sheet at its VML drawing (comments), at the place the schema gives <legacyDrawing>."""
        if self.root.find(MAIN + "legacyDrawing") is not None:
            raise Unsupported("sheet already has comments")
        children = list(self.root)
        later = [child for child in children[children.index(self.data) + 1:] if local_name(child) in _AFTER_LEGACY]
        element = with_rel_id(self.root, MAIN + "legacyDrawing", {}, rid)
        if later:
            later[0].addprevious(element)
        self.pkg.touch(self.part)
