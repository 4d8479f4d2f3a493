"""CSV files beside the summary, for tables too long for a sheet: UTF-8 with a BOM (so Excel shows Vietnamese),
dates as dd/mm/yyyy, whole numbers without ".0", and text that Excel would run as a formula kept as text.
Columns are formatted whole (pandas), not value by value: a city roll-up writes hundreds of thousands of rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def column_fields(values: pd.Series) -> pd.Series:
    """A column as CSV fields, quoted where needed ("" where missing)."""
    missing = values.isna()
    if types.is_datetime64_any_dtype(values):
        out = values.dt.strftime("%d/%m/%Y")
    elif types.is_bool_dtype(values):
        out = values.map({True: "Có", False: "Không"})
    elif types.is_numeric_dtype(values):
        f = values.astype("float64")
        whole = ~missing & (f % 1 == 0) & (f.abs() < 1e15)
        out = f.astype(str)
        out[whole] = f[whole].astype("int64").astype(str)
    else:  # text, or mixed values: each distinct value formatted once
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = np.array([_one(u) for u in uniques] + [""], dtype=object)
        return pd.Series(texts[codes], index=values.index, dtype=object)
    return out.where(~missing, "").astype(object)


def _one(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value)
    if text.startswith(FORMULA_START):  # Excel runs "=…" in a CSV as a formula: keep it text
        text = "'" + text
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path: Path, frame: pd.DataFrame, heads: Sequence[str], chunk: int = 100_000) -> None:
    """Write `frame`'s columns under `heads`, atomically, a chunk of rows at a time (fields joined in C:
    no per-value Python call, and memory bounded by the chunk)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as out:
        out.write(("\ufeff" + ",".join(_one(h) for h in heads) + "\r\n").encode("utf-8"))
        for start in range(0, len(frame), chunk):
            part = frame.iloc[start: start + chunk]
            fields = [column_fields(part[c]).to_numpy() for c in part.columns]
            out.write(("\r\n".join(map(",".join, zip(*fields, strict=True))) + "\r\n").encode("utf-8"))
    os.replace(tmp, path)
