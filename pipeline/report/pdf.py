"""A PDF of the summary beside the workbook, for leaders who read on a phone, printed by LibreOffice exactly
as the workbook's print design lays it out (A4, titles, page numbers; screen-only sheets left out).

Made only when LibreOffice is installed; any failure leaves the workbook as it is and says so in one
Vietnamese sentence (console, `--json`), never stopping the run. `ANNEX_PDF=0` turns it off (the tests do,
except the ones about it).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from pipeline.messages import sentence

TIMEOUT = 180.0  # seconds: LibreOffice starting cold and printing a city's summary
VIETNAMESE = (0x1A1, 0x1B0, 0x1EBF, 0x1ED9)  # ơ ư ế ộ: a font without them prints Vietnamese without its marks


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def for_print(xlsx: Path, leave_out: tuple[str, ...], folder: Path) -> Path:
    """A copy of `xlsx` in `folder` with the sheets `leave_out` hidden and without print areas (LibreOffice prints
    a hidden sheet that has one); the workbook itself keeps them for the screen."""
    names = {html.escape(n, quote=True) for n in leave_out}
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / xlsx.name
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = _hide(data.decode("utf-8"), names).encode("utf-8")
            dst.writestr(info, data)
    return copy


def _hide(xml: str, names: set[str]) -> str:
    sheets = re.findall(r'<sheet name="([^"]*)"', xml)
    hidden = {str(i) for i, name in enumerate(sheets) if name in names}
    xml = re.sub(r'<sheet name="([^"]*)"', lambda m: f'<sheet state="hidden" name="{m[1]}"' if m[1] in names
                 else m[0], xml)
    return re.sub(r'<definedName name="_xlnm\.Print_(?:Area|Titles)" localSheetId="(\d+)">[^<]*</definedName>',
                  lambda m: "" if m[1] in hidden else m[0], xml)


def summary_pdf(xlsx: Path, leave_out: tuple[str, ...] = ()) -> tuple[Path | None, str]:
    """Print `xlsx` to a PDF beside it, without the sheets `leave_out` (meant for screens). Returns (the PDF or
    None, a note for the clerk when there is none)."""
    if os.environ.get("ANNEX_PDF", "1") == "0":
        return None, ""
    target = xlsx.with_suffix(".pdf")
    made, note = _print(xlsx, leave_out, target)
    if made is None and target.exists():  # an earlier run's PDF beside this run's summary would be read as current
        try:
            target.unlink()
        except OSError:
            note = f"{note} {sentence('pdf_stale', name=target.name)}"
    return made, note


def _print(xlsx: Path, leave_out: tuple[str, ...], target: Path) -> tuple[Path | None, str]:
    program = soffice()
    if program is None:
        return None, sentence("pdf_no_office")
    with tempfile.TemporaryDirectory(prefix="annex-pdf-") as tmp:
        profile = vietnamese_profile(Path(tmp, "profile")).as_uri()
        try:
            source = for_print(xlsx, leave_out, Path(tmp, "print").resolve()) if leave_out else xlsx
            out = Path(tmp, "pdf")
            subprocess.run([program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(out), str(source)], capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError, zipfile.BadZipFile, UnicodeDecodeError):
            made = None
        else:
            made = out / xlsx.with_suffix(".pdf").name
        if made is None or not made.is_file() or made.stat().st_size == 0:
            return None, sentence("pdf_failed", name=xlsx.name)
        try:
            os.replace(made, target)
        except OSError:  # on another file system, or the old PDF open on Windows
            try:
                shutil.copyfile(made, target)
            except OSError:
                return None, sentence("pdf_not_written", name=target.name)
    return target, font_note()


LOCALE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>vi-VN</value>
</prop></item>
</oor:items>
"""


def vietnamese_profile(folder: Path) -> Path:
    """A fresh LibreOffice profile whose locale is Vietnamese, so the PDF shows numbers as the sentences beside them
    do ("5.198,6", "89,8%"), whatever the machine's own locale (en-US printed "5,198.6", read here as five)."""
    (folder / "user").mkdir(parents=True, exist_ok=True)
    (folder / "user" / "registrymodifications.xcu").write_text(LOCALE_XCU, encoding="utf-8")
    return folder


def font_note() -> str:
    """Where fonts come from fontconfig (Linux), the font that stands in for Times New Roman must hold Vietnamese
    letters: LibreOffice prints page headers in it, and with one that lacks them (Nimbus Roman, measured) "TÌNH
    HÌNH NỘP BIỂU" prints as "TINH HINH NỌP BIEU" although the PDF's text is right. Said to the clerk, with the fix
    (the Liberation fonts); "" when the font is fine or fontconfig is not there to ask (Windows has the real one)."""
    if sys.platform == "win32" or not shutil.which("fc-match"):
        return ""
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{charset}", "Times New Roman:bold"], capture_output=True,
                             text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    family, _, charset = out.partition("|")
    return "" if covers(charset, VIETNAMESE) else sentence("pdf_font", font=family.split(",")[0] or "?")


def covers(charset: str, codes: tuple[int, ...]) -> bool:
    """Whether a fontconfig charset ("20-7e a0-17f 1ea0-1ef9 …") holds every code point of `codes`."""
    ranges = []
    for token in charset.split():
        first, _, last = token.partition("-")
        try:
            ranges.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            return True  # not a charset as fontconfig prints it: nothing to say
    return all(any(a <= code <= b for a, b in ranges) for code in codes)
