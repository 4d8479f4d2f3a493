"""The rule language of the specs: one expression, two back-ends.

An expression is a small subset of Python syntax over column keys, e.g.
``tong_hien_co == so_can_bo + so_cong_chuc`` or ``loai_tai_san in ('Xe ô tô', 'Khác')``.
It compiles to a vectorised pandas evaluation (the validator) and to an Excel formula (the template's
live checks); anything that one back-end cannot express is refused when the spec loads.

Semantics shared by both back-ends, chosen to match Excel: a blank number or date is 0, a blank text is
"", dates are day serials (1899-12-30 = 0), text comparison is exact after the reader's normalisation.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

NUM, TEXT, BOOL = "num", "text", "bool"
FUNCS = {"abs": (NUM, NUM), "filled": (None, BOOL), "blank": (None, BOOL), "min": (NUM, NUM),
         "max": (NUM, NUM)}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_XL_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NEGATE = {"==": "≠", "!=": "=", "<": "≥", "<=": ">", ">": "≤", ">=": "<"}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


class ExprError(ValueError):
    """An expression the language does not accept; the message is Vietnamese and names the problem."""


Ref = str | tuple[str, str]  # a column key, or (annex id, key) for a cross-annex reference


@dataclass(frozen=True)
class Expr:
    source: str
    tree: ast.expr
    kind: str
    refs: tuple[Ref, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(r for r in self.refs if isinstance(r, str))


def to_serial(value: dt.date | dt.datetime) -> float:
    return (pd.Timestamp(value) - EXCEL_EPOCH) / pd.Timedelta(days=1)


class _Checker:
    """Walks the tree once, refusing what either back-end cannot do, and infers kinds."""

    def __init__(self, kinds: dict[str, str], constants: dict[str, object],
                 foreign: dict[str, dict[str, str]]) -> None:
        self.kinds, self.constants, self.foreign = kinds, constants, foreign
        self.refs: list[Ref] = []

    def kind(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self._foreign(node.value.id, node.attr)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            self._expect(node.left, NUM)
            self._expect(node.right, NUM)
            return NUM
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self._expect(node.operand, NUM)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self._expect(node.operand, BOOL)
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                self._expect(v, BOOL)
            return BOOL
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise ExprError(f"cú pháp \"{ast.unparse(node)}\" không được hỗ trợ (chỉ dùng + − *, so sánh, "
                        "and/or/not, in (...), abs, min, max, filled, blank)")

    def _constant(self, node: ast.Constant) -> str:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
            raise ExprError(f"hằng số {node.value!r} không hợp lệ")
        return TEXT if isinstance(node.value, str) else NUM

    def _name(self, name: str) -> str:
        if name in self.kinds:
            self.refs.append(name)
            return self.kinds[name]
        if name in self.constants:
            return NUM
        raise ExprError(f"không có cột hoặc hằng số tên \"{name}\"")

    def _foreign(self, annex: str, key: str) -> str:
        if annex not in self.foreign:
            raise ExprError(f"\"{annex}.{key}\": {annex} không phải phụ lục dạng một bản ghi (form)")
        if key not in self.foreign[annex]:
            raise ExprError(f"phụ lục {annex} không có cột \"{key}\"")
        self.refs.append((annex, key))
        return self.foreign[annex][key]

    def _expect(self, node: ast.expr, kind: str) -> str:
        got = self.kind(node)
        if got != kind:
            raise ExprError(f"\"{ast.unparse(node)}\" phải là {_KIND_VN[kind]} nhưng là {_KIND_VN[got]}")
        return got

    def _compare(self, node: ast.Compare) -> str:
        left = self.kind(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.Tuple | ast.List) or not right.elts:
                    raise ExprError("sau \"in\" phải là danh sách giá trị trong ngoặc, ví dụ ('A', 'B')")
                for elt in right.elts:
                    if not isinstance(elt, ast.Constant) or self.kind(elt) != left:
                        raise ExprError(f"giá trị {ast.unparse(elt)} trong danh sách phải là hằng số "
                                        f"{_KIND_VN[left]}")
                continue
            if type(op) not in _CMP:
                raise ExprError(f"phép so sánh \"{ast.unparse(node)}\" không được hỗ trợ")
            rk = self.kind(right)
            if rk != left or left == BOOL or (left == TEXT and type(op) not in (ast.Eq, ast.NotEq)):
                raise ExprError(f"không so sánh được {_KIND_VN[left]} với {_KIND_VN[rk]} "
                                f"trong \"{ast.unparse(node)}\"")
            left = rk
        return BOOL

    def _call(self, node: ast.Call) -> str:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in FUNCS or node.keywords:
            raise ExprError(f"hàm \"{ast.unparse(node.func)}\" không được hỗ trợ")
        arg_kind, result = FUNCS[name]
        n = len(node.args)
        if (name in ("min", "max") and n < 2) or (name not in ("min", "max") and n != 1):
            raise ExprError(f"hàm {name} nhận sai số tham số")
        for a in node.args:
            if arg_kind is None:
                if not isinstance(a, ast.Name | ast.Attribute):
                    raise ExprError(f"{name}(...) chỉ nhận một tên cột")
                self.kind(a)
            else:
                self._expect(a, arg_kind)
        return result


_KIND_VN = {NUM: "số", TEXT: "văn bản", BOOL: "điều kiện đúng/sai"}


def parse(source: str, kinds: dict[str, str], constants: dict[str, object] | None = None,
          foreign: dict[str, dict[str, str]] | None = None, want: str | None = BOOL) -> Expr:
    """Parse and check an expression. `kinds` maps column keys to num/text (dates count as num)."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"biểu thức \"{source}\" sai cú pháp ({exc.msg})") from None
    checker = _Checker(kinds, constants or {}, foreign or {})
    kind = checker.kind(tree)
    if want is not None and kind != want and not (want == NUM and kind == BOOL):
        raise ExprError(f"biểu thức \"{source}\" phải cho kết quả {_KIND_VN[want]}")
    return Expr(source, tree, kind, tuple(dict.fromkeys(checker.refs)))


