"""The workbook contract: what the template writer, the reader, the filler, the feedback patcher, the live
checks, the roll-up and the tests agree on about a template. No other module spells these.

A template describes itself: a hidden sheet `META_SHEET` holds key/value rows in A:B (`TemplateMeta`), and a
workbook-level name `data_name(ID)` covers exactly an annex's input cells. Where an annex's cells sit on its
sheet follows from its spec alone (`Layout`). Rows and columns are Excel's (1-based).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.spec.annex import AnnexSpec

GENERATOR = "annex-pipeline 0.1"

# Sheets of a template, and the sheets feedback puts in front of a unit's own workbook.
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDE_SHEET = "Hướng dẫn"
CHECK_SHEET = "Kiểm tra"
REPORT_SHEET = "Lỗi cần sửa"
CHANGES_SHEET = "Thay đổi"
NOT_ANNEX_SHEETS = frozenset(s.casefold() for s in (META_SHEET, LISTS_SHEET, GUIDE_SHEET, CHECK_SHEET, REPORT_SHEET,
                                                     CHANGES_SHEET))

# Rows of an annex sheet.
HEADER_BLOCK_ROWS = 8  # rows 1–8: header block, status line (row 3), titles, unit, period, unit of measure
STATUS_ROW = 3  # "✓ Sẵn sàng gửi" / "✗ Còn n lỗi"
UNIT_ROW = 6  # "Đơn vị báo cáo: <name> (mã <code>)"
HEADER_ROW = 9  # column headers span rows 9–10
NUMBER_ROW = 11  # the (1) (2) … row; hidden helper columns (a table's, a form's cross-sheet rules) are named here
FIRST_DATA_ROW = 12
FORM_COLUMNS = ("STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú")
FORM_VALUE_COL = 4  # D
SIGNATURE_GAP = 3  # the signature block starts this many rows below the last data row
# A table without preset rows shows this many empty rows (a printed page with the header block); its other rows
# are grouped and hidden, so the signature block prints right after the rows in use. The "+" in the margin (or
# Excel's "Unhide") shows them; fill and feedback show every row in use.
SHOWN_ROWS = 15

# The signature block under every annex: left and right titles, then what to write under them.
SIGNATURE_TITLES = ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ")
SIGNATURE_HINTS = ("(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu)")

# Typed in a table's first input cell, says the unit has nothing to report in that annex (an empty table is
# refused as not filled in).
NONE_TEXT = "Không có"

# The "Kiểm tra" sheet: one row per check from FIRST_CHECK_ROW, columns A..H.
CHECK_STATUS_CELL = "A2"  # the whole workbook's status line
FIRST_CHECK_ROW = 5
CHECK_COLUMNS = ("STT", "Phụ lục", "Nội dung kiểm tra", "Mức độ", "Kết quả", "Số chỗ sai", "Cần sửa ở", "Mã")
CHECK_ANNEX_COL, CHECK_SEVERITY_COL, CHECK_RESULT_COL, COUNT_COL, CHECK_CODE_COL = 2, 4, 5, 6, 8
MAX_CHECKS = 500

# Fills: an error's red and a warning's yellow (RRGGBB); where two marks meet on one cell, the error's wins.
ERROR_FILL, WARNING_FILL = "FFC7CE", "FFEB9C"


def data_name(annex_id: str) -> str:
    """The defined name covering an annex's input cells (table: rows × columns in spec order)."""
    return f"{annex_id}_data"


