"""Every command with its output in a Windows code page, redirected to a file and to a pipe (`annex collect >
ketqua.txt`, `annex collect --json | …`): no traceback, no crash, the Vietnamese intact or degraded.

`PYTHONIOENCODING=cp1258` (cp1252, cp437) with redirected output makes Python behave as on a Windows without
UTF-8 (see shared facts). Each code page runs the list of commands in its own folder, the three at a time; the
way of redirecting alternates from command to command and is shifted between code pages, so that every command
is run both ways and every code page both ways (pairwise, rather than every command six times). `collect`'s
console text runs where the demo's does not already show it (the demo collects in cp437 to a pipe, and cp1258
collects the demo's workspace again to a file); its JSON, the same UTF-8 bytes whatever the console, in two.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import REPO

ENCODINGS = ("cp1258", "cp1252", "cp437")
MODES = ("file", "pipe")
# (arguments, expected exit code, a Vietnamese sentence that must come out (marks possibly degraded), the code
# pages it runs in)
COMMANDS: list[tuple[list[str], int, str, tuple[str, ...]]] = [
    (["--help"], 0, "Thu thập, kiểm tra và tổng hợp biểu phụ lục Excel từ các đơn vị.", ENCODINGS),
    (["collect", "--help"], 0, "Đọc inbox/, kiểm tra từng tệp, gửi phản hồi và tổng hợp vào outbox/.", ENCODINGS),
    (["init", "Đợt 2"], 0, "Đã tạo thư mục làm việc \"Đợt 2\".", ENCODINGS),
    (["templates", "--workspace", "Đợt 2", "--unit", "TYT", "--unit", "PKT"], 0, "Đã tạo 2 biểu mẫu", ENCODINGS),
    (["collect", "--workspace", "Đợt 2"], 0, "Trạm Y tế xã", ("cp1252",)),
    (["collect", "--workspace", "Đợt 2", "--json"], 0, "Trạm Y tế xã", ("cp1252", "cp437")),
    (["rollup", "--workspace", "Đợt 2", "--parent", "Đợt 2", "--unit", "TYT"], 0, "Số liệu TẠM TÍNH", ENCODINGS),
    (["collect", "--workspace", "không có"], 2, "chưa phải thư mục làm việc của một đợt báo cáo", ENCODINGS),
    (["colect"], 2, "Không có lệnh 'colect'", ENCODINGS),
]
# The demo (templates, 13 filled files with errors and warnings, collect: ~6 s) runs once, in the poorest code page
# (cp437) to a pipe; then the Vietnamese code page collects the demo's workspace again to a file: the same long
# output (every file with its errors and warnings, the units missing) without building it all a second time.
DEMO = (["demo", "Thử"], 0, "Đơn vị còn thiếu (2):", ("cp437",))
DEMO_AGAIN = (["collect", "--workspace", str(Path("..", "cp437", "Thử"))], 0, "Đơn vị còn thiếu (2):", ("cp1258",))


def plain(text: str) -> str:
    """Text without its marks: what survives any degradation ("Đã tạo" → "Da tao")."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONIOENCODING", "PYTHONUTF8", "LC_", "LANG"))}
    env.update(PYTHONPATH=str(REPO), **extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], mode: str) -> tuple[int, bytes, bytes]:
    command = [sys.executable, "-m", "pipeline", *args]
    if mode == "pipe":
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    out, err = cwd / "ketqua.txt", cwd / "loi.txt"
    with out.open("wb") as o, err.open("wb") as e:
        code = subprocess.run(command, cwd=cwd, env=env, stdout=o, stderr=e, timeout=300).returncode
    return code, out.read_bytes(), err.read_bytes()


def _steps(encoding: str) -> list[tuple[tuple[list[str], int, str, tuple[str, ...]], str]]:
    """The commands one code page runs, in order, each with its way of redirecting."""
    shift = ENCODINGS.index(encoding)
    steps = [(c, MODES[(i + shift) % len(MODES)]) for i, c in enumerate(COMMANDS)]
    return [(c, mode) for c, mode in [(DEMO, "pipe"), *steps, (DEMO_AGAIN, "file")] if encoding in c[3]]