# ---------------------------------------------------------------- pandas back-end

Getter = Callable[[Ref], pd.Series]


def evaluate(expr: Expr, get: Getter, raw: Getter, constants: dict[str, object]) -> pd.Series:
    """Evaluate over aligned Series. `get` gives a filled value (0 / ""), `raw` the value with NaN for blank."""
    return _Eval(get, raw, constants).run(expr.tree)


class _Eval:
    def __init__(self, get: Getter, raw: Getter, constants: dict[str, object]) -> None:
        self.get, self.raw, self.constants = get, raw, constants

    def run(self, node: ast.expr):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return _constant_value(self.constants[node.id])
            return self.get(node.id)
        if isinstance(node, ast.Attribute):
            return self.get((node.value.id, node.attr))  # type: ignore[attr-defined]
        if isinstance(node, ast.BinOp):
            a, b = self.run(node.left), self.run(node.right)
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        if isinstance(node, ast.UnaryOp):
            v = self.run(node.operand)
            return -v if isinstance(node.op, ast.USub) else ~_as_bool(v)
        if isinstance(node, ast.BoolOp):
            vals = [_as_bool(self.run(v)) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.Compare):
            return self._compare(node)
        return self._call(node)  # type: ignore[arg-type]

    def _compare(self, node: ast.Compare):
        left = self.run(node.left)
        out = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                values = [e.value for e in comp.elts]  # type: ignore[attr-defined]
                res = _as_series(left).isin(values)
                res = ~res if isinstance(op, ast.NotIn) else res
                right = left
            else:
                right = self.run(comp)
                res = _apply_cmp(_CMP[type(op)], left, right)
            out = res if out is None else (out & res)
            left = right
        return out

    def _call(self, node: ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("filled", "blank"):
            arg = node.args[0]
            ref = arg.id if isinstance(arg, ast.Name) else (arg.value.id, arg.attr)  # type: ignore[attr-defined]
            missing = self.raw(ref).isna()
            return ~missing if name == "filled" else missing
        args = [self.run(a) for a in node.args]
        if name == "abs":
            return abs(args[0])
        frame = pd.concat([_as_series(a, like=args) for a in args], axis=1)
        return frame.min(axis=1) if name == "min" else frame.max(axis=1)


def _constant_value(value: object) -> object:
    if isinstance(value, dt.date):
        return to_serial(value)
    return value


def _apply_cmp(op: str, a, b):
    return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
            ">": lambda: a > b, ">=": lambda: a >= b}[op]()


