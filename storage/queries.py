"""Every read and write, keyword-only and scoped to one workspace.

Each function takes the open ``session`` of a short transaction; callers (the
services) decide where transactions begin and end.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import CLOSED_STATUSES, AskOutcome, ReferralStatus, Workspace
from storage.models import Ask, Referral, UserProfile
from storage.statements import Rows, Statement, insert_every_column, not_by_index

# Two identical asks logged within this window are one ask fired twice.
DUPLICATE_WINDOW_SECONDS = 10


def scoped(model, workspace: Workspace):  # noqa: ANN001, ANN202
    return sa.and_(model.team_id == workspace.team_id, model.enterprise_id == workspace.enterprise_id) \
        if workspace.enterprise_id is not None \
        else sa.and_(model.team_id == workspace.team_id, col(model.enterprise_id).is_(None))


class Prebuilt:
    """A statement built once per shape and then run with bind parameters.

    On the request path, building a SQLAlchemy statement (and its cache key) costs several times more
    than running it on SQLite; the hot queries of /asked are built once, lazily, in two shapes: with an
    Enterprise Grid id and without one. ``build`` gets ``in_workspace(model)``, the bound form of
    ``scoped``; ``model`` may be a mapped class or a table's columns (``Ask.__table__.c``).

    The hottest ones (every /asked) are Core statements on table columns, returning plain rows (``rows``):
    the ORM's loading and unit of work cost about three times the statement itself on SQLite, and they run
    below SQLAlchemy's execution layer too (storage/statements.py).
    """

    def __init__(self, build: Callable[[Callable[..., sa.ColumnElement[bool]]], Any]) -> None:
        self._build = build
        self._shapes: dict[bool, Statement] = {}

    def run(self, session: Session, workspace: Workspace, **params: Any) -> Any:
        """Run through the ORM session (for statements that load mapped objects)."""
        statement, bound = self._bound(workspace, params)
        return session.exec(statement.statement, params=bound)  # type: ignore[call-overload]

    def rows(self, session: Session, workspace: Workspace, **params: Any) -> Rows:
        """Run a Core statement (built on ``Model.__table__.c``) in the session's transaction: plain rows."""
        statement, bound = self._bound(workspace, params)
        return statement.run(session, bound)

    def _bound(self, workspace: Workspace, params: dict[str, Any]) -> tuple[Statement, dict[str, Any]]:
        grid = workspace.enterprise_id is not None
        statement = self._shapes.get(grid)
        if statement is None:
            statement = self._shapes[grid] = Statement(self._build(
                lambda model: sa.and_(model.team_id == sa.bindparam("team_id"),
                                      model.enterprise_id == sa.bindparam("enterprise_id")) if grid
                else sa.and_(model.team_id == sa.bindparam("team_id"), col(model.enterprise_id).is_(None))))
        return statement, {"team_id": workspace.team_id,
                           **({"enterprise_id": workspace.enterprise_id} if grid else {}), **params}


# --- profiles -------------------------------------------------------------------------------------

_PROFILE = Prebuilt(lambda in_workspace: select(UserProfile).where(
    in_workspace(UserProfile), UserProfile.user_id == sa.bindparam("user_id")))


def get_profile(*, session: Session, workspace: Workspace, user_id: str) -> UserProfile | None:
    return _PROFILE.run(session, workspace, user_id=user_id).first()


_PROFILE_FACTS = Prebuilt(lambda in_workspace: sa.select(
    UserProfile.__table__.c.timezone, UserProfile.__table__.c.is_admin, UserProfile.__table__.c.fetched_at,
).where(in_workspace(UserProfile.__table__.c), UserProfile.__table__.c.user_id == sa.bindparam("user_id")))


def get_profile_facts(*, session: Session, workspace: Workspace, user_id: str) -> sa.Row | None:
    """(timezone, is_admin, fetched_at) of a cached profile: read on every action, as a plain row."""
    return _PROFILE_FACTS.rows(session, workspace, user_id=user_id).first()


