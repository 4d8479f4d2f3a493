"""Annex specs: the single source of truth, loaded from `schemas/*.toml` and checked on load.

Template, reader, validator and summary all read these objects; no column is named in code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.messages import say
from pipeline.settings.textfile import Undecodable, decode
from pipeline.settings.tomlcheck import diagnose
from pipeline.spec import expr as ex
from pipeline.spec.sentences import sentence_problem

TYPES = ("int", "decimal", "text", "date", "category")
LAYOUTS = ("form", "table")
# Constants every rule may use; their values come from the round (see workspace.Round.constants).
CONSTANT_NAMES = ("period_start", "period_end", "deadline")


class SpecError(ValueError):
    """A malformed spec; the message names the file and the problem (Vietnamese)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str
    unit: str = ""
    required: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    group: str = ""
    blank_as_zero: bool = False
    comparable: bool = False
    width: float | None = None
    help: str = ""

    @property
    def full_label(self) -> str:
        """The label with its header group, for places that show it without the merged header above."""
        return f"{self.group}: {self.label}" if self.group and not self.label.startswith(self.group) else self.label

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "decimal")

    @property
    def kind(self) -> str:
        """The expression kind: a date is a number of days to the rules (see expr.py)."""
        return ex.NUM if self.numeric else ex.DATE if self.type == "date" else ex.TEXT


@dataclass(frozen=True)
class Rule:
    id: str
    expr: ex.Expr
    message: str
    severity: str = "error"
    when: ex.Expr | None = None
    reason_in_note: bool = False  # a warning asking for a reason: a note typed beside its values satisfies it

    @property
    def refs(self) -> tuple[ex.Ref, ...]:
        extra = self.when.refs if self.when else ()
        return tuple(dict.fromkeys(self.expr.refs + extra))


@dataclass(frozen=True)
class Derived:
    key: str
    label: str
    expr: ex.Expr


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    numerator: ex.Expr
    denominator: ex.Expr
    formula: str = ""
    kind: str = "ratio"  # ratio (a percentage) or difference (numerator − denominator)
    unit: str = ""
    by: str = ""  # compute per value of this column (units that must not be summed across)


@dataclass(frozen=True)
class Unique:
    id: str
    columns: tuple[str, ...]
    message: str
    severity: str = "warning"


@dataclass(frozen=True)
class Pivot:
    key: str
    label: str
    rows: str
    columns: str


@dataclass(frozen=True)
class RowList:
    key: str
    label: str
    when: ex.Expr
    columns: tuple[str, ...]


@dataclass(frozen=True)
class AnnexSpec:
    id: str
    code: str
    version: int
    sheet: str
    heading: str
    title: str
    layout: str
    unit: str
    columns: tuple[Column, ...]
    source: str
    note: str = ""
    max_rows: int = 200
    row_key: str = ""
    preset_rows: tuple[str, ...] = ()
    derived: tuple[Derived, ...] = ()
    rules: tuple[Rule, ...] = ()
    rates: tuple[Rate, ...] = ()
    unique: tuple[Unique, ...] = ()
    pivots: tuple[Pivot, ...] = ()
    lists: tuple[RowList, ...] = ()
    sentences: tuple[str, ...] = ()
    fingerprint: str = ""  # columns only: a template whose columns still match can be read
    digest: str = ""  # the whole spec file: anything cached from it is stale when this changes
    by_key: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def input_columns(self) -> tuple[Column, ...]:
        """Columns a unit types into (the preset row key of a table is locked)."""
        return tuple(c for c in self.columns if c.key != self.row_key)

    @property
    def n_rows(self) -> int:
        if self.layout == "form":
            return len(self.columns)
        return len(self.preset_rows) if self.preset_rows else self.max_rows


@dataclass(frozen=True)
class SpecSet:
    annexes: dict[str, AnnexSpec]

    def by_code(self, code: str) -> AnnexSpec | None:
        return next((a for a in self.annexes.values() if a.code.casefold() == code.casefold()), None)

    @property
    def digest(self) -> str:
        return hashlib.sha256("".join(a.digest for a in self.annexes.values()).encode()).hexdigest()[:16]

    @property
    def version(self) -> str:
        """One short fingerprint of every annex's columns, for `_meta`'s spec_version."""
        joined = ",".join(f"{a.id}:{a.fingerprint}" for a in self.annexes.values())
        return hashlib.sha256(joined.encode()).hexdigest()[:12]


