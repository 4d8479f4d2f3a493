"""The rule language's Excel back-end: an expression as a formula that Excel, LibreOffice and WPS evaluate
(the template's live checks).

The formula spells out the semantics of expr.py rather than leaning on the program's own: a text cell is read
through TRIM (a number typed into it becomes its text, as the reader makes it), a date cell through INT (its
day), a number cell given to MIN/MAX as `(cell+0)` (a blank is 0 there too, not skipped), and numbers
compare through their difference against the tolerance REL_TOL · MAX(ABS(a), ABS(b), 1). Text equality is
Excel's `=`, which ignores case in Excel, LibreOffice and WPS alike.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable

from pipeline.spec.expr import ARITH, CMP, DATE, REL_TOL, TEXT, Expr, Ref

_XL_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_XL_TEXT_CMP = {"==": "=", "!=": "<>"}
_TOL = f"{REL_TOL:.0E}".replace("E-0", "E-")  # 1E-9


def to_excel(expr: Expr, ref: Callable[[Ref], str], constants: dict[str, object]) -> str:
    """The expression as an Excel formula body (no leading '='), valid in Excel, LibreOffice and WPS."""
    return _Xl(expr, ref, constants).run(expr.tree)


class _Xl:
    def __init__(self, expr: Expr, ref: Callable[[Ref], str], constants: dict[str, object]) -> None:
        self.expr, self.ref, self.constants = expr, ref, constants

    def run(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return '"' + node.value.replace('"', '""') + '"'
            return repr(node.value)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return _xl_constant(self.constants[node.id])
        if isinstance(node, ast.Name | ast.Attribute):
            return self._value(_ref_of(node))
        if isinstance(node, ast.BinOp):
            return f"({self.run(node.left)}{ARITH[type(node.op)]}{self.run(node.right)})"
        if isinstance(node, ast.UnaryOp):
            inner = self.run(node.operand)
            return f"(-{inner})" if isinstance(node.op, ast.USub) else f"NOT({inner})"
        if isinstance(node, ast.BoolOp):
            fn = "AND" if isinstance(node.op, ast.And) else "OR"
            return f"{fn}({','.join(self.run(v) for v in node.values)})"
        if isinstance(node, ast.Compare):
            return self._compare(node)
        return self._call(node)  # type: ignore[arg-type]

    def _value(self, ref: Ref) -> str:
        kind, cell = self.expr.kind_of(ref), self.ref(ref)
        return f"TRIM({cell})" if kind == TEXT else f"INT({cell})" if kind == DATE else cell

    def _is_text(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return False
        return isinstance(node, ast.Name | ast.Attribute) and self.expr.kind_of(_ref_of(node)) == TEXT

    def _compare(self, node: ast.Compare) -> str:
        parts, left = [], node.left
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                alts = ",".join(self._cmp("==", left, e) for e in comp.elts)  # type: ignore[attr-defined]
                parts.append(f"OR({alts})" if isinstance(op, ast.In) else f"NOT(OR({alts}))")
                continue
            parts.append(self._cmp(CMP[type(op)], left, comp))
            left = comp
        return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"

    def _cmp(self, op: str, left: ast.expr, right: ast.expr) -> str:
        """One comparison: text with Excel's `=` (case ignored), numbers against the tolerance. Whole days
        (dates, small whole constants) compare exactly: there the tolerance, under 1, changes nothing."""
        a, b = self.run(left), self.run(right)
        if self._is_text(left):
            return f"{a}{_XL_TEXT_CMP[op]}{b}"
        if self._whole_days(left) and self._whole_days(right):
            return f"{a}{_XL_CMP[op]}{b}"
        scale = [t for t in (_scale(left, a), _scale(right, b)) if t is not None]
        diff, tol = f"{a}-{b}", f"{_TOL}*MAX({','.join([*scale, '1'])})"
        return {"==": f"ABS({diff})<={tol}", "!=": f"ABS({diff})>{tol}", "<": f"{diff}<-{tol}",
                "<=": f"{diff}<={tol}", ">": f"{diff}>{tol}", ">=": f"{diff}>=-{tol}"}[op]

    def _whole_days(self, node: ast.expr) -> bool:
        """Dates, date constants and whole constants under a million, added or subtracted: whole numbers far
        below 1/REL_TOL."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            return isinstance(self.constants[node.id], dt.date)
        if isinstance(node, ast.Name | ast.Attribute):
            return self.expr.kind_of(_ref_of(node)) == DATE
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int) and abs(node.value) < 10**6
        if isinstance(node, ast.UnaryOp):
            return self._whole_days(node.operand)
        return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub) and \
            self._whole_days(node.left) and self._whole_days(node.right)

    def _call(self, node: ast.Call) -> str:
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("filled", "blank"):
            cell = self.ref(_ref_of(node.args[0]))
            return f"LEN(TRIM({cell}))>0" if name == "filled" else f"LEN(TRIM({cell}))=0"
        if name == "abs":
            return f"ABS({self.run(node.args[0])})"
        # MIN and MAX skip a blank cell given by reference: (cell+0) makes it the 0 it is everywhere else
        args = [f"({self.run(a)}+0)" if isinstance(a, ast.Name | ast.Attribute) and not
                (isinstance(a, ast.Name) and a.id in self.constants) else self.run(a) for a in node.args]
        return f"{name.upper()}({','.join(args)})"


def _scale(node: ast.expr, formula: str) -> str | None:
    """ABS of one side, for the tolerance's MAX(…, 1); a constant's own size, or nothing when it is ≤ 1."""
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
    if isinstance(value, int | float):
        return None if abs(value) <= 1 else repr(abs(value))
    return f"ABS({formula})"


def _ref_of(node: ast.expr) -> Ref:
    if isinstance(node, ast.Name):
        return node.id
    return (node.value.id, node.attr)  # type: ignore[attr-defined]


def _xl_constant(value: object) -> str:
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)
