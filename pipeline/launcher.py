"""The double-click launchers `annex init` writes into a workspace: `TongHop.cmd` on Windows (CRLF line endings,
UTF-8 after `chcp 65001`), `TongHop.sh` elsewhere. It runs collect on its own folder with the Python that made the
workspace, keeps its window open with the result, and has collect open the summary. Beside it, `TheoDoi.cmd` /
`TheoDoi.sh` runs `collect --watch`: the window stays open and the summary is made again whenever the inbox changes,
until Ctrl+C."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CMD_NAME, SH_NAME = "TongHop.cmd", "TongHop.sh"
WATCH_CMD_NAME, WATCH_SH_NAME = "TheoDoi.cmd", "TheoDoi.sh"
WATCH_NOTE = ("Bấm đúp chuột vào tệp này để chương trình theo dõi inbox: mỗi khi có tệp mới, tự kiểm tra và lập lại "
              "bảng tổng hợp. Bấm Ctrl+C trong cửa sổ để dừng.")
MISSING = ("Không tìm thấy chương trình annex: Python đã dùng khi tạo thư mục này không còn ở chỗ cũ. Hãy cài lại "
           "chương trình theo hướng dẫn trong README, rồi chạy lệnh annex collect kèm --workspace và thư mục này.")
CLOSE = "Nhấn phím bất kỳ để đóng cửa sổ này."


def cmd_text(python: str, watch: bool = False) -> str:
    """The Windows batch file; every line before `chcp 65001` is ASCII, the rest is read as UTF-8."""
    options = "--open --watch" if watch else "--open"
    lines = [
        "@echo off",
        "chcp 65001 >nul",
        "rem " + (WATCH_NOTE if watch else "Bấm đúp chuột vào tệp này để kiểm tra các tệp trong inbox và lập bảng "
                  "tổng hợp của thư mục này."),
        "cd /d \"%~dp0\"",
        f"set \"ANNEX_PY={python}\"",
        "if not exist \"%ANNEX_PY%\" goto no_python",
        f"\"%ANNEX_PY%\" -m pipeline collect --workspace \"%~dp0.\" {options}",
        "goto done",
        ":no_python",
        "where annex >nul 2>nul",
        "if errorlevel 1 goto no_annex",
        f"annex collect --workspace \"%~dp0.\" {options}",
        "goto done",
        ":no_annex",
        f"echo {MISSING}",
        ":done",
        "echo.",
        f"echo {CLOSE}",
        "pause >nul",
    ]
    return "\r\n".join(lines) + "\r\n"


def sh_text(python: str, watch: bool = False) -> str:
    """The POSIX shell script (Linux, macOS)."""
    quoted = "'" + python.replace("'", "'\\''") + "'"
    options = "--open --watch" if watch else "--open"
    return "\n".join([
        "#!/bin/sh",
        "# " + (WATCH_NOTE if watch else "Chạy tệp này (bấm đúp, hoặc gõ ./TongHop.sh) để kiểm tra các tệp trong "
                "inbox và lập bảng tổng hợp."),
        "cd \"$(dirname \"$0\")\" || exit 2",
        f"ANNEX_PY={quoted}",
        "if [ -x \"$ANNEX_PY\" ]; then",
        f"  \"$ANNEX_PY\" -m pipeline collect --workspace \"$(pwd)\" {options}",
        "elif command -v annex >/dev/null 2>&1; then",
        f"  annex collect --workspace \"$(pwd)\" {options}",
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
    """Write the launchers of this system (TongHop.cmd and TheoDoi.cmd on Windows, TongHop.sh and TheoDoi.sh
    elsewhere) into `root`; returns the collect-once one."""
    python = python or sys.executable
    windows = sys.platform == "win32" if windows is None else windows
    if windows:
        (root / WATCH_CMD_NAME).write_bytes(cmd_text(python, watch=True).encode("utf-8"))
        path = root / CMD_NAME
        path.write_bytes(cmd_text(python).encode("utf-8"))
        return path
    for name, watch in ((WATCH_SH_NAME, True), (SH_NAME, False)):
        (root / name).write_bytes(sh_text(python, watch).encode("utf-8"))
        os.chmod(root / name, 0o755)
    return root / SH_NAME
