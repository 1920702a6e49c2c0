"""Reporting periods in a person's own calendar.

A week runs Monday to Sunday in the person's own time zone; months are calendar
months. Quarters are calendar quarters unless the workspace sets the month its
fiscal year starts in: with April, Q1 is April to June. A fiscal year is named
by the calendar year it ends in (April 2026 to March 2027 is FY2027), the usual
convention. Every function takes an explicit, aware ``now``
(or a local date) so that tests can pin the clock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PERIODS = ("week", "month", "quarter")
# Every surface that takes a period (stats, review, leaderboard) reads these names, and only these.
PERIOD_FORMS = "week|month|quarter|last week|last month|last quarter|2026-Q3|2026-10"
_QUARTER_NAME = re.compile(r"([0-9]{4})-?q([1-4])")
_MONTH_NAME = re.compile(r"([0-9]{4})-([0-9]{1,2})")


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


def period_name(text: str) -> str | None:
    """The canonical name of a period a person typed (``This Week`` -> ``week``), or None if it names none."""
    words = text.lower().split()
    if words[:1] == ["this"]:
        words = words[1:]
    if words[:1] == ["previous"]:
        words = ["last", *words[1:]]
    name = " ".join(words)
    if name in PERIODS or (len(words) == 2 and words[0] == "last" and words[1] in PERIODS):
        return name
    quarter, month = _QUARTER_NAME.fullmatch(name), _MONTH_NAME.fullmatch(name)
    if quarter:
        return f"{quarter.group(1)}-q{quarter.group(2)}"
    if month and 1 <= int(month.group(2)) <= 12:
        return f"{month.group(1)}-{int(month.group(2)):02d}"
    return None


def named_period(name: str, today: date, *, fiscal_start_month: int = 1) -> Period:
    """The period a canonical name (see period_name) means, seen from ``today`` in the person's calendar.

    ``2026-Q3`` is the third quarter of fiscal year 2026, which is the calendar year
    unless a fiscal year is set; a fiscal year is named by the calendar year it ends
    in, as the labels are, so with April it is October to December 2025.
    Raises ValueError for a name that isn't one, or a period that hasn't started.
    """
    canonical = period_name(name)
    if canonical is None:
        raise ValueError(f"no period called {name!r}; use {PERIOD_FORMS}")
    if canonical in PERIODS:
        return period_containing(canonical, today, fiscal_start_month=fiscal_start_month)
    if canonical.startswith("last "):
        kind = canonical.removeprefix("last ")
        return previous_period(period_containing(kind, today, fiscal_start_month=fiscal_start_month))
    year, _, part = canonical.partition("-")
    if part.startswith("q"):
        first_year = int(year) - (1 if fiscal_start_month != 1 else 0)
        start = _add_months(date(first_year, fiscal_start_month, 1), 3 * (int(part[1:]) - 1))
        found = period_containing("quarter", start, fiscal_start_month=fiscal_start_month)
    else:
        found = period_containing("month", date(int(year), int(part), 1))
    if found.start > today:
        raise ValueError(f"{found.label} hasn't started yet")
    return found


def previous_period(period: Period) -> Period:
    return period_containing(period.kind, period.start - timedelta(days=1),
                             fiscal_start_month=period.fiscal_start_month)


def days_left_in_week(day: date) -> int:
    """Days left including today: Monday gives 7, Sunday gives 1."""
    return 7 - day.weekday()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
