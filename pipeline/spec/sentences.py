"""The key sentences of a spec (`[[sentences]]`): their placeholders name what the annex has, and a percentage
always comes with its base."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def sentence_problem(spec: Any) -> str:
    """What is wrong with an AnnexSpec's sentences, or "". Placeholders: {sum|rate|num|den|by|list:key},
    {count}, {units}; a ratio's {rate:key} must come with its base {den:key}."""
    rates = {r.key for r in spec.rates}
    ratios = {r.key for r in spec.rates if r.kind == "ratio"}
    known = {"sum": {c.key for c in spec.columns if c.numeric} | {d.key for d in spec.derived}, "rate": rates,
             "num": rates, "den": rates, "list": {x.key for x in spec.lists},
             "by": {r.key for r in spec.rates if r.by or spec.row_key}}
    for text in spec.sentences:
        found = PLACEHOLDER.findall(text)
        for kind, key in found:
            if not ((kind in ("count", "units") and not key) or key in known.get(kind, set())):
                return (f"{spec.source}: câu tổng hợp có chỗ trống {{{kind}{':' + key if key else ''}}} không hợp lệ "
                        "(dùng {sum:cột}, {rate:chỉ tiêu}, {num:chỉ tiêu}, {den:chỉ tiêu}, {by:chỉ tiêu}, "
                        "{list:danh sách}, {count}, {units}).")
            if kind == "rate" and key in ratios and ("den", key) not in found:
                return (f"{spec.source}: câu tổng hợp dùng tỷ lệ {{rate:{key}}} mà không nêu mẫu số {{den:{key}}}; "
                        "người đọc cần biết tỷ lệ này là trên tổng số nào.")
    return ""
