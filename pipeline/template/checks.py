"""Live checks inside a template: the validator's own rules compiled to Excel formulas (no macros).

For each annex: one check for required cells, one for types and bounds, one per spec rule. A table gets a
hidden helper column per check (1 where a row fails), a form is checked in one formula. The "Kiểm tra"
sheet counts failures per check; conditional formatting colours the offending cells as the unit types, and
never refers to another sheet (a rule comparing with one looks at a hidden cell of its own sheet instead).
Only functions that Excel 2010, LibreOffice and WPS share are used: IF, AND, OR, NOT, LEN, TRIM, ISNUMBER,
INT, ISNA, MATCH, IFERROR, COUNTA, COUNTIF, SUM, SUMPRODUCT, ABS, MIN, MAX, DATE, VALUE, SUBSTITUTE.
A number or a date typed as text that collect reads ("1.234", "30/9/2026") is no type error here: a
warning check says the template cannot judge the rules on it until it is typed as a number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from pipeline.issues import SEVERITY_VN, Severity
from pipeline.spec.annex import AnnexSpec, Column, Rule
from pipeline.spec.evaluate import evaluate_on
from pipeline.spec.excel import to_excel
from pipeline.spec.expr import Ref
from pipeline.workbook.contract import (
    CHECK_ANNEX_COL,
    CHECK_SEVERITY_COL,
    CHECK_SHEET,
    COUNT_COL,
    FIRST_CHECK_ROW,
    MAX_CHECKS,
    Layout,
    cell,
    col_letter,
)


@dataclass
class LiveCheck:
    annex: str
    id: str
    label: str
    severity: str
    count: str  # formula body counting failing places
    cells: str  # text naming where to look
    cached: int  # the count for the blank template (LibreOffice shows cached values until it recalculates)
    helper_col: int | None = None  # table: the hidden helper column (1-based) on the annex sheet


@dataclass
class Plan:
    spec: AnnexSpec
    checks: list[LiveCheck] = field(default_factory=list)
    helpers: list[tuple[int, str, str]] = field(default_factory=list)  # (col, per-row formula with {r}, id)
    formats: list[tuple[str, int, int, str, str]] = field(default_factory=list)  # (range, r, c, formula, sev)
    cells: list[tuple[int, int, str, str, int]] = field(default_factory=list)  # form: (r, c, formula, id, cached)


def _blank(ref: str) -> str:
    return f"LEN(TRIM({ref}))=0"


TEXT_NUMBERS = ("Số hoặc ngày gõ dạng chữ: máy vẫn đọc được khi nhận biểu, nhưng biểu chưa tự kiểm tra được các "
                "quy tắc có ô đó; hãy gõ lại dạng số (hoặc ngày) để kiểm tra ngay")


def _as_text_value(col: Column, ref: str) -> str:
    """TRUE where a cell holds text that collect reads as a number or a date ("1.234", "12,5", "30/9/2026", a
    dash for zero): digits once its separators are removed, tested with VALUE, which every locale reads."""
    seps = ("/", "-", ".") if col.type == "date" else (".", ",", " ")
    inner = f"TRIM({ref})"
    for sep in seps:
        inner = f'SUBSTITUTE({inner},"{sep}","")'
    looks = f"ISNUMBER(VALUE({inner}))"
    if col.numeric and col.blank_as_zero:
        looks = f'OR({looks},TRIM({ref})="-")' if ":" not in ref else f'(({looks})+(TRIM({ref})="-")>0)'
    return looks


def _text_value_terms(col: Column, ref: str) -> list[str]:
    """Warning conditions: a number or date typed as text (read by collect, not yet judged by the template)."""
    if not (col.numeric or col.type == "date"):
        return []
    return [f"AND(NOT(ISNUMBER({ref})),{_as_text_value(col, ref)})"]


def _type_terms(col: Column, ref: str, list_name: str | None) -> list[str]:
    """Failure conditions of one cell's type and bounds (each TRUE where the cell is wrong)."""
    filled = f"LEN(TRIM({ref}))>0"
    if col.numeric:
        terms = [f"AND({filled},NOT(ISNUMBER({ref})),NOT({_as_text_value(col, ref)}))"]
        if col.type == "int":
            terms.append(f"AND(ISNUMBER({ref}),{ref}<>INT({ref}))")
        if col.min is not None:
            terms.append(f"AND(ISNUMBER({ref}),{ref}<{col.min!r})")
        if col.max is not None:
            terms.append(f"AND(ISNUMBER({ref}),{ref}>{col.max!r})")
        return terms
    if col.type == "date":
        return [f"AND({filled},NOT(ISNUMBER({ref})),NOT({_as_text_value(col, ref)}))"]
    if col.type == "category" and list_name:
        return [f"AND({filled},ISNA(MATCH({ref},{list_name},0)))"]
    return []