def list_profiles(*, session: Session, workspace: Workspace, user_ids: Iterable[str]) -> Sequence[UserProfile]:
    return session.exec(select(UserProfile).where(scoped(UserProfile, workspace),
                                                  col(UserProfile.user_id).in_(list(user_ids)))).all()


def save_profile(
    *, session: Session, workspace: Workspace, user_id: str, timezone: str | None, is_admin: bool,
    real_name: str | None, fetched_at: datetime,
) -> UserProfile:
    profile = get_profile(session=session, workspace=workspace, user_id=user_id)
    if profile is None:
        profile = UserProfile(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, user_id=user_id,
                              fetched_at=fetched_at)
    profile.timezone = timezone
    profile.is_admin = is_admin
    profile.real_name = real_name[:200] if real_name else None
    profile.fetched_at = fetched_at
    session.add(profile)
    session.flush()
    return profile


# --- asks -----------------------------------------------------------------------------------------

def _ask_dedupe_key(*, asked_user_id: str | None, asked_name: str, for_whom: str | None, asked_on: date,
                    bucket: int) -> str:
    identity = "\x1f".join((asked_user_id or "", asked_name.casefold(), (for_whom or "").casefold(),
                            asked_on.isoformat(), str(bucket)))
    return hashlib.sha256(identity.encode()).hexdigest()


_ASK = Ask.__table__.c


class StoredAsk(NamedTuple):
    """An ask as ``add_ask`` stored or found it: a plain record, not an ORM object."""
    id: int
    rep_user_id: str
    asked_user_id: str | None
    asked_name: str
    for_whom: str | None
    asked_on: date
    outcome: AskOutcome


class AddedAsk(NamedTuple):
    ask: StoredAsk
    created: bool  # False: the identical ask logged seconds ago, returned instead (a double submit)
    again_that_day: bool  # created, though the rep had already logged the same person that day


def _same_ask(same_person: Callable[[], sa.ColumnElement[bool]]) -> Prebuilt:
    """One read before the insert, two index lookups: the rep's identical ask from seconds ago (its dedupe key,
    ``just_now`` 1), else any ask of theirs of the same person on the same day (0); the first of those.

    The second lookup goes by the person (``ix_ask_person_user`` or ``ix_ask_person_name``), not by the rep:
    SQLite, with no statistics, chose ``ix_ask_rep_date`` and then read every ask the rep had logged that day
    to compare people, so a /asked cost more with each ask of the day (this statement took 48 µs at 50 asks
    a day, 264 µs at 400). By the person it reads that person's asks of the day only."""
    def build(in_workspace: Callable[..., sa.ColumnElement[bool]]) -> Any:
        fields = [getattr(_ASK, field) for field in StoredAsk._fields]
        mine = sa.and_(in_workspace(_ASK), _ASK.rep_user_id == sa.bindparam("rep_user_id"))
        found = sa.union_all(
            sa.select(*fields, sa.literal(1).label("just_now")).where(
                mine, _ASK.dedupe_key.in_([sa.bindparam("key"), sa.bindparam("previous")])),
            sa.select(*fields, sa.literal(0).label("just_now")).where(
                in_workspace(_ASK), not_by_index(_ASK.rep_user_id) == sa.bindparam("rep_user_id"),
                _ASK.asked_on == sa.bindparam("asked_on"), same_person()),
        ).subquery()
        return sa.select(found).order_by(found.c.just_now.desc(), found.c.id).limit(1)
    return Prebuilt(build)


_SAME_ASK_OF_USER = _same_ask(lambda: _ASK.asked_user_id == sa.bindparam("asked_user_id"))
_SAME_ASK_OF_NAME = _same_ask(lambda: sa.and_(_ASK.asked_user_id.is_(None),
                                              sa.func.lower(_ASK.asked_name) == sa.bindparam("asked_name_lower")))
