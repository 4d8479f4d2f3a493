"""round.toml's syntax mistakes explained: the parser's English message becomes a Vietnamese sentence naming the
line and showing the corrected line, found from the line's own text (what a clerk typed in Notepad)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

from pipeline.messages import Problem, say

DATE_KEYS = ("period_start", "period_end", "deadline")
TEXT_KEYS = ("round_id", "title", "commune", "place", "parent", "contact")
CURLY = "“”‘’„‟″"
_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](.*))?$")


def position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[str, int]:
    """(the parser's message without its position, the line it names)."""
    message = str(exc)
    found = _AT.search(message)
    if found:
        return message[:found.start()].strip(), int(found.group(1))
    return message.split(" (at ")[0].strip(), max(1, len(text.splitlines()))


def split_line(line: str) -> tuple[str | None, str]:
    """(key, value text) of a `key = value` line, the key None when the line has no '='."""
    if "=" not in line:
        return None, line.strip()
    key, _, value = line.partition("=")
    return key.strip(), value.strip()


def diagnose(exc: tomllib.TOMLDecodeError, text: str, file: str) -> Problem:
    """One Vietnamese sentence for a TOML syntax error, from the line the parser names (or the line above it)."""
    message, number = position(exc, text)
    lines = text.splitlines()
    if message.startswith("Unclosed array"):
        number = _unclosed_list(lines, number)
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    key, value = split_line(line)
    if any(q in line for q in CURLY):
        return say("toml_curly", file, number, example=f"{key or 'title'} = \"{_strip_quotes(value)}\"")
    if message.startswith("Cannot declare") and line.strip().startswith("["):
        return say("toml_table_twice", file, number, key=line.strip().strip("[]").strip())
    if message.startswith(("Cannot overwrite", "Cannot declare", "Cannot mutate", "Duplicate")) and key:
        first = next((i for i, text in enumerate(lines, 1) if split_line(text)[0] == key and i != number), 0)
        return say("toml_duplicate", file, number, key=key, first=first or number)
    if key is None:
        if line.strip().startswith("["):
            return say("toml_generic", file, number)
        return say("toml_no_equals", file, number)
    if not _BARE_KEY.match(key):
        return say("toml_key_name", file, number, key=key)
    return _value(message, key, value, file, number)


def _value(message: str, key: str, value: str, file: str, number: int) -> Problem:
    if key in DATE_KEYS:
        return _date(key, value, file, number)
    if "Unescaped '\\'" in message:
        return say("toml_backslash", file, number)
    if message.startswith("Unclosed array") or value.startswith("["):
        return say("toml_unclosed_list", file, number)
    if value.startswith('"'):
        closing = _closing_quote(value)
        if closing < 0:
            return say("toml_unterminated", file, number, example=f"{key} = {value}\"")
        rest = value[closing + 1:].strip()
        if rest:
            return say("toml_trailing", file, number, key=key, rest=rest)
    if key in TEXT_KEYS or (value and not value[0].isdigit() and value[0] not in "\"'[{tf+-"):
        return say("toml_unquoted", file, number, key=key, example=f"{key} = \"{_strip_quotes(value)}\"")
    return say("toml_generic", file, number)


def _date(key: str, value: str, file: str, number: int) -> Problem:
    bare = _strip_quotes(value.split("#")[0].strip())
    found = _DMY.match(bare)
    if found:
        day, month, year = (int(g) for g in found.groups())
        return _date_example(key, year, month, day, file, number)
    found = _YMD.match(bare)
    if found:
        year, month, day = (int(g) for g in found.groups()[:3])
        if found.group(4):
            example = _iso(year, month, day)
            if example:
                return say("toml_datetime", file, number, key=key, example=f"{key} = {example}")
        return _date_example(key, year, month, day, file, number)
    return say("toml_date", file, number, key=key, example=f"{key} = 2026-05-15")


def _date_example(key: str, year: int, month: int, day: int, file: str, number: int) -> Problem:
    example = _iso(year, month, day)
    if example is None:
        return say("toml_no_such_date", file, number, key=key, value=f"{day:02d}/{month:02d}/{year}")
    return say("toml_date", file, number, key=key, example=f"{key} = {example}")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _closing_quote(value: str) -> int:
    """Index of the quote closing a basic string that starts at value[0], or -1."""
    i = 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == '"':
            return i
        i += 1
    return -1


def _strip_quotes(value: str) -> str:
    return value.strip().strip("\"'" + CURLY).strip()


def _unclosed_list(lines: list[str], number: int) -> int:
    """The line that opened the list the parser found unclosed (it names the line after)."""
    for i in range(min(number, len(lines)), 0, -1):
        _, value = split_line(lines[i - 1])
        if value.startswith("[") and "]" not in value:
            return i
    return number
