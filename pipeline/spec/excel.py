"""The rule language's Excel back-end: an expression as a formula that Excel, LibreOffice and WPS evaluate
(the template's live checks)."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable

from pipeline.spec.expr import ARITH, CMP, Expr, Ref

_XL_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}



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

    def _compare(self, node: ast.Compare) -> str:
        parts, left = [], node.left
        for op, comp in zip(node.ops, node.comparators, strict=True):
            lx = self.run(left)
            if isinstance(op, ast.In | ast.NotIn):
                alts = ",".join(f"{lx}={self.run(e)}" for e in comp.elts)  # type: ignore[attr-defined]
                parts.append(f"OR({alts})" if isinstance(op, ast.In) else f"NOT(OR({alts}))")
                continue
            parts.append(f"{lx}{_XL_CMP[CMP[type(op)]]}{self.run(comp)}")
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