def _range_counts(col: Column, rng: str, list_name: str | None) -> list[str]:
    """How many cells of a column range are of the wrong type or out of bounds (array formulas that Excel,
    LibreOffice and WPS all evaluate inside SUMPRODUCT, without array entry)."""
    filled = f"(LEN(TRIM({rng}))>0)"
    if col.numeric or col.type == "date":
        out = [f"SUMPRODUCT({filled}*NOT(ISNUMBER({rng}))*NOT({_as_text_value(col, rng)}))"]
        if col.type == "int":
            out.append(f"SUMPRODUCT(ISNUMBER({rng})*IFERROR({rng}<>INT({rng}),FALSE))")
        if col.numeric and col.min is not None:
            out.append(f'COUNTIF({rng},"<{col.min!r}")')
        if col.numeric and col.max is not None:
            out.append(f'COUNTIF({rng},">{col.max!r}")')
        return out
    if col.type == "category" and list_name:
        return [f"SUMPRODUCT({filled}*ISNA(MATCH({rng},{list_name},0)))"]
    return []


def _unless_text(spec: AnnexSpec, rule: Rule, ref, judged: str) -> str:
    """A rule's failure count, or 0 while one of its own cells holds a number typed as text: the text-values
    check already says the rule waits for that cell to be typed as a number (collect reads it and judges)."""
    terms = [t for k in rule.refs if not isinstance(k, tuple) for t in _text_value_terms(spec.by_key[k], ref(k))]
    return f"IF(OR({','.join(terms)}),0,{judged})" if terms else judged


def _text_value_count(col: Column, rng: str) -> list[str]:
    if not (col.numeric or col.type == "date"):
        return []
    return [f"SUMPRODUCT(NOT(ISNUMBER({rng}))*{_as_text_value(col, rng)})"]


def _rule_ok(rule: Rule, ref, constants: dict) -> str:
    body = to_excel(rule.expr, ref, constants)
    if rule.when is not None:
        body = f"OR(NOT({to_excel(rule.when, ref, constants)}),{body})"
    return body


def _required(spec: AnnexSpec) -> list[Column]:
    return [c for c in spec.input_columns if c.required and not c.blank_as_zero]


def _cached(spec: AnnexSpec, rule: Rule, constants: dict) -> int:
    """Does the rule fail on a blank record (as Excel sees it: blanks are 0 and "")?"""
    if any(isinstance(r, tuple) for r in rule.refs):
        return 0
    return _fails_when_blank(spec, rule, tuple(sorted(constants.items())))


@functools.lru_cache(maxsize=1024)  # a pure function of its arguments; every workbook of a run asks the same
def _fails_when_blank(spec: AnnexSpec, rule: Rule, constant_items: tuple) -> int:
    constants = dict(constant_items)
    frame = pd.DataFrame({c.key: pd.Series([None], dtype="float64" if c.numeric else object)
                          for c in spec.columns})
    if spec.row_key:
        frame[spec.row_key] = spec.preset_rows[0]
    ok = evaluate_on(frame, spec, rule.expr, constants)
    if rule.when is not None:
        ok = ok | ~evaluate_on(frame, spec, rule.when, constants).astype(bool)
    return 0 if bool(ok.iloc[0]) else 1


