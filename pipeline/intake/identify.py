"""Which unit sent a file: from the template's `_meta`, from the unit's name in the header block, or, for a
file refused before it could be read, from its `_meta` read safely or its file name. A file refused before
reading is still tied to its unit, so the unit learns why and completeness says it sent something.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeline.intake.parts import meta_of_refused, sheet_parts
from pipeline.intake.precheck import Refusal
from pipeline.models import RawBook, Submission
from pipeline.vntext import fold
from pipeline.workbook import draft
from pipeline.workbook.contract import HEADER_BLOCK_ROWS, META_SHEET, UNIT_ROW, TemplateMeta, col_letter
from pipeline.workspace import Unit, Workspace


def identify(sub: Submission, book: RawBook, meta: TemplateMeta, ws: Workspace) -> Unit | None:
    """The unit that sent the file: from `_meta` (checked against the round, the units list and the file
    name), else from the unit's name in the header block when exactly one unit matches."""
    code = meta.get("unit_code")
    if code:
        round_id = meta.get("round_id")
        if round_id != ws.round.round_id:
            sub.add("other_round", value=round_id, detail=round_id)
            return None
        unit = ws.unit_by_code.get(code)
        if unit is None:
            sub.add("unknown_unit", value=code, detail=code)
            return None
        hinted = codes_in_name(sub.file.rel, ws)
        if hinted and unit.code not in hinted:
            sub.add("name_mismatch", detail=", ".join(sorted(hinted)), unit=unit.code)
        return unit
    unit = _match_by_name(book, ws)
    if isinstance(unit, Unit):
        sub.add("matched_by_name", unit=f"{unit.name} ({unit.code})")
        return unit
    sub.add("unidentified", detail=unit)
    return None


def codes_in_name(rel: str, ws: Workspace) -> set[str]:
    """Unit codes the file's name mentions as whole words (PKT_lan2.xlsx -> {PKT})."""
    return codes_in_words(rel.rsplit("/", 1)[-1].rsplit(".", 1)[0], ws)


def codes_in_words(text: str, ws: Workspace) -> set[str]:
    """Unit codes a name mentions as whole words."""
    by_code = ws.units_by_folded_code
    return {by_code[t.casefold()] for t in re.split(r"[^0-9A-Za-z]+", text) if t.casefold() in by_code}


def _header_text(grids: list[list[list[object]]]) -> str:
    return " | ".join(fold(str(v)) for grid in grids for row in grid[:HEADER_BLOCK_ROWS] for v in row
                      if v not in ("", None))


def _named(text: str, ws: Workspace, codes: bool = True) -> list[Unit]:
    """Units whose name (or "(mã CODE)") the text holds; a name inside a longer matching name is not counted."""
    found = [(u, name) for u, name, code in ws.folded_units if name in text or (codes and code in text)]
    return [u for u, name in found if not any(o is not u and name in other for o, other in found)]


def header_mismatch(sub: Submission, book: RawBook, ws: Workspace) -> None:
    """A unit that filled another unit's template and typed its own name in the header: say so, per sheet,
    rather than count its figures as the other unit's."""
    assert sub.unit is not None
    own = fold(sub.unit.name)
    for sheet, grid in book.sheets.items():
        text = _header_text([grid[UNIT_ROW - 1:UNIT_ROW]])
        if own in text:
            continue  # its own name is there (the usual case: no need to look for every other unit's)
        named = _named(text, ws, codes=False)
        others = [u for u in named if u is not sub.unit]
        if others and sub.unit not in named:
            row = grid[UNIT_ROW - 1] if len(grid) >= UNIT_ROW else []
            where = next((f"{col_letter(c)}{UNIT_ROW}" for c, v in enumerate(row, start=1) if v not in ("", None)), "")
            sub.add("unit_mismatch", sheet=sheet, cell=where, unit=f"{sub.unit.name} ({sub.unit.code})",
                    detail=", ".join(f"{u.name} ({u.code})" for u in others))


def _match_by_name(book: RawBook, ws: Workspace) -> Unit | str:
    """The one unit whose name (or "(mã CODE)") appears in the header rows of the annex sheets."""
    text = _header_text(list(book.sheets.values()))
    if not text:
        return "không thấy tên đơn vị ở đầu biểu"
    return match_text(text, ws)


