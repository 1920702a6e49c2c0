"""Commitments: the names a rep said they would ask in a given week."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.among import People, among
from storage.models import Commitment
from storage.queries import Prebuilt, scoped


def add_commitment(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                   person_user_id: str | None, person_name: str, now: datetime) -> Commitment:
    commitment = Commitment(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
                            week_start=week_start, person_user_id=person_user_id, person_name=person_name,
                            created_at=now)
    session.add(commitment)
    session.flush()
    return commitment


def list_commitments(*, session: Session, workspace: Workspace, rep_user_ids: People,
                     week_starts: Iterable[date]) -> Sequence[Commitment]:
    return session.exec(select(Commitment).where(
        scoped(Commitment, workspace), among(Commitment.rep_user_id, rep_user_ids),
        col(Commitment.week_start).in_(list(week_starts)),
    ).order_by(col(Commitment.id))).all()


def _open_commitment(who: sa.ColumnElement[bool]) -> Prebuilt:
    return Prebuilt(lambda in_workspace: select(Commitment).where(
        in_workspace(Commitment), Commitment.rep_user_id == sa.bindparam("rep_user_id"),
        Commitment.week_start == sa.bindparam("week_start"), col(Commitment.kept_ask_id).is_(None), who,
    ).order_by(col(Commitment.id)))


# Built once: logging an ask checks it against the week's commitments every time.
_OPEN_COMMITMENT_TO_USER = _open_commitment(Commitment.person_user_id == sa.bindparam("person_user_id"))
_OPEN_COMMITMENT_TO_NAME = _open_commitment(sa.func.lower(Commitment.person_name) == sa.bindparam("person_name"))


def keep_commitment(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                    person_user_id: str | None, person_name: str, ask_id: int) -> bool:
    """Mark the first open commitment to this person in that week as kept by this ask."""
    week = dict(rep_user_id=rep_user_id, week_start=week_start)
    commitment = (_OPEN_COMMITMENT_TO_USER.run(session, workspace, **week, person_user_id=person_user_id)
                  if person_user_id else
                  _OPEN_COMMITMENT_TO_NAME.run(session, workspace, **week, person_name=person_name.lower())).first()
    if commitment is None:
        return False
    commitment.kept_ask_id = ask_id
    session.add(commitment)
    session.flush()
    return True
