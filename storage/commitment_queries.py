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
from storage.statements import Statement


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


_COMMITMENT = Commitment.__table__.c


def _first_open(who: sa.ColumnElement[bool]) -> Prebuilt:
    return Prebuilt(lambda in_workspace: sa.select(_COMMITMENT.id).where(
        in_workspace(_COMMITMENT), _COMMITMENT.rep_user_id == sa.bindparam("rep_user_id"),
        _COMMITMENT.week_start == sa.bindparam("week_start"), _COMMITMENT.kept_ask_id.is_(None), who,
    ).order_by(_COMMITMENT.id).limit(1))


# Built once, in Core: logging an ask checks it against the week's commitments every time.
_FIRST_OPEN_TO_USER = _first_open(_COMMITMENT.person_user_id == sa.bindparam("person_user_id"))
_FIRST_OPEN_TO_NAME = _first_open(sa.func.lower(_COMMITMENT.person_name) == sa.bindparam("person_name"))
_KEEP = Statement(sa.update(Commitment.__table__).where(_COMMITMENT.id == sa.bindparam("commitment_id")).values(
    kept_ask_id=sa.bindparam("ask_id")))


def keep_commitment(*, session: Session, workspace: Workspace, rep_user_id: str, week_start: date,
                    person_user_id: str | None, person_name: str, ask_id: int) -> bool:
    """Mark the first open commitment to this person in that week as kept by this ask."""
    week = dict(rep_user_id=rep_user_id, week_start=week_start)
    commitment_id = (_FIRST_OPEN_TO_USER.rows(session, workspace, **week, person_user_id=person_user_id)
                     if person_user_id else
                     _FIRST_OPEN_TO_NAME.rows(session, workspace, **week, person_name=person_name.lower())).scalar()
    if commitment_id is None:
        return False
    _KEEP.run(session, {"commitment_id": commitment_id, "ask_id": ask_id})
    return True
