"""The referral funnel's states, shared by storage and every renderer.

An ask is the leading indicator; a referral (introduction) then moves through
meeting scheduled -> meeting held -> one of three outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AskOutcome(StrEnum):
    PENDING = "pending"
    INTRODUCED = "introduced"
    # "Wanted to help but couldn't think of anyone": still a good ask, no introduction.
    NOBODY = "nobody"


class ReferralStatus(StrEnum):
    INTRODUCED = "introduced"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_HELD = "meeting_held"
    WON = "won"
    LOST = "lost"
    NO_DECISION = "no_decision"

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES

    @property
    def next_step(self) -> str:
        return _NEXT_STEP[self]


CLOSED_STATUSES = frozenset({ReferralStatus.WON, ReferralStatus.LOST, ReferralStatus.NO_DECISION})

_NEXT_STEP = {
    ReferralStatus.INTRODUCED: "Schedule a meeting",
    ReferralStatus.MEETING_SCHEDULED: "Hold the meeting",
    ReferralStatus.MEETING_HELD: "Close it: won, lost or no decision",
    ReferralStatus.WON: "Closed: won",
    ReferralStatus.LOST: "Closed: lost",
    ReferralStatus.NO_DECISION: "Closed: no decision",
}


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace every row and query is scoped to."""

    team_id: str
    enterprise_id: str | None = None
