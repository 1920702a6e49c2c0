"""Every read and write, keyword-only and scoped to one workspace.

Each function takes the open ``session`` of a short transaction; callers (the
services) decide where transactions begin and end.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from domain.funnel import CLOSED_STATUSES, AskOutcome, ReferralStatus, Workspace
from domain.kpis import KpiCounts
from storage.among import People, among
from storage.models import Ask, Referral, SeenRequest, UserProfile

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
    ``scoped``.
    """

    def __init__(self, build: Callable[[Callable[..., sa.ColumnElement[bool]]], Any]) -> None:
        self._build = build
        self._shapes: dict[bool, Any] = {}

    def run(self, session: Session, workspace: Workspace, **params: Any) -> Any:
        grid = workspace.enterprise_id is not None
        statement = self._shapes.get(grid)
        if statement is None:
            statement = self._shapes[grid] = self._build(
                lambda model: sa.and_(model.team_id == sa.bindparam("team_id"),
                                      model.enterprise_id == sa.bindparam("enterprise_id")) if grid
                else sa.and_(model.team_id == sa.bindparam("team_id"), col(model.enterprise_id).is_(None)))
        bound = {"team_id": workspace.team_id, **({"enterprise_id": workspace.enterprise_id} if grid else {}), **params}
        return session.exec(statement, params=bound)  # type: ignore[call-overload]


# --- profiles -------------------------------------------------------------------------------------

_PROFILE = Prebuilt(lambda in_workspace: select(UserProfile).where(
    in_workspace(UserProfile), UserProfile.user_id == sa.bindparam("user_id")))


def get_profile(*, session: Session, workspace: Workspace, user_id: str) -> UserProfile | None:
    return _PROFILE.run(session, workspace, user_id=user_id).first()


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


def remember_request(*, session: Session, key: str, now: datetime, keep_for: timedelta) -> bool:
    """True the first time this signed request is seen; False for a replay. Inserted in the action's own
    transaction, so the request and what it stores commit together; a replica racing on the same key
    waits on the unique index and then finds the row (ON CONFLICT DO NOTHING inserts nothing).
    Rows past ``keep_for`` are pruned at most once a minute per process."""
    dialect = session.get_bind().dialect.name
    statement = _REMEMBER.get(dialect)
    if statement is None:
        insert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(SeenRequest)
        received_at = sa.bindparam("received_at", type_=SeenRequest.__table__.c.received_at.type)
        statement = _REMEMBER[dialect] = insert.values(
            signature=sa.bindparam("signature"), received_at=received_at,
        ).on_conflict_do_nothing(index_elements=["signature"]).returning(SeenRequest.id)
    inserted = session.exec(statement, params={"signature": key, "received_at": now}).first()  # type: ignore[call-overload]
    if _prune_due(now):
        session.exec(sa.delete(SeenRequest).where(col(SeenRequest.received_at) < now - keep_for))  # type: ignore[call-overload]
    return inserted is not None


_REMEMBER: dict[str, Any] = {}  # the insert, built once per dialect
_last_prune: list[datetime] = []


def _prune_due(now: datetime) -> bool:
    if _last_prune and timedelta(0) <= now - _last_prune[0] < timedelta(minutes=1):
        return False
    _last_prune[:] = [now]
    return True


# --- asks -----------------------------------------------------------------------------------------

def _ask_dedupe_key(*, asked_user_id: str | None, asked_name: str, for_whom: str | None, asked_on: date,
                    bucket: int) -> str:
    identity = "\x1f".join((asked_user_id or "", asked_name.casefold(), (for_whom or "").casefold(),
                            asked_on.isoformat(), str(bucket)))
    return hashlib.sha256(identity.encode()).hexdigest()


_SAME_ASK_JUST_NOW = Prebuilt(lambda in_workspace: select(Ask).where(
    in_workspace(Ask), Ask.rep_user_id == sa.bindparam("rep_user_id"),
    sa.or_(Ask.dedupe_key == sa.bindparam("key"), Ask.dedupe_key == sa.bindparam("previous"))))


