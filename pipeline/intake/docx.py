"""Read a returned report (.docx) without a word processor: its custom document properties, the head of its
text (to recognise the unit when the properties were lost), and every figure still bound to a bookmark.

Runs in a reader process (isolate.run_isolated) after the same pre-checks as a workbook (size, zip bombs,
encryption, DTDs); the XML is parsed as the feedback patcher parses untrusted parts (lxml resolving no entity,
loading no DTD, no network; a document type declaration refused) and each part read with a cap. Returns plain data.
(defusedxml's parser costs 5 times as much here: 17 ms for a draft of 120 paragraphs.)

A person who types over a bookmarked figure in LibreOffice 7.4 leaves the bookmark around the first character
only ("1" of "1.300", measured): a bound figure's text is therefore the whole number the bookmark sits in
(digits with "." and "," between them, and a "%" after it), not just the bookmarked characters.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.workbook import draft

Element = etree._Element

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
DOCUMENT = "word/document.xml"
PROPERTIES = "docProps/custom.xml"
MAX_PART = 64 * 1024 * 1024
HEAD_PARAGRAPHS = 12  # the header block and the title: where a report names its unit
HEAD_CHARS = 2000
START_CHARS = 60  # how much of a paragraph's text a warning quotes


class Refused(Exception):
    """A part this reader will not parse: (issue code, detail)."""


@dataclass
class Bound:
    """One figure still bound to its bookmark: the number (or text) it holds now, and where it is."""

    bookmark: str
    figure: str
    text: str
    paragraph: int  # 1-based, counting the document's paragraphs that hold text
    start: str  # the beginning of the paragraph's text


@dataclass
class ReportReading:
    properties: dict[str, str] = field(default_factory=dict)
    head: str = ""  # the text of the first paragraphs, for recognising the unit
    figures: list[Bound] = field(default_factory=list)
    error: tuple[str, str] | None = None  # (issue code, detail) when the document could not be read

    def to_plain(self) -> tuple:
        figures = [(b.bookmark, b.figure, b.text, b.paragraph, b.start) for b in self.figures]
        return self.properties, self.head, figures, self.error

    @classmethod
    def from_plain(cls, plain: tuple) -> ReportReading:
        properties, head, figures, error = plain
        return cls(dict(properties), head, [Bound(*f) for f in figures], tuple(error) if error else None)


def read_report(path: Path) -> ReportReading:
    """The reading of one .docx; a document that cannot be parsed comes back with `error` set."""
    reading = ReportReading()
    try:
        with zipfile.ZipFile(path) as z:
            custom = _xml(z, PROPERTIES)
            if custom is not None:
                reading.properties = _properties(custom)
            body = _xml(z, DOCUMENT)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        reading.error = ("unreadable", "tệp nén hỏng hoặc bị cắt cụt")
        return reading
    except Refused as exc:
        reading.error = exc.args
        return reading
    except etree.XMLSyntaxError:
        reading.error = ("unreadable", "nội dung văn bản hỏng")
        return reading
    if body is None:
        reading.error = ("unreadable", "không có phần nội dung văn bản")
        return reading
    paragraphs = _paragraphs(body)
    reading.head = " | ".join(text for text, _ in paragraphs[:HEAD_PARAGRAPHS])[:HEAD_CHARS]
    for number, (text, marks) in enumerate(paragraphs, start=1):
        for name, (begin, end) in marks.items():
            figure = draft.figure_of_bookmark(name)
            if figure is not None:
                reading.figures.append(Bound(name, figure, figure_text(text, begin, end), number,
                                             _start(text)))
    return reading


def _xml(z: zipfile.ZipFile, name: str) -> Element | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART:
        raise Refused("too_large", f"{name}: {info.file_size / 1024 / 1024:.0f} MB")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    root = etree.fromstring(z.read(info), parser)
    if root.getroottree().docinfo.doctype:  # the pre-checks refuse it already; this does not rely on them
        raise Refused("xml_entities", name)
    return root


def _properties(root: Element) -> dict[str, str]:
    """name -> value of every custom property (the value element's text, whatever its vt: type)."""
    out = {}
    for item in root.iter(CUSTOM + "property"):
        name = item.get("name")
        if name:
            out[name] = "".join("".join(value.itertext()) for value in item).strip()
    return out


_P, _T, _START, _END = (W + n for n in ("p", "t", "bookmarkStart", "bookmarkEnd"))
_ID, _NAME = W + "id", W + "name"
_MARKS = (_T, _START, _END, W + "tab", W + "br", W + "cr")


def _paragraphs(body: Element) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """Each paragraph that holds text, in document order (tables' cells included): its text, and for each
    bookmark that starts in it, the span of text it covers there (to the paragraph's end if it ends later).
    A paragraph inside another (a text box) is part of that one; deleted text of a tracked change (w:delText) and
    field codes (w:instrText) are not text."""
    out = []
    for p in body.iter(_P):
        if next(p.iterancestors(_P), None) is not None:
            continue
        pieces: list[str] = []
        length = 0
        starts: dict[str, tuple[str, int]] = {}  # w:id -> (name, offset)
        spans: dict[str, tuple[int, int]] = {}
        for el in p.iter(*_MARKS):  # one pass in document order, in C
            tag = el.tag
            if tag == _T:
                pieces.append(el.text or "")
                length += len(pieces[-1])
            elif tag == _START:
                starts[el.get(_ID, "")] = (el.get(_NAME, ""), length)
            elif tag == _END:
                started = starts.pop(el.get(_ID, ""), None)
                if started is not None:
                    spans[started[0]] = (started[1], length)
            else:
                pieces.append(" ")
                length += 1
        text = "".join(pieces)
        for name, offset in starts.values():  # a bookmark that ends in a later paragraph
            spans.setdefault(name, (offset, len(text)))
        if text.strip():
            out.append((text, spans))
    return out


def figure_text(text: str, begin: int, end: int) -> str:
    """The figure a bookmark holds: its text widened to the whole number it sits in (with a "%" after it)."""
    if not any(ch.isdigit() for ch in text[begin:end]) and not _touches_number(text, begin, end):
        return text[begin:end].strip()
    while begin > 0 and (text[begin - 1].isdigit() or (text[begin - 1] in ".," and begin >= 2
                                                        and text[begin - 2].isdigit())):
        begin -= 1
    if begin > 0 and text[begin - 1] in "+-−" and (begin == 1 or not text[begin - 2].isalnum()):
        begin -= 1
    while end < len(text) and (text[end].isdigit() or (text[end] in ".," and end + 1 < len(text)
                                                        and text[end + 1].isdigit())):
        end += 1
    after = text[end:end + 2]
    if after.startswith("%"):
        end += 1
    elif after in (" %", "\u00a0%"):
        end += 2
    return text[begin:end].strip()


def _touches_number(text: str, begin: int, end: int) -> bool:
    """A bookmark emptied or left beside the number typed in place of its figure."""
    return (begin > 0 and text[begin - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def _start(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= START_CHARS else text[:START_CHARS].rstrip() + "…"
