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
import tempfile
import zipfile
from pathlib import Path

TIMEOUT = 180.0  # seconds: LibreOffice starting cold and printing a city's summary


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
    program = soffice()
    target = xlsx.with_suffix(".pdf")
    if program is None:
        return None, ("Chưa tạo bản PDF của bảng tổng hợp vì máy chưa cài LibreOffice (phần mềm miễn phí); "
                      "cài LibreOffice rồi chạy lại lệnh để có bản PDF đọc trên điện thoại.")
    with tempfile.TemporaryDirectory(prefix="annex-pdf-") as tmp:
        profile = Path(tmp, "profile").as_uri()
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
            return None, (f"Không tạo được bản PDF của bảng tổng hợp bằng LibreOffice; bảng tổng hợp {xlsx.name} "
                          "vẫn dùng bình thường.")
        try:
            os.replace(made, target)
        except OSError:  # on another file system, or the old PDF open on Windows
            try:
                shutil.copyfile(made, target)
            except OSError:
                return None, f"Không ghi được tệp {target.name} (có thể đang được mở); hãy đóng tệp rồi chạy lại."
    return target, ""
