"""units.xlsx read as Excel saved it and checked row by row; every mistake names its cell and the fix.

What Excel does to a clerk's typing is expected: "1,2" typed on a Vietnamese Windows arrives as the number 1.2,
codes arrive as numbers, text arrives decomposed (NFD). Codes must be names Windows can hold as files.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineError, load_workbook

from pipeline.messages import WARNING, Problem, WorkspaceError, say
from pipeline.settings import names
from pipeline.settings.model import Unit
from pipeline.spec.annex import SpecSet
from pipeline.vntext import clean, fold

NAME = "units.xlsx"
SHEET = "Đơn vị"
HEADERS = ("Mã đơn vị", "Tên đơn vị", "Khối", "Phụ lục phải nộp", "Liên hệ")
SHEET_EXTS = {".xlsx", ".xls", ".xlsm", ".ods", ".csv", ".xlsb"}
_PREFIX = re.compile(r"^(phụ lục|phu luc|pl)\s*\.?\s*")


@dataclass
class _Rows:
    """What has been read so far: codes by folded form (for duplicates that differ only in case)."""

    specs: SpecSet
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # casefolded code -> (code, cell)

    def error(self, code: str, cell: str, /, **fields: object) -> None:
        self.errors.append(say(code, NAME, cell=cell, sheet=SHEET, **fields))

    def warn(self, code: str, cell: str, /, **fields: object) -> None:
        self.warnings.append(say(code, NAME, cell=cell, sheet=SHEET, severity=WARNING, **fields))


def find_units(root: Path) -> tuple[Path, list[Problem]]:
    """units.xlsx, and a warning for every other units file beside it (an edit there would go unseen)."""
    target = root / NAME
    others = sorted(p for p in root.iterdir() if p.is_file() and p.name != NAME and p.suffix.lower() in SHEET_EXTS
                    and p.name.lower().startswith("units"))
    if not target.is_file():
        if others:
            raise WorkspaceError(say("units_other_format", NAME, name=others[0].name))
        raise WorkspaceError(say("units_missing", NAME))
    warnings = []
    for other in others:
        newer = other.stat().st_mtime > target.stat().st_mtime
        shown = f" (sửa lúc {dt.datetime.fromtimestamp(other.stat().st_mtime):%H:%M %d/%m/%Y}, mới hơn units.xlsx)"
        warnings.append(say("units_beside", NAME, severity=WARNING, name=other.name, newer=shown if newer else ""))
    return target, warnings


def read_units(path: Path, specs: SpecSet) -> tuple[list[Unit], list[Problem]]:
    """The units, and warnings; raises WorkspaceError with every mistake found."""
    grid = _grid(path)
    rows = _Rows(specs)
    units = []
    for number, row in enumerate(grid[1:], start=2):
        raw = (list(row) + [""] * 5)[:5]
        if all(_text(v) == "" for v in raw):
            continue
        unit = _unit(rows, number, raw)
        if unit is not None:
            units.append(unit)
    if not units and not rows.errors:
        rows.errors.append(say("units_empty", NAME, sheet=SHEET))
    _near_khoi(rows, units)
    if rows.errors:
        raise WorkspaceError(rows.errors)
    return units, rows.warnings


def _grid(path: Path) -> list[list[object]]:
    try:
        wb = load_workbook(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise WorkspaceError(say("units_unreadable", NAME, detail=_what(path, exc))) from None
    sheets = list(wb.sheet_names)
    wanted = [s for s in sheets if fold(s) == fold(SHEET)]
    try:
        grids = [wb.get_sheet_by_name(s).to_python(skip_empty_area=False) for s in wanted or sheets]
    except (CalamineError, ValueError) as exc:
        raise WorkspaceError(say("units_unreadable", NAME, detail=_what(path, exc))) from None
    for grid in grids:
        if grid and _header_problem(grid[0]) is None:
            return grid
    if not wanted:
        raise WorkspaceError(say("units_no_sheet", NAME, wanted=SHEET, sheets=", ".join(sheets)))
    header = grids[0][0] if grids and grids[0] else []
    cell, value = _header_problem(header) or ("A1", "")
    raise WorkspaceError(say("units_header", NAME, sheet=SHEET, headers=", ".join(HEADERS[:4]), at=cell,
                             value=value))


def _what(path: Path, exc: Exception) -> str:
    head = path.read_bytes()[:8] if path.is_file() else b""
    if not head:
        return "tệp rỗng"
    if head.startswith(b"PK"):
        return "tệp nén hỏng hoặc không phải bảng tính Excel"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "tệp Excel 97-2003 đổi đuôi, hoặc tệp đặt mật khẩu"
    return "tệp văn bản hoặc CSV đổi đuôi thành .xlsx"


def _header_problem(header: list[object]) -> tuple[str, str] | None:
    cells = (list(header) + [""] * 4)[:4]
    for col, (value, expected) in enumerate(zip(cells, HEADERS, strict=False)):
        if fold(_text(value)) != fold(expected):
            return f"{'ABCDE'[col]}1", _text(value)
    return None


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%d/%m/%Y}"
    return clean(str(value))


def _unit(rows: _Rows, number: int, raw: list[object]) -> Unit | None:
    code, name, khoi, _, contact = (_text(v) for v in raw)
    before = len(rows.errors)
    _code(rows, code, f"A{number}")
    if not name:
        rows.error("name_missing", f"B{number}", code=code or "?")
    if not khoi:
        rows.warn("khoi_missing", f"C{number}", code=code or "?")
    annexes = _annexes(rows, raw[3], f"D{number}", code or "?")
    if len(rows.errors) > before:
        return None
    return Unit(code, name, khoi, annexes, contact, number)


def _code(rows: _Rows, code: str, cell: str) -> None:
    if not code:
        rows.error("code_missing", cell)
        return
    example = names.suggest(code, "DV1")
    if not names.safe_chars(code):
        rows.error("code_chars", cell, value=code, example=example)
    elif names.reserved(code):
        rows.error("code_reserved", cell, value=code, example=f"{code}1")
    elif len(code) > names.CODE_LIMIT:
        rows.error("code_long", cell, value=code, length=len(code), limit=names.CODE_LIMIT)
    seen = rows.codes.get(code.casefold())
    if seen is None:
        rows.codes[code.casefold()] = (code, cell)
    elif seen[0] == code:
        rows.error("code_duplicate", cell, value=code, other=seen[1])
    else:
        rows.error("code_case", cell, value=code, other_value=seen[0], other=seen[1])


def _annexes(rows: _Rows, raw: object, cell: str, code: str) -> tuple[str, ...]:
    known = ", ".join(a.code for a in rows.specs.annexes.values())
    if isinstance(raw, dt.date):
        rows.error("annex_number_bad", cell, value=f"ngày {raw:%d/%m/%Y}", known=known)
        return ()
    if isinstance(raw, float) and not raw.is_integer():
        shown = repr(raw).replace(".", ",")
        ids = [rows.specs.by_code(t) for t in repr(raw).split(".")]
        if not all(ids):
            rows.error("annex_number_bad", cell, value=f"số {shown}", known=known)
            return ()
        rows.warn("annex_number", cell, value=shown, annexes=" và ".join(a.code for a in ids if a))
        return tuple(dict.fromkeys(a.id for a in ids if a))
    found: list[str] = []
    for part in re.split(r"[,;]", _text(raw)):
        token = _PREFIX.sub("", fold(part)).strip()
        if not token:
            continue
        spec = rows.specs.by_code(token)
        if spec is None:
            rows.error("annex_unknown", cell, value=part.strip(), known=known)
            return ()
        found.append(spec.id)
    if not found:
        rows.error("annex_missing", cell, code=code)
    return tuple(dict.fromkeys(found))


def _near_khoi(rows: _Rows, units: list[Unit]) -> None:
    """A khối written by one unit that is a near-copy of a khối written by more units: a likely typo."""
    counts = Counter(fold(u.khoi) for u in units if u.khoi)
    spelled = {fold(u.khoi): u.khoi for u in units if u.khoi}
    for folded, n in counts.items():
        bigger = [k for k, m in counts.items() if m > n and k != folded]
        close = difflib.get_close_matches(folded, bigger, n=1, cutoff=0.75)
        if close:
            first = next(u for u in units if fold(u.khoi) == folded)
            rows.warn("khoi_near", f"C{first.row}", value=first.khoi, suggestion=spelled[close[0]])
