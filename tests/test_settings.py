"""Settings mistakes a clerk makes in Notepad and Excel, each explained in Vietnamese with its file and line or cell.

Every error case runs the real command (`annex collect --workspace …`): exit code 2, the expected sentence, the
place, no traceback and no English. Warnings are accepted settings the clerk should look at; the read cases are
files saved the way Windows programs save them, which must simply work.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.issues import SEVERITY_VN, Severity
from pipeline.settings.state import ISSUED_NAME
from pipeline.workspace import default_unit_rows, init_workspace, open_workspace, write_units_xlsx

# What must never reach a clerk: the parser's, click's or Python's English.
ENGLISH = re.compile(r"Traceback|Error:|Usage:|Options:|Try '|Invalid|Expected|Illegal|Unterminated|Cannot |"
                     r"\bline \d|column \d|Errno|Exception|codec|does not|is not|Missing|Aborted|\[default")
Edit = Callable[[Path], None]


def toml(old: str, new: str) -> Edit:
    def edit(root: Path) -> None:
        path = root / "round.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def toml_append(extra: str) -> Edit:
    def edit(root: Path) -> None:
        with (root / "round.toml").open("a", encoding="utf-8") as f:
            f.write(extra)
    return edit


def units(rows: Callable[[list[list[object]]], list[list[object]]], sheet: str = "Đơn vị") -> Edit:
    """units.xlsx rewritten with `rows(default rows)`; floats and dates are written as Excel would store them."""
    def edit(root: Path) -> None:
        data = rows([list(r) for r in default_unit_rows()])
        wb = xlsxwriter.Workbook(str(root / "units.xlsx"))
        ws = wb.add_worksheet(sheet)
        date = wb.add_format({"num_format": "dd/mm/yyyy"})
        for r, row in enumerate([["Mã đơn vị", "Tên đơn vị", "Khối", "Phụ lục phải nộp", "Liên hệ"], *data]):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, float | int):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
        wb.close()
    return edit


def add_unit(*cells: object) -> Edit:
    return units(lambda rows: [*rows, list(cells)])


def header(old: str, new: str) -> Edit:
    def edit(root: Path) -> None:
        write_units_xlsx(root / "units.xlsx", default_unit_rows())
        import openpyxl
        wb = openpyxl.load_workbook(root / "units.xlsx")
        sheet = wb.active
        for cell in sheet[1]:
            if cell.value == old:
                cell.value = new
        if new == "RENAME":
            sheet.title = "Sheet1"
            sheet["C1"] = "Nhóm"
        wb.save(root / "units.xlsx")
    return edit


def files(**named: bytes | None) -> Edit:
    """Write (bytes) or remove (None) files of the workspace root."""
    def edit(root: Path) -> None:
        for name, content in named.items():
            path = root / name.replace("__", ".")
            if content is None:
                path.unlink()
            else:
                path.write_bytes(content)
    return edit


def issued(round_id: str) -> Edit:
    def edit(root: Path) -> None:
        (root / ISSUED_NAME).write_text(json.dumps({"issued": [
            {"round_id": round_id, "at": "2026-04-20T09:00:00+07:00", "units": ["VPDU"]}]}), encoding="utf-8")
    return edit


def both(*edits: Edit) -> Edit:
    def edit(root: Path) -> None:
        for e in edits:
            e(root)
    return edit


ROUND = "round.toml, dòng {}: "
CELL = "units.xlsx, trang \"Đơn vị\", ô {}: "

# (id, edit, fragments the message must contain: the first is the place)
ERRORS: list[tuple[str, Edit, tuple[str, ...]]] = [
    ("unterminated_string", toml('commune = "Xã Phúc Thọ"', 'commune = "Xã Phúc Thọ'),
     (ROUND.format(4), "thiếu dấu ngoặc kép", 'commune = "Xã Phúc Thọ"')),
    ("text_without_quotes", toml('commune = "Xã Phúc Thọ"', "commune = Xã Phúc Thọ"),
     (ROUND.format(4), "phải đặt trong ngoặc kép", 'commune = "Xã Phúc Thọ"')),
    ("quotes_inside_text", toml('place = "Phúc Thọ"', 'place = "Xã "Phúc Thọ" cũ"'),
     (ROUND.format(5), "còn phần thừa", "“ ”")),
    ("curly_quotes", toml('commune = "Xã Phúc Thọ"', "commune = “Xã Phúc Thọ”"),
     (ROUND.format(4), "ngoặc kép thẳng", 'commune = "Xã Phúc Thọ"')),
    ("curly_single_quotes", toml('place = "Phúc Thọ"', "place = ‘Phúc Thọ’"),
     (ROUND.format(5), "ngoặc kép thẳng", 'place = "Phúc Thọ"')),
    ("date_day_first", toml("deadline = 2026-05-15", "deadline = 15/05/2026"),
     (ROUND.format(9), "năm-tháng-ngày", "deadline = 2026-05-15")),
    ("date_in_quotes", toml("deadline = 2026-05-15", 'deadline = "2026-05-15"'),
     (ROUND.format(9), "không đặt trong ngoặc kép")),
    ("date_that_does_not_exist", toml("deadline = 2026-05-15", "deadline = 2026-02-30"),
     (ROUND.format(9), "30/02/2026", "không có thật")),
    ("date_with_time", toml("deadline = 2026-05-15", "deadline = 2026-05-15T17:00:00"),
     (ROUND.format(9), "chỉ ghi ngày", "deadline = 2026-05-15")),
    ("date_without_zeros", toml("deadline = 2026-05-15", "deadline = 2026-5-15"),
     (ROUND.format(9), "deadline = 2026-05-15")),
    ("date_with_dots", toml("period_start = 2025-07-01", "period_start = 01.07.2025"),
     (ROUND.format(7), "period_start = 2025-07-01")),
    ("missing_key", toml("deadline = 2026-05-15\n", ""),
     ("round.toml: thiếu dòng deadline", "deadline = 2026-05-15", "[[headers]]")),
    ("title_is_a_number", toml('title = "Sơ kết', 'title = 2026\n#"'),
     (ROUND.format(3), 'title = "2026"')),
    ("place_is_a_number", toml('place = "Phúc Thọ"', "place = 123"), (ROUND.format(5), 'place = "123"')),
    ("round_id_with_slash", toml('round_id = "phuctho-soket-2026"', 'round_id = "phuctho/soket-2026"'),
     (ROUND.format(2), "chỉ được gồm chữ không dấu", "phuctho-soket-2026")),
    ("round_id_with_colon_and_question_mark", toml('round_id = "phuctho-soket-2026"', 'round_id = "soket:2026?"'),
     (ROUND.format(2), "chỉ được gồm chữ không dấu", "soket-2026")),
    ("round_id_reserved_name", toml('round_id = "phuctho-soket-2026"', 'round_id = "CON"'),
     (ROUND.format(2), "tên thiết bị Windows dành riêng", "CON-2026")),
    ("round_id_with_diacritics", toml('round_id = "phuctho-soket-2026"', 'round_id = "sơ kết 2026"'),
     (ROUND.format(2), "so-ket-2026")),
    ("round_id_empty", toml('round_id = "phuctho-soket-2026"', 'round_id = ""'),
     (ROUND.format(2), "round_id đang để trống")),
    ("period_backwards", toml("period_start = 2025-07-01", "period_start = 2026-07-01"),
     (ROUND.format(7), "phải trước ngày kết thúc", "dòng 8")),
    ("deadline_before_period", toml("deadline = 2026-05-15", "deadline = 2025-06-30"),
     (ROUND.format(9), "đứng trước ngày bắt đầu kỳ báo cáo")),
    ("key_written_twice", toml('place = "Phúc Thọ"\n', 'place = "Phúc Thọ"\ncommune = "Xã khác"\n'),
     (ROUND.format(6), "ghi hai lần", "dòng 4")),
    ("misspelt_key", toml("deadline = 2026-05-15", "dealine = 2026-05-15"),
     (ROUND.format(9), "\"dealine\"", "có phải \"deadline\"")),
    ("key_after_the_last_table", toml_append('\nemail = "vp@phuctho.vn"\ncontact = "Văn phòng"\n'),
     (ROUND.format(25), "nằm sau dòng [[headers]]", "chuyển dòng này lên trên")),
    ("khoi_as_text", toml('khoi = ["Đảng"]', 'khoi = "Đảng"'),
     (ROUND.format(15), "khoi = [\"Đảng\"]")),
    ("khoi_typo", toml('khoi = ["Đảng"]', 'khoi = ["Dảng"]'),
     (ROUND.format(15), "có phải \"Đảng\"", "Chính quyền")),
    ("single_brackets_table", toml("[[headers]]\nkhoi = []", "[headers]\nkhoi = []"),
     (ROUND.format(19), "[[headers]]")),
    ("all_tables_single_brackets", lambda root: (root / "round.toml").write_text(
        (root / "round.toml").read_text(encoding="utf-8").replace("[[headers]]", "[headers]"), encoding="utf-8"),
     (ROUND.format(19), "hai dấu ngoặc vuông")),
    ("misspelt_table", toml("[[headers]]\nkhoi = [\"Đảng\"]", "[[header]]\nkhoi = [\"Đảng\"]"),
     (ROUND.format(14), "có phải \"headers\"")),
    ("left_as_text", toml('left = ["ĐẢNG BỘ XÃ PHÚC THỌ", "{UNIT}"]', 'left = "ĐẢNG BỘ XÃ PHÚC THỌ"'),
     (ROUND.format(16), "danh sách các dòng chữ")),
    ("line_without_equals", toml('place = "Phúc Thọ"\n', 'place = "Phúc Thọ"\nGhi chu cua van phong\n'),
     (ROUND.format(6), "tên = giá trị", "dấu #")),
    ("key_with_spaces", toml('place = "Phúc Thọ"', 'ma dot = "x"'), (ROUND.format(5), "\"ma dot\"")),
    ("windows_path_backslash", toml('contact = "Văn phòng Đảng ủy xã Phúc Thọ"', 'contact = "D:\\BaoCao"'),
     (ROUND.format(11), "hai dấu")),
    ("unclosed_list", toml('khoi = ["Đảng"]', 'khoi = ["Đảng"'), (ROUND.format(15), "thiếu dấu ]")),
    ("empty_commune", toml('commune = "Xã Phúc Thọ"', 'commune = ""'), (ROUND.format(4), "để trống", "tên xã")),
    ("saved_as_txt_by_notepad", lambda root: (root / "round.toml").rename(root / "round.toml.txt"),
     ("round.toml.txt", "Notepad", "All Files")),
    ("unreadable_encoding", files(round__toml=b"round_id = \"\x81\x8d\x8f\x90\"\n"),
     ("round.toml: không đọc được chữ", "UTF-8")),
    ("round_id_changed_after_templates", both(issued("phuctho-soket-2026-cu")),
     (ROUND.format(2), "phuctho-soket-2026-cu", "annex templates --workspace \"")),
    # units.xlsx
    ("code_missing", add_unit("", "Đơn vị mới", "Đảng", "1", ""), (CELL.format("A16"), "thiếu Mã đơn vị")),
    ("code_with_space", add_unit("VP DU2", "Đơn vị mới", "Đảng", "1", ""),
     (CELL.format("A16"), "chỉ được gồm chữ không dấu", "VP-DU2")),
    ("code_with_diacritics", add_unit("ĐTN2", "Đơn vị mới", "Đảng", "1", ""), (CELL.format("A16"), "DTN2")),
    ("code_duplicate", add_unit("VPDU", "Trùng mã", "Đảng", "1", ""), (CELL.format("A16"), "trùng với ô A2")),
    ("code_differs_only_in_case", add_unit("vpdu", "Văn phòng (chữ thường)", "Đảng", "1", ""),
     (CELL.format("A16"), "chữ hoa, chữ thường", "ô A2", "vpdu.xlsx")),
    ("code_reserved_con", add_unit("CON", "Đơn vị CON", "Đảng", "1", ""),
     (CELL.format("A16"), "tên thiết bị Windows dành riêng", "CON1")),
    ("code_reserved_com1_lowercase", add_unit("com1", "Đơn vị COM", "Đảng", "1", ""),
     (CELL.format("A16"), "tên thiết bị Windows dành riêng")),
    ("code_with_colon", add_unit("VP:DU", "Đơn vị", "Đảng", "1", ""), (CELL.format("A16"), "VP-DU")),
    ("code_with_question_mark", add_unit("BAN?", "Đơn vị", "Đảng", "1", ""), (CELL.format("A16"), "\"BAN\"")),
    ("code_too_long", add_unit("X" * 45, "Đơn vị", "Đảng", "1", ""), (CELL.format("A16"), "rút gọn")),
    ("name_missing", add_unit("XYZ", "", "Đảng", "1", ""), (CELL.format("B16"), "thiếu Tên đơn vị của mã XYZ")),
    ("annex_unknown", add_unit("XYZ", "Đơn vị lạ", "Đảng", "1, 9", ""),
     (CELL.format("D16"), "không có phụ lục \"9\"", "4a")),
    ("annexes_missing", add_unit("XYZ", "Không nộp gì", "Đảng", "", ""), (CELL.format("D16"), "chưa ghi Phụ lục")),
    ("annexes_turned_into_a_number", add_unit("XYZ", "Đơn vị", "Đảng", 4.1, ""),
     (CELL.format("D16"), "Excel đã đổi", "số 4,1", "Text")),
    ("annexes_turned_into_a_date", add_unit("XYZ", "Đơn vị", "Đảng", dt.date(2026, 2, 1), ""),
     (CELL.format("D16"), "ngày 01/02/2026")),
    ("header_row_changed", header("Khối", "Nhóm"), ("units.xlsx, trang \"Đơn vị\": dòng 1", "ô C1", "Nhóm")),
    ("sheet_renamed_and_header_changed", header("Khối", "RENAME"), ("units.xlsx: không thấy trang", "Sheet1")),
    ("units_list_empty", units(lambda rows: []), ("units.xlsx, trang \"Đơn vị\": danh sách đơn vị đang trống",)),
    ("units_missing", files(units__xlsx=None), ("units.xlsx: không thấy danh sách đơn vị",)),
    ("units_is_a_renamed_csv", files(units__xlsx="Mã đơn vị,Tên đơn vị\nVPDU,Văn phòng\n".encode()),
     ("units.xlsx: không mở được", "tệp văn bản hoặc CSV")),
    ("only_units_xls_present", lambda root: (root / "units.xlsx").rename(root / "units.xls"),
     ("units.xlsx: không thấy units.xlsx nhưng có tệp units.xls", "Excel Workbook (*.xlsx)")),
    ("spec_file_syntax", lambda root: (root / "schemas" / "PL1.toml").write_text(
        (root / "schemas" / "PL1.toml").read_text(encoding="utf-8").replace('id = "PL1"', 'id = PL1'),
        encoding="utf-8"), ("schemas/PL1.toml, dòng", "ngoặc kép")),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("pristine") / "ws")


def _copy(pristine: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(pristine, target)
    return target


def test_the_table_is_long_enough():
    assert len(ERRORS) >= 40
    assert len({case[0] for case in ERRORS}) == len(ERRORS)


@pytest.mark.parametrize(("edit", "fragments"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_a_settings_mistake_is_one_vietnamese_sentence_naming_its_place(pristine, tmp_path, edit, fragments):
    root = _copy(pristine, tmp_path / "ws")
    edit(root)
    out = CliRunner().invoke(main, ["collect", "--workspace", str(root)])
    assert out.exit_code == 2, out.output
    text = unicodedata.normalize("NFC", out.output)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert not ENGLISH.search(text), text
    assert not (root / "outbox" / "TongHop_phuctho-soket-2026.xlsx").exists()  # nothing ran on bad settings


WARNINGS: list[tuple[str, Edit, tuple[str, ...]]] = [
    ("units_xls_beside", files(units__xls=b"old copy"), ("units.xlsx: bên cạnh units.xlsx có tệp units.xls",)),
    ("units_copy_beside", files(**{"units (1)__xlsx": b"download"}), ("units (1).xlsx",)),
    ("round_toml_txt_newer", lambda root: (root / "round.toml.txt").write_text("x", encoding="utf-8"),
     ("round.toml.txt: bên cạnh round.toml có tệp round.toml.txt mới hơn",)),
    ("annexes_typed_1_comma_2", add_unit("XYZ", "Đơn vị", "Đảng", 1.2, ""),
     (CELL.format("D16"), "số 1,2", "phụ lục 1 và 2")),
    ("khoi_missing", add_unit("XYZ", "Đơn vị", "", "1", ""), (CELL.format("C16"), "chưa ghi Khối của đơn vị XYZ")),
    ("khoi_typo_in_units", add_unit("XYZ", "Đơn vị", "Dảng", "1", ""),
     (CELL.format("C16"), "\"Dảng\" gần giống khối \"Đảng\"")),
    ("header_for_an_unused_khoi", toml('khoi = ["Đảng"]', 'khoi = ["Đảng", "Công an"]'),
     (ROUND.format(15), "không đơn vị nào", "\"Công an\"")),
    ("khoi_without_any_header", toml("[[headers]]\nkhoi = []", "[[headers]]\nkhoi = [\"Chính quyền\"]"),
     ("round.toml: các đơn vị khối \"MTTQ và đoàn thể\"", "DTN", "[[headers]]")),
    ("saved_in_windows_1258", lambda root: (root / "round.toml").write_bytes(
        _cp1258((root / "round.toml").read_text(encoding="utf-8"))), ("round.toml: tệp được lưu bằng bảng mã",)),
]


def _cp1258(text: str) -> bytes:
    """Text as Notepad saves it as ANSI on a Vietnamese Windows: base letters and combining tone marks."""
    from pipeline.console import handler

    return text.encode("cp1258", handler("cp1258"))


@pytest.mark.parametrize(("edit", "fragments"), [c[1:] for c in WARNINGS], ids=[c[0] for c in WARNINGS])
def test_a_doubtful_setting_is_accepted_with_a_warning_naming_its_place(pristine, tmp_path, edit, fragments):
    root = _copy(pristine, tmp_path / "ws")
    if "round.toml.txt" in fragments[0]:
        os.utime(root / "round.toml", (1, 1))
    edit(root)
    ws = open_workspace(root)
    text = "\n".join(p.text for p in ws.warnings)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert not ENGLISH.search(text), text
    assert ws.round.commune == "Xã Phúc Thọ"


def test_annexes_excel_turned_into_a_number_are_read_back(pristine, tmp_path):
    root = _copy(pristine, tmp_path / "ws")
    add_unit("XYZ", "Đơn vị", "Đảng", 1.2, "")(root)
    assert open_workspace(root).unit_by_code["XYZ"].annexes == ("PL1", "PL2")


def test_warnings_are_printed_once_before_the_command_runs(pristine, tmp_path):
    root = _copy(pristine, tmp_path / "ws")
    files(units__xls=b"old copy")(root)
    out = CliRunner().invoke(main, ["templates", "--workspace", str(root), "--unit", "TYT"])
    assert out.exit_code == 0, out.output
    warned = f"{SEVERITY_VN[Severity.WARNING]} — units.xlsx: bên cạnh units.xlsx có tệp units.xls"
    assert out.output.count(warned) == 1


@pytest.mark.parametrize("encode", [
    pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf8_bom"),
    pytest.param(lambda t: t.encode("utf-16"), id="utf16_bom"),
    pytest.param(lambda t: t.encode("utf-16-le"), id="utf16_le_without_bom"),
    pytest.param(lambda t: t.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
    pytest.param(lambda t: unicodedata.normalize("NFD", t).encode("utf-8"), id="nfd"),
])
def test_round_toml_as_windows_programs_save_it_is_read(pristine, tmp_path, encode):
    root = _copy(pristine, tmp_path / "ws")
    text = (root / "round.toml").read_text(encoding="utf-8")
    (root / "round.toml").write_bytes(encode(text))
    ws = open_workspace(root)
    assert ws.round.commune == "Xã Phúc Thọ" and ws.round.headers[0].khoi == ("Đảng",)
    assert ws.round.headers[0].left[0] == "ĐẢNG BỘ XÃ PHÚC THỌ" and not ws.warnings


def test_a_round_id_changed_after_templates_is_explained_and_undone(pristine, tmp_path):
    root = _copy(pristine, tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(main, ["templates", "--workspace", str(root), "--unit", "TYT"]).exit_code == 0
    assert json.loads((root / ISSUED_NAME).read_text(encoding="utf-8"))["issued"][0]["round_id"] == "phuctho-soket-2026"
    toml('round_id = "phuctho-soket-2026"', 'round_id = "phuctho-2026"')(root)
    out = runner.invoke(main, ["collect", "--workspace", str(root)])
    assert out.exit_code == 2 and "round.toml, dòng 2" in out.output
    assert "đặt lại round_id = \"phuctho-soket-2026\"" in out.output
    toml('round_id = "phuctho-2026"', 'round_id = "phuctho-soket-2026"')(root)  # undone as the message says
    assert runner.invoke(main, ["collect", "--workspace", str(root)]).exit_code == 0
