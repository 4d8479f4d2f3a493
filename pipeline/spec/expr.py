"""The rule language of the specs: one expression, two back-ends.

An expression is a small subset of Python syntax over column keys, e.g.
``tong_hien_co == so_can_bo + so_cong_chuc`` or ``loai_tai_san in ('Xe ô tô', 'Khác')``.
It compiles to a vectorised pandas evaluation (`evaluate.py`, the validator) and to an Excel formula
(`excel.py`, the template's live checks); anything that one back-end cannot express is refused when the
spec loads.

One semantics, the same in both back-ends (README, "The spec format"; `tests/test_rule_semantics.py` checks it
against LibreOffice case by case):
- a blank number or date is 0, a blank text is "" (in `min`/`max` too, and for a field of another annex);
- a date is its day: a serial of whole days (1899-12-30 = 0), any time of day dropped;
- text compares without regard to case, after the reader's normalisation (NFC, white space folded);
- numbers compare with a relative tolerance: a and b are equal when |a − b| ≤ REL_TOL · max(|a|, |b|, 1),
  and a < b only when they are not equal (so 0.1 + 0.2 == 0.3 holds, as Excel shows it).
The parser refuses what Python would read otherwise than a spec author means (chains mixing `in` or `!=`,
`&`/`|` for and/or, two quoted texts side by side).
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import itertools
import tokenize
from dataclasses import dataclass

from pipeline.vntext import clean

NUM, TEXT, BOOL, DATE = "num", "text", "bool", "date"  # DATE: a column of dates, a number (day serial) to the rules
REL_TOL = 1e-12  # numbers closer than this, relative to the larger (or to 1), are equal: whole numbers
# stay exact up to 10^12, and the rounding of decimal arithmetic (about 1e-16 an operation) is absorbed
FUNCS = {"abs": (NUM, NUM), "filled": (None, BOOL), "blank": (None, BOOL), "min": (NUM, NUM),
         "max": (NUM, NUM)}
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


class ExprError(ValueError):
    """An expression the language does not accept; the message is Vietnamese and names the problem."""


Ref = str | tuple[str, str]  # a column key, or (annex id, key) for a cross-annex reference


@dataclass(frozen=True)
class Expr:
    source: str
    tree: ast.expr
    kind: str
    refs: tuple[Ref, ...]
    ref_kinds: tuple[str, ...] = ()  # the kind of each of `refs` (num, text or date)
    presence: tuple[Ref, ...] = ()  # the refs that filled(…) / blank(…) ask about

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(r for r in self.refs if isinstance(r, str))

    def kind_of(self, ref: Ref) -> str:
        return dict(zip(self.refs, self.ref_kinds, strict=True)).get(ref, NUM)


def to_serial(value: dt.date | dt.datetime) -> float:
    """A date (or a date and time) as Excel stores it: days since 30 December 1899."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return (moment - EXCEL_EPOCH) / dt.timedelta(days=1)


