"""The 12-week trend behind the charts: asks and referrals received per week, oldest first."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

TREND_WEEKS = 12


@dataclass(frozen=True)
class WeekPoint:
    week_start: date  # a Monday
    asks: int
    referrals: int


def weekly_points(*, last_week_start: date, asks_by_day: Mapping[date, int], referrals_by_day: Mapping[date, int],
                  weeks: int = TREND_WEEKS) -> tuple[WeekPoint, ...]:
    """Daily counts summed into ``weeks`` Monday-to-Sunday weeks ending with the one starting ``last_week_start``."""
    points = []
    for back in range(weeks - 1, -1, -1):
        start = last_week_start - timedelta(weeks=back)
        days = [start + timedelta(days=d) for d in range(7)]
        points.append(WeekPoint(start, sum(asks_by_day.get(d, 0) for d in days),
                                sum(referrals_by_day.get(d, 0) for d in days)))
    return tuple(points)


def has_history(points: Sequence[WeekPoint]) -> bool:
    """No asks and no referrals in the whole window: no chart, rather than an empty one."""
    return any(p.asks or p.referrals for p in points)