def list_name(annex_id: str, key: str) -> str:
    """The defined name of a category column's list on the hidden lists sheet."""
    return f"list_{annex_id}_{key}"


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
    """Where one annex's cells sit on its sheet, derived from its spec alone."""

    spec: AnnexSpec

    @property
    def form(self) -> bool:
        return self.spec.layout == "form"

    @property
    def first_row(self) -> int:
        return FIRST_DATA_ROW

    @property
    def last_row(self) -> int:
        return FIRST_DATA_ROW + self.spec.n_rows - 1

    @property
    def shown_last_row(self) -> int:
        """The last row shown in a blank template: every row of a form or of preset rows, else SHOWN_ROWS."""
        if self.form or self.spec.preset_rows:
            return self.last_row
        return min(self.last_row, FIRST_DATA_ROW + SHOWN_ROWS - 1)

    def rows_to_hide(self, used: int = 0) -> range:
        """The table rows to hide when rows up to `used` are in use: those beyond a page and beyond `used`."""
        return range(max(self.shown_last_row, used) + 1, self.last_row + 1)

    @property
    def first_col(self) -> int:
        return FORM_VALUE_COL if self.form else 2

    @property
    def last_col(self) -> int:
        if self.form:
            return len(FORM_COLUMNS)
        return 1 + len(self.spec.columns) + len(self.spec.derived)

    @property
    def note_col(self) -> int:
        """Form: the "Ghi chú" column beside the values."""
        return FORM_COLUMNS.index("Ghi chú") + 1

    def col_of(self, key: str) -> int:
        """Table: the column of a key (inputs first, then derived). Form: the value column."""
        if self.form:
            return FORM_VALUE_COL
        keys = [*self.spec.keys, *(d.key for d in self.spec.derived)]
        return 2 + keys.index(key)

    def row_of(self, key: str, record_row: int | None = None) -> int:
        """Form: the row of a field. Table: the record's own row."""
        if self.form:
            return FIRST_DATA_ROW + self.spec.keys.index(key)
        assert record_row is not None
        return record_row

    def position(self, key: str, record_row: int | None = None) -> tuple[int, int]:
        return self.row_of(key, record_row), self.col_of(key)

    def cell_of(self, key: str, record_row: int | None = None) -> str:
        return cell(*self.position(key, record_row))

    @property
    def width(self) -> int:
        """Input columns of the data range (form: 1)."""
        return 1 if self.form else len(self.spec.columns)

    @property
    def data_range(self) -> str:
        """Exactly the annex's input cells, columns in spec order (what `data_name` names)."""
        last = self.first_col + self.width - 1
        return f"{cell(self.first_row, self.first_col, True)}:{cell(self.last_row, last, True)}"

    @property
    def signature_row(self) -> int:
        return self.last_row + SIGNATURE_GAP


# `_meta`: global keys, then per annex `<field>:<ID>`, and per rolled-up row `origin:<ID>:<row>`.
META_KEYS = ("template_id", "generator", "spec_version", "round_id", "round_title", "unit_code", "unit_name",
             "unit_khoi", "annexes")
ANNEX_FIELDS = ("annex", "layout", "columns", "range", "version", "fingerprint", "row_key")
ORIGIN = "origin"


@dataclass(frozen=True)
class AnnexMeta:
    """What a template says of one annex: its sheet name, layout, keys in order, input range, version."""

    sheet: str
    layout: str = ""
    columns: tuple[str, ...] = ()
    range: str = ""
    version: str = ""
    fingerprint: str = ""
    row_key: str = ""

    @classmethod
    def of(cls, spec: AnnexSpec) -> AnnexMeta:
        return cls(spec.sheet, spec.layout, spec.keys, f"{spec.sheet}!{Layout(spec).data_range}", str(spec.version),
                   spec.fingerprint, spec.row_key)

    def rows(self, annex_id: str) -> list[tuple[str, str]]:
        values = (self.sheet, self.layout, ",".join(self.columns), self.range, self.version, self.fingerprint,
                  self.row_key)
        return [(f"{name}:{annex_id}", v) for name, v in zip(ANNEX_FIELDS, values, strict=True)
                if v or name != "row_key"]


@dataclass
class TemplateMeta:
    """The parsed `_meta` sheet. `values` holds the global keys; unknown keys are kept there too."""

    values: dict[str, str] = field(default_factory=dict)
    annexes: dict[str, AnnexMeta] = field(default_factory=dict)
    origins: dict[str, dict[int, str]] = field(default_factory=dict)  # annex id -> row -> where it came from

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @classmethod
    def parse(cls, raw: dict[str, str]) -> TemplateMeta:
        meta = cls()
        per_annex: dict[str, dict[str, str]] = {}
        for key, value in raw.items():
            name, sep, rest = key.partition(":")
            if sep and name == ORIGIN:
                annex_id, _, row = rest.rpartition(":")
                if annex_id and row.isdigit():
                    meta.origins.setdefault(annex_id, {})[int(row)] = value
            elif sep and name in ANNEX_FIELDS and rest:
                per_annex.setdefault(rest, {})[name] = value
            else:
                meta.values[key] = value
        for annex_id, f in per_annex.items():
            if "annex" not in f:
                continue
            meta.annexes[annex_id] = AnnexMeta(
                f["annex"], f.get("layout", ""), tuple(k for k in f.get("columns", "").split(",") if k),
                f.get("range", ""), f.get("version", ""), f.get("fingerprint", ""), f.get("row_key", ""))
        return meta

    def rows(self) -> list[tuple[str, str]]:
        out = list(self.values.items())
        for annex_id, am in self.annexes.items():
            out += am.rows(annex_id)
        for annex_id, rows in self.origins.items():
            out += [origin_row(annex_id, r, text) for r, text in rows.items()]
        return out


def origin_row(annex_id: str, row: int, text: str) -> tuple[str, str]:
    """The `_meta` row recording where a rolled-up row of the level above came from."""
    return f"{ORIGIN}:{annex_id}:{row}", text[:30000]
