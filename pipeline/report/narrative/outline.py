"""The report's outline (`baocao.toml` in the workspace, beside round.toml and schemas/): its sections, and for
each the paragraphs to write, the figures they insert, the rows they list and the places left for the unit to
write. Loaded and checked here, so a round with another outline needs an edited file, no programming.

A figure placeholder is `{ANNEX.kind:key}` (kind: sum, rate, num, den, by, list) or `{ANNEX.count}` /
`{ANNEX.units}`: the very placeholders of a spec's key sentences, qualified by the annex. Its figure id is
`<annex>_<kind>[_<key>]` in lower case (`pl1_sum_tong_hien_co`), with `_k<n>` for the n-th khối or `_g<n>` for
the n-th group of an `each` block; the Word draft wraps it in a bookmark of that name (workbook/draft.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.messages import TEXTS, Problem, WorkspaceError, say, sentence
from pipeline.settings.textfile import Undecodable, decode
from pipeline.settings.tomlcheck import diagnose
from pipeline.spec import expr as ex
from pipeline.spec.annex import CONSTANT_NAMES, AnnexSpec, SpecSet
from pipeline.workbook.draft import figure_bookmark

OUTLINE_NAME = "baocao.toml"
FIGURE = re.compile(r"\{([A-Za-z]\w*)\.(\w+)(?::(\w+))?\}")
FIELD = re.compile(r"\{(\w+)\}")
KINDS = ("sum", "rate", "num", "den", "by", "list", "count", "units")
KHOI = "khoi"
COMMUNE, UNIT = "commune", "unit"
WRITE_MARK = re.compile(r"^\[.*\]$", re.S)


@dataclass(frozen=True)
class Block:
    """One paragraph (or run of paragraphs) of a section."""

    kind: str  # "text", "write", "sentences", "each", "rows"
    text: str | None = None  # the commune's text (text, write, each, rows)
    unit_text: str | None = None  # the unit's text (kind "text"; the others use `text` for both)
    annex: str = ""
    column: str = ""  # each: the grouping column, "" for khối
    pick: tuple[int, ...] = ()  # sentences: which ones (1-based); () for all
    filled: str = ""  # each: a group is listed when this column's sum is not 0
    when: ex.Expr | None = None  # rows: which rows
    first: ex.Expr | None = None  # rows: which rows come first (overdue)
    first_note: str = ""
    order: str = ""
    empty: str = ""  # rows: said when no row is listed
    only: str = ""  # "", COMMUNE or UNIT

    def text_for(self, unit: bool) -> str | None:
        if self.only and self.only != (UNIT if unit else COMMUNE):
            return None
        return self.unit_text if unit and self.kind == "text" else self.text


@dataclass(frozen=True)
class Section:
    level: int  # 1: I, II…; 2: 1, 2…; 3: 2.1, 5.2…
    heading: str
    body: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Appendix:
    heading: str
    annexes: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    sections: tuple[Section, ...]
    appendices: tuple[Appendix, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # title, subject, issuer, number, signature…
    source: str = OUTLINE_NAME

    def get(self, key: str, default: Any = "") -> Any:
        return self.settings.get(key, default)


def figure_id(annex: str, kind: str, key: str | None, suffix: str = "") -> str:
    """`pl1_sum_tong_hien_co`, `pl2_count`, `pl1_rate_ty_le_nu_k2`."""
    return "_".join(p for p in (annex.lower(), kind, key or "") if p) + suffix


def default_outline_path() -> Any:
    return resources.files("pipeline") / "defaults" / OUTLINE_NAME


def outline_bytes(root: Path) -> bytes:
    """The workspace's baocao.toml as stored; the default one when the workspace has none."""
    path = root / OUTLINE_NAME
    return path.read_bytes() if path.is_file() else default_outline_path().read_bytes()


def load_outline(root: Path, specs: SpecSet) -> Outline:
    """The workspace's baocao.toml (the default one when the workspace has none), checked against its specs;
    WorkspaceError naming every mistake otherwise."""
    raw = outline_bytes(root)
    try:
        text = decode(raw)[0]
        data = tomllib.loads(text)
    except Undecodable:
        raise WorkspaceError(say("encoding_unknown", OUTLINE_NAME)) from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(diagnose(exc, text, OUTLINE_NAME)) from None
    return parse_outline(data, specs)


