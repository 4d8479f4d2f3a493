"""The double-click launcher `annex init` writes, and the README's quick start as written.

The shell launcher runs end to end here (from another folder, as a double-click does, with a stand-in for the
program that opens the summary); the Windows one is checked for its content and its CRLF line endings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.launcher import (
    CMD_NAME,
    REPORT_CMD_NAME,
    REPORT_SH_NAME,
    SH_NAME,
    WATCH_CMD_NAME,
    WATCH_SH_NAME,
    cmd_text,
    write_launcher,
)
from pipeline.messages import TEXTS, sentence

from .conftest import REPO
from .helpers import drop, payload

sys.path.insert(0, str(REPO))
import quickstart


def test_init_writes_the_launcher_of_this_system(tmp_path):
    out = CliRunner().invoke(main, ["init", str(tmp_path / "Đợt 2")])
    assert out.exit_code == 0
    launcher = tmp_path / "Đợt 2" / SH_NAME
    assert launcher.is_file() and os.access(launcher, os.X_OK) and not (tmp_path / "Đợt 2" / CMD_NAME).exists()
    assert f"bấm đúp tệp {SH_NAME}" in out.output and f"bấm đúp tệp {WATCH_SH_NAME}" in out.output
    assert os.access(tmp_path / "Đợt 2" / WATCH_SH_NAME, os.X_OK) and os.access(tmp_path / "Đợt 2" / REPORT_SH_NAME,
                                                                                 os.X_OK)
    assert f"bấm đúp tệp {REPORT_SH_NAME}" in out.output
    assert f"annex templates --workspace \"{tmp_path / 'Đợt 2'}\"" in out.output  # quoted, ready to copy


def test_the_shell_launcher_collects_keeps_the_result_and_opens_the_summary(ready, stock, tmp_path):
    ws = ready
    launcher = write_launcher(ws.root, sys.executable, windows=False)
    drop(ws, "2026-05-12/PKT.xlsx", "PKT", payload(ws, "PKT"))
    stub = tmp_path / "bin"
    stub.mkdir()
    opened = tmp_path / "opened.txt"
    (stub / "xdg-open").write_text(f"#!/bin/sh\necho \"$1\" > '{opened}'\n", encoding="utf-8")
    (stub / "xdg-open").chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["sh", str(launcher)], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=300)
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode("utf-8")
    assert "2026-05-12/PKT.xlsx" in out and "tiếp nhận" in out and "Bảng tổng hợp:" in out
    assert "Nhấn phím bất kỳ để đóng cửa sổ này." in out  # the window waits for the clerk
    summary = ws.outbox / "TongHop_phuctho-soket-2026.xlsx"
    for _ in range(50):
        if opened.exists():
            break
        import time
        time.sleep(0.1)
    assert summary.is_file() and opened.read_text(encoding="utf-8").strip() == str(summary)


def test_the_windows_launcher_is_a_batch_file_with_crlf_line_endings(tmp_path):
    python = r"C:\Users\Nguyễn Văn A\Tải về\annex (1)\.venv\Scripts\python.exe"
    text = cmd_text(python)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert lines[:2] == ["@echo off", "chcp 65001 >nul"]  # ASCII until the code page is UTF-8
    assert all(line.isascii() for line in lines[:2])
    assert f"set \"ANNEX_PY={python}\"" in lines
    assert "\"%ANNEX_PY%\" -m pipeline collect --workspace \"%~dp0.\" --open" in lines
    assert "cd /d \"%~dp0\"" in lines and lines[-1] == "pause >nul"
    assert not any(line.rstrip().endswith(("(", ")")) for line in lines)  # no blocks a "(x86)" path could break
    assert any(line.startswith("echo ") and "Nhấn phím bất kỳ" in line for line in lines)
    path = write_launcher(tmp_path, python, windows=True)
    raw = path.read_bytes()
    assert path.name == CMD_NAME and not raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8") == text


def _blocks(section: str) -> list[list[str]]:
    return [[line for line in block.splitlines() if line.strip()]
            for block in re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S)]


def test_the_quick_start_is_two_commands_per_system_and_ci_runs_it_as_written():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Bắt đầu nhanh")[1].split("\n## ")[0]
    windows, posix = _blocks(quick)
    assert windows == ["py quickstart.py demo", "py quickstart.py test"]  # PowerShell and cmd alike: no &&
    assert posix == ["python3 quickstart.py demo", "python3 quickstart.py test"]
    assert "Add python.exe to PATH" in quick and "python.org" in quick and "py -m venv .venv" in quick
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert posix[1] in ci


def test_quickstart_sets_up_and_runs_on_both_systems():
    assert quickstart.plan("demo", windows=True, python="py") == [
        ["py", "-m", "venv", ".venv"],
        [r".venv\Scripts\python.exe", "-m", "pip", "install", "-q", "."],
        [r".venv\Scripts\annex.exe", "demo"],
    ] or os.sep == "/"  # os.path.join spells Windows paths only on Windows
    linux = quickstart.plan("test", windows=False, python="python3")
    assert linux == [["python3", "-m", "venv", ".venv"], [".venv/bin/python", "-m", "pip", "install", "-q", ".[test]"],
                     [".venv/bin/python", "-m", "pytest", "-n", "auto"]]
    assert quickstart.plan("demo", windows=False, have_venv=True)[-1] == [".venv/bin/annex", "demo"]
    done = subprocess.run([sys.executable, str(REPO / "quickstart.py"), "khong-co"], capture_output=True, timeout=60)
    assert done.returncode == 2 and "quickstart.py demo" in done.stdout.decode("utf-8")


@pytest.mark.venv
def test_the_quick_start_demo_steps_run_as_quickstart_runs_them(tmp_path):
    """quickstart.py's own steps for `demo` on Linux, offline: a fresh .venv, pip installing this folder (its
    dependencies are taken from this test's environment through a .pth file instead of the network), and the
    installed `annex` command running the demo."""
    import shutil
    import sysconfig

    copy = tmp_path / "annex"
    top = {".git", ".venv", "build", "demo", "tests", "benchmarks", "docs", "inbox", "outbox", "templates_xlsx"}
    shutil.copytree(REPO, copy, ignore=lambda folder, names: [
        n for n in names if n in ("__pycache__",) or n.endswith(".egg-info") or (Path(folder) == REPO and n in top)])
    steps = quickstart.plan("demo", windows=False, python=sys.executable)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    subprocess.run(steps[0], cwd=copy, check=True, timeout=300, env=env)
    site = next((copy / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = [*steps[1][:-1], "--no-deps", "--no-build-isolation", steps[1][-1]]
    subprocess.run(install, cwd=copy, check=True, timeout=300, env=env, capture_output=True)
    done = subprocess.run(steps[2], cwd=copy, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode("utf-8")
    assert "Bảng tổng hợp:" in done.stdout.decode("utf-8")
    assert (copy / "demo" / "outbox" / "TongHop_phuctho-soket-2026.xlsx").is_file()


def test_the_watch_launcher_keeps_collecting_until_ctrl_c(ready, tmp_path):
    import signal
    import time

    ws = ready
    write_launcher(ws.root, sys.executable, windows=False)
    drop(ws, "PKT.xlsx", "PKT", payload(ws, "PKT"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    (tmp_path / "xdg-open").write_text("#!/bin/sh\n", encoding="utf-8")
    (tmp_path / "xdg-open").chmod(0o755)
    proc = subprocess.Popen(["sh", str(ws.root / WATCH_SH_NAME)], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen, started = b"", TEXTS["watch_started"].split("{")[0].strip().encode()  # "Đang theo dõi thư mục"
    deadline = time.monotonic() + 120
    while started not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += os.read(proc.stdout.fileno(), 4096)
    os.killpg(proc.pid, signal.SIGINT)
    seen += proc.communicate(timeout=60)[0]
    out = seen.decode("utf-8")
    assert "PKT.xlsx" in out and sentence("watch_stopped") in out and "Traceback" not in out, out
    windows = write_launcher(tmp_path, "C:\\Python\\python.exe", windows=True)
    text = (tmp_path / WATCH_CMD_NAME).read_text(encoding="utf-8")
    assert windows.name == CMD_NAME and "collect --workspace \"%~dp0.\" --open --watch" in text
    report = (tmp_path / REPORT_CMD_NAME).read_bytes().decode("utf-8").split("\r\n")
    assert "\"%ANNEX_PY%\" -m pipeline report --workspace \"%~dp0.\"" in report  # no trailing option, no blank