def plan_annex(spec: AnnexSpec, lists: dict[tuple[str, str], str], constants: dict,
               foreign: dict[tuple[str, str], str]) -> Plan:
    """Every live check of one annex. `foreign` maps (annex, key) to an absolute reference in this workbook;
    a rule that refers to an annex the unit does not file is left out, as the validator leaves it out."""
    lay = Layout(spec)
    plan = Plan(spec)
    rules = [r for r in spec.rules if all(not isinstance(x, tuple) or x in foreign for x in r.refs)]
    if spec.layout == "form":
        _plan_form(plan, lay, rules, lists, constants, foreign)
    else:
        _plan_table(plan, lay, rules, lists, constants, foreign)
    return plan


def _plan_form(plan: Plan, lay: Layout, rules: list[Rule], lists, constants, foreign) -> None:
    spec = plan.spec
    sheet = f"'{spec.sheet}'"

    def ref(k: Ref) -> str:
        if isinstance(k, tuple):
            return foreign[k]
        return f"{sheet}!{cell(lay.row_of(k), lay.col_of(k), True)}"

    def local(k: str) -> str:
        return cell(lay.row_of(k), lay.col_of(k), True)

    required = _required(spec)
    if required:
        count = "+".join(f"IF({_blank(ref(c.key))},1,0)" for c in required)
        plan.checks.append(LiveCheck(spec.id, "required", "Các ô bắt buộc đã được điền đủ", "error", count,
                                 _when_failing(count, _where(spec.sheet, [local(c.key) for c in required])),
                                 len(required)))
        for c in required:
            plan.formats.append((local(c.key), lay.row_of(c.key), lay.col_of(c.key), _blank(local(c.key)), "error"))
    terms, text_terms = [], []
    for c in spec.input_columns:
        col_terms = _type_terms(c, ref(c.key), lists.get((spec.id, c.key), "").lstrip("=") or None)
        terms += col_terms
        text_terms += _text_value_terms(c, ref(c.key))
        local_terms = _type_terms(c, local(c.key), lists.get((spec.id, c.key), "").lstrip("=") or None)
        if local_terms:
            plan.formats.append((local(c.key), lay.row_of(c.key), lay.col_of(c.key),
                                 f"IFERROR(OR({','.join(local_terms)}),TRUE)", "error"))
        for term in _text_value_terms(c, local(c.key)):
            plan.formats.append((local(c.key), lay.row_of(c.key), lay.col_of(c.key), term, "warning"))
    if text_terms:
        count = "+".join(f"IFERROR(IF({t},1,0),0)" for t in text_terms)
        plan.checks.append(LiveCheck(spec.id, "text_values", TEXT_NUMBERS, "warning", count,
                                     _when_failing(count, f"các ô tô vàng trên trang {spec.sheet}"), 0))
    if terms:
        count = "+".join(f"IFERROR(IF({t},1,0),1)" for t in terms)
        plan.checks.append(LiveCheck(spec.id, "types", "Số liệu đúng kiểu (số, số nguyên, ngày, danh sách) và trong "
                                 "giới hạn", "error", count,
                                 _when_failing(count, f"các ô tô đỏ trên trang {spec.sheet}"), 0))
    helper = lay.last_col + 2
    for rule in rules:
        ok = _noted(rule, lay, sheet + "!", _rule_ok(rule, ref, constants))
        cells = [ref(k) if isinstance(k, tuple) else local(k) for k in rule.refs]
        count = _unless_text(spec, rule, ref, f"IFERROR(IF({ok},0,1),1)")
        cached = _cached(spec, rule, constants)
        plan.checks.append(LiveCheck(spec.id, rule.id, rule.message, rule.severity, count,
                                     _when_failing(count, _where(spec.sheet, cells)), cached))
        local_ok = _noted(rule, lay, "", _rule_ok(rule, lambda k: ref(k) if isinstance(k, tuple) else local(k),
                                                  constants))
        own = [k for k in rule.refs if not isinstance(k, tuple)]
        bad = f"NOT({local_ok})"
        if own and len(own) < len(rule.refs):  # see _cross_sheet
            row = lay.row_of(own[0])
            plan.cells.append((row, helper, f"IFERROR(IF({local_ok},0,1),1)", rule.id, cached))
            bad, helper = _cross_sheet(cell(row, helper, True)), helper + 1
        for k in own:
            plan.formats.append((local(k), lay.row_of(k), lay.col_of(k), bad, rule.severity))


