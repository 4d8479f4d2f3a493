"""One semantics for the rule language, case by case: a table of expressions, cell values and the verdict the
README's semantics gives. The pandas half (the validator's own path: the workbook read by calamine, values
coerced by the reader, the rule judged by `Context.passes`) checks the table without any office program; the
LibreOffice half recalculates the Excel back-end's formula for every case in one soffice call and finds the
same verdict."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pipeline.intake.read import read_book
from pipeline.intake.values import coerce
from pipeline.judge.validate import Context, build_frame
from pipeline.models import AnnexData
from pipeline.spec import expr as ex
from pipeline.spec.annex import AnnexSpec, Rule, load_specs
from pipeline.spec.excel import to_excel
from pipeline.workbook.contract import col_letter

from .conftest import needs
from .helpers import libreoffice_recalculate
from .test_checks import FUNCTION_CALL, SHARED_FUNCTIONS

CONSTANTS = {"period_start": dt.date(2025, 7, 1), "period_end": dt.date(2025, 12, 31),
             "deadline": dt.date(2026, 1, 15)}
SPECS = {
    "T.toml": """id = "T"\ncode = "t"\nsheet = "T"\ntitle = "Bảng thử"\nlayout = "table"\n"""
              + "".join(f'[[columns]]\nkey = "{k}"\nlabel = "{k}"\ntype = "{t}"\n' for k, t in (
                  ("a", "decimal"), ("b", "decimal"), ("c", "decimal"), ("n", "int"), ("t", "text"),
                  ("u", "text"), ("d", "date"), ("e", "date"))),
    "F.toml": """id = "F"\ncode = "f"\nsheet = "F"\ntitle = "Biểu thử"\nlayout = "form"\n"""
              + "".join(f'[[columns]]\nkey = "{k}"\nlabel = "{k}"\ntype = "{t}"\n' for k, t in (
                  ("x", "decimal"), ("s", "text"), ("y", "date"), ("z", "text"))),
}
D = dt.date
T = dt.datetime
FIRST_ROW = 2

# (expression, cell values, verdict); a key absent is a truly empty cell; F_x is field x of the form annex F
CASES: list[tuple[str, dict[str, object], bool]] = [
    # arithmetic, blanks as 0
    ("a == b + c", {"a": 5, "b": 2, "c": 3}, True),
    ("a == b + c", {"a": 5, "b": 2, "c": 2}, False),
    ("a == b + c", {}, True),
    ("a == b + c", {"a": 5, "b": 5}, True),
    ("-a == b - c", {"a": 2, "b": 1, "c": 3}, True),
    ("a - b * c == 1", {"a": 7, "b": 2, "c": 3}, True),
    ("a * (b + c) == 10", {"a": 2, "b": 2, "c": 3}, True),
    ("a - b == -3", {"b": 3}, True),
    ("a * b == 0", {"b": 7}, True),
    ("n * 2 == a", {"n": 4, "a": 8}, True),
    # decimals: equal within the relative tolerance 1e-12, whole numbers exact below 10^12
    ("a == b + c", {"a": 0.3, "b": 0.1, "c": 0.2}, True),
    ("a == b - c", {"a": 0.1, "b": 0.3, "c": 0.2}, True),
    ("a * 3 == b", {"a": 0.1, "b": 0.3}, True),
    ("a + b + c == 1", {"a": 0.7, "b": 0.2, "c": 0.1}, True),
    ("a * b == c", {"a": 1.1, "b": 1.1, "c": 1.21}, True),
    ("a + b == c", {"a": 1234.56, "b": 0.01, "c": 1234.57}, True),
    ("a != b + c", {"a": 0.3, "b": 0.1, "c": 0.2}, False),
    ("a + b <= c", {"a": 0.1, "b": 0.2, "c": 0.3}, True),
    ("a + b > c", {"a": 0.1, "b": 0.2, "c": 0.3}, False),
    ("c < a + b", {"a": 0.1, "b": 0.2, "c": 0.3}, False),
    ("c >= a + b", {"a": 0.1, "b": 0.2, "c": 0.3}, True),
    ("a == b", {"a": 100.000001, "b": 100}, False),
    ("a == b", {"a": 0.1, "b": 0.1000001}, False),
    ("a <= b", {"a": 100000000001, "b": 100000000000}, False),
    ("a == b", {"a": 123456789.12, "b": 123456789.12}, True),
    ("abs(a - b) <= 0.01", {"a": 1.005, "b": 1}, True),
    ("abs(a - b) <= 0.01", {"a": 1.02, "b": 1}, False),
    # each comparison, chains
    ("a < b", {"a": 1, "b": 2}, True),
    ("a < b", {"a": 2, "b": 2}, False),
    ("a <= b", {"a": 2, "b": 2}, True),
    ("a <= b", {"a": 3, "b": 2}, False),
    ("a <= b", {"b": -1}, False),
    ("a > b", {"a": 3, "b": 2}, True),
    ("a > b", {"a": 2, "b": 2}, False),
    ("a >= b", {"a": 1, "b": 2}, False),
    ("a >= b", {}, True),
    ("a != b", {"a": 1, "b": 2}, True),
    ("a <= b <= c", {"a": 1, "b": 2, "c": 3}, True),
    ("a <= b <= c", {"a": 1, "b": 3, "c": 2}, False),
    ("a < b < c", {"a": 1, "b": 1, "c": 2}, False),
    ("a >= b > c", {"a": 3, "b": 2, "c": 1}, True),
    ("a == b == c", {"a": 2, "b": 2, "c": 2}, True),
    ("a == b == c", {"a": 2, "b": 2, "c": 3}, False),
    ("0 <= a <= 100", {}, True),
    # and / or / not
    ("a > 0 and b > 0", {"a": 1, "b": 1}, True),
    ("a > 0 and b > 0", {"a": 1}, False),
    ("a > 0 or b > 0", {}, False),
    ("a > 0 or b > 0", {"b": 1}, True),
    ("not a > b", {"a": 1, "b": 2}, True),
    ("not a > b", {"a": 3, "b": 2}, False),
    ("a > 0 and (b > 0 or c > 0)", {"a": 1, "c": 1}, True),
    ("not (a > 0 or b > 0)", {}, True),
    # in / not in
    ("n in (1, 2, 3)", {"n": 2}, True),
    ("n in (1, 2, 3)", {"n": 4}, False),
    ("n in (1, 2, 3)", {}, False),
    ("n not in (1, 2)", {}, True),
    ("n in (0, 5)", {}, True),
    ("a in (0.3, 1)", {"a": 0.3}, True),
    ("t in ('Xe ô tô', 'Khác')", {"t": "xe Ô TÔ"}, True),
    ("t in ('Xe ô tô', 'Khác')", {"t": "  Xe ô tô "}, True),
    ("t in ('Xe ô tô', 'Khác')", {"t": "Xe máy"}, False),
    ("t not in ('A', 'B')", {"t": "a"}, False),
    ("t not in ('A', 'B')", {}, True),
    ("t in ('', 'A')", {}, True),
    # text: case ignored, white space folded as the reader folds it, accents kept
    ("t == 'abc'", {"t": "ABC"}, True),
    ("t == 'Đã hoàn thành'", {"t": "ĐÃ HOÀN THÀNH"}, True),
    ("t != 'abc'", {"t": "Abc"}, False),
    ("t == u", {"t": "Nguyễn Văn A", "u": "NGUYỄN VĂN A"}, True),
    ("t == u", {"t": "a", "u": "b"}, False),
    ("t == u", {}, True),
    ("t == ''", {}, True),
    ("t == ''", {"t": "   "}, True),
    ("t == '123'", {"t": 123}, True),
    ("t == 'abc'", {"t": "  abc  "}, True),
    ("t == 'a b'", {"t": "a   b"}, True),
    ("t == 'abc'", {"t": "abd"}, False),
    ("t == 'da'", {"t": "đa"}, False),
    ("t == 'ha'", {"t": "hà"}, False),
    ("t != u", {"t": "Hà Nội", "u": "hà nội"}, False),
    # min / max / abs: a blank is 0 there too
    ("min(a, b) == 0", {"a": 5}, True),
    ("max(a, b) == 0", {"a": -5}, True),
    ("min(a, b, c) == -2", {"a": 3, "c": -2}, True),
    ("max(a, b) == 7", {"a": 7, "b": 3}, True),
    ("min(a, b) == 0", {}, True),
    ("min(a + b, c) == 1", {"b": 1, "c": 2}, True),
    ("abs(a) == 3", {"a": -3}, True),
    ("abs(a) == 0", {}, True),
    ("max(d, e) <= period_end", {"d": D(2025, 7, 1)}, True),
    ("min(d, e) >= period_start", {"d": D(2025, 7, 1)}, False),
    # filled / blank
    ("filled(a)", {"a": 0}, True),
    ("filled(a)", {}, False),
    ("blank(t)", {}, True),
    ("blank(t)", {"t": "   "}, True),
    ("filled(d)", {"d": D(2025, 7, 1)}, True),
    ("filled(t) and t == 'A'", {"t": "a"}, True),
    # the round's dates, dates as whole days
    ("d >= period_start", {"d": D(2025, 7, 1)}, True),
    ("d >= period_start", {"d": D(2025, 6, 30)}, False),
    ("d >= period_start", {}, False),
    ("d <= period_end", {"d": D(2026, 1, 1)}, False),
    ("period_start <= d <= period_end", {"d": D(2025, 9, 2)}, True),
    ("d <= deadline", {"d": D(2026, 1, 15)}, True),
    ("d + 30 <= e", {"d": D(2025, 7, 1), "e": D(2025, 7, 31)}, True),
    ("d + 30 <= e", {"d": D(2025, 7, 1), "e": D(2025, 7, 30)}, False),
    ("e - d == 184", {"d": D(2025, 7, 1), "e": D(2026, 1, 1)}, True),
    ("d < e", {}, False),
    # dates with a time of day: the day counts
    ("d <= period_end", {"d": T(2025, 12, 31, 14, 30)}, True),
    ("d == e", {"d": T(2025, 7, 1, 8, 0), "e": T(2025, 7, 1, 17, 45)}, True),
    ("d > e", {"d": T(2025, 7, 1, 17, 45), "e": T(2025, 7, 1, 8, 0)}, False),
    ("d == period_start", {"d": T(2025, 7, 1, 23, 59)}, True),
    ("e - d == 1", {"d": T(2025, 7, 1, 23, 0), "e": T(2025, 7, 2, 1, 0)}, True),
    ("d == period_start", {"d": 45839.75}, True),  # a date-time serial typed into a cell formatted General
    # a field of another annex: blank is 0 (or "") as on the annex itself
    ("a == F_x", {"a": 5, "F_x": 5}, True),
    ("a == F_x", {"a": 5}, False),
    ("a == F_x", {}, True),
    ("a <= F_x - 1", {"a": 2, "F_x": 3}, True),
    ("F_x >= 0", {}, True),
    ("min(a, F_x) == 0", {"a": 4}, True),
    ("t == F_s", {"t": "ABC", "F_s": "abc"}, True),
    ("t == F_s", {}, True),
    ("d >= F_y", {"d": D(2025, 7, 1), "F_y": T(2025, 7, 1, 18, 0)}, True),
    ("d <= F_y", {"d": D(2025, 7, 2)}, False),
    ("filled(F_x)", {}, False),
    ("blank(F_y)", {}, True),
]


def _source(expr: str) -> str:
    return expr.replace("F_", "F.")


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnnexSpec]:
    folder = tmp_path_factory.mktemp("specs")
    for name, text in SPECS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_specs(folder).annexes


def _parse(expr: str, specs: dict[str, AnnexSpec]) -> ex.Expr:
    kinds = {c.key: c.kind for c in specs["T"].columns}
    foreign = {"F": {c.key: c.kind for c in specs["F"].columns}}
    return ex.parse(_source(expr), kinds, dict.fromkeys(CONSTANTS, 0), foreign)


def _cell(key: str, row: int, specs: dict[str, AnnexSpec]) -> str:
    if key.startswith("F_"):
        return f"'F'!${col_letter(specs['F'].keys.index(key[2:]) + 1)}${row}"
    return f"${col_letter(specs['T'].keys.index(key) + 1)}${row}"


def _write(sheet, fmt, row: int, col: int, value: object) -> None:
    if isinstance(value, dt.datetime | dt.date):
        sheet.write_datetime(row, col, value, fmt[type(value)])
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    else:
        sheet.write_number(row, col, value)


@pytest.fixture(scope="module")
def book(specs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case on its own row: T's cells, F's cells on sheet F, and the formula (1 holds, 0 fails)."""
    path = tmp_path_factory.mktemp("cases") / "cases.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    fmt = {dt.date: wb.add_format({"num_format": "dd/mm/yyyy"}),
           dt.datetime: wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})}
    sheets = {"T": wb.add_worksheet("T"), "F": wb.add_worksheet("F")}
    result_col = len(specs["T"].keys) + 1
    for annex, sheet in sheets.items():
        for c, key in enumerate(specs[annex].keys):
            sheet.write_string(0, c, key)
    for i, (expr, values, _) in enumerate(CASES):
        row = FIRST_ROW + i
        sheets["F"].write_string(row - 1, specs["F"].keys.index("z"), "có")  # the form is never empty
        for key, value in values.items():
            annex, k = ("F", key[2:]) if key.startswith("F_") else ("T", key)
            _write(sheets[annex], fmt, row - 1, specs[annex].keys.index(k), value)
        ok = to_excel(_parse(expr, specs), lambda k, r=row: _cell(k if isinstance(k, str) else f"F_{k[1]}", r, specs),
                      CONSTANTS)
        sheets["T"].write_formula(row - 1, result_col, f"=IFERROR(IF({ok},1,0),-1)", None, "")
    wb.close()
    return path


