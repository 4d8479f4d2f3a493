"""An XlsxWriter workbook whose worksheets skip the future-function rewrite for formulas that need none.

XlsxWriter rewrites every formula with one regular expression per function Excel added after 2010 (about 200
for a conditional format), to prefix them `_xlfn.`: that took 60 % of a template's build. Our formulas use
only functions Excel 2010, LibreOffice and WPS share (template/checks.py), which it never rewrites; a formula
whose every called name is one of them is passed as written (its leading "=" and array braces removed, as
XlsxWriter does), any other goes through XlsxWriter's own rewrite. A test checks that XlsxWriter leaves each of
these names alone.

A table's helper columns hold one formula down a few hundred rows: `write_formula_down` checks it once and stores
each row's formula as `write_formula` would (a third of a template's build went to checking it row by row).
"""

from __future__ import annotations

import re

import xlsxwriter
from xlsxwriter.worksheet import CellFormulaTuple, Worksheet, re_dynamic_function

# functions XlsxWriter never prefixes, with or without future functions (what our formulas call)
PLAIN_FUNCTIONS = frozenset({"IF", "AND", "OR", "NOT", "LEN", "TRIM", "ISNUMBER", "INT", "ISNA", "MATCH", "IFERROR",
                             "COUNTA", "COUNTIF", "SUM", "SUMPRODUCT", "ABS", "MIN", "MAX", "DATE", "VALUE",
                             "SUBSTITUTE", "ROUND"})
# every name written before "(" (also inside quoted text, which XlsxWriter rewrites too): any other name, or a
# character before one that could make XlsxWriter see another, sends the formula through its rewrite
_CALLED = re.compile(r"[^\s(,=+*/<>&:;{}^%-]*\(")


class FastSheet(Worksheet):
    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if "_xlfn." not in formula and all(name[:-1] in PLAIN_FUNCTIONS or name == "("
                                           for name in _CALLED.findall(formula)):
            formula = formula.removeprefix("{").removeprefix("=")
            return formula.removesuffix("}")
        return super()._prepare_formula(formula, expand_future_functions)

    def write_formula_down(self, col: int, rows: range, formula: str, cell_format=None, value: float = 0) -> None:
        """`formula` ("{r}" standing for the row's Excel number) in column `col` of the 0-based `rows`."""
        sample = "=" + formula.replace("{r}", "1")
        if self.constant_memory or re_dynamic_function.search(sample) or self._prepare_formula(sample) != sample[1:]:
            for row in rows:
                self.write_formula(row, col, "=" + formula.replace("{r}", str(row + 1)), cell_format, value)
            return
        for row in rows:
            if self._check_dimensions(row, col) == 0:
                self.table[row][col] = CellFormulaTuple(formula.replace("{r}", str(row + 1)), cell_format, value)


class Workbook(xlsxwriter.Workbook):
    worksheet_class = FastSheet
