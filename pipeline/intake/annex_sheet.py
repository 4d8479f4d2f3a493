"""Reading one annex sheet as the unit left it: where the template put things, or where the unit moved them.

Nothing typed is dropped silently and shifted data is never read as if it were in place:
- a form's fields are found by their labels (a row inserted or deleted above one is read by label and said
  so); a note typed beside a value is that field's note; a value in a row that is no field is reported;
- a table's column headers are compared with the spec (an edited label or unit of measure, an inserted or
  deleted column is refused with the edit named); preset rows are matched by their label (sorted rows are
  read by label and said so); rows typed just below the table are read when they sit in its columns;
  anything else outside the input cells (beside the table, below it) is reported with its cell.
"""

from __future__ import annotations

from pipeline.models import RawBook, Submission
from pipeline.spec.annex import AnnexSpec
from pipeline.vntext import fmt_value, fold
from pipeline.workbook.contract import (
    FIRST_DATA_ROW,
    HEADER_BLOCK_ROWS,
    HEADER_ROW,
    NUMBER_ROW,
    SIGNATURE_HINTS,
    SIGNATURE_TITLES,
    Layout,
    cell,
    col_letter,
)

Grid = list[list[object]]
Raw = dict[str, object]
SLACK = 40  # rows below a form or table that are still looked at for moved or extra content


def _at(grid: Grid, row: int, col: int) -> object:
    if 0 < row <= len(grid) and 0 < col <= len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return ""


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _label(value: object) -> str:
    return fold(str(value)) if not _blank(value) else ""


def _outside(sub: Submission, sheet: str, row: int, col: int, value: object) -> None:
    sub.add("data_outside", sheet=sheet, cell=cell(row, col), value=value)


_OURS = frozenset(fold(t) for t in (*SIGNATURE_TITLES, *SIGNATURE_HINTS))


def _cells(grid: Grid, row: int, first: int, last: int) -> list[tuple[int, object]]:
    """(column, value) of the non-blank cells of a row between two columns, the template's own labels left out."""
    if row > len(grid):
        return []
    return [(c, v) for c, v in enumerate(grid[row - 1][first - 1: last], start=first)
            if not _blank(v) and _label(v) not in _OURS]


def _signature_row(grid: Grid, start: int, stop: int) -> int | None:
    """Where the signature block begins (it moves with rows inserted or deleted above it)."""
    titles = {fold(t) for t in SIGNATURE_TITLES}
    for row in range(start, min(stop, len(grid)) + 1):
        if any(_label(v) in titles for v in grid[row - 1]):
            return row
    return None


def _after_signature(sub: Submission, sheet: str, row: int, cells: list[tuple[int, object]]) -> None:
    """Under the signature titles: names and dates are the signature, numbers are reported."""
    if all(isinstance(v, str) for _, v in cells):
        sub.add("signature_text", sheet=sheet, cell=cell(row, cells[0][0]), value="; ".join(str(v) for _, v in cells))
    else:
        for c, v in cells:
            _outside(sub, sheet, row, c, v)