def parse_outline(data: dict[str, Any], specs: SpecSet) -> Outline:
    problems: list[Problem] = []
    sections = []
    for n, raw in enumerate(_tables(data, "sections", problems), start=1):
        heading = str(raw.get("heading", "")).strip()
        level = raw.get("level", 1)
        if not heading or level not in (1, 2, 3):
            problems.append(say("outline_key", OUTLINE_NAME, what=f"mục thứ {n}: heading và level",
                                kind="tên đề mục và cấp 1, 2 hoặc 3", example='level = 2, heading = "1. Đặc điểm"'))
            continue
        blocks = []
        for item in raw.get("body", []):
            try:
                blocks.append(_block(item, specs))
            except ValueError as exc:
                problems.append(say("outline_section", OUTLINE_NAME, n=n, heading=heading, problem=str(exc)))
        sections.append(Section(level, heading, tuple(blocks)))
    appendices = []
    for raw in _tables(data, "appendices", problems):
        annexes = tuple(str(a) for a in raw.get("annexes", []))
        problems += [say("outline_annex", OUTLINE_NAME, annex=a, known=", ".join(specs.annexes))
                     for a in annexes if a not in specs.annexes]
        appendices.append(Appendix(str(raw.get("heading", "")), annexes))
    if problems:
        raise WorkspaceError(problems)
    settings = {k: v for k, v in data.items() if k not in ("sections", "appendices")}
    return Outline(tuple(sections), tuple(appendices), settings)


def _tables(data: dict[str, Any], key: str, problems: list[Problem]) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        problems.append(say("outline_key", OUTLINE_NAME, what=key, kind=f"các nhóm [[{key}]]",
                            example=f"[[{key}]]"))
        return []
    return items


def _block(item: Any, specs: SpecSet) -> Block:
    if isinstance(item, str):
        if WRITE_MARK.match(item.strip()):
            return Block("write", item.strip())
        _check_text(item, specs)
        return Block("text", item, item)
    if not isinstance(item, dict):
        raise ValueError(_said("outline_block"))
    only = str(item.get("only", ""))
    if only not in ("", COMMUNE, UNIT):
        raise ValueError(_said("outline_key", what="only", kind='"commune" hoặc "unit"', example='only = "commune"'))
    if COMMUNE in item or UNIT in item:
        texts = [item.get(COMMUNE), item.get(UNIT)]
        for text in texts:
            if text is not None:
                _check_text(str(text), specs)
        return Block("text", texts[0], texts[1], only=only)
    if "sentences" in item:
        annex = _annex(str(item["sentences"]), specs)
        return Block("sentences", annex=annex, pick=tuple(int(i) for i in item.get("pick", [])), only=only)
    if "each" in item:
        return _each(item, specs, only)
    if "rows" in item:
        return _rows(item, specs, only)
    raise ValueError(_said("outline_block"))


def _said(code: str, **fields: Any) -> str:
    """A catalogue sentence as part of another (not capitalised)."""
    return TEXTS[code].format(**fields)


def _annex(annex: str, specs: SpecSet) -> str:
    if annex not in specs.annexes:
        raise ValueError(_said("outline_annex", annex=annex, known=", ".join(specs.annexes)))
    return annex


def _each(item: dict[str, Any], specs: SpecSet, only: str) -> Block:
    value, text = str(item["each"]), str(item.get("text", ""))
    if value == KHOI:
        _check_text(text, specs, suffix="_k99", extra={KHOI})
        return Block("each", text, annex="", column="", only=only or COMMUNE)
    annex, _, column = value.partition(".")
    spec = specs.annexes.get(annex)
    if spec is None or not column or column not in _group_columns(spec):
        raise ValueError(_said("outline_each", value=value))
    _check_text(text, specs, suffix="_g99", extra={"group"}, group=(annex, column))
    filled = str(item.get("filled", ""))
    _column(spec, "filled", filled, numeric=True)
    return Block("each", text, annex=annex, column=column, filled=filled, only=only)


def _group_columns(spec: AnnexSpec) -> set[str]:
    return {c for c in [spec.row_key, *(r.by for r in spec.rates)] if c}


