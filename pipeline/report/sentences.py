"""The key figures as sentences a leader can quote as they are, filled from the one aggregation.

The templates live in the specs (`[[sentences]]`); every figure comes from the annex's `AnnexAgg`, the same
numbers the annex sheet, "Tình hình nộp" (through the reporting units) and the JSON show. A percentage
always comes with its base (the spec loader refuses a `{rate:…}` without its `{den:…}`); a sentence is
never built on missing data: with no accepted form it says so, and figures from some of the units are
marked provisional.
"""

from __future__ import annotations

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


def figure_value(kind: str, key: str | None, agg: AnnexAgg) -> tuple[str, float | None]:
    """One placeholder of a key sentence ({sum:key}, {rate:key}, {num:key}, {den:key}, {by:key}, {list:key},
    {count}, {units}): the text a sentence shows and the number behind it (a ratio as 0..1; None for {by:…},
    which holds several). The summary's sentences and the Word draft's figures both come from here."""
    if kind == "sum":
        value = float(agg.total.get(key, 0.0))
        return fmt_number(value), value
    if kind in ("rate", "num", "den", "by"):
        rv = next(rv for rv in agg.rates if rv.rate.key == key)
        if kind == "rate":
            return rate_text(rv), rv.value
        if kind == "by":
            return by_text(rv), None
        value = rv.numerator if kind == "num" else rv.denominator
        return fmt_number(value), value
    if kind == "list":
        index = next(i for i, rl in enumerate(agg.spec.lists) if rl.key == key)
        count = float(len(agg.lists[index][1]))
        return fmt_number(count), count
    count = float(len(agg.rows) if kind == "count" else len(agg.reporting_units))
    return fmt_number(count), count


def render_sentence(text: str, agg: AnnexAgg) -> str:
    if not agg.reporting_units:
        return NO_DATA
    out = PLACEHOLDER.sub(lambda m: figure_value(m[1], m[2], agg)[0], text)
    return f"{out} {provisional_note(agg)}" if agg.provisional else out
