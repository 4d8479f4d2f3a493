"""A text file as Notepad on Windows may have saved it: UTF-8 with or without a BOM, UTF-16 ("Unicode"), or the
Windows code page ("ANSI", Windows-1258 on a Vietnamese Windows). The text comes back composed (NFC)."""

from __future__ import annotations

import codecs
import unicodedata

UTF8, UTF16, LEGACY = "utf-8", "utf-16", "cp1258"


class Undecodable(ValueError):
    """Bytes that are none of the encodings Notepad writes."""


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding it was read with). Raises Undecodable."""
    text, how = _decode(raw)
    return unicodedata.normalize("NFC", text), how


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), UTF16
        except UnicodeDecodeError as exc:
            raise Undecodable(str(exc)) from None
    elif len(raw) >= 4 and raw.count(0) * 3 >= len(raw):  # UTF-16 without its byte order mark
        little = raw[1::2].count(0) > raw[0::2].count(0)
        try:
            return raw.decode("utf-16-le" if little else "utf-16-be"), UTF16
        except UnicodeDecodeError as exc:
            raise Undecodable(str(exc)) from None
    try:
        return raw.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(LEGACY), LEGACY
    except UnicodeDecodeError as exc:
        raise Undecodable(str(exc)) from None