def read_form(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> tuple[Raw, dict[str, int], Raw] | None:
    """The form's values by key, the rows of fields that moved, and the notes typed beside values.
    None when a field's label cannot be found (the annex is then refused, naming the field)."""
    lay = Layout(spec)
    label_col, value_col, note_col = lay.first_col - 2, lay.first_col, lay.note_col
    last = lay.last_row + SLACK
    where: dict[str, int] = {}
    for row in range(FIRST_DATA_ROW, last + 1):
        text = _label(_at(grid, row, label_col))
        for col in spec.columns:
            if col.key not in where and text == fold(col.label):
                where[col.key] = row
                break
    missing = [c for c in spec.columns if c.key not in where]
    if missing:
        sub.add("form_label_missing", sheet=sheet, cell=lay.cell_of(missing[0].key), label=missing[0].label)
        return None
    moved = {k: r for k, r in where.items() if r != lay.row_of(k)}
    if moved:
        first = min(moved, key=lambda k: lay.row_of(k))
        sub.add("form_rows_moved", sheet=sheet, cell=cell(where[first], value_col), label=spec.by_key[first].label,
                expected=str(lay.row_of(first)), detail=str(where[first]))
    fields = set(where.values())
    signature = _signature_row(grid, max(fields) + 1, last) or last + 1
    for row in range(FIRST_DATA_ROW, last + 1):
        cells = _cells(grid, row, 2, lay.last_col)
        if row in fields or not cells:
            continue
        if row > signature:
            _after_signature(sub, sheet, row, cells)
        elif row < signature and not _blank(_at(grid, row, label_col)):  # a row the unit added to the form
            sub.add("form_row_added", sheet=sheet, cell=cell(row, label_col), value=_at(grid, row, label_col),
                    detail="; ".join(fmt_value(v) for c, v in cells if c != label_col) or "(trống)",
                    cells=", ".join(cell(row, c) for c, _ in cells))
        else:
            for c, v in cells:
                _outside(sub, sheet, row, c, v)
    _all_outside(sub, sheet, grid, last + 1)  # further down than the template reaches: it has nothing there
    values = {k: _at(grid, r, value_col) for k, r in where.items()}
    notes = {k: str(_at(grid, r, note_col)).strip() for k, r in where.items() if not _blank(_at(grid, r, note_col))}
    return values, moved, notes


def check_headers(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> bool:
    """A table's column labels where the template put them; False (refused, the edit named) otherwise."""
    lay = Layout(spec)
    heads = {c: _label(_at(grid, HEADER_ROW, c)) + " | " + _label(_at(grid, HEADER_ROW + 1, c))
             for c in range(1, lay.last_col + 6)}
    ok = True
    for col in spec.columns:
        c, expected = lay.col_of(col.key), fold(col.label)
        if expected in heads[c].split(" | "):
            continue
        ok = False
        shifted = [d for d in (c + 1, c - 1, c + 2, c - 2) if expected in heads.get(d, "").split(" | ")]
        if shifted:
            code = "column_inserted" if shifted[0] > c else "column_deleted"
            sub.add(code, sheet=sheet, cell=f"{col_letter(c)}{HEADER_ROW}", label=col.label,
                    detail=col_letter(shifted[0]))
            return False
        row = HEADER_ROW + 1 if col.group else HEADER_ROW  # a grouped column's label sits under its group
        actual = _at(grid, row, c)
        sub.add("header_changed", sheet=sheet, cell=cell(row, c), value="(trống)" if _blank(actual) else actual,
                expected=col.label)
    return ok


def table_rows(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> list[tuple[int, Raw]]:
    """(Excel row, raw values by key) of every row in use: the table's own rows (preset rows by label), then
    rows typed just below it in its columns. Anything else beside or below the table is reported."""
    if spec.row_key:
        rows = _preset_rows(sub, spec, grid, sheet)
    else:
        lay, width = Layout(spec), len(spec.keys)
        c0 = lay.first_col - 1
        rows = []
        for r in range(lay.first_row, min(lay.last_row, len(grid)) + 1):
            line = grid[r - 1][c0: c0 + width]  # one slice per row: most rows of a table are empty
            if line.count("") + line.count(None) < len(line) and not all(_blank(v) for v in line):
                rows.append((r, _raw(spec, grid, r)))
    _beside(sub, spec, grid, sheet)
    return rows + _below(sub, spec, grid, sheet)


def _raw(spec: AnnexSpec, grid: Grid, row: int) -> Raw:
    """The row's input cells by key (a table's inputs sit side by side from its first column, in key order)."""
    keys = spec.keys
    c0 = Layout(spec).first_col - 1
    line = grid[row - 1][c0: c0 + len(keys)] if row <= len(grid) else []
    return dict(zip(keys, [*line, *[""] * (len(keys) - len(line))], strict=True))


def _preset_rows(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> list[tuple[int, Raw]]:
    """Preset rows (PL3's lĩnh vực) matched by their label: in place, or sorted by the unit (said so)."""
    lay = Layout(spec)
    key_col = lay.col_of(spec.row_key)
    expected = [fold(p) for p in spec.preset_rows]
    found = {_label(_at(grid, lay.first_row + i, key_col)): lay.first_row + i for i in range(spec.n_rows)}
    if set(expected) <= set(found) and any(found[e] != lay.first_row + i for i, e in enumerate(expected)):
        sub.add("rows_sorted", sheet=sheet, cell=cell(lay.first_row, key_col))
        order = [(found[e], p) for e, p in zip(expected, spec.preset_rows, strict=True)]
    else:
        order = [(lay.first_row + i, p) for i, p in enumerate(spec.preset_rows)]
        for row, preset in order:
            if _label(_at(grid, row, key_col)) != fold(preset):
                sub.add("row_key_changed", sheet=sheet, cell=cell(row, key_col), value=_at(grid, row, key_col),
                        expected=preset)
    out = []
    for row, preset in sorted(order):
        raw = _raw(spec, grid, row)
        raw[spec.row_key] = preset
        out.append((row, raw))
    return out


def _below(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> list[tuple[int, Raw]]:
    """Rows typed under the table: read when they sit in its input columns before the signature block, else
    reported cell by cell. The totals row (preset tables), the row numbers pushed down by an inserted row and
    the signature block are the template's own."""
    lay = Layout(spec)
    start = lay.last_row + (2 if spec.preset_rows else 1)
    stop = lay.last_row + SLACK
    signature = _signature_row(grid, start, stop) or stop + 1
    inputs = {lay.col_of(k) for k in spec.keys if k != spec.row_key}
    out = []
    for row in range(start, min(len(grid), stop) + 1):
        cells = _cells(grid, row, 2, lay.last_col)  # column A holds row numbers, pushed down by insertions
        if not cells or row == signature:
            continue
        if row > signature:
            _after_signature(sub, sheet, row, cells)
        elif not spec.row_key and {c for c, _ in cells} <= inputs:
            sub.add("row_below_read", sheet=sheet, cell=cell(row, cells[0][0]), detail=str(spec.n_rows))
            out.append((row, _raw(spec, grid, row)))
        else:
            for c, v in cells:
                _outside(sub, sheet, row, c, v)
    _all_outside(sub, sheet, grid, stop + 1, last_col=lay.last_col + 1)  # further down than the template reaches
    return out


def _all_outside(sub: Submission, sheet: str, grid: Grid, first_row: int, first_col: int = 1,
                 last_col: int | None = None) -> None:
    """Every value read in a part of the sheet where the template has nothing, named cell by cell."""
    for row in range(first_row, len(grid) + 1):
        for col, value in enumerate(grid[row - 1][first_col - 1:last_col], start=first_col):
            if not _blank(value):
                _outside(sub, sheet, row, col, value)


def _beside(sub: Submission, spec: AnnexSpec, grid: Grid, sheet: str) -> None:
    """Values typed right of the table: in the gap before the hidden helper columns, and anywhere right of those
    (labelled with their checks' ids on the numbers row; the template has nothing beyond them)."""
    lay = Layout(spec)
    gap = lay.last_col + 1
    for row in range(lay.first_row, lay.last_row + 1):
        if not _blank(value := _at(grid, row, gap)):
            _outside(sub, sheet, row, gap, value)
    labels = grid[NUMBER_ROW - 1] if len(grid) >= NUMBER_ROW else []
    free = 1 + max((c for c in range(gap + 1, len(labels) + 1) if not _blank(labels[c - 1])), default=gap)
    _all_outside(sub, sheet, grid, 1, first_col=free)


def renamed_sheet(spec: AnnexSpec, book: RawBook, claimed: set[str]) -> str | None:
    """The one sheet of another name whose header block carries this annex's heading and title."""
    want = (fold(spec.heading), fold(spec.title))
    found = [name for name, grid in book.sheets.items() if name.strip().casefold() not in claimed
             and all(any(_label(v) == w for row in grid[:HEADER_BLOCK_ROWS] for v in row) for w in want)]
    return found[0] if len(found) == 1 else None