def load_specs(folder: Path) -> SpecSet:
    """Load every `*.toml` in `folder`, in file-name order; raise SpecError naming the file on any problem."""
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise SpecError(f"Thư mục {folder} không có tệp đặc tả phụ lục (*.toml).")
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in files:
        try:
            text = decode(path.read_bytes())[0]
            data = tomllib.loads(text)
        except Undecodable:
            raise SpecError(say("encoding_unknown", f"schemas/{path.name}").text) from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(diagnose(exc, text, f"schemas/{path.name}").text) from None
        annex_id = data.get("id")
        if not isinstance(annex_id, str) or not annex_id:
            raise SpecError(f"{path.name}: thiếu khóa \"id\" (mã phụ lục, ví dụ \"PL1\").")
        if annex_id in raw:
            raise SpecError(f"{path.name}: mã phụ lục \"{annex_id}\" trùng với tệp {raw[annex_id][0].name}.")
        raw[annex_id] = (path, data)
    # Form annexes are visible to cross-annex rules of every other annex ("PL1.tong_hien_co").
    foreign: dict[str, dict[str, str]] = {}
    zero: set[tuple[str, str]] = set()  # (annex, key) of every column whose blank is read as 0
    for annex_id, (path, data) in raw.items():
        cols = [_column(path.name, c, bool(data.get("required_by_default")), bool(data.get("blank_as_zero")))
                for c in _list(path.name, data, "columns")]
        zero |= {(annex_id, c.key) for c in cols if c.blank_as_zero}
        if data.get("layout") == "form":
            foreign[annex_id] = {c.key: c.kind for c in cols}
    specs = {aid: replace(_annex(path, data, foreign, zero), digest=hashlib.sha256(path.read_bytes()).hexdigest()[:16])
             for aid, (path, data) in raw.items()}
    codes = [a.code.casefold() for a in specs.values()]
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        raise SpecError(f"Có hai phụ lục cùng số \"{sorted(dup)[0]}\" (khóa code).")
    return SpecSet(specs)


