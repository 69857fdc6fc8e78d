"""Working-day arithmetic: every OKE deadline is counted in working days.

A working day is Monday-Friday that is neither a Dutch public holiday (the maintained
``holidays.NL`` calendar) nor one of the institution's own closure days (data, not code).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class WorkingDays:
    """A calendar of working days for one institution; answers are cached per date."""

    def __init__(self, closure_days: Iterable[date] = ()) -> None:
        self.closure_days = frozenset(closure_days)
        # A Mapping, not the dict subclass it is: compiled code would bypass its __contains__,
        # which fills in each year's holidays on first use.
        self._public: Mapping[date, str] = holidays.NL()
        self._cache: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}

    def is_working_day(self, day: date) -> bool:
        hit = self._cache.get(day)
        if hit is None:
            hit = day.weekday() < 5 and day not in self._public and day not in self.closure_days
            self._cache[day] = hit
        return hit

    def holiday_name(self, day: date) -> str | None:
        if day in self.closure_days:
            return "sluitingsdag instelling"
        return self._public.get(day)

    def next_working_day(self, day: date) -> date:
        """The day itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n == 0: ``day`` or the next working day)."""
        hit = self._added.get((day, n))
        if hit is not None:
            return hit
        if n < 0:
            raise ValueError("n must be >= 0")
        start, todo = day, n
        if n == 0:
            day = self.next_working_day(day)
        while todo:
            day += timedelta(days=1)
            if self.is_working_day(day):
                todo -= 1
        self._added[(start, n)] = day
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def local_date(moment: datetime | str) -> date:
    """The Dutch calendar date of a moment (deadlines are Dutch working days)."""
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(AMSTERDAM).date()


def parse_datetime(text: str) -> datetime:
    """RFC 3339 date-time (``Z`` allowed); a bare date means midnight UTC."""
    if len(text) == 10:
        return datetime.fromisoformat(text + "T00:00:00+00:00")
    return datetime.fromisoformat(text)
