"""Logging asks: the habit the whole product is about.

Every function runs in the caller's transaction (``session``): a listener reads and
writes what one action needs in one transaction, and replies in its ack.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from domain.connectors import HeadsUp
from domain.funnel import AskOutcome, Workspace
from domain.kpis import MINIMUM_ASKS_PER_WEEK
from domain.parsing import AskEntry
from domain.periods import days_left_in_week, local_today, period_containing
from domain.records import AskRecord, WeekProgress
from services.commitments import keep_commitments_for
from services.connectors import heads_up_for
from services.people import Person
from services.teams import track_rep
from storage.models import Ask
from storage.queries import (
    StoredAsk,
    add_ask,
    count_asks,
    count_referrals_of_ask,
    delete_ask,
    find_latest_ask,
    get_ask,
    set_ask_outcome,
)
from storage.team_queries import RepTeam, list_rep_teams

UNDO_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class LoggedAsks:
    logged: tuple[AskRecord, ...]
    duplicates: tuple[AskRecord, ...]  # the same command again within seconds: stored once
    progress: WeekProgress
    # Logged now and counted, though the rep had already logged the same person that day.
    again_today: tuple[AskRecord, ...] = ()
    # Someone the rep's teams keep asking: said with the confirmation (services/connectors.py).
    heads_ups: tuple[HeadsUp, ...] = ()


@dataclass(frozen=True)
class RemovedAsk:
    removed: AskRecord | None
    reason: str | None  # why nothing was removed
    progress: WeekProgress


def ask_record(ask: Ask | StoredAsk) -> AskRecord:
    return AskRecord(id=ask.id or 0, asked_user_id=ask.asked_user_id, asked_name=ask.asked_name,
                     for_whom=ask.for_whom, asked_on=ask.asked_on, outcome=ask.outcome)


def week_progress(*, session: Session, workspace: Workspace, rep: Person, now: datetime,
                  teams: Sequence[RepTeam] | None = None) -> WeekProgress:
    """The rep's asks this week against their minimum; ``teams``: the rep's teams, when the caller read them."""
    today = local_today(now, rep.timezone)
    week = period_containing("week", today)
    asks = count_asks(session=session, workspace=workspace, rep_user_ids=[rep.user_id], start=week.start,
                      end=week.end)
    if teams is None:
        teams = list_rep_teams(session=session, workspace=workspace, user_id=rep.user_id)
    # The same minimum the reminder holds the rep to: the strictest of their teams'.
    minimum = max((team.minimum for team in teams), default=MINIMUM_ASKS_PER_WEEK)
    return WeekProgress(asks=asks, minimum=minimum, days_left=days_left_in_week(today), week=week)


def log_asks(
    *, session: Session, workspace: Workspace, rep: Person, entries: tuple[AskEntry, ...], now: datetime,
) -> LoggedAsks:
    """Store every entry in the caller's transaction: all of them or, on error, none.

    The rep's teams are read once (one indexed statement) for the tracking, the minimum and the heads-up."""
    teams = list_rep_teams(session=session, workspace=workspace, user_id=rep.user_id)
    if not teams:  # their first activity: tracked in the default team
        track_rep(session=session, workspace=workspace, user_id=rep.user_id, now=now)
        teams = list_rep_teams(session=session, workspace=workspace, user_id=rep.user_id)
    logged, duplicates, again = [], [], []
    for entry in entries:
        ask, created, again_that_day = add_ask(
            session=session, workspace=workspace, rep_user_id=rep.user_id,
            asked_user_id=entry.asked.user_id, asked_name=entry.asked.name or entry.asked.user_id or "",
            for_whom=entry.for_whom, asked_on=entry.occurred_on, now=now,
        )
        if created:
            keep_commitments_for(session=session, workspace=workspace, ask=ask)
            if again_that_day:
                again.append(ask_record(ask))
        (logged if created else duplicates).append(ask_record(ask))
    return LoggedAsks(tuple(logged), tuple(duplicates),
                      week_progress(session=session, workspace=workspace, rep=rep, now=now, teams=teams), tuple(again),
                      heads_up_for(session=session, workspace=workspace, rep=rep, teams=teams, logged=logged, now=now))


def remove_ask(
    *, session: Session, workspace: Workspace, rep: Person, now: datetime, ask_id: int | None = None,
) -> RemovedAsk:
    """Undo: the given ask, or the rep's latest from the last 24 hours.

    An ask that already led to a logged referral is kept: removing it would
    orphan the funnel that grew from it.
    """

    def remove() -> tuple[AskRecord | None, str | None]:
        if ask_id is None:
            ask = find_latest_ask(session=session, workspace=workspace, rep_user_id=rep.user_id,
                                  created_since=now - UNDO_WINDOW)
            if ask is None:
                return None, "You have no ask from the last 24 hours to undo."
        else:
            ask = get_ask(session=session, workspace=workspace, rep_user_id=rep.user_id, ask_id=ask_id)
            if ask is None:
                return None, "That ask is already gone."
        if count_referrals_of_ask(session=session, workspace=workspace, ask_id=ask.id or 0):
            return None, f"Your ask of {ask.asked_name} already led to a referral, so it stays."
        record = ask_record(ask)
        delete_ask(session=session, ask=ask)
        return record, None

    removed, reason = remove()
    return RemovedAsk(removed, reason, week_progress(session=session, workspace=workspace, rep=rep, now=now))


def mark_ask_nobody(*, session: Session, workspace: Workspace, rep: Person, ask_id: int,
                    now: datetime) -> AskRecord | None:
    """"Wanted to help but couldn't think of anyone": the ask still counts; no introduction."""
    ask = get_ask(session=session, workspace=workspace, rep_user_id=rep.user_id, ask_id=ask_id)
    if ask is None:
        return None
    set_ask_outcome(session=session, ask=ask, outcome=AskOutcome.NOBODY, outcome_on=local_today(now, rep.timezone))
    return ask_record(ask)


def get_ask_record(*, session: Session, workspace: Workspace, rep: Person, ask_id: int) -> AskRecord | None:
    ask = get_ask(session=session, workspace=workspace, rep_user_id=rep.user_id, ask_id=ask_id)
    return ask_record(ask) if ask else None
