"""The weekly numbers behind the trend charts."""
from __future__ import annotations

from datetime import date, timedelta

from domain.trends import has_history, weekly_points


def test_weekly_points_sum_days_into_monday_weeks():
    monday = date(2026, 11, 16)
    points = weekly_points(last_week_start=monday, asks_by_day={monday: 1, monday + timedelta(days=6): 2,
                                                                 monday - timedelta(days=1): 4},
                           referrals_by_day={monday - timedelta(weeks=11): 1})
    assert len(points) == 12 and points[0].week_start == monday - timedelta(weeks=11)
    assert [(p.asks, p.referrals) for p in (points[0], points[-2], points[-1])] == [(0, 1), (4, 0), (3, 0)]
    assert has_history(points) and not has_history(weekly_points(last_week_start=monday, asks_by_day={},
                                                                 referrals_by_day={}))