def match_text(text: str, ws: Workspace) -> Unit | str:
    """The one unit whose name (or "(mã CODE)") the folded text holds; else why none."""
    found = _named(text, ws)
    if len(found) == 1:
        return found[0]
    if not found:
        return "không thấy tên đơn vị nào trong danh sách ở đầu biểu"
    return "nhiều đơn vị khớp: " + ", ".join(u.code for u in found)


def refused(sub: Submission, refusal: Refusal, ws: Workspace) -> None:
    """Report a file the pre-checks refused, and tie it to its unit where `_meta` or its name says which."""
    sheet, cell = "", ""
    if refusal.code == "sheet_too_big":
        sheet, cell = _sheet_of_part(sub, refusal.part), refusal.detail
    sub.add(refusal.code, detail=refusal.detail, sheet=sheet, cell=cell)
    sub.unit = unit_of_refused(sub, ws, safe=refusal.code != "xml_entities")


def unit_of_refused(sub: Submission, ws: Workspace, safe: bool = True) -> Unit | None:
    """The unit of a file that was not read: its `_meta` (read capped and defused), else a single unit code in
    its file name. None when neither says, or when `_meta` names another round."""
    meta = TemplateMeta.parse(meta_of_refused(str(sub.file.path), META_SHEET)) if safe and sub.kind in (
        "xlsx", "xlsm") else TemplateMeta()
    code = meta.get("unit_code")
    if code:
        return ws.unit_by_code.get(code) if meta.get("round_id") == ws.round.round_id else None
    return unit_of_name(sub.file.rel, ws)


def unit_of_name(rel: str, ws: Workspace) -> Unit | None:
    """The unit whose code is the only one the file's name mentions."""
    hinted = codes_in_name(rel, ws)
    return ws.unit_by_code[hinted.pop()] if len(hinted) == 1 else None


def unit_of_text(path: Path, ws: Workspace) -> Unit | None:
    """The unit a text file (a template saved as CSV) names in its first lines, when exactly one matches."""
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return None
    for encoding in ("utf-8-sig", "utf-16", "cp1258"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    lines = [re.split(r"[,;\t]", line) for line in text.splitlines()[:HEADER_BLOCK_ROWS + 4]]
    found = _match_by_name(RawBook(sheets={"csv": [list(cells) for cells in lines]}), ws)
    return found if isinstance(found, Unit) else None


def _sheet_of_part(sub: Submission, part: str) -> str:
    try:
        with zipfile.ZipFile(sub.file.path) as z:
            return sheet_parts(z).get(part, "")
    except (zipfile.BadZipFile, OSError):
        return ""


def unit_of_report(properties: dict[str, str], head: str, rel: str, ws: Workspace) -> tuple[Unit | None, str, str]:
    """The unit a narrative report (.docx) is from, and what to say about it: (unit, issue code or "", detail).
    From the draft's own document properties; when they were lost, from the one unit named at the head of
    its text, else from the one unit code in its file name."""
    if properties.get(draft.PROP_KIND) == draft.DRAFT_KIND:
        round_id, code = properties.get(draft.PROP_ROUND, ""), properties.get(draft.PROP_UNIT, "")
        if round_id != ws.round.round_id:
            return None, "report_other_round", round_id
        unit = ws.unit_by_code.get(code)
        return (unit, "", "") if unit is not None else (None, "unknown_unit", code)
    return unit_of_other_report(head, rel, ws)


def unit_of_other_report(head: str, rel: str, ws: Workspace) -> tuple[Unit | None, str, str]:
    """A report that does not describe itself (.doc, .pdf, a .docx not made from the draft): the one unit named at
    the head of its text, else the one unit code in its file name."""
    named = match_text(fold(head), ws) if head else None
    if isinstance(named, Unit):
        return named, "report_by_name", "tên đơn vị ở đầu văn bản"
    unit = unit_of_name(rel, ws)
    if unit is not None:
        return unit, "report_by_name", "mã đơn vị trong tên tệp"
    for folder in reversed(rel.split("/")[:-1]):  # the clerk sorted the unit's files into a folder named for it
        codes = codes_in_words(folder, ws)
        if len(codes) == 1:
            return ws.unit_by_code[codes.pop()], "report_by_name", f"mã đơn vị trong tên thư mục \"{folder}\""
    return None, "report_unidentified", rel.rsplit("/", 1)[-1]
