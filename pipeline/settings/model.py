"""The settings as data: the round (round.toml) and the units (units.xlsx)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.vntext import fold

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")  # Vietnam has no daylight saving time


@dataclass(frozen=True)
class Header:
    khoi: tuple[str, ...]
    left: tuple[str, ...]
    right: tuple[str, ...]


@dataclass(frozen=True)
class Round:
    round_id: str
    title: str
    commune: str
    place: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.date
    parent: str = ""
    contact: str = ""
    headers: tuple[Header, ...] = ()

    @property
    def deadline_end(self) -> dt.datetime:
        """Files received up to the end of the deadline day (Vietnam time) are on time."""
        return dt.datetime.combine(self.deadline, dt.time(23, 59, 59), VN_TZ)

    @property
    def constants(self) -> dict[str, object]:
        return {"period_start": self.period_start, "period_end": self.period_end, "deadline": self.deadline}

    def header_for(self, khoi: str) -> Header:
        for h in self.headers:
            if fold(khoi) in {fold(k) for k in h.khoi}:
                return h
        return next((h for h in self.headers if not h.khoi), Header((), ("",), ("",)))

    def has_header(self, khoi: str) -> bool:
        return any(fold(khoi) in {fold(k) for k in h.khoi} or not h.khoi for h in self.headers)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    khoi: str
    annexes: tuple[str, ...]  # annex ids, e.g. ("PL1", "PL2")
    contact: str = ""
    row: int = 0  # Excel row in units.xlsx