def _noted(rule: Rule, lay: Layout, sheet: str, ok: str) -> str:
    """A warning that asks for a reason holds once a note is typed beside any value it names, as collect
    judges it (judge/validate.py): the "Ghi chú" cell on the row of that value."""
    if not rule.reason_in_note:
        return ok
    notes = [f"NOT({_blank(sheet + cell(lay.row_of(k), lay.note_col, True))})" for k in rule.refs
             if isinstance(k, str)]
    return f"OR({','.join(notes)},{ok})" if notes else ok


def _cross_sheet(helper: str) -> str:
    """The format of a rule that compares with another sheet. Excel 2007 removes a conditional format that
    refers to another sheet ("Removed Feature"), so the comparison sits in a hidden cell of this sheet, 1
    where the rule fails, and the format looks at that cell (as every program can)."""
    return f"{helper}=1"


def _plan_table(plan: Plan, lay: Layout, rules: list[Rule], lists, constants, foreign) -> None:
    spec = plan.spec
    first, last = lay.first_row, lay.last_row
    inputs = [c for c in spec.input_columns]
    c1, c2 = lay.col_of(inputs[0].key), lay.col_of(inputs[-1].key)
    helper = lay.last_col + 2
    present = "TRUE" if spec.preset_rows else f"COUNTA(${col_letter(c1)}{{r}}:${col_letter(c2)}{{r}})>0"

    def rel(k: Ref, r: int | str = "{r}") -> str:
        if isinstance(k, tuple):
            return foreign[k]
        return f"${col_letter(lay.col_of(k))}{r}"

    def add(check_id: str, label: str, severity: str, per_row: str, cached: int, where: str) -> None:
        nonlocal helper
        rng = f"${col_letter(helper)}${first}:${col_letter(helper)}${last}"
        sheet = f"'{spec.sheet}'!"
        plan.helpers.append((helper, per_row, check_id))
        plan.checks.append(LiveCheck(spec.id, check_id, label, severity, f"SUM({sheet}{rng})",
                                 f'IF(SUM({sheet}{rng})=0,"","{spec.sheet}, dòng "&(MATCH(1,{sheet}{rng},0)'
                                 f'+{first - 1})&": {where}")', cached, helper))
        helper += 1

    required = _required(spec)
    if required:
        blanks = "+".join(f"IF({_blank(rel(c.key))},1,0)" for c in required)
        add("required", "Các ô bắt buộc đã được điền đủ", "error", f"IF({present},{blanks},0)", 0,
            "ô bắt buộc còn trống")
        for c in required:
            col = lay.col_of(c.key)
            plan.formats.append((f"{cell(first, col)}:{cell(last, col)}", first, col,
                                 f"AND({present.format(r=first)},{_blank(rel(c.key, first))})", "error"))
    counts, text_counts = [], []
    for c in inputs:
        name = lists.get((spec.id, c.key), "").lstrip("=") or None
        col = lay.col_of(c.key)
        first_terms = _type_terms(c, rel(c.key, first), name)
        if first_terms:
            plan.formats.append((f"{cell(first, col)}:{cell(last, col)}", first, col,
                                 f"IFERROR(OR({','.join(first_terms)}),TRUE)", "error"))
        rng = f"'{spec.sheet}'!{cell(first, col, True)}:{cell(last, col, True)}"
        counts += _range_counts(c, rng, name)
        text_counts += _text_value_count(c, rng)
        for term in _text_value_terms(c, rel(c.key, first)):
            plan.formats.append((f"{cell(first, col)}:{cell(last, col)}", first, col, term, "warning"))
    if counts:  # whole-column counts on the "Kiểm tra" sheet: no per-row helper, so templates stay small
        count = "+".join(counts)
        plan.checks.append(LiveCheck(spec.id, "types", "Số liệu đúng kiểu (số, số nguyên, ngày, danh sách) và trong "
                                 "giới hạn", "error", count,
                                 _when_failing(count, f"các ô tô đỏ trên trang {spec.sheet}"), 0))
    if text_counts:
        count = "+".join(text_counts)
        plan.checks.append(LiveCheck(spec.id, "text_values", TEXT_NUMBERS, "warning", count,
                                     _when_failing(count, f"các ô tô vàng trên trang {spec.sheet}"), 0))
    for rule in rules:
        ok = _rule_ok(rule, rel, constants)
        cols = ", ".join(col_letter(lay.col_of(k)) for k in rule.refs if not isinstance(k, tuple))
        cached = _cached(spec, rule, constants) * len(spec.preset_rows) if spec.preset_rows else 0
        judged = f"IFERROR(IF({ok},0,1),1)"
        rule_col = helper  # add() gives the rule this helper column, 1 on each row where it fails
        add(rule.id, rule.message, rule.severity, f"IF({present},{_unless_text(spec, rule, rel, judged)},0)",
            cached, f"cột {cols}")
        first_ok = _rule_ok(rule, lambda k: rel(k, first), constants)
        bad = (_cross_sheet(f"${col_letter(rule_col)}{first}") if any(isinstance(k, tuple) for k in rule.refs)
               else f"AND({present.format(r=first)},NOT({first_ok}))")
        for k in rule.refs:
            if not isinstance(k, tuple):
                col = lay.col_of(k)
                plan.formats.append((f"{cell(first, col)}:{cell(last, col)}", first, col, bad, rule.severity))


