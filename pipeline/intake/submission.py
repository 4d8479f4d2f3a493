"""Stage 2c: from a raw workbook to a submission: which unit sent it, and each annex's typed records.

Identity comes from `_meta`; without it, from the unit name in the header block when that is unambiguous.
Every value read in another form than typed is reported with its cell (values.coerce).
"""

from __future__ import annotations

from pipeline.intake.annex_sheet import check_headers, read_form, renamed_sheet, table_rows
from pipeline.intake.identify import header_mismatch, identify
from pipeline.intake.values import coerce
from pipeline.models import AnnexData, RawBook, Submission
from pipeline.spec.annex import AnnexSpec
from pipeline.vntext import fmt_value, fold
from pipeline.workbook.contract import FIRST_DATA_ROW, NONE_TEXT, AnnexMeta, Layout, TemplateMeta, cell, parse_range
from pipeline.workspace import Workspace

NONE_WORDS = frozenset({fold(NONE_TEXT), "không", "không phát sinh"})  # typed to say: nothing to report


def build(sub: Submission, book: RawBook, ws: Workspace) -> Submission:
    """Identify the unit, check round and versions, and extract every required annex."""
    meta = TemplateMeta.parse(book.meta)
    sub.meta = dict(meta.values)
    sheets = {name.strip().casefold(): name for name in book.sheets}
    claimed = {n.strip().casefold() for n in book.sheets} & {s.sheet.casefold() for s in ws.specs.annexes.values()}
    sub.unit = identify(sub, book, meta, ws)
    if sub.unit is not None and meta.get("unit_code"):
        header_mismatch(sub, book, ws)
    if sub.unit is None or any(i.severity == "error" for i in sub.issues):
        return sub
    sub.extracted = True
    for annex_id in sub.unit.annexes:
        spec = ws.specs.annexes[annex_id]
        am = meta.annexes.get(annex_id)
        name = am.sheet if am else spec.sheet
        actual = sheets.get(name.strip().casefold()) or sheets.get(spec.sheet.casefold())
        if actual is None and (actual := renamed_sheet(spec, book, claimed)):
            sub.add("sheet_renamed", sheet=actual, annex=spec.code, expected=spec.sheet)
        if actual is None:
            sub.add("missing_sheet", sheet=spec.sheet, annex=spec.code)
            continue
        grid = book.sheets[actual]
        data = _extract(sub, spec, meta, grid, actual, book.errors.get(actual, {}))
        if data is not None:
            sub.annexes[annex_id] = data
            _merged_inputs(sub, data, grid, book.merges.get(actual, []))
    for annex_id, am in meta.annexes.items():
        if annex_id not in sub.unit.annexes and annex_id in ws.specs.annexes:
            sub.add("extra_annex", sheet=am.sheet, annex=ws.specs.annexes[annex_id].code)
    return sub


def _compatible(sub: Submission, spec: AnnexSpec, am: AnnexMeta | None) -> bool:
    """A template of an older version is read when its columns still match the spec's; else refused."""
    if am is None or not am.columns or not am.fingerprint or am.fingerprint == spec.fingerprint:
        return True
    if am.columns != spec.keys:
        sub.add("incompatible_version", sheet=spec.sheet, annex=spec.code, detail=am.version or "?")
        return False
    sub.add("old_version", sheet=spec.sheet, annex=spec.code, detail=am.version or "?", expected=str(spec.version))
    return True


def _extract(sub: Submission, spec: AnnexSpec, meta: TemplateMeta, grid: list[list[object]],
             sheet: str, errors: dict[str, str]) -> AnnexData | None:
    if not _compatible(sub, spec, meta.annexes.get(spec.id)):
        return None
    data = AnnexData(spec, sheet, origins=dict(meta.origins.get(spec.id, {})))
    if errors:  # a cell showing #DIV/0! or #REF! is read as blank: say what it shows instead
        grid = _with_errors(grid, errors)
    if spec.layout == "form":
        found = read_form(sub, spec, grid, sheet)
        if found is None:
            return None
        raw, data.moved, data.notes = found
        if _nothing(sub, spec, [raw], sheet):
            return None
        for key, note in data.notes.items():
            sub.add("note_read", sheet=sheet, cell=cell(data.moved.get(key, Layout(spec).row_of(key)),
                                                        Layout(spec).note_col),
                    label=spec.by_key[key].label, value=note)
        _add_record(sub, data, Layout(spec).first_row, raw)
        return data
    if not check_headers(sub, spec, grid, sheet):
        return None
    rows = table_rows(sub, spec, grid, sheet)
    if nothing := _nothing(sub, spec, [raw for _, raw in rows], sheet):
        return data if nothing == "none" else None
    for row, raw in rows:
        _add_record(sub, data, row, raw)
    return data


