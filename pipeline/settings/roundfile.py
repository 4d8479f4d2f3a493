"""round.toml read as Notepad saved it and checked value by value; every mistake names its line and the fix."""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.messages import WARNING, Problem, WorkspaceError, say
from pipeline.settings import names
from pipeline.settings.model import Header, Round, Unit
from pipeline.settings.textfile import LEGACY, Undecodable, decode
from pipeline.settings.tomlcheck import DATE_KEYS, diagnose, split_line
from pipeline.vntext import fold

NAME = "round.toml"
REQUIRED = {
    "round_id": ("mã đợt báo cáo, dùng trong tên tệp", 'round_id = "phuctho-soket-2026"'),
    "title": ("tên đợt báo cáo", 'title = "Sơ kết 01 năm …"'),
    "commune": ("tên xã", 'commune = "Xã Phúc Thọ"'),
    "period_start": ("ngày bắt đầu kỳ báo cáo", "period_start = 2025-07-01"),
    "period_end": ("ngày kết thúc kỳ báo cáo", "period_end = 2026-05-15"),
    "deadline": ("hạn nộp của các đơn vị", "deadline = 2026-05-15"),
}
OPTIONAL = ("place", "parent", "contact")
TOP_KEYS = (*REQUIRED, *OPTIONAL, "headers")
HEADER_KEYS = ("khoi", "left", "right")
Where = tuple[int, str]  # (index of the [[headers]] table, 0 before any table; key)


@dataclass
class RoundFile:
    round: Round
    lines: dict[Where, int]  # where each key was written
    warnings: list[Problem] = field(default_factory=list)

    def line(self, key: str, table: int = 0) -> int:
        return self.lines.get((table, key), 0)


def read_round(path: Path) -> RoundFile:
    """Read and check round.toml; raises WorkspaceError with every mistake found."""
    warnings: list[Problem] = []
    try:
        text, how = decode(path.read_bytes())
    except Undecodable:
        raise WorkspaceError(say("encoding_unknown", NAME)) from None
    if how == LEGACY:
        warnings.append(say("encoding_legacy", NAME, severity=WARNING))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(diagnose(exc, text, NAME)) from None
    lines = locate(text)
    errors: list[Problem] = []
    headers = _headers(data.get("headers", []), lines, errors)
    _unknown_keys(data, lines, errors)
    values = {k: _text(data, k, lines, errors) for k in ("round_id", "title", "commune", *OPTIONAL)}
    dates = {k: _date(data, k, lines, errors) for k in DATE_KEYS}
    errors += [say("missing_key", NAME, key=k, meaning=m, example=e) for k, (m, e) in REQUIRED.items() if k not in data]
    if values["round_id"]:
        errors += _round_id(values["round_id"], lines.get((0, "round_id"), 0))
    errors += _dates(dates, lines)
    if errors:
        raise WorkspaceError(errors)
    rnd = Round(values["round_id"], values["title"], values["commune"], values["place"] or values["commune"],
                dates["period_start"], dates["period_end"], dates["deadline"], values["parent"],  # type: ignore[arg-type]
                values["contact"], headers)
    return RoundFile(rnd, lines, warnings)


def locate(text: str) -> dict[Where, int]:
    """(table index, key) -> line number; table index counts [[headers]] tables from 1, 0 is the top level."""
    found: dict[Where, int] = {}
    table = count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            name = stripped.split("#")[0].strip().strip("[] ")
            count += name == "headers"
            table = count if name == "headers" else -1
            found.setdefault((0, f"[{name}]"), number)
            continue
        key, _ = split_line(stripped)
        if key and not stripped.startswith("#"):
            found.setdefault((table, key), number)
    return found


def _unknown_keys(data: dict, lines: dict[Where, int], errors: list[Problem]) -> None:
    for key in data:
        if key in TOP_KEYS:
            continue
        line = lines.get((0, key)) or lines.get((0, f"[{key}]"), 0)
        errors.append(say("unknown_key", NAME, line, key=key, hint=_hint(key, TOP_KEYS)))