class _Checker:
    """Walks the tree once, refusing what either back-end cannot do, and infers kinds."""

    def __init__(self, kinds: dict[str, str], constants: dict[str, object],
                 foreign: dict[str, dict[str, str]]) -> None:
        self.kinds, self.constants, self.foreign = kinds, constants, foreign
        self.refs: dict[Ref, str] = {}  # in order of appearance, with each one's kind
        self.presence: dict[Ref, None] = {}

    def kind(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self._foreign(node.value.id, node.attr)
        if isinstance(node, ast.BinOp) and type(node.op) in ARITH:
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
        if isinstance(node, ast.BinOp | ast.UnaryOp) and isinstance(node.op, ast.BitAnd | ast.BitOr | ast.Invert):
            raise ExprError(f"\"{ast.unparse(node)}\": dùng and, or, not thay cho &, |, ~ (trong Python, & và | "
                            "được tính trước phép so sánh nên biểu thức mang nghĩa khác)")
        raise ExprError(f"cú pháp \"{ast.unparse(node)}\" không được hỗ trợ (chỉ dùng + − *, so sánh, "
                        "and/or/not, in (...), abs, min, max, filled, blank)")

    def _constant(self, node: ast.Constant) -> str:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
            raise ExprError(f"hằng số {node.value!r} không hợp lệ")
        if isinstance(node.value, str) and clean(node.value) != node.value:
            raise ExprError(f"văn bản {node.value!r} có khoảng trắng thừa hoặc chưa ở dạng Unicode dựng sẵn (NFC); "
                            f"ô đã điền luôn được chuẩn hóa nên không bao giờ bằng nó: viết {clean(node.value)!r}")
        return TEXT if isinstance(node.value, str) else NUM

    def _ref(self, ref: Ref, kind: str) -> str:
        self.refs.setdefault(ref, kind)
        return NUM if kind == DATE else kind

    def _name(self, name: str) -> str:
        if name in self.kinds:
            return self._ref(name, self.kinds[name])
        if name in self.constants:
            return NUM
        raise ExprError(f"không có cột hoặc hằng số tên \"{name}\"")

    def _foreign(self, annex: str, key: str) -> str:
        if annex not in self.foreign:
            raise ExprError(f"\"{annex}.{key}\": {annex} không phải phụ lục dạng một bản ghi (form)")
        if key not in self.foreign[annex]:
            raise ExprError(f"phụ lục {annex} không có cột \"{key}\"")
        return self._ref((annex, key), self.foreign[annex][key])

    def _expect(self, node: ast.expr, kind: str) -> str:
        got = self.kind(node)
        if got != kind:
            raise ExprError(f"\"{ast.unparse(node)}\" phải là {_KIND_VN[kind]} nhưng là {_KIND_VN[got]}")
        return got

    def _compare(self, node: ast.Compare) -> str:
        _check_chain(node)
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
            if type(op) not in CMP:
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
                self.presence[a.id if isinstance(a, ast.Name) else (ast.unparse(a.value), a.attr)] = None
            else:
                self._expect(a, arg_kind)
        return result


_KIND_VN = {NUM: "số", TEXT: "văn bản", BOOL: "điều kiện đúng/sai"}
_UP, _DOWN = (ast.Lt, ast.LtE), (ast.Gt, ast.GtE)


def _check_chain(node: ast.Compare) -> None:
    """A chain means "each neighbouring pair holds" (a <= b <= c); refuse chains an author may read otherwise."""
    if len(node.ops) < 2:
        return
    text = ast.unparse(node)
    if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
        raise ExprError(f"\"{text}\": không viết \"in\" nối tiếp với phép so sánh khác (Python hiểu là hai "
                        "điều kiện cùng đúng); tách thành các điều kiện nối bằng and, có ngoặc nếu cần")
    if any(isinstance(op, ast.NotEq) for op in node.ops):
        raise ExprError(f"\"{text}\": \"!=\" trong chuỗi so sánh chỉ so từng cặp liền nhau (a != b != c không "
                        "bảo đảm a khác c); viết từng cặp nối bằng and")
    if any(isinstance(op, _UP) for op in node.ops) and any(isinstance(op, _DOWN) for op in node.ops):
        raise ExprError(f"\"{text}\": chuỗi so sánh phải cùng một chiều (a <= b <= c hoặc a >= b >= c); "
                        "viết từng cặp nối bằng and")


def _check_tokens(source: str) -> None:
    """Two quoted texts side by side are one text in Python ('A' 'B' is 'AB'): a comma is missing."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    for a, b in itertools.pairwise(tokens):
        if a.type == tokenize.STRING and b.type == tokenize.STRING:
            raise ExprError(f"hai văn bản {a.string} {b.string} viết liền nhau được Python ghép thành một; "
                            "có lẽ thiếu dấu phẩy giữa chúng")


def parse(source: str, kinds: dict[str, str], constants: dict[str, object] | None = None,
          foreign: dict[str, dict[str, str]] | None = None, want: str | None = BOOL) -> Expr:
    """Parse and check an expression. `kinds` maps column keys to num, text or date (a date is a number of
    days to the rules; the back-ends drop its time of day)."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"biểu thức \"{source}\" sai cú pháp ({exc.msg})") from None
    _check_tokens(source.strip())
    checker = _Checker(kinds, constants or {}, foreign or {})
    kind = checker.kind(tree)
    if want is not None and kind != want and not (want == NUM and kind == BOOL):
        raise ExprError(f"biểu thức \"{source}\" phải cho kết quả {_KIND_VN[want]}")
    return Expr(source, tree, kind, tuple(checker.refs), tuple(checker.refs.values()), tuple(checker.presence))
