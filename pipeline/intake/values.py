"""Turn what offices actually type into typed values, reporting every reinterpretation.

`coerce(raw, column)` returns the typed value (None for blank) and, at most, one issue code with its
fields: an info for a value read in another form ("1.234" → 1234), an error for one that cannot be read.
Bounds, categories and rules are checked later by the validator, on the typed values.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from pipeline.spec.annex import Column
from pipeline.vntext import LEGACY, clean, fmt_number, fold, from_legacy

DASHES = {"-", "–", "—", "_", "--"}
_VN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234 / 1.234.567 / 1.234,5
_VN_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")  # 12,5
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")  # 1234 / 12.5
_SPACED = re.compile(r"^[+-]?\d{1,3}( \d{3})+(,\d+)?$")  # 1 234
_EN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234 (ambiguous in Vietnam)
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Day numbers of 2020-01-01 … 2030-12-31: a count above its bound in this range is most likely a date typed
# into a number cell (LibreOffice keeps the cell's number format, so 1/7/2025 arrives as 45839).
DATE_LIKE = (43831, 47848)
_NUMBER_WORDS = re.compile(r"^([+-]?[\d.,  ]*\d)\s*([^\d\s].*)$")


@dataclass(frozen=True)
class Note:
    """An issue to report for one cell: catalogue code and message fields."""

    code: str
    fields: dict[str, str]


def parse_number_text(text: str) -> tuple[float | None, bool]:
    """A number typed as text -> (value, ambiguous). Vietnamese separators win: '.' groups, ',' decimals."""
    t = text.replace("\u00a0", " ").strip()
    if _EN_THOUSANDS.match(t):  # "1,234": a thousands comma (en-US) or a decimal comma? Ask, do not guess.
        return None, True
    if _VN_THOUSANDS.match(t) or _VN_DECIMAL.match(t):  # before plain: "2.642" is 2642 in Vietnam
        return float(t.replace(".", "").replace(",", ".")), False
    if _PLAIN.match(t):
        return float(t), False
    if _SPACED.match(t):
        return float(t.replace(" ", "").replace(",", ".")), False
    return None, False


def coerce(raw: object, col: Column, unit: str = "") -> tuple[object | None, Note | None]:
    """A raw cell value typed for its column, and the note to report when it was read in another form than
    typed. `unit` is the unit of measure of the column (a number typed with it, "3 người", is that number)."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, float) and math.isnan(raw):
        return None, None
    if col.numeric:
        return _number(raw, col, col.unit or unit)
    if col.type == "date":
        return _date(raw, col)
    return _text(raw, col)


def _number(raw: object, col: Column, unit: str = "") -> tuple[float | None, Note | None]:
    note = None
    if isinstance(raw, (bool, dt.date | dt.datetime | dt.time | dt.timedelta)):
        return None, Note("not_number", {"label": col.label})
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = clean(str(raw))
        if text in DASHES:
            if col.blank_as_zero:
                return 0.0, Note("blank_zero", {})
            return None, Note("not_number", {"label": col.label})
        parsed, ambiguous = parse_number_text(text)
        if parsed is None and (split := _with_unit(text, unit)):
            parsed, ambiguous = parse_number_text(split[0])
            if parsed is not None:
                note = Note("number_with_unit", {"expected": fmt_number(parsed), "detail": split[1]})
        if parsed is None:
            extra = " (không rõ dấu phẩy là phân cách hàng nghìn hay thập phân)" if ambiguous else ""
            return None, Note("not_number", {"label": col.label + extra})
        value = parsed
        note = note or Note("number_text", {"expected": fmt_number(value)})
    if not math.isfinite(value):
        return None, Note("not_number", {"label": col.label})
    if col.type == "int" and not value.is_integer():
        shown = float(f"{value:.15g}")  # what Excel shows and compares: fifteen significant digits
        if not shown.is_integer():
            return None, Note("not_integer", {"label": col.label})
        value = shown  # 10.000000000000002, a sum pasted as a value: Excel shows 10, and its checks pass it
    if col.type == "int" and note is None and col.max is not None and value > col.max \
            and DATE_LIKE[0] <= value <= DATE_LIKE[1]:  # above its bound, and a day number: say what it likely is
        day = EXCEL_EPOCH + dt.timedelta(days=int(value))
        return value, Note("number_like_date", {"label": col.label, "expected": day.strftime("%d/%m/%Y")})
    return value, note


def _with_unit(text: str, unit: str) -> tuple[str, str] | None:
    """("3", "người") from "3 người" when the words after the number are the column's unit of measure."""
    m = _NUMBER_WORDS.match(text)
    if m and unit and fold(m[2]) == fold(unit):
        return m[1], m[2]
    return None


def _date(raw: object, col: Column) -> tuple[dt.date | None, Note | None]:
    if isinstance(raw, dt.datetime):  # a date is its day: the rules drop the time of day too (INT in Excel)
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 1 <= raw < 150000:  # a day serial left as a number (with a time of day: its day, as INT gives)
            return EXCEL_EPOCH + dt.timedelta(days=math.floor(raw)), None
        return None, Note("not_date", {"label": col.label})
    text = clean(str(raw))
    m = _DATE.match(text)
    try:
        if m:  # day first, always (a PC set to en-US swaps day and month)
            value = dt.date(int(m[3]), int(m[2]), int(m[1]))
        elif (m := _ISO.match(text)):
            value = dt.date(int(m[1]), int(m[2]), int(m[3]))
        else:
            return None, Note("not_date", {"label": col.label})
    except ValueError:
        return None, Note("not_date", {"label": col.label})
    return value, Note("date_text", {"expected": value.strftime("%d/%m/%Y")})


def _text(raw: object, col: Column) -> tuple[str | None, Note | None]:
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime | dt.date):
        text = raw.strftime("%d/%m/%Y")
    else:
        text = str(raw)
    value = clean(text)
    if not value:
        return None, None
    note = Note("text_normalized", {}) if value != text.strip() else None
    legacy = from_legacy(value)
    if legacy is not None:
        value = legacy[1]
        note = Note("legacy_font", {"detail": LEGACY[legacy[0]], "expected": value})
    if col.type == "category":
        if value in col.categories:
            return value, note
        folded = fold(value)
        match = next((c for c in col.categories if fold(c) == folded), None)
        if match is not None:
            return match, Note("category_matched", {"expected": match})
    return value, note
