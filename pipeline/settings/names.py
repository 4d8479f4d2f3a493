"""Names that become file names (unit codes, round_id) must be names every Windows can hold."""

from __future__ import annotations

import re
import unicodedata

RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})
_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
CODE_LIMIT = 40
ROUND_ID_LIMIT = 60


def reserved(name: str) -> bool:
    """CON, nul, COM1… (with or without an extension) name devices on Windows, never files."""
    return name.split(".")[0].strip().upper() in RESERVED


def safe_chars(name: str) -> bool:
    """ASCII letters, digits, '-' and '_' only: no spaces, diacritics, or any of <>:"/\\|?*."""
    return bool(_SAFE.match(name))


def suggest(name: str, fallback: str) -> str:
    """A safe name close to `name`: diacritics dropped, every other character a '-'."""
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = re.sub(r"[^A-Za-z0-9_-]+", "-", plain).strip("-")
    if not plain or reserved(plain):
        plain = f"{plain}-1" if plain else fallback
    return plain
