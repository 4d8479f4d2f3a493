"""Fixtures built in code: filled templates dropped into an inbox, through `_meta` and defined names only."""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
from pathlib import Path

import openpyxl

from pipeline.demo_data import unit_payload
from pipeline.fill import data_cells, fill, read_meta
from pipeline.workspace import VN_TZ, Workspace

ON_TIME = dt.datetime(2026, 5, 10, 9, 0, tzinfo=VN_TZ)


def payload(ws: Workspace, code: str, seed: int = 7) -> dict:
    unit = ws.unit_by_code[code]
    return unit_payload(random.Random(seed), code, unit.name, unit.annexes, ws.round.period_end)


def drop(ws: Workspace, name: str, code: str, data: dict, when: dt.datetime = ON_TIME) -> Path:
    """Fill the unit's template with `data` into inbox/<name>, received at `when`."""
    template = ws.templates / f"{code}.xlsx"
    target = ws.inbox / name
    target.parent.mkdir(parents=True, exist_ok=True)
    fill(template, target, data)
    os.utime(target, (when.timestamp(), when.timestamp()))
    return target


def changed(data: dict, annex: str, changes: dict, row: int = 0) -> dict:
    """A deep copy of `data` with `changes` applied to one record of one annex."""
    out = copy.deepcopy(data)
    target = out[annex] if isinstance(out[annex], dict) else out[annex][row]
    target.update(changes)
    return out


def cell_of(ws: Workspace, code: str, annex: str, key: str, row: int = 0) -> str:
    """A cell's A1 address, found through the template's own self-description (not the layout code)."""
    wb = openpyxl.load_workbook(ws.templates / f"{code}.xlsx")
    keys = read_meta(wb)[f"columns:{annex}"].split(",")
    _, grid = data_cells(wb, annex)
    if len(grid[0]) == 1:  # form: one cell per field
        return grid[keys.index(key)][0]
    return grid[row][keys.index(key)]