_INSERT_ASK = insert_every_column(Ask.__table__, returning=_ASK.id)


def add_ask(
    *, session: Session, workspace: Workspace, rep_user_id: str, asked_user_id: str | None, asked_name: str,
    for_whom: str | None, asked_on: date, now: datetime,
) -> AddedAsk:
    """Insert an ask, or return the identical one logged seconds ago.

    The unique dedupe key catches two identical commands racing within one
    window; the look-back into the previous window catches a pair straddling it.
    The same read tells whether the rep already logged this person that day (by Slack user, or by name
    ignoring case when outside Slack), so a second ask of the day is said so.
    Written with Core (see ``Prebuilt``), and answered with a plain record.
    """
    bucket = int(now.timestamp()) // DUPLICATE_WINDOW_SECONDS
    keys = [
        _ask_dedupe_key(asked_user_id=asked_user_id, asked_name=asked_name, for_whom=for_whom, asked_on=asked_on,
                        bucket=b)
        for b in (bucket, bucket - 1)
    ]
    same = dict(rep_user_id=rep_user_id, key=keys[0], previous=keys[1], asked_on=asked_on)
    found = (_SAME_ASK_OF_USER.rows(session, workspace, **same, asked_user_id=asked_user_id) if asked_user_id
             else _SAME_ASK_OF_NAME.rows(session, workspace, **same, asked_name_lower=asked_name.lower())).first()
    if found is not None and found.just_now:
        return AddedAsk(StoredAsk(*found[:len(StoredAsk._fields)]), created=False, again_that_day=False)
    ask_id = _INSERT_ASK.run(session, dict(
        team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
        asked_user_id=asked_user_id, asked_name=asked_name, for_whom=for_whom, asked_on=asked_on,
        outcome=AskOutcome.PENDING, outcome_on=None, dedupe_key=keys[0], created_at=now)).scalar_one()
    stored = StoredAsk(ask_id, rep_user_id, asked_user_id, asked_name, for_whom, asked_on, AskOutcome.PENDING)
    return AddedAsk(stored, created=True, again_that_day=found is not None)


def get_ask(*, session: Session, workspace: Workspace, rep_user_id: str, ask_id: int) -> Ask | None:
    return session.exec(
        select(Ask).where(scoped(Ask, workspace), Ask.rep_user_id == rep_user_id, Ask.id == ask_id)
    ).first()


def find_latest_ask(*, session: Session, workspace: Workspace, rep_user_id: str, created_since: datetime) -> Ask | None:
    return session.exec(
        select(Ask)
        .where(scoped(Ask, workspace), Ask.rep_user_id == rep_user_id, Ask.created_at >= created_since)
        .order_by(col(Ask.created_at).desc(), col(Ask.id).desc())
    ).first()


def delete_ask(*, session: Session, ask: Ask) -> None:
    session.delete(ask)
    session.flush()


def count_referrals_of_ask(*, session: Session, workspace: Workspace, ask_id: int) -> int:
    return session.exec(
        select(sa.func.count()).select_from(Referral).where(scoped(Referral, workspace), Referral.ask_id == ask_id)
    ).one()


def find_open_ask_of_referrer(
    *, session: Session, workspace: Workspace, rep_user_id: str, referrer_user_id: str | None, referrer_name: str,
) -> Ask | None:
    """The rep's most recent still-pending ask of this person (by Slack ID, else by name)."""
    who = Ask.asked_user_id == referrer_user_id if referrer_user_id else \
        sa.func.lower(Ask.asked_name) == referrer_name.lower()
    return session.exec(
        select(Ask)
        .where(scoped(Ask, workspace), Ask.rep_user_id == rep_user_id, Ask.outcome == AskOutcome.PENDING, who)
        .order_by(col(Ask.asked_on).desc(), col(Ask.id).desc())
    ).first()


