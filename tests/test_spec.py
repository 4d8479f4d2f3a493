from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.spec import expr as ex
from pipeline.spec.annex import SpecError, load_specs
from pipeline.spec.evaluate import evaluate
from pipeline.spec.excel import to_excel

from .conftest import REPO


def test_default_specs_load_with_every_annex_of_the_plan():
    specs = load_specs(REPO / "schemas")
    assert list(specs.annexes) == ["PL1", "PL2", "PL2b", "PL3", "PL4a", "PL4b", "PL4c"]
    pl3 = specs.annexes["PL3"]
    assert pl3.layout == "table" and pl3.row_key == "linh_vuc" and len(pl3.preset_rows) == 15
    assert specs.annexes["PL1"].layout == "form"
    assert specs.by_code("4A").id == "PL4a"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", folder)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('type = "int"', 'type = "integer"', "kiểu \"integer\" không hợp lệ"),
        ("so_nu <= tong_hien_co", "so_nu <= tong_so_khong_co", "không có cột hoặc hằng số tên \"tong_so_khong_co\""),
        ("so_nu <= tong_hien_co", "so_nu / 2 <= tong_hien_co", "không được hỗ trợ"),
        ("so_nu <= tong_hien_co", "so_nu <= ", "sai cú pháp"),
        ("so_nu <= tong_hien_co", "so_nu + ghi_chu <= tong_hien_co", "phải là số nhưng là văn bản"),
        ("so_nu <= tong_hien_co", "so_nu in (1, 2) <= tong_hien_co", "không viết \"in\" nối tiếp"),
        ("so_nu <= tong_hien_co", "filled(so_nhdkct)", "cột \"so_nhdkct\" để trống được hiểu là 0"),
        ('key = "so_hdld"', 'key = "so_can_bo"', "khóa cột \"so_can_bo\" bị trùng"),
        ('layout = "form"', 'layout = "grid"', "\"layout\" phải là"),
        ("trên tổng số {den:ty_le_nu} người", "", "không nêu mẫu số {den:ty_le_nu}"),  # a rate without its base
        ('severity = "warning"\nwhen = "blank(ghi_chu)"', 'severity = "error"\nwhen = "blank(ghi_chu)"',
         "reason_in_note chỉ dùng"),
    ],
)
def test_malformed_spec_is_refused_naming_file_and_problem(tmp_path, old, new, problem):
    folder = _copy(tmp_path)
    path = folder / "PL1.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_specs(folder)
    assert str(err.value).startswith("PL1.toml")
    assert problem in str(err.value)


