"""Commitments: "Who are the people you'll ask? Get names." Kept when the ask is logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.funnel import Workspace
from domain.parsing import CommitToAsk
from domain.periods import local_today, period_containing
from services.people import Person
from storage.commitment_queries import add_commitment, keep_commitment, list_commitments
from storage.engine import read_scope
from storage.models import Ask
from storage.queries import StoredAsk


@dataclass(frozen=True)
class WeekCommitments:
    week_start: date
    open: tuple[tuple[str | None, str], ...]  # (user_id, name) not yet kept
    kept: tuple[tuple[str | None, str], ...]


def commit_to_ask(*, session: Session, workspace: Workspace, rep: Person, command: CommitToAsk,
                  now: datetime) -> WeekCommitments:
    """Name the people the rep will ask this week, in the caller's write transaction."""
    week = period_containing("week", local_today(now, rep.timezone))
    for person in command.people:
        add_commitment(session=session, workspace=workspace, rep_user_id=rep.user_id, week_start=week.start,
                       person_user_id=person.user_id, person_name=person.name or person.user_id or "", now=now)
    return week_commitments(session=session, workspace=workspace, rep_user_id=rep.user_id, week_start=week.start)


def commitments_of(*, engine: sa.Engine, workspace: Workspace, rep_user_id: str, week_start: date) -> WeekCommitments:
    with read_scope(engine) as session:
        return week_commitments(session=session, workspace=workspace, rep_user_id=rep_user_id, week_start=week_start)


def week_commitments(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date) -> WeekCommitments:
    """The people a rep named for this week, open and kept, in the caller's transaction."""
    rows = list_commitments(session=session, workspace=workspace, rep_user_ids=[rep_user_id],
                            week_starts=[week_start])
    open_ = tuple((c.person_user_id, c.person_name) for c in rows if c.kept_ask_id is None)
    kept = tuple((c.person_user_id, c.person_name) for c in rows if c.kept_ask_id is not None)
    return WeekCommitments(week_start, open_, kept)


def keep_commitments_for(*, session: Session, workspace: Workspace, ask: Ask | StoredAsk) -> bool:
    """Called in the transaction that logs an ask: the commitment it fulfils, in the ask's own week."""
    return keep_commitment(session=session, workspace=workspace, rep_user_id=ask.rep_user_id,
                           week_start=period_containing("week", ask.asked_on).start,
                           person_user_id=ask.asked_user_id, person_name=ask.asked_name, ask_id=ask.id or 0)
