"""Weeks, months and quarters, including fiscal quarters."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.periods import period_containing, previous_period


@pytest.mark.parametrize(("start_month", "day", "expected"), [
    (1, date(2026, 11, 22), ("2026-10-01", "2026-12-31", "Q4 2026")),
    (4, date(2026, 11, 22), ("2026-10-01", "2026-12-31", "Q3 FY2027")),  # April 2026 to March 2027 is FY2027
    (4, date(2026, 3, 31), ("2026-01-01", "2026-03-31", "Q4 FY2026")),
    (2, date(2026, 11, 22), ("2026-11-01", "2027-01-31", "Q4 FY2027")),
    (2, date(2027, 1, 31), ("2026-11-01", "2027-01-31", "Q4 FY2027")),
    (12, date(2026, 1, 15), ("2025-12-01", "2026-02-28", "Q1 FY2026")),
])
def test_fiscal_quarters(start_month, day, expected):
    quarter = period_containing("quarter", day, fiscal_start_month=start_month)
    assert (quarter.start.isoformat(), quarter.end.isoformat(), quarter.label) == expected


@given(st.dates(min_value=date(2000, 3, 1), max_value=date(2090, 12, 31)), st.integers(1, 12))
def test_quarters_tile_the_calendar(day, start_month):
    quarter = period_containing("quarter", day, fiscal_start_month=start_month)
    before = previous_period(quarter)
    assert quarter.contains(day)
    assert before.end + timedelta(days=1) == quarter.start
    assert quarter.start.day == 1 and (quarter.start.month - start_month) % 3 == 0
    assert before.fiscal_start_month == start_month


def test_a_bad_fiscal_month_is_refused():
    with pytest.raises(ValueError):
        period_containing("quarter", date(2026, 1, 1), fiscal_start_month=13)
