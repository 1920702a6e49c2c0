"""Queries for the referral-habit features: team habit settings, client wins, nudge notes and skips,
and the per-person reads behind the connector heads-up and report."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.among import People, among
from storage.models import Ask, ClientWin, Delivery, NudgeNote, Referral, TeamHabitSetting, TeamMember
from storage.queries import Prebuilt, scoped

SKIPPED = "skipped"  # a delivery-ledger status: a manager skipped this message; it is never sent


# --- team habit settings ---------------------------------------------------------------------------

_HABIT = TeamHabitSetting.__table__.c
_HABIT_SETTINGS = Prebuilt(lambda in_workspace: sa.select(
    _HABIT.sales_team_id, _HABIT.leaderboard_mode, _HABIT.connector_threshold, _HABIT.client_followup_days,
).where(in_workspace(_HABIT), _HABIT.sales_team_id.in_(sa.bindparam("ids", expanding=True))))


def list_habit_settings(*, session: Session, workspace: Workspace, team_ids: Iterable[int]) -> dict[int, sa.Row]:
    """The settings of these teams, as rows of (sales_team_id, leaderboard_mode, connector_threshold,
    client_followup_days); teams that never changed a setting have none."""
    ids = list(team_ids)
    if not ids:
        return {}
    return {row.sales_team_id: row for row in _HABIT_SETTINGS.rows(session, workspace, ids=ids).all()}


def save_habit_setting(*, session: Session, workspace: Workspace, sales_team_id: int, setting: str, value: object,
                       now: datetime) -> TeamHabitSetting:
    row = session.exec(select(TeamHabitSetting).where(TeamHabitSetting.sales_team_id == sales_team_id)).first()
    if row is None:
        row = TeamHabitSetting(sales_team_id=sales_team_id, team_id=workspace.team_id,
                               enterprise_id=workspace.enterprise_id, updated_at=now)
    setattr(row, setting, value)
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


# --- client wins ------------------------------------------------------------------------------------

def add_client_win(*, session: Session, workspace: Workspace, rep_user_id: str, client_name: str,
                   referral_id: int | None, won_on: date, follow_up_on: date, now: datetime) -> ClientWin:
    """A new client; a referral won twice (won, reopened by a correction, won) keeps its first clock."""
    if referral_id is not None:
        existing = session.exec(select(ClientWin).where(scoped(ClientWin, workspace),
                                                        ClientWin.referral_id == referral_id)).first()
        if existing is not None:
            return existing
    row = ClientWin(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
                    client_name=client_name, referral_id=referral_id, won_on=won_on, follow_up_on=follow_up_on,
                    created_at=now)
    session.add(row)
    session.flush()
    return row


def get_client_win(*, session: Session, workspace: Workspace, rep_user_id: str, win_id: int) -> ClientWin | None:
    return session.exec(select(ClientWin).where(scoped(ClientWin, workspace), ClientWin.id == win_id,
                                                ClientWin.rep_user_id == rep_user_id)).first()


def list_client_wins_due(*, session: Session, workspace: Workspace, start: date, end: date) -> Sequence[ClientWin]:
    """Wins whose follow-up date lies in the range (the tick's window), by the date index."""
    return session.exec(select(ClientWin).where(scoped(ClientWin, workspace), ClientWin.follow_up_on >= start,
                                                ClientWin.follow_up_on <= end).order_by(col(ClientWin.id))).all()


def list_client_wins_of(*, session: Session, workspace: Workspace, rep_user_ids: People,
                        won_since: date) -> Sequence[ClientWin]:
    return session.exec(select(ClientWin).where(scoped(ClientWin, workspace),
                                                among(ClientWin.rep_user_id, rep_user_ids),
                                                ClientWin.won_on >= won_since)).all()


# --- nudge notes and skips ------------------------------------------------------------------------

def save_nudge_note(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                    manager_user_id: str, note: str, now: datetime) -> NudgeNote:
    """One note per rep and week: a second one replaces the first."""
    row = session.exec(select(NudgeNote).where(scoped(NudgeNote, workspace), NudgeNote.rep_user_id == rep_user_id,
                                               NudgeNote.week_start == week_start)).first()
    if row is None:
        row = NudgeNote(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
                        week_start=week_start, manager_user_id=manager_user_id, note=note, created_at=now)
    row.manager_user_id, row.note, row.created_at = manager_user_id, note, now
    session.add(row)
    session.flush()
    return row


def list_nudge_notes(*, session: Session, workspace: Workspace, week_starts: Iterable[date],
                     rep_user_ids: People | None = None) -> Sequence[NudgeNote]:
    query = select(NudgeNote).where(scoped(NudgeNote, workspace), col(NudgeNote.week_start).in_(list(week_starts)))
    if rep_user_ids is not None:
        query = query.where(among(NudgeNote.rep_user_id, rep_user_ids))
    return session.exec(query).all()


def add_skipped_delivery(*, engine: sa.Engine, workspace: Workspace, kind: str, recipient: str, period_key: str,
                         manager_user_id: str, reason: str, now: datetime) -> Delivery | None:
    """Claim the message's ledger row as skipped, so no tick can send it; None when the row already exists
    (sent, in flight, or skipped before). Its own transaction, like any claim."""
    from storage.engine import session_scope

    try:
        with session_scope(engine) as session:
            row = Delivery(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, kind=kind,
                           recipient=recipient, period_key=period_key, status=SKIPPED, attempts=0,
                           claimed_by=manager_user_id, claimed_at=now, note=reason[:300])
            session.add(row)
            session.flush()
            return row
    except IntegrityError:
        return None


def list_ledger_rows(*, session: Session, workspace: Workspace, kind: str, recipients: People,
                     period_keys: Iterable[str]) -> Sequence[Delivery]:
    return session.exec(select(Delivery).where(scoped(Delivery, workspace), Delivery.kind == kind,
                                               among(Delivery.recipient, recipients),
                                               col(Delivery.period_key).in_(list(period_keys)))).all()


# --- connectors ------------------------------------------------------------------------------------

_ASK = Ask.__table__.c
_MEMBER = TeamMember.__table__.c


def _asks_of_person(who: sa.ColumnElement[bool]) -> Prebuilt:
    teammates = sa.select(_MEMBER.user_id).where(_MEMBER.sales_team_id.in_(sa.bindparam("team_ids", expanding=True)),
                                                 _MEMBER.role == "rep")
    return Prebuilt(lambda in_workspace: sa.select(_ASK.id, _ASK.rep_user_id, _ASK.asked_on).where(
        in_workspace(_ASK), who, _ASK.asked_on >= sa.bindparam("since"),
        sa.or_(_ASK.rep_user_id == sa.bindparam("rep_user_id"), _ASK.rep_user_id.in_(teammates)),
    ).order_by(_ASK.asked_on.desc(), _ASK.id.desc()))


_ASKS_OF_USER = _asks_of_person(_ASK.asked_user_id == sa.bindparam("person"))
_ASKS_OF_NAME = _asks_of_person(sa.func.lower(_ASK.asked_name) == sa.bindparam("person"))


def list_asks_of_person(*, session: Session, workspace: Workspace, rep_user_id: str, team_ids: Iterable[int],
                        person_user_id: str | None, person_name: str, since: date) -> Sequence[sa.Row]:
    """(id, rep_user_id, asked_on) of one person's asks since a day, newest first, by this rep or any rep
    on these teams: by Slack user, or by name when outside Slack.

    Served by ``ix_ask_person_user`` / ``ix_ask_person_name``: it reads that person's asks only, so it
    costs the same however many asks, or reps, the teams have.
    """
    query, person = (_ASKS_OF_USER, person_user_id) if person_user_id else (_ASKS_OF_NAME, person_name.lower())
    return query.rows(session, workspace, person=person, since=since, rep_user_id=rep_user_id,
                      team_ids=list(team_ids)).all()


def list_asks_since(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str],
                    since: date) -> Sequence[Ask]:
    return session.exec(select(Ask).where(scoped(Ask, workspace), col(Ask.rep_user_id).in_(list(rep_user_ids)),
                                          Ask.asked_on >= since)).all()


def list_referrals_of_reps(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str]) -> Sequence[Referral]:
    return session.exec(select(Referral).where(scoped(Referral, workspace),
                                               col(Referral.rep_user_id).in_(list(rep_user_ids)))).all()


def last_ask_dates(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str]) -> dict[str, date]:
    """Each rep's latest ask date, in one grouped query."""
    rows = session.exec(select(Ask.rep_user_id, sa.func.max(Ask.asked_on)).where(
        scoped(Ask, workspace), col(Ask.rep_user_id).in_(list(rep_user_ids))).group_by(Ask.rep_user_id)).all()
    return {rep: day for rep, day in rows}