def _as_bool(v):
    return v.astype(bool) if isinstance(v, pd.Series) else bool(v)


def _as_series(v, like=None) -> pd.Series:
    if isinstance(v, pd.Series):
        return v
    index = next((a.index for a in (like or []) if isinstance(a, pd.Series)), None)
    return pd.Series(v, index=index)


def sides(expr: Expr, get: Getter, raw: Getter, constants: dict[str, object]):
    """For a single comparison: both sides' values, the operator that describes a failure, and the names
    standing alone on each side (None for a computed side), so a caller can show dates as dates."""
    node = expr.tree
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP:
        ev = _Eval(get, raw, constants)
        right = node.comparators[0]
        return (ev.run(node.left), ev.run(right), _NEGATE[_CMP[type(node.ops[0])]], _lone(node.left),
                _lone(right))
    return None


def _lone(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


# ---------------------------------------------------------------- Excel back-end


def to_excel(expr: Expr, ref: Callable[[Ref], str], constants: dict[str, object]) -> str:
    """The expression as an Excel formula body (no leading '='), valid in Excel, LibreOffice and WPS."""
    return _Xl(ref, constants).run(expr.tree)


class _Xl:
    def __init__(self, ref: Callable[[Ref], str], constants: dict[str, object]) -> None:
        self.ref, self.constants = ref, constants

    def run(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return '"' + node.value.replace('"', '""') + '"'
            return repr(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return _xl_constant(self.constants[node.id])
            return self.ref(node.id)
        if isinstance(node, ast.Attribute):
            return self.ref((node.value.id, node.attr))  # type: ignore[attr-defined]
        if isinstance(node, ast.BinOp):
            return f"({self.run(node.left)}{_ARITH[type(node.op)]}{self.run(node.right)})"
        if isinstance(node, ast.UnaryOp):
            inner = self.run(node.operand)
            return f"(-{inner})" if isinstance(node.op, ast.USub) else f"NOT({inner})"
        if isinstance(node, ast.BoolOp):
            fn = "AND" if isinstance(node.op, ast.And) else "OR"
            return f"{fn}({','.join(self.run(v) for v in node.values)})"
        if isinstance(node, ast.Compare):
            return self._compare(node)
        return self._call(node)  # type: ignore[arg-type]

    def _compare(self, node: ast.Compare) -> str:
        parts, left = [], node.left
        for op, comp in zip(node.ops, node.comparators, strict=True):
            lx = self.run(left)
            if isinstance(op, ast.In | ast.NotIn):
                alts = ",".join(f"{lx}={self.run(e)}" for e in comp.elts)  # type: ignore[attr-defined]
                parts.append(f"OR({alts})" if isinstance(op, ast.In) else f"NOT(OR({alts}))")
                continue
            parts.append(f"{lx}{_XL_CMP[_CMP[type(op)]]}{self.run(comp)}")
            left = comp
        return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"

    def _call(self, node: ast.Call) -> str:
        name = node.func.id  # type: ignore[attr-defined]
        args = [self.run(a) for a in node.args]
        if name == "filled":
            return f"LEN(TRIM({args[0]}))>0"
        if name == "blank":
            return f"LEN(TRIM({args[0]}))=0"
        return f"{name.upper()}({','.join(args)})"


def _xl_constant(value: object) -> str:
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)