def test_every_command_runs_both_ways_and_every_code_page_both_ways():
    """What the module's docstring promises of the plan (the demo, run once, goes to a pipe). A command's text is
    one whatever folder it is given: `collect`'s is run by itself, after the demo and on a missing folder."""
    ways: dict[str, set[str]] = {}
    for encoding in ENCODINGS:
        steps = _steps(encoding)
        assert {mode for _, mode in steps} == set(MODES), encoding
        for (args, *_), mode in steps:
            kind = " ".join([args[0], *[a for a in args[1:] if a in ("--json", "--help")]])
            ways.setdefault(kind, set()).add(mode)
    assert ways.pop("demo") == {"pipe"}
    assert all(modes == set(MODES) for modes in ways.values()), ways


def _session(folder: Path, encoding: str, demo_done: threading.Event) -> list[str]:
    """Run every command in one code page; return what went wrong (empty when all is well)."""
    folder.mkdir()
    env = _env(PYTHONIOENCODING=encoding)
    wrong = []
    for (args, expected_code, sentence, _), mode in _steps(encoding):
        if args is DEMO_AGAIN[0]:
            demo_done.wait(timeout=300)
        try:
            code, out, err = run(args, folder, env, mode)
        finally:
            if args is DEMO[0]:
                demo_done.set()
        where = f"{encoding}/{mode} annex {' '.join(args)}"
        if code != expected_code:
            wrong.append(f"{where}: exit {code}\n{err.decode(encoding, 'replace')}")
        if b"Traceback" in out + err or b"UnicodeEncodeError" in out + err:
            wrong.append(f"{where}: traceback\n{err.decode(encoding, 'replace')}")
        if "--json" in args:
            data = json.loads(out.decode("utf-8"))  # always UTF-8, whatever the console
            if sentence not in json.dumps(data, ensure_ascii=False):
                wrong.append(f"{where}: JSON lost the Vietnamese")
            continue
        text = unicodedata.normalize("NFC", (out + err).decode(encoding))
        if sentence not in text and plain(sentence) not in plain(text):
            wrong.append(f"{where}: {sentence!r} missing from\n{text[:2000]}")
    return wrong


def test_every_command_survives_every_code_page_redirected_to_a_file_and_a_pipe(tmp_path):
    demo_done = threading.Event()
    with ThreadPoolExecutor(max_workers=len(ENCODINGS)) as pool:
        results = list(pool.map(lambda e: _session(tmp_path / e, e, demo_done), ENCODINGS))
    problems = [p for found in results for p in found]
    assert not problems, "\n\n".join(problems)


def test_vietnamese_is_intact_in_windows_1258_and_utf_8_when_nothing_is_set(tmp_path):
    """Windows-1258 can write every Vietnamese letter (letter + combining tone); with no PYTHONIOENCODING a
    redirected output is UTF-8 even where the locale is not."""
    code, out, _ = run(["init", "Đợt 3"], tmp_path, _env(PYTHONIOENCODING="cp1258"), "file")
    assert code == 0 and "Đã tạo thư mục làm việc \"Đợt 3\"" in unicodedata.normalize("NFC", out.decode("cp1258"))
    legacy = _env(LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")  # an ASCII locale: ASCII argv
    code, out, _ = run(["init", "Dot4"], tmp_path, legacy, "pipe")
    assert code == 0 and "Đã tạo thư mục làm việc \"Dot4\"" in out.decode("utf-8")


@pytest.mark.parametrize("encoding", ["cp437", "cp1252"])
def test_a_console_in_a_legacy_code_page_gets_degraded_text_not_a_crash(tmp_path, encoding):
    """A real terminal (a pty) whose encoding lacks Vietnamese: letters lose the marks the code page lacks."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "init", "Đợt 5"], cwd=tmp_path, stdin=child,
                            stdout=child, stderr=child, env=_env(PYTHONIOENCODING=encoding))
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode(encoding, "replace")
    assert "Traceback" not in text and plain("Đã tạo thư mục làm việc") in plain(text), text