def test_cross_annex_reference_must_name_a_form_annex(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "PL4b.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("PL1.tong_hien_co", "PL2.ten_tai_san", 1), encoding="utf-8")
    with pytest.raises(SpecError, match=r"PL4b.toml.*PL2 không phải phụ lục dạng một bản ghi"):
        load_specs(folder)


def test_filled_of_another_annexs_blank_as_zero_field_is_refused(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "PL4b.toml"
    text = path.read_text(encoding="utf-8")
    rule = "tong_cbccvc == PL1.tong_hien_co - PL1.so_nhdkct"
    assert rule in text
    path.write_text(text.replace(rule, "filled(PL1.so_nhdkct)", 1), encoding="utf-8")
    with pytest.raises(SpecError, match=r"PL4b.toml.*\"PL1.so_nhdkct\" để trống được hiểu là 0"):
        load_specs(folder)


KINDS = {"a": ex.NUM, "b": ex.NUM, "c": ex.NUM, "t": ex.TEXT, "d": ex.DATE}
TOL = "1E-12*MAX"


@pytest.mark.parametrize(
    ("source", "formula"),
    [
        ("a == b + c", f"ABS(A12-(B12+C12))<={TOL}(ABS(A12),ABS((B12+C12)),1)"),
        ("a <= b <= c", f"AND(A12-B12<={TOL}(ABS(A12),ABS(B12),1),B12-C12<={TOL}(ABS(B12),ABS(C12),1))"),
        ("t in ('X', 'Y \"q\"')", 'OR(TRIM(T12)="X",TRIM(T12)="Y ""q""")'),
        ("t not in ('X',)", 'NOT(OR(TRIM(T12)="X"))'),
        ("filled(t) and not blank(a)", "AND(LEN(TRIM(T12))>0,NOT(LEN(TRIM(A12))=0))"),
        ("abs(a - b) <= 0.01", f"ABS((A12-B12))-0.01<={TOL}(ABS(ABS((A12-B12))),1)"),
        ("a != 250", f"ABS(A12-250)>{TOL}(ABS(A12),250,1)"),
        ("max(a, b) > 0", f"MAX((A12+0),(B12+0))-0>{TOL}(ABS(MAX((A12+0),(B12+0))),1)"),
        ("d >= period_start", "INT(D12)>=DATE(2025,7,1)"),
        ("d + 30 <= period_start", "(INT(D12)+30)<=DATE(2025,7,1)"),
    ],
)
def test_expressions_compile_to_excel_formulas(source, formula):
    import datetime as dt

    e = ex.parse(source, KINDS, {"period_start": 0})
    assert to_excel(e, lambda k: f"{str(k).upper()}12", {"period_start": dt.date(2025, 7, 1)}) == formula


def test_expressions_evaluate_like_excel_with_blanks_as_zero():
    frame = pd.DataFrame({"a": [3.0, None, 2.0], "b": [1.0, 0.0, None], "c": [2.0, 0.0, 1.0],
                          "t": ["X", None, "Z"], "d": [1.0, 2.0, 3.0]})

    def get(k):
        col = frame[k]
        return col.fillna("") if KINDS[k] == ex.TEXT else col.fillna(0.0)

    def raw(k):
        return frame[k]

    assert evaluate(ex.parse("a == b + c", KINDS), get, raw, {}).tolist() == [True, True, False]
    assert evaluate(ex.parse("filled(t) and t in ('X', 'Y')", KINDS), get, raw, {}).tolist() == [
        True, False, False]
    assert evaluate(ex.parse("c <= b <= a", KINDS), get, raw, {}).tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        # Python reads these as "a in (1, 2) and (1, 2) < b": refuse rather than guess
        ("a in (1, 2) < b", "không viết \"in\" nối tiếp"),
        ("a < b in (1, 2)", "không viết \"in\" nối tiếp"),
        ("t not in ('X',) == t", "không viết \"in\" nối tiếp"),
        ("a != b != c", "a != b != c không bảo đảm a khác c"),
        ("a == b != c", "\"!=\" trong chuỗi so sánh"),
        ("a < b > c", "phải cùng một chiều"),
        ("a >= b <= c", "phải cùng một chiều"),
        # & and | bind tighter than comparisons in Python: "a > 0 & b > 0" is "a > (0 & b) > 0"
        ("a > 0 & b > 0", "dùng and, or, not thay cho &, |, ~"),
        ("(a > 0) | (b > 0)", "dùng and, or, not thay cho &, |, ~"),
        ("~(a > 0)", "dùng and, or, not thay cho &, |, ~"),
        # 'A' 'B' is one text 'AB' in Python: a missing comma
        ("t in ('A' 'B', 'C')", "thiếu dấu phẩy"),
        ("t == 'Đã xong' 'rồi'", "thiếu dấu phẩy"),
        # a text a cell can never hold once read (cells are NFC with white space folded)
        ("t == 'Đã hoàn thành '", "khoảng trắng thừa"),
        ("t == 'Xe  ô tô'", "viết 'Xe ô tô'"),
        ("t == 'Đa\u0303'", "Unicode dựng sẵn"),
        ("t in 'ABC'", "danh sách giá trị trong ngoặc"),
        ("a is b", "không được hỗ trợ"),
        ("a / b > 1", "không được hỗ trợ"),
    ],
)
def test_expressions_python_would_read_otherwise_are_refused_in_vietnamese(source, problem):
    with pytest.raises(ex.ExprError, match=re.escape(problem)):
        ex.parse(source, KINDS)


@pytest.mark.parametrize("source", ["a == b == c", "a <= b == c <= 10", "a >= b > c", "not a in (1, 2)",
                                    "t in ('A', 'B') and a < b", "a < b < c or t != 'x'"])
def test_unambiguous_chains_and_lists_are_accepted(source):
    assert ex.parse(source, KINDS).kind == ex.BOOL
