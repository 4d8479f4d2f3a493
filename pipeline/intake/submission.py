"""Stage 2c: from a raw workbook to a submission: which unit sent it, and each annex's typed records.

Identity comes from `_meta`; without it, from the unit name in the header block when that is unambiguous.
Every value read in another form than typed is reported with its cell (values.coerce).
"""

from __future__ import annotations

from pipeline.intake.identify import header_mismatch, identify
from pipeline.intake.values import coerce
from pipeline.models import AnnexData, RawBook, Submission
from pipeline.spec.annex import AnnexSpec
from pipeline.vntext import fold
from pipeline.workbook.contract import AnnexMeta, Layout, TemplateMeta, parse_range
from pipeline.workspace import Workspace


def build(sub: Submission, book: RawBook, ws: Workspace) -> Submission:
    """Identify the unit, check round and versions, and extract every required annex."""
    meta = TemplateMeta.parse(book.meta)
    sub.meta = dict(meta.values)
    sheets = {name.strip().casefold(): name for name in book.sheets}
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
        if actual is None:
            sub.add("missing_sheet", sheet=spec.sheet, annex=spec.code)
            continue
        data = _extract(sub, spec, meta, book.sheets[actual], actual, book.errors.get(actual, {}))
        if data is not None:
            sub.annexes[annex_id] = data
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
    lay = Layout(spec)
    data = AnnexData(spec, sheet, origins=dict(meta.origins.get(spec.id, {})))
    if errors:  # a cell showing #DIV/0! or #REF! is read as blank: say what it shows instead
        grid = _with_errors(grid, errors)

    def at(row: int, col: int) -> object:
        if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return ""

    if spec.layout == "form":
        raw = {k: at(lay.row_of(k), lay.first_col) for k in spec.keys}
        if all(v in ("", None) for v in raw.values()):
            sub.add("annex_empty", sheet=sheet, annex=spec.code)
            return None
        _add_record(sub, data, lay.first_row, raw)
        return data
    keys, c0 = spec.keys, lay.first_col - 1
    for i in range(spec.n_rows):
        row = lay.first_row + i
        line = grid[row - 1][c0: c0 + len(keys)] if row - 1 < len(grid) else []
        if not spec.row_key and line.count("") + line.count(None) == len(line):
            continue
        raw = dict(zip(keys, [*line, *[""] * (len(keys) - len(line))], strict=True))
        if spec.row_key:
            expected = spec.preset_rows[i]
            if fold(str(raw[spec.row_key])) != fold(expected):
                sub.add("row_key_changed", sheet=sheet, cell=lay.cell_of(spec.row_key, row),
                        value=raw[spec.row_key], expected=expected)
            raw[spec.row_key] = expected
        _add_record(sub, data, row, raw)
    return data


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
            sub.add("formula_error", sheet=data.sheet, cell=data.layout.cell_of(key, row), value=str(value),
                    label=col.label)
            data.bad.add((row, key))
            record[key] = None
            continue
        typed, note = coerce(value, col)
        if typed is None and col.blank_as_zero and note is None:
            typed = 0.0
        record[key] = typed
        if note is not None:
            where = data.layout.cell_of(key, row)
            sub.add(note.code, sheet=data.sheet, cell=where, value=value, **note.fields)
            if typed is None:
                data.bad.add((row, key))
    data.rows.append(row)
    data.values.append(tuple(record.values()))  # `raw`, hence `record`, is in spec.keys order
