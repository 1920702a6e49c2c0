"""Commitments: the names a rep said they would ask in a given week."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.models import Commitment
from storage.queries import scoped


def add_commitment(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                   person_user_id: str | None, person_name: str, now: datetime) -> Commitment:
    commitment = Commitment(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
                            week_start=week_start, person_user_id=person_user_id, person_name=person_name,
                            created_at=now)
    session.add(commitment)
    session.flush()
    return commitment


def list_commitments(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str],
                     week_starts: Iterable[date]) -> Sequence[Commitment]:
    return session.exec(select(Commitment).where(
        scoped(Commitment, workspace), col(Commitment.rep_user_id).in_(list(rep_user_ids)),
        col(Commitment.week_start).in_(list(week_starts)),
    ).order_by(col(Commitment.id))).all()


def keep_commitment(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                    person_user_id: str | None, person_name: str, ask_id: int) -> bool:
    """Mark the first open commitment to this person in that week as kept by this ask."""
    who = Commitment.person_user_id == person_user_id if person_user_id else \
        sa.func.lower(Commitment.person_name) == person_name.lower()
    commitment = session.exec(select(Commitment).where(
        scoped(Commitment, workspace), Commitment.rep_user_id == rep_user_id, Commitment.week_start == week_start,
        col(Commitment.kept_ask_id).is_(None), who,
    ).order_by(col(Commitment.id))).first()
    if commitment is None:
        return False
    commitment.kept_ask_id = ask_id
    session.add(commitment)
    session.flush()
    return True
