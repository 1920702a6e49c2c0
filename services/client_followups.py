"""Every win becomes the next ask: start the clock on a win, find the follow-ups due, snooze one.

The clock starts inside the transaction that records the win (services.referrals)
or the client (/referral client), so a win is never without its follow-up.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from domain.client_followups import CLIENT_FOLLOWUP, SNOOZE, STAYS_DUE, follow_up_date, follow_up_due, period_key
from domain.funnel import Workspace
from domain.habit_commands import AddClient
from domain.habit_records import ClientWinRecord
from domain.periods import local_today
from domain.schedule import local_instant
from services.delivery import Outgoing
from services.habit_settings import habits_of_teams, strictest
from services.people import Person
from storage.engine import read_scope, run_in_transaction
from storage.habit_queries import add_client_win, get_client_win, list_client_wins_due
from storage.models import ClientWin
from storage.team_queries import list_rep_teams


def win_record(row: ClientWin) -> ClientWinRecord:
    return ClientWinRecord(row.id or 0, row.rep_user_id, row.client_name, row.won_on, row.follow_up_on,
                           row.referral_id is not None)


def start_client_clock(*, session: Session, workspace: Workspace, rep_user_id: str, client_name: str,
                       referral_id: int | None, won_on: date, now: datetime) -> ClientWinRecord:
    """The follow-up of a new client, after the days the rep's team sets (the soonest, on several teams)."""
    team_ids = [team.team_id for team in list_rep_teams(session=session, workspace=workspace, user_id=rep_user_id)]
    days = strictest(habits_of_teams(session=session, workspace=workspace, team_ids=team_ids).values()
                     ).client_followup_days
    return win_record(add_client_win(session=session, workspace=workspace, rep_user_id=rep_user_id,
                                     client_name=client_name, referral_id=referral_id, won_on=won_on,
                                     follow_up_on=follow_up_date(won_on, days), now=now))


def add_client(*, engine: sa.Engine, workspace: Workspace, rep: Person, command: AddClient,
               now: datetime) -> ClientWinRecord:
    """/referral client: a client won outside the referral funnel starts the same clock."""
    from services.teams import track_rep

    def work(session: Session) -> ClientWinRecord:
        track_rep(session=session, workspace=workspace, user_id=rep.user_id, now=now)
        return start_client_clock(session=session, workspace=workspace, rep_user_id=rep.user_id,
                                  client_name=command.name, referral_id=None, won_on=command.won_on, now=now)

    return run_in_transaction(engine, work)


@dataclass(frozen=True)
class FollowupDue:
    workspace: Workspace
    win: ClientWinRecord
    expires_at: datetime


def due_followups(*, engine: sa.Engine, workspace: Workspace, zone_of: Callable[[str], ZoneInfo],
                  now: datetime) -> list[FollowupDue]:
    """For the tick: follow-ups whose date has come and whose rep is in working hours now."""
    utc_today = now.astimezone(UTC).date()
    # Every zone's date lies within a day of UTC's; a follow-up stays due for STAYS_DUE after its date.
    with read_scope(engine) as session:
        wins = [win_record(row) for row in list_client_wins_due(
            session=session, workspace=workspace, start=utc_today - STAYS_DUE - timedelta(days=1),
            end=utc_today + timedelta(days=1))]
    due = []
    for win in wins:
        zone = zone_of(win.rep_user_id)
        if follow_up_due(follow_up_on=win.follow_up_on, local_now=now.astimezone(zone)):
            expires = local_instant(win.follow_up_on + STAYS_DUE + timedelta(days=1), time(0), zone)
            due.append(FollowupDue(workspace, win, expires))
    return due


def followup_outgoing(due: FollowupDue, render: Callable[[ClientWinRecord], dict[str, Any]]) -> Outgoing:
    return Outgoing(workspace=due.workspace, kind=CLIENT_FOLLOWUP, recipient=due.win.rep_user_id,
                    channel=due.win.rep_user_id, period_key=period_key(due.win.id, due.win.follow_up_on),
                    expires_at=due.expires_at, render=lambda: [render(due.win)])


def get_win(*, engine: sa.Engine, workspace: Workspace, rep: Person, win_id: int) -> ClientWinRecord | None:
    with read_scope(engine) as session:
        row = get_client_win(session=session, workspace=workspace, rep_user_id=rep.user_id, win_id=win_id)
        return win_record(row) if row else None


def snooze_followup(*, engine: sa.Engine, workspace: Workspace, rep: Person, win_id: int,
                    now: datetime) -> ClientWinRecord | None:
    """Two weeks from the rep's today: a new date, so a new ledger key, so it comes again."""
    def work(session: Session) -> ClientWinRecord | None:
        row = get_client_win(session=session, workspace=workspace, rep_user_id=rep.user_id, win_id=win_id)
        if row is None:
            return None
        row.follow_up_on = local_today(now, rep.timezone) + SNOOZE
        session.add(row)
        session.flush()
        return win_record(row)

    return run_in_transaction(engine, work)
