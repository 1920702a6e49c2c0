"""Plain records that services hand to renderers: no ORM rows leave storage/services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.funnel import ReferralStatus
from domain.kpis import KpiCounts
from domain.periods import Period


@dataclass(frozen=True)
class AskRecord:
    id: int
    asked_user_id: str | None
    asked_name: str
    for_whom: str | None
    asked_on: date
    outcome: str


@dataclass(frozen=True)
class WeekProgress:
    asks: int
    minimum: int
    days_left: int
    week: Period

    @property
    def met(self) -> bool:
        return self.asks >= self.minimum


@dataclass(frozen=True)
class ReferralRecord:
    id: int
    number: int
    prospect_name: str
    referrer_user_id: str | None
    referrer_name: str
    status: ReferralStatus
    introduced_on: date
    meeting_on: date | None = None
    meeting_held_on: date | None = None
    closed_on: date | None = None
    amount: Decimal | None = None
    currency: str | None = None  # ISO 4217, with amount
    close_reason: str | None = None
    thanked_on: date | None = None
    meeting_scheduled_on: date | None = None  # the day the meeting was booked
    linked_ask_id: int | None = None
    prep: tuple[tuple[str, str], ...] = ()  # (question key, answer) from the pre-meeting checklist


@dataclass(frozen=True)
class StatsReport:
    current: Period
    previous: Period
    current_counts: KpiCounts
    previous_counts: KpiCounts
    subject_user_id: str | None = None  # whose numbers, when not the requester's own
    won_amounts: tuple[tuple[str | None, Decimal], ...] = ()  # won in the current period, per currency


def money_totals(totals: dict[str | None, Decimal]) -> tuple[tuple[str | None, Decimal], ...]:
    """Per-currency totals in a stable order: named currencies alphabetically, then amounts logged without one.

    Amounts in different currencies are never added together: a conversion would be guesswork.
    """
    return tuple(sorted(totals.items(), key=lambda item: (item[0] is None, item[0] or "")))
