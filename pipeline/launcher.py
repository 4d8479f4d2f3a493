"""The double-click launcher `annex init` writes into a workspace: `TongHop.cmd` on Windows (CRLF line endings,
UTF-8 after `chcp 65001`), `TongHop.sh` elsewhere. It runs collect on its own folder with the Python that made the
workspace, keeps its window open with the result, and has collect open the summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CMD_NAME, SH_NAME = "TongHop.cmd", "TongHop.sh"
MISSING = ("Không tìm thấy chương trình annex: Python đã dùng khi tạo thư mục này không còn ở chỗ cũ. Hãy cài lại "
           "chương trình theo hướng dẫn trong README, rồi chạy lệnh annex collect kèm --workspace và thư mục này.")
CLOSE = "Nhấn phím bất kỳ để đóng cửa sổ này."


def cmd_text(python: str) -> str:
    """The Windows batch file; every line before `chcp 65001` is ASCII, the rest is read as UTF-8."""
    lines = [
        "@echo off",
        "chcp 65001 >nul",
        "rem Bấm đúp chuột vào tệp này để kiểm tra các tệp trong inbox và lập bảng tổng hợp của thư mục này.",
        "cd /d \"%~dp0\"",
        f"set \"ANNEX_PY={python}\"",
        "if not exist \"%ANNEX_PY%\" goto no_python",
        "\"%ANNEX_PY%\" -m pipeline collect --workspace \"%~dp0.\" --open",
        "goto done",
        ":no_python",
        "where annex >nul 2>nul",
        "if errorlevel 1 goto no_annex",
        "annex collect --workspace \"%~dp0.\" --open",
        "goto done",
        ":no_annex",
        f"echo {MISSING}",
        ":done",
        "echo.",
        f"echo {CLOSE}",
        "pause >nul",
    ]
    return "\r\n".join(lines) + "\r\n"


def sh_text(python: str) -> str:
    """The POSIX shell script (Linux, macOS)."""
    quoted = "'" + python.replace("'", "'\\''") + "'"
    return "\n".join([
        "#!/bin/sh",
        "# Chạy tệp này (bấm đúp, hoặc gõ ./TongHop.sh) để kiểm tra các tệp trong inbox và lập bảng tổng hợp.",
        "cd \"$(dirname \"$0\")\" || exit 2",
        f"ANNEX_PY={quoted}",
        "if [ -x \"$ANNEX_PY\" ]; then",
        "  \"$ANNEX_PY\" -m pipeline collect --workspace \"$(pwd)\" --open",
        "elif command -v annex >/dev/null 2>&1; then",
        "  annex collect --workspace \"$(pwd)\" --open",
        "else",
        f"  echo '{MISSING}'",
        "  false",
        "fi",
        "code=$?",
        "echo",
        f"echo '{CLOSE}'",
        "read -r _ || true",
        "exit $code",
        "",
    ])


def write_launcher(root: Path, python: str | None = None, windows: bool | None = None) -> Path:
    """Write the launcher of this system (TongHop.cmd on Windows, TongHop.sh elsewhere) into `root`."""
    python = python or sys.executable
    windows = sys.platform == "win32" if windows is None else windows
    if windows:
        path = root / CMD_NAME
        path.write_bytes(cmd_text(python).encode("utf-8"))
        return path
    path = root / SH_NAME
    path.write_bytes(sh_text(python).encode("utf-8"))
    os.chmod(path, 0o755)
    return path
