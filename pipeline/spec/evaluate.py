"""The rule language's pandas back-end: an expression evaluated over aligned Series (the validator, the
summary's rates and lists).

Values are seen as Excel sees them (`excel_view`): a blank number or date is 0, a blank text is "", dates
are day serials.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable

import pandas as pd

from pipeline.spec.annex import AnnexSpec, Column
from pipeline.spec.expr import CMP, EXCEL_EPOCH, Expr, Ref, to_serial

_NEGATE = {"==": "≠", "!=": "=", "<": "≥", "<=": ">", ">": "≤", ">=": "<"}
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
                res = _apply_cmp(CMP[type(op)], left, right)
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
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP:
        ev = _Eval(get, raw, constants)
        right = node.comparators[0]
        return (ev.run(node.left), ev.run(right), _NEGATE[CMP[type(node.ops[0])]], _lone(node.left),
                _lone(right))
    return None


def _lone(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None




def excel_view(values: pd.Series, col: Column) -> pd.Series:
    """Values as the rule language sees them (like Excel): blank numbers and dates are 0, dates are serials."""
    if col.type == "date":
        serial = (pd.to_datetime(values) - EXCEL_EPOCH) / pd.Timedelta(days=1)
        return serial.fillna(0.0)
    if col.numeric:
        return pd.to_numeric(values, errors="coerce").fillna(0.0)
    return values.fillna("").astype(str)


def evaluate_on(frame: pd.DataFrame, spec: AnnexSpec, expr: Expr, constants: dict[str, object]) -> pd.Series:
    """Evaluate an expression over a frame whose columns are the spec's keys."""
    result = evaluate(expr, lambda k: excel_view(frame[k], spec.by_key[k]), lambda k: frame[k], constants)
    if not isinstance(result, pd.Series):
        result = pd.Series(result, index=frame.index)
    return result