def _list(name: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SpecError(f"{name}: \"{key}\" phải là các bảng [[{key}]].")
    return value


def _req(name: str, where: str, data: dict[str, Any], key: str, typ: type = str) -> Any:
    value = data.get(key)
    if not isinstance(value, typ) or (typ is str and not value.strip()):
        raise SpecError(f"{name}: {where} thiếu khóa \"{key}\" hoặc giá trị không hợp lệ.")
    return value


_COLUMN_KEYS = {"key", "label", "type", "unit", "required", "min", "max", "categories", "group",
                "blank_as_zero", "comparable", "width", "help"}


def _column(name: str, data: dict[str, Any], required_default: bool = False,
            blank_default: bool = False) -> Column:
    key = _req(name, "một cột", data, "key")
    where = f"cột \"{key}\""
    unknown = set(data) - _COLUMN_KEYS
    if unknown:
        raise SpecError(f"{name}: {where} có khóa lạ {sorted(unknown)}.")
    if not key.isidentifier() or not key.isascii():
        raise SpecError(f"{name}: {where}: khóa cột chỉ gồm chữ không dấu, số và dấu gạch dưới.")
    typ = _req(name, where, data, "type")
    if typ not in TYPES:
        raise SpecError(f"{name}: {where} có kiểu \"{typ}\" không hợp lệ (dùng: {', '.join(TYPES)}).")
    cats = tuple(data.get("categories", ()))
    if typ == "category" and not cats:
        raise SpecError(f"{name}: {where} kiểu category phải có danh sách categories.")
    if typ != "category" and cats:
        raise SpecError(f"{name}: {where} có categories nhưng kiểu không phải category.")
    for bound in ("min", "max"):
        if bound in data and not isinstance(data[bound], int | float):
            raise SpecError(f"{name}: {where}: \"{bound}\" phải là số.")
    return Column(
        key=key, label=_req(name, where, data, "label"), type=typ, unit=str(data.get("unit", "")),
        required=bool(data.get("required", required_default and typ != "text")),
        min=data.get("min"), max=data.get("max"), categories=cats, group=str(data.get("group", "")),
        blank_as_zero=bool(data.get("blank_as_zero", blank_default and typ in ("int", "decimal"))),
        comparable=bool(data.get("comparable", False)), width=data.get("width"),
        help=str(data.get("help", "")),
    )


def _annex(path: Path, data: dict[str, Any], foreign: dict[str, dict[str, str]],
           zero: set[tuple[str, str]]) -> AnnexSpec:
    name = path.name
    layout = data.get("layout")
    if layout not in LAYOUTS:
        raise SpecError(f"{name}: \"layout\" phải là \"form\" hoặc \"table\".")
    columns = tuple(_column(name, c, bool(data.get("required_by_default")), bool(data.get("blank_as_zero")))
                    for c in _list(name, data, "columns"))
    if not columns:
        raise SpecError(f"{name}: phụ lục phải có ít nhất một cột [[columns]].")
    keys = [c.key for c in columns]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SpecError(f"{name}: khóa cột \"{dup[0]}\" bị trùng.")
    sheet = _req(name, "phụ lục", data, "sheet")
    if len(sheet) > 31 or any(ch in sheet for ch in "[]:*?/\\'"):
        raise SpecError(f"{name}: tên trang \"{sheet}\" không hợp lệ trong Excel (tối đa 31 ký tự).")
    kinds = {c.key: c.kind for c in columns}
    others = {k: v for k, v in foreign.items() if k != data["id"]}
    row_key = str(data.get("row_key", ""))
    if row_key and row_key not in kinds:
        raise SpecError(f"{name}: row_key \"{row_key}\" không phải là một cột.")
    derived = tuple(Derived(d["key"], d["label"], _expr(name, d, "expr", kinds, None, ex.NUM))
                    for d in _list(name, data, "derived"))
    spec = AnnexSpec(
        id=data["id"], code=str(_req(name, "phụ lục", data, "code")),
        version=int(data.get("version", 1)), sheet=sheet,
        heading=str(data.get("heading", data["id"])), title=_req(name, "phụ lục", data, "title"),
        layout=layout, unit=str(data.get("unit", "")), columns=columns, source=name,
        note=str(data.get("note", "")), max_rows=int(data.get("max_rows", 200)), row_key=row_key,
        preset_rows=tuple(data.get("preset_rows", ())), derived=derived,
        rules=tuple(_rule(name, r, kinds, others) for r in _list(name, data, "rules")),
        rates=tuple(_rate(name, r, kinds) for r in _list(name, data, "rates")),
        unique=tuple(_unique(name, u, kinds) for u in _list(name, data, "unique")),
        pivots=tuple(_pivot(name, p, kinds) for p in _list(name, data, "pivots")),
        lists=tuple(_rowlist(name, r, kinds) for r in _list(name, data, "lists")),
        sentences=tuple(_req(name, "câu tổng hợp", s, "text") for s in _list(name, data, "sentences")),
        fingerprint=_fingerprint(columns),
        by_key={c.key: c for c in columns},
    )
    if layout == "table" and spec.n_rows < 1:
        raise SpecError(f"{name}: bảng phải có max_rows ≥ 1.")
    if problem := sentence_problem(spec):
        raise SpecError(problem)
    _check_presence(spec, zero)
    return spec


def _check_presence(spec: AnnexSpec, zero: set[tuple[str, str]]) -> None:
    """filled(x) / blank(x) cannot tell a blank from 0 where the reader reads a blank as 0 (blank_as_zero)."""
    exprs = [d.expr for d in spec.derived] + [e for r in spec.rules for e in (r.expr, r.when) if e is not None]
    exprs += [e for r in spec.rates for e in (r.numerator, r.denominator)] + [x.when for x in spec.lists]
    for e in exprs:
        for ref in e.presence:
            if (ref if isinstance(ref, tuple) else (spec.id, ref)) in zero:
                name = ".".join(ref) if isinstance(ref, tuple) else ref
                raise SpecError(f"{spec.source}: biểu thức \"{e.source}\": cột \"{name}\" để trống được hiểu là 0 "
                                "(blank_as_zero) nên filled/blank không phân biệt được ô trống với số 0; hãy so sánh "
                                "với 0.")


def _expr(name: str, data: dict[str, Any], key: str, kinds: dict[str, str],
          foreign: dict[str, dict[str, str]] | None, want: str | None = ex.BOOL) -> ex.Expr:
    source = _req(name, f"mục \"{data.get('id', data.get('key', '?'))}\"", data, key)
    constants = dict.fromkeys(CONSTANT_NAMES, 0)
    try:
        return ex.parse(source, kinds, constants, foreign, want)
    except ex.ExprError as exc:
        raise SpecError(f"{name}: quy tắc \"{data.get('id', data.get('key', '?'))}\": {exc}.") from None


def _rule(name: str, data: dict[str, Any], kinds: dict[str, str], foreign: dict[str, dict[str, str]]) -> Rule:
    severity, reason = data.get("severity", "error"), bool(data.get("reason_in_note", False))
    if severity not in ("error", "warning") or (reason and severity != "warning"):
        raise SpecError(f"{name}: quy tắc \"{data.get('id')}\": severity phải là error hoặc warning "
                        "(reason_in_note chỉ dùng cho cảnh báo, warning).")
    when = _expr(name, data, "when", kinds, foreign) if "when" in data else None
    return Rule(_req(name, "quy tắc", data, "id"), _expr(name, data, "expr", kinds, foreign),
                _req(name, f"quy tắc \"{data.get('id')}\"", data, "message"), severity, when, reason)


def _rate(name: str, data: dict[str, Any], kinds: dict[str, str]) -> Rate:
    by = str(data.get("by", ""))
    if by and by not in kinds:
        raise SpecError(f"{name}: chỉ tiêu \"{data.get('key')}\": cột by \"{by}\" không tồn tại.")
    return Rate(_req(name, "chỉ tiêu", data, "key"), _req(name, "chỉ tiêu", data, "label"),
                _expr(name, data, "numerator", kinds, None, ex.NUM),
                _expr(name, data, "denominator", kinds, None, ex.NUM),
                str(data.get("formula", "")), str(data.get("kind", "ratio")), str(data.get("unit", "")), by)


def _check_keys(name: str, what: str, keys: list[str], kinds: dict[str, str]) -> None:
    for k in keys:
        if k not in kinds:
            raise SpecError(f"{name}: {what}: cột \"{k}\" không tồn tại.")


def _unique(name: str, data: dict[str, Any], kinds: dict[str, str]) -> Unique:
    cols = list(data.get("columns", []))
    _check_keys(name, f"mục unique \"{data.get('id')}\"", cols, kinds)
    return Unique(_req(name, "mục unique", data, "id"), tuple(cols), _req(name, "mục unique", data, "message"),
                  str(data.get("severity", "warning")))


def _pivot(name: str, data: dict[str, Any], kinds: dict[str, str]) -> Pivot:
    _check_keys(name, f"bảng chéo \"{data.get('key')}\"", [data.get("rows", ""), data.get("columns", "")], kinds)
    return Pivot(data["key"], _req(name, "bảng chéo", data, "label"), data["rows"], data["columns"])


def _rowlist(name: str, data: dict[str, Any], kinds: dict[str, str]) -> RowList:
    cols = list(data.get("columns", []))
    _check_keys(name, f"danh sách \"{data.get('key')}\"", cols, kinds)
    return RowList(_req(name, "danh sách", data, "key"), _req(name, "danh sách", data, "label"),
                   _expr(name, data, "when", kinds, None), tuple(cols))


def _fingerprint(columns: tuple[Column, ...]) -> str:
    shape = [(c.key, c.type, list(c.categories)) for c in columns]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:10]
