"""Check tests/fixtures/real/ against its manifest: every typed value is in the cell the manifest names.

Run with the project's interpreter (python-calamine, openpyxl):

    PYTHONPATH=. .venv/bin/python tests/corpus/check_manifest.py

Values are read with python-calamine (xlsx, xls, ods) or the csv module; formulas and cached error
values of xlsx files with openpyxl. A typed text is expected back as LibreOffice reads it in the
file's locale: "1.234" is the number 1234 in vi-VN, "2026-06-30" a date in en-US, "=…" a formula.
Exit status 1 when a value is missing or different.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
EXCEL_EPOCH = dt.date(1899, 12, 30)


def expected(typed: str, locale: str) -> tuple[str, Any]:
    """(kind, value) that LibreOffice makes of `typed` in `locale`: number, date, formula or text."""
    if typed.startswith("="):
        return "formula", typed
    if locale == "vi-VN":
        if re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+(?:,\d+)?", typed):
            return "number", float(typed.replace(".", "").replace(",", "."))
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", typed):
            return "date", dt.date(int(m[3]), int(m[2]), int(m[1]))
    else:
        if re.fullmatch(r"-?\d+(?:\.\d+)?", typed):
            return "number", float(typed)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed):
            return "date", dt.date.fromisoformat(typed)
    return "text", typed


def from_csv_text(text: str) -> Any:
    """A CSV field as shown in its cell (en-US): '1,234' and '30/06/2026' back to number and date."""
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?|-?\d+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    if m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    return text


def matches(kind: str, want: Any, got: Any) -> bool:
    if isinstance(got, dt.datetime):
        got = got.date()
    if kind == "number":
        return isinstance(got, int | float) and not isinstance(got, bool) and abs(got - want) < 1e-9
    if kind == "date":  # a date typed into a number-formatted cell stays a serial number
        return got == want or (isinstance(got, int | float) and got == (want - EXCEL_EPOCH).days)
    return got == want


class Cells:
    """The values of one file: calamine for spreadsheets, the csv module for CSV."""

    def __init__(self, path: Path, entry: dict) -> None:
        self.path = path
        if entry["format"] == "csv":
            with path.open(encoding="utf-8", newline="") as f:
                rows = [[from_csv_text(v) for v in row] for row in csv.reader(f)]
            self.sheets = {entry["csv_sheet"]: rows}
        else:
            wb = CalamineWorkbook.from_path(str(path))
            self.sheets = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                           for name in wb.sheet_names}
        self.formulas = openpyxl.load_workbook(path) if entry["format"] == "xlsx" else None
        self.cached = openpyxl.load_workbook(path, data_only=True) if self.formulas else None

    def value(self, sheet: str, cell: str) -> Any:
        letters = cell.rstrip("0123456789")
        row, col = int(cell[len(letters):]) - 1, openpyxl.utils.column_index_from_string(letters) - 1
        rows = self.sheets.get(sheet, [])
        return rows[row][col] if row < len(rows) and col < len(rows[row]) else None

    def formula(self, sheet: str, cell: str) -> tuple[Any, Any]:
        """(stored formula, cached value) of an xlsx cell, or (None, None) for other formats."""
        if self.formulas is None:
            return None, None
        return self.formulas[sheet][cell].value, self.cached[sheet][cell].value


def check_file(name: str, entry: dict) -> tuple[int, list[str], list[str]]:
    """(cells checked, problems, remarks on formula cells)."""
    cells = Cells(REAL / name, entry)
    problems, remarks = [], []
    for t in entry["typed"]:
        sheet, cell, typed = t["sheet"], t["cell"], t["typed"]
        kind, want = expected(typed, entry["locale"])
        got = cells.value(sheet, cell)
        if kind == "formula":
            stored, cached = cells.formula(sheet, cell)
            if cells.formulas is not None and not (isinstance(stored, str) and stored.startswith("=")):
                problems.append(f"{sheet}!{cell}: typed {typed!r}, no formula there ({stored!r})")
            remarks.append(f"{sheet}!{cell}: typed {typed!r} -> formula {stored!r}, cached {cached!r}, "
                           f"calamine {got!r}")
        elif not matches(kind, want, got):
            problems.append(f"{sheet}!{cell}: typed {typed!r} ({kind} {want!r}), file has {got!r}")
    return len(entry["typed"]), problems, remarks


def main() -> int:
    manifest = json.loads((REAL / "manifest.json").read_text(encoding="utf-8"))
    print(f"{'file':36} {'format':6} {'locale':6} {'typed':>5} {'ok':>5}  behaviour")
    failed = 0
    details: list[str] = []
    for name, entry in manifest["files"].items():
        n, problems, remarks = check_file(name, entry)
        failed += bool(problems)
        print(f"{name:36} {entry['format']:6} {entry['locale']:6} {n:5} {n - len(problems):5}  {entry['behaviour']}")
        details += [f"  {name}: {line}" for line in problems + remarks]
    print("\n".join(details))
    print(f"{len(manifest['files'])} files, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
