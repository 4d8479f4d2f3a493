"""Vietnamese text: normalisation for matching, and a collation key (Đ after D, not after Z)."""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_ORDER = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tone marks (combining) in the Vietnamese dictionary order: none, grave, hook, tilde, acute, dot below.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Letter-forming marks stay with the letter: breve, circumflex, horn.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def clean(text: str) -> str:
    """NFC, with runs of white space (including non-breaking) folded to one space and ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """The matching form: NFC + white space folding + casefold."""
    return clean(text).casefold()


def _letters(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for ch in unicodedata.normalize("NFC", text.casefold()):
        parts = unicodedata.normalize("NFD", ch)
        base = parts[0]
        tone = 0
        for mark in parts[1:]:
            if mark in _LETTER_MARKS:
                base = unicodedata.normalize("NFC", base + mark)
            else:
                tone = _TONES.get(mark, tone)
        out.append((base, tone))
    return out


def sort_key(text: str) -> tuple:
    """Sort Vietnamese names as a dictionary does: letters first, tones only to break ties."""
    letters = _letters(clean(text))
    primary = tuple((_ORDER.get(b, 100 + ord(b[0])) if b else 0) for b, _ in letters)
    return primary, tuple(t for _, t in letters)
