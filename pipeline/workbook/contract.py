"""Where an annex's cells sit on its sheet: shared by the template writer, the reader and the feedback.

Rows and columns here are Excel's (1-based); `cell(row, col)` gives A1 text.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.spec.annex import AnnexSpec

FIRST_DATA_ROW = 12  # rows 1–11: header block, titles, column headers, the (1) (2) … row
HEADER_ROW = 9
NUMBER_ROW = 11
FORM_COLUMNS = ("STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú")
FORM_VALUE_COL = 4  # D


def col_letter(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def cell(row: int, col: int, absolute: bool = False) -> str:
    d = "$" if absolute else ""
    return f"{d}{col_letter(col)}{d}{row}"


def parse_range(text: str) -> tuple[int, int, int, int]:
    """'B12:V211' or 'PL3!$B$12:$V$211' -> (first_row, first_col, last_row, last_col)."""
    body = text.split("!")[-1].replace("$", "")
    a, _, b = body.partition(":")
    b = b or a

    def split(ref: str) -> tuple[int, int]:
        i = next(i for i, ch in enumerate(ref) if ch.isdigit())
        return int(ref[i:]), col_number(ref[:i])

    (r1, c1), (r2, c2) = split(a), split(b)
    return r1, c1, r2, c2


@dataclass(frozen=True)
class Layout:
    """The geometry of one annex sheet, derived from its spec alone."""

    spec: AnnexSpec

    @property
    def first_row(self) -> int:
        return FIRST_DATA_ROW

    @property
    def last_row(self) -> int:
        return FIRST_DATA_ROW + self.spec.n_rows - 1

    @property
    def first_col(self) -> int:
        return FORM_VALUE_COL if self.spec.layout == "form" else 2

    def col_of(self, key: str) -> int:
        """Table: the column of a key (inputs first, then derived). Form: the value column."""
        if self.spec.layout == "form":
            return FORM_VALUE_COL
        keys = [*self.spec.keys, *(d.key for d in self.spec.derived)]
        return 2 + keys.index(key)

    @property
    def last_col(self) -> int:
        if self.spec.layout == "form":
            return FORM_COLUMNS.index("Ghi chú") + 1
        return 1 + len(self.spec.columns) + len(self.spec.derived)

    def row_of(self, key: str, record_row: int | None = None) -> int:
        """Form: the row of a field. Table: the record's own row."""
        if self.spec.layout == "form":
            return FIRST_DATA_ROW + self.spec.keys.index(key)
        assert record_row is not None
        return record_row

    def cell_of(self, key: str, record_row: int | None = None) -> str:
        return cell(self.row_of(key, record_row), self.col_of(key))

    @property
    def data_range(self) -> str:
        """Exactly the annex's input cells, columns in spec order (what `<ID>_data` names)."""
        if self.spec.layout == "form":
            return f"{cell(self.first_row, FORM_VALUE_COL, True)}:{cell(self.last_row, FORM_VALUE_COL, True)}"
        last = 1 + len(self.spec.columns)
        return f"{cell(self.first_row, 2, True)}:{cell(self.last_row, last, True)}"

    @property
    def signature_row(self) -> int:
        return self.last_row + 3
