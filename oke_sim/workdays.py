"""Simulated clock and working days (weekends, holidays.NL and the institution's closure days).

Sim time is integer seconds since 00:00 UTC of the first simulated day; all formatting goes
through lookup tables because timestamps are produced for every message.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable

import holidays

DAY = 86_400


class SimCalendar:
    def __init__(self, origin: dt.date, days: int, closure_days: Iterable[dt.date]) -> None:
        self.origin = origin
        self.days = days
        dates = [origin + dt.timedelta(days=i) for i in range(days)]
        public = holidays.country_holidays("NL", years=range(origin.year, dates[-1].year + 1))
        closed = set(closure_days)
        self.date_str = [d.isoformat() for d in dates]
        self.is_working = [d.weekday() < 5 and d not in public and d not in closed for d in dates]
        self.working = [i for i, w in enumerate(self.is_working) if w]
        two = [f"{n:02d}" for n in range(60)]  # 86,400 stamps: format each 2-digit part once
        self._stamp = [f"T{h}:{m}:{s}Z" for h in two[:24] for m in two for s in two]

    # day indices ---------------------------------------------------------------
    def day_of(self, date: dt.date) -> int:
        return (date - self.origin).days

    def day_of_iso(self, iso_date: str) -> int:
        return (dt.date.fromisoformat(iso_date) - self.origin).days

    def date_of(self, day: int) -> dt.date:
        return self.origin + dt.timedelta(days=day)

    def add_working_days(self, day: int, n: int) -> int:
        """The n-th working day after `day` (n=0: `day` itself if working, else the next one)."""
        if n == 0:
            pos = bisect.bisect_left(self.working, day)
        else:
            pos = bisect.bisect_right(self.working, day) + n - 1
        if pos >= len(self.working):
            return self.days + (pos - len(self.working)) * 2  # beyond the horizon: never reached
        return self.working[pos]

    def sub_working_days(self, day: int, n: int) -> int:
        """The n-th working day before `day` (clamped to the first working day of the horizon)."""
        pos = bisect.bisect_left(self.working, day) - n
        return self.working[max(0, pos)]

    def working_days_between(self, start: int, end: int) -> int:
        """Working days in (start, end]; what a deadline counts."""
        return bisect.bisect_right(self.working, end) - bisect.bisect_right(self.working, start)

    def working_days_in(self, first: int, last: int) -> list[int]:
        lo = bisect.bisect_left(self.working, first)
        hi = bisect.bisect_right(self.working, last)
        return self.working[lo:hi]

    # formatting ------------------------------------------------------------------
    def iso(self, t: int) -> str:
        """RFC 3339 UTC timestamp of a sim time, e.g. 2026-11-02T08:00:00Z."""
        day, s = divmod(t, DAY)
        return self.date_str[day] + self._stamp[s]

    def date(self, t: int) -> str:
        return self.date_str[t // DAY]


def clock_seconds(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 3600 + int(m) * 60


def expand_closure_days(items: list[object]) -> list[dt.date]:
    """Closure days are dates or {from, to} ranges (inclusive)."""
    out: list[dt.date] = []
    for item in items:
        if isinstance(item, dict):
            d, end = dt.date.fromisoformat(item["from"]), dt.date.fromisoformat(item["to"])
            while d <= end:
                out.append(d)
                d += dt.timedelta(days=1)
        else:
            out.append(dt.date.fromisoformat(str(item)))
    return sorted(set(out))
