"""The rule language's pandas back-end: an expression evaluated over aligned Series (the validator, the
summary's rates and lists).

Values are seen as `excel_view` gives them: a blank number or date is 0, a blank text is "", a date is a
whole-day serial. Text compares without regard to case, numbers with the tolerance of `expr.REL_TOL`.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.spec.annex import AnnexSpec, Column
from pipeline.spec.expr import CMP, EXCEL_EPOCH, REL_TOL, TEXT, Expr, Ref, to_serial

_NEGATE = {"==": "≠", "!=": "=", "<": "≥", "<=": ">", ">": "≤", ">=": "<"}
Getter = Callable[[Ref], pd.Series]


def evaluate(expr: Expr, get: Getter, raw: Getter, constants: dict[str, object]) -> pd.Series:
    """Evaluate over aligned Series. `get` gives a filled value (0 / ""), `raw` the value with NaN for blank."""
    return _Eval(expr, get, raw, constants).run(expr.tree)


class _Eval:
    def __init__(self, expr: Expr, get: Getter, raw: Getter, constants: dict[str, object]) -> None:
        self.expr, self.get, self.raw, self.constants = expr, get, raw, constants

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
            return -v if isinstance(node.op, ast.USub) else _not(v)
        if isinstance(node, ast.BoolOp):
            vals = [_as_bool(self.run(v)) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.Compare):
            return self._compare(node)
        return self._call(node)  # type: ignore[arg-type]

    def _is_text(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.Name) and node.id not in self.constants:
            return self.expr.kind_of(node.id) == TEXT
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self.expr.kind_of((node.value.id, node.attr)) == TEXT
        return False

    def _compare(self, node: ast.Compare):
        left_node, left = node.left, self.run(node.left)
        out = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            text = self._is_text(left_node)
            if isinstance(op, ast.In | ast.NotIn):
                alts = [compare("==", left, e.value, text) for e in comp.elts]  # type: ignore[attr-defined]
                res = alts[0]
                for alt in alts[1:]:
                    res = res | alt
                res = _not(res) if isinstance(op, ast.NotIn) else res
                right = left
            else:
                right = self.run(comp)
                res = compare(CMP[type(op)], left, right, text)
            out = res if out is None else (out & res)
            left_node, left = comp, right
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
        frame = pd.concat([_as_series(a, like=args) for a in args], axis=1)  # blanks are 0 here, as everywhere
        return frame.min(axis=1) if name == "min" else frame.max(axis=1)


def compare(op: str, a, b, text: bool = False):
    """One comparison as the rule language means it: text without regard to case, numbers within REL_TOL."""
    if text:
        a, b = _lower(a), _lower(b)
        return (a == b) if op == "==" else (a != b)
    diff = a - b
    tol = REL_TOL * np.maximum(np.maximum(abs(a), abs(b)), 1.0)
    if op == "==":
        return abs(diff) <= tol
    if op == "!=":
        return abs(diff) > tol
    return {"<": lambda: diff < -tol, "<=": lambda: diff <= tol, ">": lambda: diff > tol,
            ">=": lambda: diff >= -tol}[op]()


def _lower(v):
    return v.astype(str).str.lower() if isinstance(v, pd.Series) else str(v).lower()


def _not(v):
    return ~v.astype(bool) if isinstance(v, pd.Series) else not bool(v)


def _constant_value(value: object) -> object:
    if isinstance(value, dt.date):
        return to_serial(value)
    return value


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
        ev = _Eval(expr, get, raw, constants)
        right = node.comparators[0]
        return (ev.run(node.left), ev.run(right), _NEGATE[CMP[type(node.ops[0])]], _lone(node.left),
                _lone(right))
    return None


def _lone(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None



def excel_view(values: pd.Series, col: Column) -> pd.Series:
    """Values as the rule language sees them: blank numbers and dates are 0, a date is its whole-day serial."""
    if col.type == "date":
        serial = np.floor((pd.to_datetime(values) - EXCEL_EPOCH) / pd.Timedelta(days=1))
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
