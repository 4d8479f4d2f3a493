"""CSV files beside the summary, for tables too long for a sheet: UTF-8 with a BOM (so Excel shows Vietnamese),
dates as dd/mm/yyyy, whole numbers without ".0", and text that Excel would run as a formula kept as text.
Columns are formatted whole (pandas), not value by value: a city roll-up writes hundreds of thousands of rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.files import place

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def column_fields(values: pd.Series) -> pd.Series:
    """A column as CSV fields, quoted where needed ("" where missing): each distinct value is formatted once
    (a column of counts or list values has few), then spread with numpy."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([field(u) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def field(value: object) -> str:
    """One value as a CSV field."""
    if isinstance(value, bool | np.bool_):
        return "Có" if value else "Không"
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float | np.floating):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    text = str(value)
    if text.startswith(FORMULA_START):  # Excel runs "=…" in a CSV as a formula: keep it text
        text = "'" + text
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path: Path, frame: pd.DataFrame, heads: Sequence[str], chunk: int = 100_000,
              formatted: bool = False) -> Path:
    """Write `frame`'s columns under `heads`, atomically, a chunk of rows at a time (fields joined in C:
    no per-value Python call, and memory bounded by the chunk). `formatted`: the columns already hold
    fields from column_fields."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as out:
            out.write(("\ufeff" + ",".join(field(h) for h in heads) + "\r\n").encode("utf-8"))
            for start in range(0, len(frame), chunk):
                part = frame.iloc[start: start + chunk]
                fields = [(part[c] if formatted else column_fields(part[c])).to_numpy() for c in part.columns]
                out.write(("\r\n".join(map(",".join, zip(*fields, strict=True))) + "\r\n").encode("utf-8"))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return place(tmp, path)
