"""Plain records the referral-habit services hand to the renderers (the habits' part of domain.records)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.connectors import Source
from domain.intros import IntroDraft
from domain.periods import Period
from domain.records import AskRecord

# What this week's reminder will do for a rep, as the managers' preview shows it.
WILL_NUDGE, AT_MINIMUM, PAUSED, SENT, SKIP = "will_nudge", "at_minimum", "paused", "sent", "skipped"


@dataclass(frozen=True)
class ClientWinRecord:
    id: int
    rep_user_id: str
    client_name: str
    won_on: date
    follow_up_on: date
    from_referral: bool


@dataclass(frozen=True)
class ConnectorReport:
    team_names: tuple[str, ...]
    sources: tuple[Source, ...]
    threshold: int


@dataclass(frozen=True)
class RepPreview:
    user_id: str
    asks: int  # this week so far, in the rep's own week
    minimum: int
    paused: bool
    last_ask: date | None
    reminder_at: datetime  # this week's reminder, in the rep's zone
    status: str
    note: str | None
    skip_reason: str | None


@dataclass(frozen=True)
class NudgePreview:
    team_names: tuple[str, ...]
    reps: tuple[RepPreview, ...]  # who will be nudged first


@dataclass(frozen=True)
class PreviewChange:
    rep_user_id: str
    week: Period
    what: str  # "note" or "skip"


@dataclass(frozen=True)
class ManagerTouch:
    rep_user_id: str
    manager_user_id: str
    what: str  # "note" or "skip"
    text: str


@dataclass(frozen=True)
class DigestHabits:
    asks_of_new_clients: int  # asks in each rep's last week of a client they won in the last 180 days
    new_clients: int  # clients won in each rep's last week
    touches: tuple[ManagerTouch, ...] = ()  # managers' notes on, and skips of, the reps' nudges that week


@dataclass(frozen=True)
class IntroForm:
    draft: IntroDraft
    occurred_on: date  # the message's date in the rep's zone
    today: date
    open_ask: AskRecord | None  # the rep's open ask of the referrer, offered as the link
