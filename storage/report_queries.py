"""Counts and listings across periods and people: the indicators behind stats, the Home tab, digests,
plans and reviews; charts' daily counts; and the rows the spreadsheet import and export read and write.

Each function takes the open ``session`` of a short transaction, as in storage/queries.py.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import CLOSED_STATUSES, AskOutcome, ReferralStatus, Workspace
from domain.kpis import KpiCounts
from storage.models import Ask, Referral
from storage.queries import Prebuilt, count_asks, scoped


def _step_tallies(between: Callable[[Any], sa.ColumnElement[bool]]) -> tuple[sa.ColumnElement[int], ...]:
    """The referral indicators as conditional sums over one pass of the rep's referrals."""
    def tally(*conditions) -> sa.ColumnElement[int]:  # noqa: ANN002
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    closed = between(Referral.closed_on)
    return (tally(between(Referral.introduced_on)), tally(between(Referral.meeting_scheduled_on)),
            tally(between(Referral.meeting_held_on)), tally(closed, Referral.status == ReferralStatus.WON),
            tally(closed, Referral.status == ReferralStatus.LOST),
            tally(closed, Referral.status == ReferralStatus.NO_DECISION))


_STEPS_OF_REP_BETWEEN = Prebuilt(lambda in_workspace: select(*_step_tallies(
    lambda column: sa.and_(column >= sa.bindparam("start"), column <= sa.bindparam("end")),
)).where(in_workspace(Referral), Referral.rep_user_id == sa.bindparam("rep_user_id")))


def count_kpis(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date,
) -> KpiCounts:
    """The five indicators for these reps, each event counted by the date it happened (inclusive range).

    Two statements whatever the indicators: one count of asks, one pass over the referrals that
    counts each step with a conditional sum (the rep's referrals are found by ix_referral_rep_status).
    """
    reps = list(rep_user_ids)

    def between(column) -> sa.ColumnElement[bool]:  # noqa: ANN001
        return sa.and_(column >= start, column <= end)

    asks = count_asks(session=session, workspace=workspace, rep_user_ids=reps, start=start, end=end)
    if len(reps) == 1:  # one rep's own numbers: stats, the Home tab
        row = _STEPS_OF_REP_BETWEEN.run(session, workspace, rep_user_id=reps[0], start=start, end=end).one()
        return KpiCounts(asks, *(int(value) for value in row))
    row = session.exec(
        select(*_step_tallies(between)).where(scoped(Referral, workspace), col(Referral.rep_user_id).in_(reps))
    ).one()
    return KpiCounts(asks, *(int(value) for value in row))


def list_asks(*, session: Session, workspace: Workspace, rep_user_id: str | None = None) -> Sequence[Ask]:
    query = select(Ask).where(scoped(Ask, workspace))
    if rep_user_id is not None:
        query = query.where(Ask.rep_user_id == rep_user_id)
    return session.exec(query.order_by(col(Ask.id))).all()


def list_referrals(*, session: Session, workspace: Workspace, rep_user_id: str | None = None) -> Sequence[Referral]:
    query = select(Referral).where(scoped(Referral, workspace))
    if rep_user_id is not None:
        query = query.where(Referral.rep_user_id == rep_user_id)
    return session.exec(query.order_by(col(Referral.id))).all()


def count_asks_by_day(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date,
) -> dict[tuple[str, date], int]:
    """(rep, day) -> asks that day, for weekly series (streaks, trends) in one query."""
    return _count_by_day(session, workspace, Ask, Ask.asked_on, rep_user_ids, start, end)


def list_open_referrals_of(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str]) -> Sequence[Referral]:
    return session.exec(
        select(Referral)
        .where(scoped(Referral, workspace), col(Referral.rep_user_id).in_(list(rep_user_ids)),
               col(Referral.status).not_in([s.value for s in CLOSED_STATUSES]))
        .order_by(col(Referral.introduced_on))
    ).all()


