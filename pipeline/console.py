"""The console on every system: output that never crashes on a code page, and what is opened for the clerk.

On Windows, output redirected to a file or a pipe is encoded in the ANSI code page (cp1252, cp1258…), where most
Vietnamese letters do not exist, and Python raises UnicodeEncodeError. `setup` is called first thing by the entry
point: redirected output becomes UTF-8; a console (or an explicit PYTHONIOENCODING) keeps its encoding but
degrades instead of failing: a letter the code page lacks is written with its marks as combining characters
(Windows-1258 has them), or without the marks it cannot show ("Đã nhận" → "Da nhan"), never as an exception.
`--json` is always UTF-8 bytes.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import TextIO

HANDLER = "annex-vietnamese"
_PLAIN = {"Đ": "D", "đ": "d", "–": "-", "—": "-", "“": "\"", "”": "\"", "‘": "'", "’": "'", "…": "...", "→": "->",
          "←": "<-", "✓": "v", "✗": "x", "×": "x", "≤": "<=", "≥": ">=", "≠": "!=", "•": "*", "²": "2"}


def handler(encoding: str) -> str:
    """The name of an error handler that degrades text for `encoding` (registered on first use). The encoding must
    be known beforehand: a charmap codec reports itself to its error handler as 'charmap', not as 'cp1258'."""
    name = f"{HANDLER}-{codecs.lookup(encoding).name}"
    try:
        codecs.lookup_error(name)
    except LookupError:
        codecs.register_error(name, functools.partial(_degrade, codecs.lookup(encoding).name))
    return name


def _degrade(encoding: str, error: UnicodeError) -> tuple[str, int]:
    """What a code page gets for characters it cannot encode: the closest text it can."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_closest(ch, encoding) for ch in error.object[error.start:error.end]), error.end


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def _closest(ch: str, encoding: str) -> str:
    """Windows-1258 writes a toned letter as letter + combining tone ("ê" + U+0323); other code pages get the
    letter without the tone ("ê" in cp1252), a plain stand-in ("Đ" → "D") or the bare letter."""
    decomposed = unicodedata.normalize("NFD", ch)
    letter = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    tones = "".join(c for c in decomposed if c in _TONES)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    for candidate in (letter + tones, letter, _PLAIN.get(ch, ""), _PLAIN.get(letter, ""), bare):
        if candidate and candidate != ch:
            try:
                candidate.encode(encoding)
            except UnicodeEncodeError:
                continue
            return candidate
    return "?"


def _is_utf8(stream: TextIO) -> bool:
    return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"


def setup(streams: tuple[TextIO, ...] | None = None, environ: dict[str, str] | None = None) -> None:
    """Make stdout and stderr safe for Vietnamese (call before anything is printed)."""
    env = os.environ if environ is None else environ
    explicit = bool(env.get("PYTHONIOENCODING"))
    for stream in streams or (sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        with contextlib.suppress(OSError, ValueError, AttributeError):
            interactive = stream.isatty()
            if not interactive and not explicit:
                stream.reconfigure(encoding="utf-8", errors="replace")
            elif not _is_utf8(stream):
                stream.reconfigure(errors=handler(stream.encoding))


def write_json(text: str) -> None:
    """JSON is UTF-8 whatever the console: written as bytes when the stream has a byte layer."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(text + "\n")
        return
    out.flush()
    buffer.write((text + "\n").encode("utf-8"))
    buffer.flush()


def open_file(path: Path) -> bool:
    """Open a file with the program the system associates with it (Excel for .xlsx); False when none can."""
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]  # Windows only
            return True
        opener = "open" if sys.platform == "darwin" else shutil.which("xdg-open")
        if not opener:
            return False
        subprocess.Popen([opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        return True
    except OSError:
        return False
