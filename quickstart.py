"""Bắt đầu nhanh trên máy mới chỉ có Python >= 3.11: cài chương trình vào thư mục .venv rồi chạy.

    Windows (PowerShell hoặc cmd):  py quickstart.py demo      py quickstart.py test
    Linux, macOS:                   python3 quickstart.py demo  python3 quickstart.py test

`demo` cài chương trình và chạy thử trọn một đợt báo cáo trên số liệu mẫu (thư mục demo/); `test` cài chương
trình cùng công cụ kiểm thử và chạy toàn bộ bộ kiểm thử. Chạy lại bao nhiêu lần cũng được.
(Kept free of syntax newer than Python 3.6, so an old Python still reads it and says what to install.)
"""

import os
import subprocess
import sys

MINIMUM = (3, 11)
WHAT = ("demo", "test")


def venv_python(windows):
    return os.path.join(".venv", "Scripts", "python.exe") if windows else os.path.join(".venv", "bin", "python")


def plan(what, windows, python=None, have_venv=False):
    """The commands `what` runs, in order, from the program's folder."""
    steps = [] if have_venv else [[python or sys.executable, "-m", "venv", ".venv"]]
    target = venv_python(windows)
    steps.append([target, "-m", "pip", "install", "-q", "." if what == "demo" else ".[test]"])
    if what == "demo":
        annex = os.path.join(".venv", "Scripts", "annex.exe") if windows else os.path.join(".venv", "bin", "annex")
        steps.append([annex, "demo"])
    else:
        steps.append([target, "-m", "pytest", "-n", "auto"])  # one test process per core (pytest-xdist)
    return steps


def _say(text):
    try:
        print(text, flush=True)
    except UnicodeEncodeError:  # a console without Vietnamese: the same sentence without its marks
        import unicodedata

        plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
        print("".join(c for c in plain if not unicodedata.combining(c)).encode("ascii", "replace").decode(),
              flush=True)


def main(argv):
    windows = sys.platform == "win32"
    if sys.version_info < MINIMUM:
        _say("Cần Python 3.11 trở lên (máy đang có Python %d.%d). Hãy tải Python mới tại https://www.python.org/"
             "downloads/ , khi cài nhớ đánh dấu ô \"Add python.exe to PATH\", rồi chạy lại lệnh này."
             % sys.version_info[:2])
        return 2
    what = argv[1] if len(argv) > 1 else "demo"
    if what not in WHAT:
        _say("Cách dùng: %s quickstart.py demo   (hoặc: test)" % ("py" if windows else "python3"))
        return 2
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    for step in plan(what, windows, have_venv=os.path.exists(venv_python(windows))):
        _say("> " + " ".join(step))
        code = subprocess.call(step)
        if code != 0:
            _say("Bước trên không thành công (mã %d). Xem thông báo phía trên; nếu là lỗi mạng khi cài, hãy kiểm tra "
                 "kết nối Internet rồi chạy lại." % code)
            return code
    annex = os.path.join(".venv", "Scripts", "annex") if windows else os.path.join(".venv", "bin", "annex")
    _say("Xong. Từ nay gõ %s --help để xem các lệnh (hướng dẫn trong README)." % annex)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
