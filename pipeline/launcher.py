"""The double-click launchers `annex init` writes into a workspace, one per thing a clerk does: `TongHop`
runs collect once (and opens the summary), `TheoDoi` runs `collect --watch` (the summary made again whenever the
inbox changes, until Ctrl+C), `BaoCao` runs `annex report` (the commune's Word draft and each accepted unit's).
`.cmd` on Windows (CRLF line endings, UTF-8 after `chcp 65001`), `.sh` elsewhere; each runs the command on its own
folder with the Python that made the workspace and keeps its window open with the result."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Launcher:
    stem: str
    arguments: str  # after `-m pipeline` / `annex`, before `--workspace`
    options: str  # after the workspace
    note: str  # the comment at its top: what double-clicking it does


COLLECT = Launcher("TongHop", "collect", "--open", "Bấm đúp chuột vào tệp này để kiểm tra các tệp trong inbox và lập "
                   "bảng tổng hợp của thư mục này.")
WATCH = Launcher("TheoDoi", "collect", "--open --watch", "Bấm đúp chuột vào tệp này để chương trình theo dõi inbox: "
                 "mỗi khi có tệp mới, tự kiểm tra và lập lại bảng tổng hợp. Bấm Ctrl+C trong cửa sổ để dừng.")
REPORT = Launcher("BaoCao", "report", "", "Bấm đúp chuột vào tệp này để lập dự thảo báo cáo lời (Word) của xã và "
                  "của từng đơn vị có biểu đã được tiếp nhận, từ số liệu trong inbox.")
LAUNCHERS = (COLLECT, WATCH, REPORT)
CMD_NAME, SH_NAME = "TongHop.cmd", "TongHop.sh"
WATCH_CMD_NAME, WATCH_SH_NAME = "TheoDoi.cmd", "TheoDoi.sh"
REPORT_CMD_NAME, REPORT_SH_NAME = "BaoCao.cmd", "BaoCao.sh"

MISSING = ("Không tìm thấy chương trình annex: Python đã dùng khi tạo thư mục này không còn ở chỗ cũ. Hãy cài lại "
           "chương trình theo hướng dẫn trong README, rồi chạy lệnh annex {command} kèm --workspace và thư mục này.")
CLOSE = "Nhấn phím bất kỳ để đóng cửa sổ này."


def cmd_text(python: str, launcher: Launcher = COLLECT) -> str:
    """The Windows batch file; every line before `chcp 65001` is ASCII, the rest is read as UTF-8."""
    command = f"{launcher.arguments} --workspace \"%~dp0.\" {launcher.options}".rstrip()
    lines = [
        "@echo off",
        "chcp 65001 >nul",
        "rem " + launcher.note,
        "cd /d \"%~dp0\"",
        f"set \"ANNEX_PY={python}\"",
        "if not exist \"%ANNEX_PY%\" goto no_python",
        f"\"%ANNEX_PY%\" -m pipeline {command}",
        "goto done",
        ":no_python",
        "where annex >nul 2>nul",
        "if errorlevel 1 goto no_annex",
        f"annex {command}",
        "goto done",
        ":no_annex",
        f"echo {MISSING.format(command=launcher.arguments)}",
        ":done",
        "echo.",
        f"echo {CLOSE}",
        "pause >nul",
    ]
    return "\r\n".join(lines) + "\r\n"


def sh_text(python: str, launcher: Launcher = COLLECT) -> str:
    """The POSIX shell script (Linux, macOS)."""
    quoted = "'" + python.replace("'", "'\\''") + "'"
    command = f"{launcher.arguments} --workspace \"$(pwd)\" {launcher.options}".rstrip()
    return "\n".join([
        "#!/bin/sh",
        "# " + launcher.note.replace("Bấm đúp chuột vào tệp này", f"Chạy tệp này (bấm đúp, hoặc ./{launcher.stem}.sh)"),
        "cd \"$(dirname \"$0\")\" || exit 2",
        f"ANNEX_PY={quoted}",
        "if [ -x \"$ANNEX_PY\" ]; then",
        f"  \"$ANNEX_PY\" -m pipeline {command}",
        "elif command -v annex >/dev/null 2>&1; then",
        f"  annex {command}",
        "else",
        f"  echo '{MISSING.format(command=launcher.arguments)}'",
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
    """Write the launchers of this system (TongHop, TheoDoi and BaoCao, as .cmd on Windows, .sh elsewhere) into
    `root`; returns the collect-once one."""
    python = python or sys.executable
    windows = sys.platform == "win32" if windows is None else windows
    for launcher in LAUNCHERS:
        path = root / f"{launcher.stem}{'.cmd' if windows else '.sh'}"
        path.write_bytes((cmd_text if windows else sh_text)(python, launcher).encode("utf-8"))
        if not windows:
            os.chmod(path, 0o755)
    return root / (CMD_NAME if windows else SH_NAME)
