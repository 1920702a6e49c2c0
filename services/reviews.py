"""/referral review: how referrals closed, with the reasons, for a manager's teams."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.parsing import CommandError, ShowReview, usage_for
from domain.periods import Period, local_today, period_containing
from domain.records import ReferralRecord
from services.people import Person
from services.referrals import referral_record
from services.teams import fiscal_year_start, managed_reps
from storage.engine import read_scope
from storage.queries import list_closed_referrals
from storage.team_queries import list_memberships

ALL_TIME_START = date(2000, 1, 1)


@dataclass(frozen=True)
class Outcomes:
    label: str
    won: int
    lost: int
    no_decision: int


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
            reps |= {m.user_id for _, m in list_memberships(session=session, workspace=workspace) if m.role == "rep"}
    if not reps:
        raise CommandError("Reviews are for managers: you manage no team yet.", usage=usage_for(command))
    today = local_today(now, rep.timezone)
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    periods = [("This month", period_containing("month", today)),
               ("This quarter", period_containing("quarter", today, fiscal_start_month=fiscal)),
               ("All time", Period("all", ALL_TIME_START, today))]
    chosen = period_containing(command.period, today, fiscal_start_month=fiscal)
    with read_scope(engine) as session:
        breakdown = []
        for label, period in periods:
            rows = list_closed_referrals(session=session, workspace=workspace, rep_user_ids=reps, start=period.start,
                                         end=period.end)
            breakdown.append(Outcomes(label, *(sum(r.status == s for r in rows) for s in ("won", "lost", "no_decision"))))
        closed = tuple((r.rep_user_id, referral_record(r)) for r in list_closed_referrals(
            session=session, workspace=workspace, rep_user_ids=reps, start=chosen.start, end=chosen.end))
    return Review(chosen, tuple(breakdown), closed)
