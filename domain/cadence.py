"""The weekly habit: did a rep keep the minimum, how long is their streak, who is stuck.

Pure functions over counts and dates that storage has already gathered.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple, Protocol

from domain.funnel import ReferralStatus
from domain.records import ReferralRecord

STUCK_WITHOUT_MEETING = timedelta(days=7)
STUCK_WITHOUT_OUTCOME = timedelta(days=30)
UNTHANKED_AFTER = timedelta(days=7)


class WeekResult(StrEnum):
    MET = "met"
    MISSED = "missed"
    PAUSED = "paused"
    LEFT = "left"  # deactivated in Slack: shown with what they did, never as a miss


class RepWeek(NamedTuple):
    """One of a rep's weeks. A tuple, not a dataclass: a digest tick makes one a rep and week (10,000s a page),
    and a frozen dataclass takes several times as long to build."""

    week_start: date
    asks: int
    paused: bool


def week_result(week: RepWeek, minimum: int) -> WeekResult:
    if week.asks >= minimum:
        return WeekResult.MET  # asking while on leave still counts
    return WeekResult.PAUSED if week.paused else WeekResult.MISSED


def streak(weeks: Sequence[RepWeek], minimum: int) -> int:
    """Consecutive weeks at the minimum, newest first in ``weeks``; paused weeks neither count nor break it."""
    count = 0
    for week in weeks:
        result = week_result(week, minimum)
        if result is WeekResult.MISSED:
            break
        if result is WeekResult.MET:
            count += 1
    return count


class StuckFacts(Protocol):
    """What the stuck rule reads: a ReferralRecord, or the few columns a digest loads in bulk."""

    @property
    def status(self) -> ReferralStatus: ...
    @property
    def introduced_on(self) -> date: ...
    @property
    def meeting_held_on(self) -> date | None: ...


def stuck_reason(referral: ReferralRecord | StuckFacts, today: date) -> str | None:
    """Why a referral needs the manager's attention, or None."""
    if referral.status is ReferralStatus.INTRODUCED and today - referral.introduced_on > STUCK_WITHOUT_MEETING:
        return f"no meeting {(today - referral.introduced_on).days} days after the introduction"
    if (referral.status is ReferralStatus.MEETING_HELD and referral.meeting_held_on
            and today - referral.meeting_held_on > STUCK_WITHOUT_OUTCOME):
        return f"no outcome {(today - referral.meeting_held_on).days} days after the meeting"
    return None


COACHING_QUESTIONS = (
    "Who are the people you'll ask this week? Get names.",
    "Which happy client could introduce you to someone like them?",
    "What got in the way of asking last week, and what will you do differently?",
    "Who did you meet last week that you could ask for an introduction?",
)


def coaching_questions(missed: int) -> tuple[str, ...]:
    """Two or three questions for the manager's one-to-ones with the reps who missed."""
    if missed == 0:
        return ()
    return COACHING_QUESTIONS[: 3 if missed > 1 else 2]
