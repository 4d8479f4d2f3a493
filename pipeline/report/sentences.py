"""The key figures as sentences a leader can quote as they are, filled from the one aggregation.

The templates live in the specs (`[[sentences]]`); every figure comes from the annex's `AnnexAgg`, the same
numbers the annex sheet, "Tình hình nộp" (through the reporting units) and the JSON show. A percentage
always comes with its base (the spec loader refuses a `{rate:…}` without its `{den:…}`); a sentence is
never built on missing data: with no accepted form it says so, and figures from some of the units are
marked provisional.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.spec.sentences import PLACEHOLDER
from pipeline.vntext import fmt_number

AnnexAgg = RateValue = Any  # pipeline.report.aggregate's, which imports this module (no import circle)

NO_DATA = "Chưa có biểu nào được tiếp nhận nên chưa có số liệu."
NOT_COMPUTABLE = "chưa tính được (mẫu số bằng 0)"


def pct(value: float | None) -> str:
    """48,6 % (Vietnamese)."""
    if value is None:
        return "chưa có số liệu"
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def rate_text(rv: RateValue) -> str:
    """A ratio as a percentage; a difference as thừa/thiếu/bằng, in its unit."""
    if rv.rate.kind == "difference":
        unit = f" {rv.rate.unit}" if rv.rate.unit else ""
        if rv.value is None:
            return "chưa có số liệu"
        if rv.value == 0:
            return "bằng số được giao"
        return f"{'thừa' if rv.value > 0 else 'thiếu'} {fmt_number(abs(rv.value))}{unit}"
    return NOT_COMPUTABLE if rv.value is None else pct(rv.value)


def by_text(rv: RateValue) -> str:
    """A rate per group (database, lĩnh vực): "CSDL đất đai 62,0 % (1.240/2.000)" for each group with a base."""
    parts = []
    for group, (num, den) in rv.group_parts.items():
        if den:
            parts.append(f"{group} {pct(num / den)} ({fmt_number(num)}/{fmt_number(den)})")
    return "; ".join(parts) if parts else "chưa có số liệu"


def provisional_note(agg: AnnexAgg) -> str:
    done, expected = len(agg.reporting_units), len(agg.expected_units)
    return f"(Số liệu tạm tính: mới có {done}/{expected} đơn vị có biểu được tiếp nhận.)"


def render_sentence(text: str, agg: AnnexAgg) -> str:
    if not agg.reporting_units:
        return NO_DATA
    rates = {rv.rate.key: rv for rv in agg.rates}
    lists = {agg.spec.lists[i].key: len(frame) for i, (_, frame, _) in enumerate(agg.lists)}

    def fill(m: re.Match) -> str:
        kind, key = m[1], m[2]
        if kind == "sum":
            return fmt_number(float(agg.total.get(key, 0.0)))
        if kind == "rate":
            return rate_text(rates[key])
        if kind in ("num", "den"):
            return fmt_number(rates[key].numerator if kind == "num" else rates[key].denominator)
        if kind == "by":
            return by_text(rates[key])
        if kind == "list":
            return fmt_number(lists[key])
        if kind == "count":
            return fmt_number(len(agg.rows))
        return fmt_number(len(agg.reporting_units))

    out = PLACEHOLDER.sub(fill, text)
    return f"{out} {provisional_note(agg)}" if agg.provisional else out