def list_closed_referrals(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date,
) -> Sequence[Referral]:
    return session.exec(
        select(Referral)
        .where(scoped(Referral, workspace), col(Referral.rep_user_id).in_(list(rep_user_ids)),
               col(Referral.status).in_([s.value for s in CLOSED_STATUSES]),
               Referral.closed_on >= start, Referral.closed_on <= end)
        .order_by(col(Referral.closed_on), col(Referral.id))
    ).all()


def list_meetings_between(*, session: Session, workspace: Workspace, start: date, end: date) -> Sequence[Referral]:
    """Referrals whose scheduled (not yet held) meeting falls in the range, for the pre-meeting checklist."""
    return session.exec(
        select(Referral)
        .where(scoped(Referral, workspace), Referral.status == ReferralStatus.MEETING_SCHEDULED,
               Referral.meeting_on >= start, Referral.meeting_on <= end)
        .order_by(col(Referral.id))
    ).all()


def count_referrals_by_day(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date,
) -> dict[tuple[str, date], int]:
    """(rep, day) -> introductions received that day, for the trend charts."""
    return _count_by_day(session, workspace, Referral, Referral.introduced_on, rep_user_ids, start, end)


def _count_by_day(session: Session, workspace: Workspace, model, day_column, rep_user_ids: Iterable[str],  # noqa: ANN001
                  start: date, end: date) -> dict[tuple[str, date], int]:
    rows = session.exec(
        select(model.rep_user_id, day_column, sa.func.count())
        .where(scoped(model, workspace), col(model.rep_user_id).in_(list(rep_user_ids)),
               day_column >= start, day_column <= end)
        .group_by(model.rep_user_id, day_column)
    ).all()
    return {(rep, day): n for rep, day, n in rows}


def find_imported_keys(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], keys: Iterable[str],
) -> set[str]:
    """Which of these import keys the reps already have (one query for a batch, on the dedupe index)."""
    wanted = list(keys)
    if not wanted:
        return set()
    return set(session.exec(select(Ask.dedupe_key).where(
        scoped(Ask, workspace), col(Ask.rep_user_id).in_(list(rep_user_ids)), col(Ask.dedupe_key).in_(wanted))).all())


def add_imported_ask(
    *, session: Session, workspace: Workspace, rep_user_id: str, asked_user_id: str | None, asked_name: str,
    for_whom: str | None, asked_on: date, outcome: AskOutcome, import_key: str, now: datetime,
) -> None:
    """An imported ask; the caller has checked with find_imported_keys that its key is new."""
    session.add(Ask(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
                    asked_user_id=asked_user_id, asked_name=asked_name, for_whom=for_whom, asked_on=asked_on,
                    outcome=outcome, outcome_on=None if outcome is AskOutcome.PENDING else asked_on,
                    dedupe_key=import_key, created_at=now))


def list_asks_between(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str] | None, start: date, end: date,
) -> Sequence[Ask]:
    """Asks dated in the range, oldest first; every rep of the workspace when ``rep_user_ids`` is None."""
    query = select(Ask).where(scoped(Ask, workspace), Ask.asked_on >= start, Ask.asked_on <= end)
    if rep_user_ids is not None:
        query = query.where(col(Ask.rep_user_id).in_(list(rep_user_ids)))
    return session.exec(query.order_by(col(Ask.asked_on), col(Ask.id))).all()


def list_referrals_between(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str] | None, start: date, end: date,
) -> Sequence[Referral]:
    """Referrals introduced in the range, oldest first; every rep when ``rep_user_ids`` is None."""
    query = select(Referral).where(scoped(Referral, workspace), Referral.introduced_on >= start,
                                   Referral.introduced_on <= end)
    if rep_user_ids is not None:
        query = query.where(col(Referral.rep_user_id).in_(list(rep_user_ids)))
    return session.exec(query.order_by(col(Referral.introduced_on), col(Referral.id))).all()
