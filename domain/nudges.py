"""What the reminder, the manager digest and the leaderboard say, as plain data.

Services gather the numbers; the rules for ranking, flagging and hiding zeros
live here; ``views.nudges`` turns these records into Block Kit.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import NamedTuple

from domain.cadence import WeekResult
from domain.client_followups import CLIENT_FOLLOWUP
from domain.kpis import KpiCounts
from domain.periods import Period
from domain.prep import PREP
from domain.schedule import WeeklySlot

REMINDER, DIGEST, LEADERBOARD, COMMITMENT_PROMPT = "reminder", "digest", "leaderboard", "commitment"
KINDS = (COMMITMENT_PROMPT, REMINDER, DIGEST, LEADERBOARD, PREP, CLIENT_FOLLOWUP)
# "Who will you ask this week?" goes out at the start of each rep's week, in their own zone.
COMMITMENT_PROMPT_SLOT = WeeklySlot(0, time(9, 0))


@dataclass(frozen=True)
class ReminderContent:
    rep_user_id: str
    asks: int
    minimum: int
    days_left: int
    week: Period
    commitments: tuple[str, ...] = ()  # names the rep said they would ask, not yet asked


@dataclass(frozen=True)
class DigestRepLine:
    user_id: str
    kpis: KpiCounts  # the rep's own last week
    result: WeekResult
    streak: int
    trend: tuple[int, ...]  # asks in the last four weeks, oldest first
    commitments_made: int = 0
    commitments_kept: int = 0


@dataclass(frozen=True)
class PeriodTotals:
    label: str  # "Last week", "Month to date", "Quarter to date"
    current: KpiCounts
    previous: KpiCounts
    won_amounts: tuple[tuple[str | None, Decimal], ...] = ()  # won value in the current span, per currency


class StuckReferral(NamedTuple):
    """A referral a manager should chase. A tuple: a digest tick lists tens of thousands."""

    rep_user_id: str
    number: int
    prospect_name: str
    reason: str


@dataclass(frozen=True)
class DigestContent:
    manager_user_id: str
    team_name: str
    # The manager's last complete week (Mon-Sun in the manager's zone at send time). Each rep's line counts
    # the rep's events whose stored date (already the rep's own calendar date) falls in these dates, and the
    # team totals are the sum of the lines; month and quarter to date follow the manager's calendar too.
    week: Period
    minimum: int
    reps: tuple[DigestRepLine, ...]  # reps who missed first
    totals: tuple[PeriodTotals, ...]
    stuck: tuple[StuckReferral, ...]
    questions: tuple[str, ...]
    unthanked: tuple[StuckReferral, ...] = ()  # introductions whose referrer heard nothing for 7+ days


@dataclass(frozen=True)
class LeaderboardEntry:
    user_id: str
    asks: int
    referrals: int
    streak: int


@dataclass(frozen=True)
class LeaderboardContent:
    team_name: str
    period: Period
    entries: tuple[LeaderboardEntry, ...]  # ranked; nobody with zero
    team_asks: int
    target: int  # members x minimum (x weeks in the period)
    longest_streaks: tuple[LeaderboardEntry, ...]


def order_digest(lines: Sequence[DigestRepLine]) -> tuple[DigestRepLine, ...]:
    """Reps who missed first (the ones to coach), then paused, then the rest by asks."""
    rank = {WeekResult.MISSED: 0, WeekResult.PAUSED: 1, WeekResult.MET: 2, WeekResult.LEFT: 3}
    return tuple(sorted(lines, key=lambda line: (rank[line.result], -line.kpis.asks, line.user_id)))


def digest_week_label(week: Period) -> str:
    """The digest's header names its week outright: "Week of Mon 16 Nov – Sun 22 Nov"."""
    return f"Week of {week.start:%a} {week.start.day} {week.start:%b} – {week.end:%a} {week.end.day} {week.end:%b}"


def rank_leaderboard(entries: Sequence[LeaderboardEntry]) -> tuple[LeaderboardEntry, ...]:
    """By asks, then referrals received. Zeros are left out: a public board praises, it never shames."""
    scored = [e for e in entries if e.asks > 0 or e.referrals > 0]
    return tuple(sorted(scored, key=lambda e: (-e.asks, -e.referrals, e.user_id)))


def longest_streaks(entries: Sequence[LeaderboardEntry], limit: int = 3) -> tuple[LeaderboardEntry, ...]:
    return tuple(sorted((e for e in entries if e.streak > 0), key=lambda e: (-e.streak, e.user_id))[:limit])
