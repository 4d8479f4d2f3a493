"""A PDF of the summary beside the workbook, for leaders who read on a phone, printed by LibreOffice exactly
as the workbook's print design lays it out (A4, titles, page numbers; screen-only sheets left out).

Made only when LibreOffice is installed; any failure leaves the workbook as it is and says so in one
Vietnamese sentence (console, `--json`), never stopping the run. `ANNEX_PDF=0` turns it off (the tests do,
except the ones about it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 180.0  # seconds: LibreOffice starting cold and printing a city's summary


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def summary_pdf(xlsx: Path) -> tuple[Path | None, str]:
    """Print `xlsx` to a PDF beside it. Returns (the PDF or None, a note for the clerk when there is none)."""
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
            subprocess.run([program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", tmp, str(xlsx)], capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            made = None
        else:
            made = Path(tmp, xlsx.with_suffix(".pdf").name)
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
