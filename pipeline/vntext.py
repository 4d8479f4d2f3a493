"""Vietnamese text: normalisation for matching, and a collation key (Đ after D, not after Z)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal

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


def _vietnamese_letters() -> frozenset[str]:
    letters = set("đĐ")
    for base in "aăâeêioôơuưy":
        for tone in ("", *_TONES):
            ch = unicodedata.normalize("NFC", base + tone)
            letters |= {ch, ch.upper()}
    return frozenset(letters)


VIETNAMESE = _vietnamese_letters()
_TYPOGRAPHY = set("–—“”‘’…°²³×÷€«»")
LEGACY = {"tcvn3": "TCVN3 (ABC, phông .VnTime)", "vni": "VNI-Windows (phông VNI-Times)"}


def _foreign(text: str) -> bool:
    """Characters that Unicode Vietnamese never uses: the mark of text typed with a legacy font."""
    return any(not ch.isascii() and ch not in VIETNAMESE and ch not in _TYPOGRAPHY for ch in text)


_NUCLEI_TEXT = ("a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ uy "
                "ưa ưi ưu ươ yê iêu oai oay oeo uây uôi ươi ươu uyê uya yêu uyu")
_NUCLEI = frozenset(_NUCLEI_TEXT.split())
_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?(" + "|".join(
    sorted(_NUCLEI, key=len, reverse=True)) + r")(ch|ng|nh|[cmnpt])?$")


@functools.lru_cache(maxsize=8192)
def _syllable(word: str) -> bool:
    """A Vietnamese syllable: onset, vowel nucleus, coda, and at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    if sum(1 for ch in decomposed if ch in _TONES) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return bool(_SYLLABLE.match(bare))


def _plausible(text: str) -> bool:
    """Vietnamese letters only, and every word with a diacritic a well-formed syllable."""
    if _foreign(text):
        return False
    words = "".join(ch if ch.isalpha() else " " for ch in text).split()
    return all(word.isascii() or _syllable(word) for word in words)


@functools.lru_cache(maxsize=8192)
def from_legacy(text: str) -> tuple[str, str] | None:
    """(encoding, Unicode text) when `text` is unambiguously TCVN3 or VNI typed with a legacy font.
    Cached: the same names and list values come back in every file of a run."""
    if text.isascii() or (not _foreign(text) and _plausible(text)):
        return None
    import viparse  # converts with the encoding we name; detection is ours (whole cell, both candidates)

    found = []
    for encoding in LEGACY:
        converted = clean(viparse.fix(text, encoding=encoding))
        if converted != clean(text) and _plausible(converted):
            found.append((encoding, converted))
    return found[0] if len(found) == 1 else None


def fmt_number(value: float) -> str:
    """Vietnamese number text: 1.234.567 and 48,6."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    if "." not in text:  # a fraction four decimals cannot show (10,0000001): every digit the number has
        text = f"{Decimal(repr(float(value))):,f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_value(value: object) -> str:
    """A value as a Vietnamese reader reads it: numbers as 1.266,5 (never 1.266 for one and a quarter), a duration
    as Excel shows it in hours ([h]:mm: 240:00, never Python's "10 days, 0:00:00")."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt_number(value)
    if isinstance(value, dt.timedelta):
        seconds = round(abs(value.total_seconds()))
        hours, rest = divmod(seconds, 3600)
        text = f"{hours}:{rest // 60:02d}" + (f":{rest % 60:02d}" if rest % 60 else "")
        return ("-" if value.total_seconds() < 0 else "") + text
    return str(value)
