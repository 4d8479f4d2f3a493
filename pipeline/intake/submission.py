"""Stage 2c: from a raw workbook to a submission: which unit sent it, and each annex's typed records.

Identity comes from `_meta`; without it, from the unit name in the header block when that is unambiguous.
Every value read in another form than typed is reported with its cell (values.coerce).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field

from pipeline.intake.inbox import InboxFile
from pipeline.intake.read import RawBook
from pipeline.intake.values import coerce
from pipeline.issues import Issue, issue
from pipeline.spec.annex import AnnexSpec
from pipeline.vntext import fold
from pipeline.workbook.contract import Layout, cell, parse_range
from pipeline.workspace import Unit, Workspace

HEADER_ROWS = 8


@dataclass(frozen=True)
class Geometry:
    """Where an annex's records sit in this particular file."""

    layout: str
    first_row: int
    first_col: int
    keys: tuple[str, ...]

    def position(self, key: str, row: int) -> tuple[int, int]:
        """(Excel row, Excel column) of a record's key."""
        if self.layout == "form":
            return self.first_row + self.keys.index(key), self.first_col
        return row, self.first_col + self.keys.index(key)

    def cell(self, key: str, row: int) -> str:
        return cell(*self.position(key, row))


@dataclass
class AnnexData:
    spec: AnnexSpec  # not pickled: a worker sends the annex id, the receiver re-attaches its own spec
    sheet: str
    geometry: Geometry
    rows: list[int] = field(default_factory=list)  # Excel row of each record (form: its first field row)
    values: list[tuple] = field(default_factory=list)  # typed values of each record in spec.keys order; None blank
    bad: set[tuple[int, str]] = field(default_factory=set)  # (row, key) of values that could not be read
    origins: dict[int, str] = field(default_factory=dict)  # row -> where a rolled-up row came from

    @property
    def records(self) -> list[dict[str, object]]:
        """The records as dicts (built on demand: a city's submissions are held as tuples, a third the size)."""
        keys = self.spec.keys
        return [dict(zip(keys, v, strict=True)) for v in self.values]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["spec"] = self.spec.id
        return state

    def attach(self, specs: dict[str, AnnexSpec]) -> None:
        """Re-attach the spec after unpickling; list values repeated across files are shared, not copied."""
        if isinstance(self.spec, str):
            self.spec = specs[self.spec]
            shared = [i for i, c in enumerate(self.spec.columns) if c.type == "category"]
            if shared:
                self.values = [_interned(v, shared) for v in self.values]


def _interned(values: tuple, positions: list[int]) -> tuple:
    out = list(values)
    for i in positions:
        if type(out[i]) is str:
            out[i] = sys.intern(out[i])
    return tuple(out)


@dataclass
class Submission:
    file: InboxFile
    sha256: str
    kind: str
    received_at: dt.datetime | None = None
    unit: Unit | None = None
    meta: dict[str, str] = field(default_factory=dict)
    annexes: dict[str, AnnexData] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    extracted: bool = False  # identified, and its annexes read: cell-level validation applies

    def add(self, code: str, **kw) -> None:
        self.issues.append(issue(code, file=self.file.rel, **kw))

    def attach(self, ws: Workspace) -> Submission:
        """After crossing a process boundary or the cache: the workspace's own spec objects again."""
        for data in self.annexes.values():
            data.attach(ws.specs.annexes)
        return self


def build(sub: Submission, book: RawBook, ws: Workspace) -> Submission:
    """Identify the unit, check round and versions, and extract every required annex."""
    sub.meta = book.meta
    sheets = {name.strip().casefold(): name for name in book.sheets}
    sub.unit = _identify(sub, book, ws, sheets)
    if sub.unit is None or any(i.severity == "error" for i in sub.issues):
        return sub
    sub.extracted = True
    for annex_id in sub.unit.annexes:
        spec = ws.specs.annexes[annex_id]
        name = book.meta.get(f"annex:{annex_id}", spec.sheet)
        actual = sheets.get(name.strip().casefold()) or sheets.get(spec.sheet.casefold())
        if actual is None:
            sub.add("missing_sheet", sheet=spec.sheet, annex=spec.code)
            continue
        data = _extract(sub, spec, book.sheets[actual], actual)
        if data is not None:
            sub.annexes[annex_id] = data
    for key, value in book.meta.items():
        annex_id = key.removeprefix("annex:")
        if key.startswith("annex:") and annex_id not in sub.unit.annexes and annex_id in ws.specs.annexes:
            sub.add("extra_annex", sheet=value, annex=ws.specs.annexes[annex_id].code)
    sub.meta = {k: v for k, v in book.meta.items() if ":" not in k}  # per-annex entries are read: drop them
    return sub