def set_ask_outcome(*, session: Session, ask: Ask, outcome: AskOutcome, outcome_on: date | None) -> Ask:
    ask.outcome = outcome
    ask.outcome_on = outcome_on
    session.add(ask)
    session.flush()
    return ask


_ASKS_OF_REP_BETWEEN = Prebuilt(lambda in_workspace: sa.select(sa.func.count()).select_from(Ask.__table__).where(
    in_workspace(_ASK), _ASK.rep_user_id == sa.bindparam("rep_user_id"), _ASK.asked_on >= sa.bindparam("start"),
    _ASK.asked_on <= sa.bindparam("end")))


def count_asks(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date) -> int:
    """Asks of these reps made between start and end (inclusive): one statement, served by ix_ask_rep_date."""
    reps = list(rep_user_ids)
    if len(reps) == 1:  # a rep's own week: every /asked
        return _ASKS_OF_REP_BETWEEN.rows(session, workspace, rep_user_id=reps[0], start=start, end=end).scalar_one()
    return session.exec(
        select(sa.func.count()).select_from(Ask)
        .where(scoped(Ask, workspace), col(Ask.rep_user_id).in_(reps), Ask.asked_on >= start,
               Ask.asked_on <= end)
    ).one()


# --- referrals ------------------------------------------------------------------------------------

def add_referral(
    *, session: Session, workspace: Workspace, rep_user_id: str, prospect_name: str, referrer_user_id: str | None,
    referrer_name: str, ask_id: int | None, introduced_on: date, now: datetime,
) -> Referral:
    """Insert a referral with the rep's next short number (a race is retried by the caller)."""
    highest = session.exec(
        select(sa.func.max(Referral.number)).where(scoped(Referral, workspace), Referral.rep_user_id == rep_user_id)
    ).one()
    referral = Referral(
        team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
        number=(highest or 0) + 1, prospect_name=prospect_name, referrer_user_id=referrer_user_id,
        referrer_name=referrer_name, ask_id=ask_id, status=ReferralStatus.INTRODUCED, introduced_on=introduced_on,
        created_at=now, updated_at=now,
    )
    session.add(referral)
    session.flush()
    return referral


def get_referral_by_number(*, session: Session, workspace: Workspace, rep_user_id: str, number: int) -> Referral | None:
    return session.exec(
        select(Referral).where(scoped(Referral, workspace), Referral.rep_user_id == rep_user_id,
                               Referral.number == number)
    ).first()


def find_referrals_by_prospect(
    *, session: Session, workspace: Workspace, rep_user_id: str, fragment: str, limit: int = 10,
) -> Sequence[Referral]:
    """Referrals whose prospect name contains ``fragment`` (case-insensitive, LIKE wildcards escaped)."""
    escaped = fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.exec(
        select(Referral)
        .where(scoped(Referral, workspace), Referral.rep_user_id == rep_user_id,
               sa.func.lower(Referral.prospect_name).like(f"%{escaped}%", escape="\\"))
        .order_by(col(Referral.number).desc())
        .limit(limit)
    ).all()


def list_open_referrals(*, session: Session, workspace: Workspace, rep_user_id: str, limit: int = 40) -> Sequence[Referral]:
    return session.exec(
        select(Referral)
        .where(scoped(Referral, workspace), Referral.rep_user_id == rep_user_id,
               col(Referral.status).not_in([s.value for s in CLOSED_STATUSES]))
        .order_by(col(Referral.number))
        .limit(limit)
    ).all()


def count_open_referrals(*, session: Session, workspace: Workspace, rep_user_id: str) -> int:
    return session.exec(
        select(sa.func.count()).select_from(Referral)
        .where(scoped(Referral, workspace), Referral.rep_user_id == rep_user_id,
               col(Referral.status).not_in([s.value for s in CLOSED_STATUSES]))
    ).one()


def save_referral(*, session: Session, referral: Referral, now: datetime) -> Referral:
    referral.updated_at = now
    session.add(referral)
    session.flush()
    return referral
