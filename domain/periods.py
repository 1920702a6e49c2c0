"""Reporting periods in a person's own calendar.

A week runs Monday to Sunday in the person's own time zone; months are calendar
months. Quarters are calendar quarters unless the workspace sets the month its
fiscal year starts in: with April, Q1 is April to June. A fiscal year is named
by the calendar year it ends in (April 2026 to March 2027 is FY2027), the usual
convention. Every function takes an explicit, aware ``now``
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
    fiscal_start_month: int = 1  # quarters only: 1 is calendar quarters

    @property
    def label(self) -> str:
        if self.kind == "week":
            return f"week of {self.start:%b} {self.start.day}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        number = (self.start.month - self.fiscal_start_month) % 12 // 3 + 1
        if self.fiscal_start_month == 1:
            return f"Q{number} {self.start.year}"
        fiscal_year = self.start.year + (1 if self.start.month >= self.fiscal_start_month else 0)
        return f"Q{number} FY{fiscal_year}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def local_today(now: datetime, tz: ZoneInfo) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()


def period_containing(kind: str, day: date, *, fiscal_start_month: int = 1) -> Period:
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _add_months(start, 1) - timedelta(days=1))
    if kind == "quarter":
        if not 1 <= fiscal_start_month <= 12:
            raise ValueError(f"fiscal year start month must be 1-12, not {fiscal_start_month}")
        months_in = (day.month - fiscal_start_month) % 12 // 3 * 3  # months from the fiscal year's start
        start_month = (fiscal_start_month - 1 + months_in) % 12 + 1
        start = date(day.year - (1 if start_month > day.month else 0), start_month, 1)
        return Period(kind, start, _add_months(start, 3) - timedelta(days=1), fiscal_start_month)
    raise ValueError(f"unknown period {kind!r}; expected one of {', '.join(PERIODS)}")


def previous_period(period: Period) -> Period:
    return period_containing(period.kind, period.start - timedelta(days=1),
                             fiscal_start_month=period.fiscal_start_month)


def days_left_in_week(day: date) -> int:
    """Days left including today: Monday gives 7, Sunday gives 1."""
    return 7 - day.weekday()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