def add_ask(
    *, session: Session, workspace: Workspace, rep_user_id: str, asked_user_id: str | None, asked_name: str,
    for_whom: str | None, asked_on: date, now: datetime,
) -> tuple[Ask, bool]:
    """Insert an ask, or return the identical one logged seconds ago. Returns (ask, created).

    The unique dedupe key catches two identical commands racing within one
    window; the look-back into the previous window catches a pair straddling it.
    """
    bucket = int(now.timestamp()) // DUPLICATE_WINDOW_SECONDS
    keys = [
        _ask_dedupe_key(asked_user_id=asked_user_id, asked_name=asked_name, for_whom=for_whom, asked_on=asked_on,
                        bucket=b)
        for b in (bucket, bucket - 1)
    ]
    existing = _SAME_ASK_JUST_NOW.run(session, workspace, rep_user_id=rep_user_id, key=keys[0], previous=keys[1]).first()
    if existing is not None:
        return existing, False
    ask = Ask(
        team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, rep_user_id=rep_user_id,
        asked_user_id=asked_user_id, asked_name=asked_name, for_whom=for_whom, asked_on=asked_on,
        outcome=AskOutcome.PENDING, dedupe_key=keys[0], created_at=now,
    )
    session.add(ask)
    session.flush()
    return ask, True


def _earlier_ask(same_person: sa.ColumnElement[bool]) -> Prebuilt:
    return Prebuilt(lambda in_workspace: select(Ask).where(
        in_workspace(Ask), Ask.rep_user_id == sa.bindparam("rep_user_id"), Ask.asked_on == sa.bindparam("asked_on"),
        col(Ask.id) < sa.bindparam("before_id"), same_person).order_by(col(Ask.id)).limit(1))


_EARLIER_ASK_OF_USER = _earlier_ask(Ask.asked_user_id == sa.bindparam("asked_user_id"))
_EARLIER_ASK_OF_NAME = _earlier_ask(sa.and_(col(Ask.asked_user_id).is_(None),
                                            sa.func.lower(Ask.asked_name) == sa.bindparam("asked_name")))


def find_earlier_ask_that_day(
    *, session: Session, workspace: Workspace, rep_user_id: str, asked_user_id: str | None, asked_name: str,
    asked_on: date, before_id: int,
) -> Ask | None:
    """The rep's earlier ask of the same person on the same day, if any (ix_ask_rep_date serves it)."""
    if asked_user_id:
        return _EARLIER_ASK_OF_USER.run(session, workspace, rep_user_id=rep_user_id, asked_on=asked_on,
                                        before_id=before_id, asked_user_id=asked_user_id).first()
    return _EARLIER_ASK_OF_NAME.run(session, workspace, rep_user_id=rep_user_id, asked_on=asked_on,
                                    before_id=before_id, asked_name=asked_name.lower()).first()


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


# --- counts ---------------------------------------------------------------------------------------

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


_ASKS_OF_REP_BETWEEN = Prebuilt(lambda in_workspace: select(sa.func.count()).select_from(Ask).where(
    in_workspace(Ask), Ask.rep_user_id == sa.bindparam("rep_user_id"), Ask.asked_on >= sa.bindparam("start"),
    Ask.asked_on <= sa.bindparam("end")))


def count_asks(*, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], start: date, end: date) -> int:
    """Asks of these reps made between start and end (inclusive): one statement, served by ix_ask_rep_date."""
    reps = list(rep_user_ids)
    if len(reps) == 1:  # a rep's own week: every /asked
        return _ASKS_OF_REP_BETWEEN.run(session, workspace, rep_user_id=reps[0], start=start, end=end).one()
    return session.exec(
        select(sa.func.count()).select_from(Ask)
        .where(scoped(Ask, workspace), col(Ask.rep_user_id).in_(reps), Ask.asked_on >= start,
               Ask.asked_on <= end)
    ).one()


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


def list_unthanked_referrals(
    *, session: Session, workspace: Workspace, rep_user_ids: People, introduced_before: date, since: date,
) -> Sequence[sa.Row]:
    """Introductions between ``since`` and ``introduced_before`` whose referrer was never thanked: the columns
    the digest shows (rep, number, prospect, referrer, introduced on), not whole rows."""
    return session.connection().execute(
        select(Referral.rep_user_id, Referral.number, Referral.prospect_name, Referral.referrer_name,
               Referral.introduced_on)
        .where(scoped(Referral, workspace), among(Referral.rep_user_id, rep_user_ids),
               col(Referral.thanked_on).is_(None), Referral.introduced_on < introduced_before,
               Referral.introduced_on >= since)
        .order_by(col(Referral.introduced_on), col(Referral.id))  # ties in a stable order, whatever the plan
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
