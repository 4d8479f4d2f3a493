"""The command line speaks Vietnamese: every command's help and every error click itself raises, and a
translation for every message click reads through gettext (so a new click version cannot bring English back)."""

from __future__ import annotations

import ast
import importlib.util
import re

import pytest
from click.testing import CliRunner

from pipeline import clickvn
from pipeline.cli import main

# click's, Python's or the parser's English; usage words click does not translate (metavars) included.
ENGLISH = re.compile(r"Usage:|Options:|Commands:|Error:|Try '|Show this message|Show the version|\[default|"
                     r"\[required\]|Aborted|Missing (argument|option|parameter|command)|No such|is not|does not|"
                     r"Got unexpected|requires an? |Invalid value|not a valid|Traceback|\bTEXT\b|\bINTEGER\b|"
                     r"\bDIRECTORY\b|\bPATH\b|\[OPTIONS\]|COMMAND \[ARGS\]|version \d|Did you mean")

HELP = [[], ["--help"], ["-h"], *([name, "--help"] for name in main.commands)]
ERRORS = [
    (["khong-co-lenh"], "Không có lệnh 'khong-co-lenh'"),
    (["colect"], "Có phải là"),
    (["collect", "--khong-co"], "Không có tùy chọn '--khong-co'"),
    (["collect", "--workers", "abc"], "'abc' không phải là số nguyên hợp lệ"),
    (["collect", "--workers", "0"], "nằm ngoài khoảng"),
    (["collect", "--workspace"], "cần một giá trị đi kèm"),
    (["collect", "thua"], "Thừa tham số (thua)"),
    (["collect", "--json=1"], "không nhận giá trị"),
    (["init"], "Thiếu tham số 'THƯ_MỤC'"),
    (["init", "a", "b"], "Thừa tham số (b)"),
    (["templates", "--unit"], "cần một giá trị đi kèm"),
    (["demo", "--seed", "x"], "'x' không phải là số nguyên hợp lệ"),
    (["rollup", "--unit", "X"], "Thiếu tùy chọn '--parent'"),
    (["rollup", "--parent", "."], "Thiếu tùy chọn '--unit'"),
]


@pytest.mark.parametrize("args", HELP, ids=lambda a: " ".join(a) or "no-arguments")
def test_help_is_vietnamese_everywhere(args):
    out = CliRunner().invoke(main, args)
    assert out.exit_code in (0, 2), out.output
    assert "Cách dùng: annex" in out.output and "Tùy chọn:" in out.output
    assert "In hướng dẫn này rồi thoát." in out.output
    assert not ENGLISH.search(out.output), out.output


def test_defaults_and_metavars_are_vietnamese():
    out = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "[TÙY_CHỌN] [THƯ_MỤC]" in out and "--seed SỐ" in out
    out = CliRunner().invoke(main, ["collect", "--help"]).output
    assert "--workspace THƯ_MỤC" in out and "--workers SỐ" in out and "1<=x<=64" in out
    top = CliRunner().invoke(main, ["--help"]).output
    assert "LỆNH [THAM_SỐ]..." in top and "Các lệnh:" in top


@pytest.mark.parametrize(("args", "expected"), ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_command_line_mistakes_are_explained_in_vietnamese(args, expected):
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2, out.output
    assert expected in out.output, out.output
    assert "Lỗi: " in out.output and "main" not in out.output
    assert not ENGLISH.search(out.output), out.output


def test_version_is_vietnamese():
    out = CliRunner().invoke(main, ["--version"])
    assert out.exit_code == 0 and "phiên bản" in out.output and not ENGLISH.search(out.output)


def _gettext_literals() -> list[tuple[str, str | tuple[str, str]]]:
    found = []
    for name in clickvn.CLICK_MODULES:
        spec = importlib.util.find_spec(f"click.{name}")
        if spec is None or spec.origin is None:
            continue
        with open(spec.origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "ngettext")):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if node.func.id == "_" and isinstance(args[0], str):
                found.append((name, args[0]))
            elif node.func.id == "ngettext" and isinstance(args[0], str):
                found.append((name, (args[0], args[1])))
    return found


def test_every_message_click_reads_through_gettext_has_a_vietnamese_translation():
    literals = _gettext_literals()
    assert len(literals) > 40  # the scan finds click's messages at all
    missing = [(module, text) for module, text in literals
               if (text not in clickvn.PLURAL if isinstance(text, tuple)
                   else text not in clickvn.SINGULAR and not text.startswith(clickvn.FOR_PROGRAMMERS))]
    assert not missing, missing
    for english, vietnamese in clickvn.SINGULAR.items():  # same placeholders, so .format() never fails
        assert re.findall(r"{\w*[^}]*}|%\(\w+\)s", english) == re.findall(r"{\w*[^}]*}|%\(\w+\)s", vietnamese) or \
            sorted(re.findall(r"{(\w+)", english)) == sorted(re.findall(r"{(\w+)", vietnamese)), english


def test_every_parameter_type_is_named_in_vietnamese():
    english = {"integer", "integer range", "float", "float range", "uuid", "datetime"}  # named in click's errors
    for command in main.commands.values():
        for param in command.params:
            assert param.type.name not in english, (command.name, param.name, param.type.name)