def _where(sheet: str, cells: list[str]) -> str:
    return f"{sheet}: " + ", ".join(c.replace("$", "").replace("'", "") for c in cells)


def _when_failing(count: str, text: str) -> str:
    return f'IF(({count})=0,"","{text}")'


def status_formula(annex: str) -> str:
    """The "Sẵn sàng gửi" / "Còn n lỗi" line of one annex (or of the whole workbook when annex is "")."""
    sheet = f"'{CHECK_SHEET}'!"

    def col(letter: str) -> str:
        return f"{sheet}${letter}${FIRST_CHECK_ROW}:${letter}${FIRST_CHECK_ROW + MAX_CHECKS}"

    annex_col, severity_col, count_col = (col(col_letter(c)) for c in (CHECK_ANNEX_COL, CHECK_SEVERITY_COL, COUNT_COL))
    crit = f'*({annex_col}="{annex}")' if annex else ""
    # SUMPRODUCT, not SUMIFS: it survives a save as .xls (Excel 97–2003) and every other program
    errors = f'SUMPRODUCT(({severity_col}="{SEVERITY_VN[Severity.ERROR]}"){crit}*{count_col})'
    warnings = f'SUMPRODUCT(({severity_col}="{SEVERITY_VN[Severity.WARNING]}"){crit}*{count_col})'
    return (f'=IF({errors}=0,IF({warnings}=0,"✓ Sẵn sàng gửi","✓ Sẵn sàng gửi (có "&{warnings}&" cảnh báo)"),'
            f'"✗ Còn "&{errors}&" lỗi — xem trang {CHECK_SHEET}")')


def status_cached(checks: list[LiveCheck], annex: str) -> str:
    errors = sum(c.cached for c in checks if c.severity == "error" and (not annex or c.annex == annex))
    warnings = sum(c.cached for c in checks if c.severity == "warning" and (not annex or c.annex == annex))
    if errors:
        return f"✗ Còn {errors} lỗi — xem trang {CHECK_SHEET}"
    return "✓ Sẵn sàng gửi" if not warnings else f"✓ Sẵn sàng gửi (có {warnings} cảnh báo)"
