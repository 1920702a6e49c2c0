"""/referral review: how referrals closed, with the reasons, for a manager's teams."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from domain.forgetting import FORMER_ROLE
from domain.funnel import Workspace
from domain.parsing import CommandError, ShowReview, usage_for
from domain.periods import Period, local_today, named_period, period_containing
from domain.records import ReferralRecord, money_totals
from services.people import Person
from services.referrals import referral_record
from services.teams import fiscal_year_start, managed_reps
from storage.engine import read_scope
from storage.report_queries import list_closed_referrals
from storage.team_queries import list_memberships

ALL_TIME_START = date(2000, 1, 1)
# "All time" has no end: a rep east of the manager may already have closed a deal on the manager's tomorrow,
# and all time must never count less than any part of it.
ALL_TIME_END = date(9999, 12, 31)


@dataclass(frozen=True)
class Outcomes:
    label: str
    won: int
    lost: int
    no_decision: int
    won_amounts: tuple[tuple[str | None, Decimal], ...] = ()  # per currency


@dataclass(frozen=True)
class Review:
    period: Period
    breakdown: tuple[Outcomes, ...]  # the month, the quarter, all time
    closed: tuple[tuple[str, ReferralRecord], ...]  # (rep, referral) closed in the period, with reasons


def review_outcomes(*, engine: sa.Engine, workspace: Workspace, rep: Person, command: ShowReview,
                    now: datetime) -> Review:
    reps = managed_reps(engine=engine, workspace=workspace, manager_user_id=rep.user_id)
    if rep.is_admin:
        with read_scope(engine) as session:
            reps |= {m.user_id for _, m in list_memberships(session=session, workspace=workspace)
                     if m.role in ("rep", FORMER_ROLE)}
    if not reps:
        raise CommandError("Reviews are for managers: you manage no team yet.", usage=usage_for(command))
    today = local_today(now, rep.timezone)
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    periods = [("This month", period_containing("month", today)),
               ("This quarter", period_containing("quarter", today, fiscal_start_month=fiscal)),
               ("All time", Period("all", ALL_TIME_START, ALL_TIME_END))]
    try:
        chosen = named_period(command.period, today, fiscal_start_month=fiscal)
    except ValueError as error:
        raise CommandError(str(error), usage=usage_for(command)) from None
    if chosen.kind not in ("month", "quarter") or chosen not in [p for _, p in periods]:
        periods.insert(0, (chosen.label[:1].upper() + chosen.label[1:], chosen))
    with read_scope(engine) as session:
        breakdown = []
        for label, period in periods:
            rows = list_closed_referrals(session=session, workspace=workspace, rep_user_ids=reps, start=period.start,
                                         end=period.end)
            won: dict[str | None, Decimal] = {}
            for row in rows:
                if row.status == "won" and row.amount is not None:
                    won[row.currency] = won.get(row.currency, Decimal(0)) + row.amount
            breakdown.append(Outcomes(label, *(sum(r.status == s for r in rows) for s in ("won", "lost", "no_decision")),
                                      won_amounts=money_totals(won)))
        closed = tuple((r.rep_user_id, referral_record(r)) for r in list_closed_referrals(
            session=session, workspace=workspace, rep_user_ids=reps, start=chosen.start, end=chosen.end))
    return Review(chosen, tuple(breakdown), closed)
