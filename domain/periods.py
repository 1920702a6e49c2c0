"""Reporting periods in a person's own calendar.

A week runs Monday to Sunday in the person's own time zone; months and quarters
are calendar months and quarters. Every function takes an explicit, aware ``now``
(or a local date) so that tests can pin the clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PERIODS = ("week", "month", "quarter")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # inclusive
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            return f"week of {self.start:%b} {self.start.day}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def local_today(now: datetime, tz: ZoneInfo) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()


def period_containing(kind: str, day: date) -> Period:
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _add_months(start, 1) - timedelta(days=1))
    if kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, start, _add_months(start, 3) - timedelta(days=1))
    raise ValueError(f"unknown period {kind!r}; expected one of {', '.join(PERIODS)}")


def previous_period(period: Period) -> Period:
    return period_containing(period.kind, period.start - timedelta(days=1))


def days_left_in_week(day: date) -> int:
    """Days left including today: Monday gives 7, Sunday gives 1."""
    return 7 - day.weekday()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