def _rows(item: dict[str, Any], specs: SpecSet, only: str) -> Block:
    annex = _annex(str(item["rows"]), specs)
    spec = specs.annexes[annex]
    text = str(item.get("text", ""))
    for name in FIELD.findall(text):
        _column(spec, "text", name, extra={"unit_name", "unit", "khoi"})
    order = str(item.get("order", ""))
    _column(spec, "order", order)
    return Block("rows", text, annex=annex, when=_expr(spec, item, "when"), first=_expr(spec, item, "first"),
                 first_note=str(item.get("first_note", "")), order=order, empty=str(item.get("empty", "")),
                 only=only)


def _column(spec: AnnexSpec, key: str, value: str, numeric: bool = False, extra: set[str] = frozenset()) -> None:
    if not value or value in extra:
        return
    col = spec.by_key.get(value)
    if col is None or (numeric and not col.numeric):
        raise ValueError(_said("outline_column", key=key, value=value, annex=spec.id,
                             known=", ".join(c.key for c in spec.columns)))


def _expr(spec: AnnexSpec, item: dict[str, Any], key: str) -> ex.Expr | None:
    if key not in item:
        return None
    kinds = {c.key: c.kind for c in spec.columns}
    try:
        return ex.parse(str(item[key]), kinds, dict.fromkeys(CONSTANT_NAMES, 0))
    except ex.ExprError as exc:
        raise ValueError(_said("outline_expr", key=key, source=item[key], problem=str(exc))) from None


def known_keys(spec: AnnexSpec) -> dict[str, set[str]]:
    """What each placeholder kind may name in one annex (the same as its key sentences)."""
    rates = {r.key for r in spec.rates}
    return {"sum": {c.key for c in spec.columns if c.numeric} | {d.key for d in spec.derived}, "rate": rates,
            "num": rates, "den": rates, "list": {x.key for x in spec.lists},
            "by": {r.key for r in spec.rates if r.by or spec.row_key}}


def _check_text(text: str, specs: SpecSet, suffix: str = "", extra: set[str] = frozenset(),
                group: tuple[str, str] | None = None) -> None:
    found = FIGURE.findall(text)
    for annex, kind, key in found:
        shown = f"{annex}.{kind}{':' + key if key else ''}"
        spec = specs.annexes.get(annex)
        why = ""
        if spec is None:
            why = f"không có phụ lục {annex} trong schemas/"
        elif kind not in KINDS:
            why = "loại phải là sum, rate, num, den, by, list, count hoặc units"
        elif (kind in ("count", "units")) != (not key) or (key and key not in known_keys(spec).get(kind, set())):
            why = f"phụ lục {annex} không có {kind}:{key}" if key else f"{kind} cần tên cột hoặc chỉ tiêu"
        elif group and kind in ("rate", "num", "den") and group[1] not in (spec.row_key, _rate_by(spec, key)):
            why = f"tỷ lệ {key} không tính theo nhóm {group[1]}"
        if why:
            raise ValueError(_said("outline_placeholder", found=shown, why=why))
        try:
            figure_bookmark(figure_id(annex, kind, key, suffix))
        except ValueError:
            why = "tên quá dài cho một dấu trang Word"
            raise ValueError(_said("outline_placeholder", found=shown, why=why)) from None
        ratio = any(r.key == key and r.kind == "ratio" for r in spec.rates)
        if kind == "rate" and ratio and (annex, "den", key) not in found:
            raise ValueError(_said("outline_rate_base", annex=annex, key=key))
    for name in FIELD.findall(text):
        if name not in extra:
            raise ValueError(_said("outline_placeholder", found=name, why="chỗ trống số liệu viết dạng "
                                 "{PHỤ_LỤC.loại:khóa}, ví dụ {PL1.sum:tong_hien_co}"))


def _rate_by(spec: AnnexSpec, key: str) -> str | None:
    return next((r.by for r in spec.rates if r.key == key), None)


def outline_or_note(root: Path, specs: SpecSet, notes: list[str]) -> Outline | None:
    """The workspace's outline (baocao.toml); a mistake in it is said in `notes`, and None returned."""
    try:
        return load_outline(root, specs)
    except WorkspaceError as exc:
        notes.append(sentence("draft_outline", problem=str(exc)))
        return None