def _identify(sub: Submission, book: RawBook, ws: Workspace, sheets: dict[str, str]) -> Unit | None:
    code = book.meta.get("unit_code", "")
    if code:
        round_id = book.meta.get("round_id", "")
        if round_id != ws.round.round_id:
            sub.add("other_round", value=round_id, detail=round_id)
            return None
        unit = ws.unit_by_code.get(code)
        if unit is None:
            sub.add("unknown_unit", value=code, detail=code)
            return None
        hinted = _codes_in_name(sub.file.rel, ws)
        if hinted and unit.code not in hinted:
            sub.add("name_mismatch", detail=", ".join(sorted(hinted)), unit=unit.code)
        return unit
    unit = _match_by_name(book, ws, sheets)
    if isinstance(unit, Unit):
        sub.add("matched_by_name", unit=f"{unit.name} ({unit.code})")
        return unit
    sub.add("unidentified", detail=unit)
    return None


def _codes_in_name(rel: str, ws: Workspace) -> set[str]:
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    tokens = {t.casefold() for t in re.split(r"[^0-9A-Za-z]+", stem) if t}
    return {u.code for u in ws.units if u.code.casefold() in tokens}


def _match_by_name(book: RawBook, ws: Workspace, sheets: dict[str, str]) -> Unit | str:
    """The one unit whose name (or "(mã CODE)") appears in the header rows of the annex sheets."""
    text = " | ".join(fold(str(v)) for grid in book.sheets.values() for row in grid[:HEADER_ROWS] for v in row
                      if v not in ("", None))
    if not text:
        return "không thấy tên đơn vị ở đầu biểu"
    found = [u for u in ws.units if fold(u.name) in text or f"(mã {u.code.casefold()})" in text]
    found = [u for u in found if not any(o is not u and fold(u.name) in fold(o.name) for o in found)]
    if len(found) == 1:
        return found[0]
    if not found:
        return "không thấy tên đơn vị nào trong danh sách ở đầu biểu"
    return "nhiều đơn vị khớp: " + ", ".join(u.code for u in found)


def _geometry(sub: Submission, spec: AnnexSpec) -> Geometry | None:
    meta = sub.meta
    lay = Layout(spec)
    keys = meta.get(f"columns:{spec.id}", "")
    fingerprint = meta.get(f"fingerprint:{spec.id}", "")
    if keys and fingerprint and fingerprint != spec.fingerprint:
        version = meta.get(f"version:{spec.id}", "?")
        if tuple(keys.split(",")) != spec.keys:
            sub.add("incompatible_version", sheet=spec.sheet, annex=spec.code, detail=version)
            return None
        sub.add("old_version", sheet=spec.sheet, annex=spec.code, detail=version, expected=str(spec.version))
    rng = meta.get(f"range:{spec.id}", "")
    if rng:
        try:
            r1, c1, _r2, c2 = parse_range(rng)
        except (ValueError, StopIteration):
            r1 = 0
        if r1 == lay.first_row and c1 == lay.first_col and c2 - c1 + 1 == (1 if spec.layout == "form" else
                                                                           len(spec.keys)):
            return Geometry(spec.layout, r1, c1, spec.keys)
    return Geometry(spec.layout, lay.first_row, lay.first_col, spec.keys)


def _extract(sub: Submission, spec: AnnexSpec, grid: list[list[object]], sheet: str) -> AnnexData | None:
    geo = _geometry(sub, spec)
    if geo is None:
        return None
    data = AnnexData(spec, sheet, geo)
    prefix = f"origin:{spec.id}:"
    data.origins = {int(k[len(prefix):]): v for k, v in sub.meta.items()
                    if k.startswith(prefix) and k[len(prefix):].isdigit()}
    n_rows = spec.n_rows

    def at(row: int, col: int) -> object:
        if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return ""

    if spec.layout == "form":
        raw = {k: at(geo.first_row + i, geo.first_col) for i, k in enumerate(spec.keys)}
        if all(v in ("", None) for v in raw.values()):
            sub.add("annex_empty", sheet=sheet, annex=spec.code)
            return None
        _add_record(sub, data, geo.first_row, raw)
        return data
    keys, c0 = spec.keys, geo.first_col - 1
    for i in range(n_rows):
        row = geo.first_row + i
        line = grid[row - 1][c0: c0 + len(keys)] if row - 1 < len(grid) else []
        if not spec.row_key and line.count("") + line.count(None) == len(line):
            continue
        raw = dict(zip(keys, [*line, *[""] * (len(keys) - len(line))], strict=True))
        if spec.row_key:
            expected = spec.preset_rows[i]
            if fold(str(raw[spec.row_key])) != fold(expected):
                sub.add("row_key_changed", sheet=sheet, cell=geo.cell(spec.row_key, row),
                        value=raw[spec.row_key], expected=expected)
            raw[spec.row_key] = expected
        _add_record(sub, data, row, raw)
    return data


def _add_record(sub: Submission, data: AnnexData, row: int, raw: dict[str, object]) -> None:
    spec = data.spec
    record: dict[str, object] = {}
    for key, value in raw.items():
        col = spec.by_key[key]
        typed, note = coerce(value, col)
        if typed is None and col.blank_as_zero and note is None:
            typed = 0.0
        record[key] = typed
        if note is not None:
            where = data.geometry.cell(key, row)
            sub.add(note.code, sheet=data.sheet, cell=where, value=value, **note.fields)
            if typed is None:
                data.bad.add((row, key))
    data.rows.append(row)
    data.values.append(tuple(record.values()))  # `raw`, hence `record`, is in spec.keys order
