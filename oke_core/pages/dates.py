"""Dutch date texts for people-facing pages and letters.

Written out here (two short word lists) because system locales differ per machine and
`locale.setlocale` is process-global; the pages must read the same everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")  # times on the pages are what people in the institution read

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def as_date(value: date | datetime | str | None) -> date | None:
    """Accept the ISO strings the report data carries as well as date objects."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _local(value).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10:
        return _local(datetime.fromisoformat(text.replace("Z", "+00:00"))).date()
    return date.fromisoformat(text)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL) if moment.tzinfo is not None else moment


def long_date(value: date | datetime | str | None) -> str:
    """'maandag 14 september 2026'."""
    d = as_date(value)
    if d is None:
        return "–"
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


def medium_date(value: date | datetime | str | None) -> str:
    """'14 september 2026' (tables, where the weekday would crowd the column)."""
    d = as_date(value)
    if d is None:
        return "–"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def short_date(value: date | datetime | str | None) -> str:
    """'14 sep' (chart axes)."""
    d = as_date(value)
    if d is None:
        return "–"
    return f"{d.day} {MONTHS_SHORT[d.month - 1]}"


def time_of(value: datetime | str | None) -> str:
    """'10:02' from an ISO date-time; empty when the value has no time part."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime("%H:%M")
    text = str(value)
    if len(text) <= 10:
        return ""
    return _local(datetime.fromisoformat(text.replace("Z", "+00:00"))).strftime("%H:%M")
