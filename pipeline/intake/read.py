"""Stage 2b: read a workbook's cell values with python-calamine into plain, picklable data.

`read_book` runs in a worker process (see isolate.py), so it returns data, never raises for a bad file:
a file that cannot be read comes back with `error` set to an issue code and a detail.
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineError, PasswordError, ZipError, load_workbook

from pipeline.intake.read_ods import SheetFilter, read_ods
from pipeline.models import RawBook
from pipeline.workbook.contract import FIRST_DATA_ROW, META_SHEET


def read_book(path: Path, wanted: frozenset[str], max_rows: int = 5000) -> RawBook:
    """Read `_meta` and the annex sheets (named in `wanted`, casefolded, or renamed) from A1, at most
    `max_rows` rows each."""
    book = RawBook()
    try:
        wb = load_workbook(str(path))
        book.sheet_names = list(wb.sheet_names)
        wants = SheetFilter(wanted)
        for name in wb.sheet_names:
            if name == META_SHEET:
                rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=2000)
                book.meta = {_text(r[0]): _text(r[1]) for r in rows if len(r) >= 2 and _text(r[0])}
            elif wants(name):
                sheet = wb.get_sheet_by_name(name)
                book.sheets[name] = [list(r) for r in sheet.to_python(skip_empty_area=False, nrows=max_rows)]
                if merged := _merged_below_header(sheet.merged_cell_ranges):
                    book.merges[name] = merged
    except PasswordError:
        book.error = ("encrypted", "")
    except (ZipError, CalamineError) as exc:
        if path.suffix.lower() == ".ods" or _is_ods(path):
            return _second_reader(path, wanted, max_rows, exc)
        book.error = ("unreadable", _short(exc))
    except (OSError, ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        book.error = ("unreadable", _short(exc))
    return book


def _merged_below_header(ranges: list[tuple[tuple[int, int], tuple[int, int]]] | None,
                         ) -> list[tuple[int, int, int, int]]:
    """Merged ranges reaching the data rows, 1-based (r1, c1, r2, c2); the template's own header merges are
    above them. calamine gives none for .ods (None)."""
    return [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in ranges or () if r2 + 1 >= FIRST_DATA_ROW]


def _is_ods(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.read("mimetype")[:46] == b"application/vnd.oasis.opendocument.spreadsheet"
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def _second_reader(path: Path, wanted: frozenset[str], max_rows: int, first: BaseException) -> RawBook:
    """calamine cannot read some producers' .ods (Gnumeric's): try odfpy before giving up."""
    try:
        return read_ods(path, wanted, max_rows)
    except Exception:  # noqa: BLE001 - a file that neither reader can read is this file's problem
        return RawBook(error=("unreadable", _short(first)))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _short(exc: BaseException) -> str:
    """Why a reader gave up, as the unit reads it: the library's own words are English and technical."""
    if isinstance(exc, OSError):
        return "không mở được tệp"
    return "nội dung bảng tính bị hỏng hoặc không đúng định dạng"
