"""click in Vietnamese: a translation of every message click reads through gettext.

click's modules do `from gettext import gettext as _` (and `ngettext`) and look the name up at call time, so
`install()` rebinds those names in each click module to lookups in the tables below. A test lists every
`_("…")`/`ngettext("…")` literal in click's source and finds each one here (or among the messages only a
programmer can trigger), so a new click version cannot slip English in unnoticed. Usage words click does not
translate (metavars, "[OPTIONS]", "COMMAND") are set on the commands themselves (see cli.py).
"""

from __future__ import annotations

import gettext
import importlib

import click

CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
                 "_termui_impl", "shell_completion", "_winconsole")

SINGULAR: dict[str, str] = {
    "Aborted!": "Đã dừng theo yêu cầu.",
    "deprecated": "không còn dùng",
    "Options": "Tùy chọn",
    "Positional arguments": "Tham số",
    "Commands": "Các lệnh",
    "Usage:": "Cách dùng:",
    "Missing command.": "Thiếu tên lệnh (init, templates, collect, rollup hoặc demo).",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "(dynamic)": "(tùy lúc chạy)",
    "Do you want to continue?": "Có tiếp tục không?",
    "Confirm the action without prompting.": "Xác nhận luôn, không hỏi lại.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Show the version and exit.": "In phiên bản của chương trình rồi thoát.",
    "Show this message and exit.": "In hướng dẫn này rồi thoát.",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn bằng lệnh: {command} {option}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r} (các lệnh: init, templates, collect, rollup, demo).",
    "unknown error": "lỗi không rõ",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Invalid start character for option ({option})": "Ký tự đầu của tùy chọn không hợp lệ ({option})",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Choice({choices})": "Lựa chọn({choices})",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là {number_type} hợp lệ.",
    "integer": "số nguyên",
    "float": "số thực",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} không phải giá trị đúng/sai hợp lệ. Các giá trị được nhận: {states}",
    "{value!r} is not a valid UUID.": "{value!r} không phải là UUID hợp lệ.",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "{name} {filename!r} does not exist.": "Không có {name} {filename!r}.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp, không phải thư mục.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục, không phải tệp.",
    "{name} {filename!r} is not readable.": "Không có quyền đọc {name} {filename!r}.",
    "{name} {filename!r} is not writable.": "Không có quyền ghi vào {name} {filename!r}.",
    "{name} {filename!r} is not executable.": "Không chạy được {name} {filename!r}.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị vừa nhập không giống nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Unknown color {colour!r}": "Không có màu {colour!r}",
    "Shell completion is not supported for Bash versions older than 4.4.":
        "Không hỗ trợ gợi ý lệnh cho Bash cũ hơn 4.4.",
    "Couldn't detect Bash version, shell completion is not supported.":
        "Không xác định được phiên bản Bash nên không hỗ trợ gợi ý lệnh.",
    "Unable to get stdin as a binary stream.": "Không đọc được dữ liệu vào dạng nhị phân.",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
    "Unknown standard stream '{name}'": "Không có luồng chuẩn '{name}'",
    "d": " ngày",
    "Windows error: {error}": "Lỗi của Windows: {error}",
    "Editing failed": "Sửa không thành công",
    "{editor}: Editing failed": "{editor}: sửa không thành công",
    "{editor}: Editing failed: {e}": "{editor}: sửa không thành công: {e}",
}

PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Thừa tham số ({args})", "Thừa các tham số ({args})"),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Cần {nargs} giá trị nhưng chỉ có 1.", "Cần {nargs} giá trị nhưng có {len}."),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Có phải là {possibility}?", "(Có phải là một trong: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Tùy chọn {name!r} cần một giá trị đi kèm.", "Tùy chọn {name!r} cần {nargs} giá trị đi kèm."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} không phải là {choice}.", "{value!r} không phải một trong {choices}."),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        ("{value!r} không đúng dạng {format}.", "{value!r} không đúng các dạng {formats}."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("Cần {len_type} giá trị nhưng có {len_value}.", "Cần {len_type} giá trị nhưng có {len_value}."),
}

# Messages only a programmer defining commands can trigger (raised as TypeError/ValueError while the program
# is being written, never while a clerk runs it): not translated.
FOR_PROGRAMMERS = (
    "DeprecationWarning:", "Name '{name}' defined twice", "Boolean option {decl!r} cannot",
    "Could not determine name for option", "No options defined but a name was passed",
    "Arguments take exactly one parameter declaration",
)


class Integer(click.types.IntParamType):
    """click.INT, named in Vietnamese ("'abc' không phải là số nguyên hợp lệ")."""

    name = "số nguyên"


class IntegerRange(click.IntRange):
    name = "số nguyên"


class NumberRange(click.FloatRange):
    """click.FloatRange, named in Vietnamese ("'abc' không phải là số hợp lệ")."""

    name = "số"


INT = Integer()


def translate(message: str) -> str:
    return SINGULAR.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    found = PLURAL.get((singular, plural))
    if found is None:
        return gettext.ngettext(singular, plural, n)
    return found[0] if n == 1 else found[1]


def install() -> None:
    """Make every click module read its messages from the tables above (idempotent)."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except (ImportError, AssertionError):  # _winconsole imports only on Windows
            continue
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = translate_plural  # type: ignore[attr-defined]