def _nothing(sub: Submission, spec: AnnexSpec, raws: list[dict[str, object]], sheet: str) -> str:
    """"" when the annex holds values; "none" when the unit wrote only "Không có" to say there is nothing to
    report (read as no records); "empty" when it holds no value at all (refused: "biểu chưa có số liệu")."""
    values = [v for raw in raws for k, v in raw.items() if k != spec.row_key and v not in ("", None)]
    if len(values) == 1 and isinstance(values[0], str) and fold(values[0]) in NONE_WORDS:
        sub.add("annex_declared_none", sheet=sheet, annex=spec.code)
        return "none"
    if values:
        return ""
    first = next(k for k in spec.keys if k != spec.row_key)
    sub.add("annex_empty", sheet=sheet, annex=spec.code, cell=Layout(spec).cell_of(first, Layout(spec).first_row))
    return "empty"


class FormulaError(str):
    """The text of a formula error value (#DIV/0!, #REF!…) where a reader saw a blank cell."""


def _with_errors(grid: list[list[object]], errors: dict[str, str]) -> list[list[object]]:
    out = [list(row) for row in grid]
    for ref, text in errors.items():
        row, col = parse_range(ref)[:2]
        if row - 1 < len(out) and col - 1 < len(out[row - 1]) and out[row - 1][col - 1] in ("", None):
            out[row - 1][col - 1] = FormulaError(text)
    return out


def _add_record(sub: Submission, data: AnnexData, row: int, raw: dict[str, object]) -> None:
    spec = data.spec
    record: dict[str, object] = {}
    for key, value in raw.items():
        col = spec.by_key[key]
        if isinstance(value, FormulaError):
            sub.add("formula_error", sheet=data.sheet, cell=data.cell_of(key, row), value=str(value),
                    label=col.label)
            data.bad.add((row, key))
            record[key] = None
            continue
        typed, note = coerce(value, col, spec.unit)
        if typed is None and col.blank_as_zero and note is None:
            typed = 0.0
        record[key] = typed
        if note is not None:
            where = data.cell_of(key, row)
            sub.add(note.code, sheet=data.sheet, cell=where, value=value, **note.fields)
            if typed is None:
                data.bad.add((row, key))
    data.rows.append(row)
    data.values.append(tuple(record.values()))  # `raw`, hence `record`, is in spec.keys order


def _merged_inputs(sub: Submission, data: AnnexData, grid: list[list[object]],
                   merges: list[tuple[int, int, int, int]]) -> None:
    """Input cells the unit merged into another: hidden under the merged cell, a blank one is read as blank
    (Excel drops a hidden cell's value when merging), one that still holds a value (LibreOffice keeps it) is read
    although the unit no longer sees it. Either way, said once per merged range."""
    top = min((data.moved.get(k, FIRST_DATA_ROW) for k in data.spec.keys), default=FIRST_DATA_ROW)
    merges = [m for m in merges if m[2] >= min(top, FIRST_DATA_ROW)]  # the title's and headers' merges hold no input
    if not merges:
        return
    layout = data.layout
    cols = {key: layout.col_of(key) for key in data.spec.keys}
    inputs = {(data.moved.get(key) or layout.row_of(key, row), col): key for row in data.rows
              for key, col in cols.items()}
    for r1, c1, r2, c2 in merges:
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= len(inputs):
            under = ((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1) if (r, c) in inputs)
        else:  # whole columns merged: look through the input cells, not the million cells of the range
            under = (rc for rc in sorted(inputs) if r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2)
        hidden = [rc for rc in under if rc != (r1, c1)]
        if not hidden:
            continue
        blank = [rc for rc in hidden if _at(grid, *rc) in ("", None)]
        kept = [rc for rc in hidden if rc not in blank]
        span = f"{data.sheet}!{cell(r1, c1)}:{cell(r2, c2)}"
        if blank:
            sub.add("merged_hidden_blank", sheet=data.sheet, cell=cell(*blank[0]), detail=span,
                    cells=", ".join(cell(*rc) for rc in blank))
        if kept:
            shown = ", ".join(fmt_value(_at(grid, *rc)) for rc in kept)
            sub.add("merged_hidden_value", sheet=data.sheet, cell=cell(*kept[0]), detail=span,
                    cells=", ".join(cell(*rc) for rc in kept), value=shown)


def _at(grid: list[list[object]], row: int, col: int) -> object:
    return grid[row - 1][col - 1] if row - 1 < len(grid) and col - 1 < len(grid[row - 1]) else None