def _hint(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    return f" (có phải \"{close[0]}\"?)" if close else ""


def _text(data: dict, key: str, lines: dict[Where, int], errors: list[Problem]) -> str:
    value = data.get(key, "")
    line = lines.get((0, key), 0)
    if not isinstance(value, str):
        shown = value.isoformat() if isinstance(value, dt.date) else str(value)
        errors.append(say("not_text", NAME, line, key=key, example=f"{key} = \"{shown}\""))
        return ""
    value = " ".join(value.split())
    if key in REQUIRED and key in data and not value:
        errors.append(say("empty_text", NAME, line, key=key, meaning=REQUIRED[key][0]))
    return value


def _date(data: dict, key: str, lines: dict[Where, int], errors: list[Problem]) -> dt.date | None:
    value = data.get(key)
    line = lines.get((0, key), 0)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        errors.append(say("toml_datetime", NAME, line, key=key, example=f"{key} = {value.date().isoformat()}"))
        return None
    if not isinstance(value, dt.date):
        errors.append(say("not_date", NAME, line, key=key))
        return None
    return value


def _round_id(value: str, line: int) -> list[Problem]:
    example = names.suggest(value, "dot-bao-cao-2026")
    if not names.safe_chars(value):
        return [say("round_id_chars", NAME, line, value=value, example=example)]
    if names.reserved(value):
        return [say("round_id_reserved", NAME, line, value=value, example=f"{value}-2026")]
    if len(value) > names.ROUND_ID_LIMIT:
        return [say("round_id_long", NAME, line, length=len(value), limit=names.ROUND_ID_LIMIT)]
    return []


def _dates(dates: dict[str, dt.date | None], lines: dict[Where, int]) -> list[Problem]:
    start, end, deadline = (dates[k] for k in DATE_KEYS)
    found = []
    if start and end and start > end:
        found.append(say("period_order", NAME, lines.get((0, "period_start"), 0), start=f"{start:%d/%m/%Y}",
                         end=f"{end:%d/%m/%Y}", other=lines.get((0, "period_end"), 0)))
    if start and deadline and deadline < start:
        found.append(say("deadline_before", NAME, lines.get((0, "deadline"), 0), deadline=f"{deadline:%d/%m/%Y}",
                         start=f"{start:%d/%m/%Y}"))
    return found


def _headers(raw: Any, lines: dict[Where, int], errors: list[Problem]) -> tuple[Header, ...]:
    if isinstance(raw, dict):
        errors.append(say("headers_not_tables", NAME, lines.get((0, "[headers]"), 0)))
        return ()
    if not isinstance(raw, list):
        errors.append(say("headers_not_tables", NAME, lines.get((0, "headers"), 0)))
        return ()
    headers = []
    for index, table in enumerate(raw, start=1):
        if not isinstance(table, dict):
            errors.append(say("headers_not_tables", NAME, lines.get((0, "headers"), 0)))
            continue
        for key in table:
            if key not in HEADER_KEYS:
                line = lines.get((index, key), 0)
                code = "key_after_table" if key in TOP_KEYS else "unknown_key"
                errors.append(say(code, NAME, line, key=key, hint=_hint(key, HEADER_KEYS)))
        khoi = _lines(table, "khoi", index, lines, errors)
        headers.append(Header(khoi, _lines(table, "left", index, lines, errors),
                              _lines(table, "right", index, lines, errors)))
    return tuple(headers)


def _lines(table: dict, key: str, index: int, lines: dict[Where, int], errors: list[Problem]) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(" ".join(v.split()) if key == "khoi" else v for v in value)
    line = lines.get((index, key), 0)
    if key == "khoi":
        errors.append(say("khoi_not_list", NAME, line, value=value if isinstance(value, str) else "Đảng"))
    else:
        errors.append(say("lines_not_list", NAME, line, key=key))
    return ()


def check_khoi(rf: RoundFile, units: list[Unit]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings): each khối of [[headers]] against the khối column of units.xlsx, and the reverse."""
    used: dict[str, str] = {}
    for u in units:
        if u.khoi:
            used.setdefault(fold(u.khoi), u.khoi)
    known = ", ".join(used.values()) or "chưa có"
    errors, warnings = [], []
    for index, header in enumerate(rf.round.headers, start=1):
        for khoi in header.khoi:
            if fold(khoi) in used:
                continue
            close = difflib.get_close_matches(fold(khoi), list(used), n=1, cutoff=0.6)
            line = rf.line("khoi", index)
            if close:
                errors.append(say("khoi_typo", NAME, line, value=khoi, suggestion=used[close[0]], known=known))
            else:
                warnings.append(say("khoi_unused", NAME, line, severity=WARNING, value=khoi, known=known))
    for folded, khoi in used.items():
        if not rf.round.has_header(khoi):
            codes = ", ".join(u.code for u in units if fold(u.khoi) == folded)
            warnings.append(say("khoi_no_header", NAME, severity=WARNING, khoi=khoi, units=codes))
    return errors, warnings