def _record(spec: AnnexSpec, grid: list[list[object]], row: int) -> AnnexData:
    line = grid[row - 1] if row - 1 < len(grid) else []
    data = AnnexData(spec, spec.sheet, rows=[row])
    typed = []
    for i, col in enumerate(spec.columns):
        value, note = coerce(line[i] if i < len(line) else "", col)
        if note is not None and value is None:
            data.bad.add((row, col.key))  # as the reader marks a cell it could not read
        typed.append(value)
    data.values.append(tuple(typed))
    return data


@pytest.fixture(scope="module")
def pandas_verdicts(specs, book) -> list[bool]:
    """The validator's verdict on each case, from the workbook as the reader reads it."""
    grids = read_book(book, frozenset({"t", "f"})).sheets
    out = []
    for i, (expr, _, _) in enumerate(CASES):
        row = FIRST_ROW + i
        af = build_frame(specs["T"], [(0, _record(specs["T"], grids["T"], row))])
        form = build_frame(specs["F"], [(0, _record(specs["F"], grids["F"], row))])
        ctx = Context(af, {"F": form}, CONSTANTS)
        out.append(bool(ctx.passes(Rule("r", _parse(expr, specs), "")).iloc[0]))
    return out


@pytest.fixture(scope="module")
def excel_verdicts(specs, book, tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """Each case's formula as headless LibreOffice computes it (one soffice call for the whole table)."""
    work = tmp_path_factory.mktemp("recalc")
    (out,) = libreoffice_recalculate([book], work / "out", work / "profile")
    sheet = openpyxl.load_workbook(out, data_only=True)["T"]
    col = len(specs["T"].keys) + 2
    return [sheet.cell(FIRST_ROW + i, col).value for i in range(len(CASES))]


CASE_IDS = [f"{i:03d} {e} {v}" for i, (e, v, _) in enumerate(CASES)]


def test_the_table_covers_enough_expressions_and_every_construct():
    assert len({e for e, _, _ in CASES}) >= 40 and len(CASES) >= 100
    text = " ".join(e for e, _, _ in CASES)
    for construct in ("+", "-", "*", "==", "!=", "<", "<=", ">", ">=", " and ", " or ", "not ", " in (", "not in",
                      "abs(", "min(", "max(", "filled(", "blank(", "period_start", "period_end", "deadline", "F_"):
        assert construct in text, construct


@pytest.mark.parametrize("i", range(len(CASES)), ids=CASE_IDS)
def test_pandas_back_end_gives_the_tables_verdict(pandas_verdicts, i):
    assert pandas_verdicts[i] is CASES[i][2]


def test_formulas_use_only_functions_every_program_has(book):
    for row in openpyxl.load_workbook(book)["T"].iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                used = set(FUNCTION_CALL.findall(c.value))
                assert used <= SHARED_FUNCTIONS, (c.coordinate, used - SHARED_FUNCTIONS)


@needs("soffice")
@pytest.mark.parametrize("i", range(len(CASES)), ids=CASE_IDS)
def test_libreoffice_gives_the_same_verdict(excel_verdicts, pandas_verdicts, i):
    got = excel_verdicts[i]
    assert got in (0, 1), f"formula gave {got!r}"
    assert bool(got) is CASES[i][2] is pandas_verdicts[i]


def test_a_rule_on_another_annex_the_unit_does_not_file_is_left_out(specs, book):
    """As the template leaves such a rule out: a submission without a record of F is not judged on F."""
    grids = read_book(book, frozenset({"t"})).sheets
    i = next(i for i, (e, v, ok) in enumerate(CASES) if e == "a == F_x" and not ok)
    af = build_frame(specs["T"], [(0, _record(specs["T"], grids["T"], FIRST_ROW + i))])
    ctx = Context(af, {"F": build_frame(specs["F"], [])}, CONSTANTS)
    assert ctx.passes(Rule("r", _parse("a == F_x", specs), "")).tolist() == [True]
