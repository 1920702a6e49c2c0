"""What the App Home tab shows, as plain data: the person's own numbers, and a manager's teams."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.cadence import WeekResult
from domain.funnel import ReferralStatus
from domain.kpis import KpiCounts
from domain.periods import Period
from domain.records import ReferralRecord, WeekProgress


@dataclass(frozen=True)
class PeriodKpis:
    period: Period
    counts: KpiCounts
    won_amounts: tuple[tuple[str | None, Decimal], ...] = ()  # won value per currency


@dataclass(frozen=True)
class RepThisWeek:
    user_id: str
    asks: int
    result: WeekResult  # MET once at the minimum; PAUSED when on time off; MISSED means "not yet"


@dataclass(frozen=True)
class TeamThisWeek:
    name: str
    minimum: int
    reps: tuple[RepThisWeek, ...]  # those below the minimum first: the ones to help this week


@dataclass(frozen=True)
class HomeContent:
    user_id: str
    progress: WeekProgress
    streak: int  # complete weeks in a row at the minimum
    kpis: tuple[PeriodKpis, ...]  # week, month, quarter so far
    open_referrals: tuple[ReferralRecord, ...]
    open_total: int
    commitments_open: tuple[str, ...]
    commitments_kept: tuple[str, ...]
    teams: tuple[TeamThisWeek, ...] = ()  # the teams this person manages
    chart_file_id: str | None = None  # the 12-week trend, uploaded to Slack; None with no history yet


def order_team_week(reps: list[RepThisWeek]) -> tuple[RepThisWeek, ...]:
    rank = {WeekResult.MISSED: 0, WeekResult.PAUSED: 1, WeekResult.MET: 2}
    return tuple(sorted(reps, key=lambda r: (rank[r.result], r.asks, r.user_id)))


# One-click steps offered on the Home tab for an open referral. Slack's overflow menu holds five
# options, so each status offers the five likeliest; the rest stay a /referral command away.
QUICK_STEP_LABELS = {"thanked": "I thanked the referrer", "meeting": "Schedule the meeting…", "prep": "Save my prep",
                     "met": "Meeting held today", "won": "Won", "lost": "Lost", "no_decision": "No decision"}
MENU_LIMIT = 5


def quick_steps(referral: ReferralRecord) -> tuple[str, ...]:
    steps = []
    if referral.thanked_on is None:
        steps.append("thanked")
    if referral.status is ReferralStatus.INTRODUCED:
        steps.append("meeting")
    if referral.status is ReferralStatus.MEETING_SCHEDULED:
        steps.append("prep")
    if referral.status is not ReferralStatus.MEETING_HELD:
        steps.append("met")
    steps += ["won", "lost", "no_decision"]
    return tuple(steps[:MENU_LIMIT])
