"""storage/statements.py runs the hot statements below SQLAlchemy's execution layer. Each test here runs a
statement both ways, on SQLite and on PostgreSQL, and compares: the rows (values, types and names), what is
stored, the cursor events that statement counting relies on, and the errors that transactions retry on."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from domain.funnel import Workspace
from storage.engine import session_scope
from storage.models import Ask, TeamMember, UserProfile
from storage.queries import add_ask, save_profile
from storage.statements import Statement
from storage.team_queries import add_member, add_team

WORKSPACE = Workspace("T0STATEMENTS")
FETCHED = datetime(2026, 11, 20, 20, 0, 1, 250_000, tzinfo=UTC)
_PROFILE = UserProfile.__table__.c
_ASK = Ask.__table__.c
_MEMBER = TeamMember.__table__.c


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    with session_scope(engine) as session:
        save_profile(session=session, workspace=WORKSPACE, user_id="U0ONE", timezone="America/New_York",
                     is_admin=True, real_name="Ada", fetched_at=FETCHED)
        save_profile(session=session, workspace=WORKSPACE, user_id="U0TWO", timezone=None, is_admin=False,
                     real_name=None, fetched_at=FETCHED)
        for n, team_name in enumerate(("east", "west")):
            team = add_team(session=session, workspace=WORKSPACE, name=team_name, now=FETCHED)
            add_member(session=session, team=team, user_id=f"U0REP{n}", role="rep")
            for day in (2, 3, 4):
                add_ask(session=session, workspace=WORKSPACE, rep_user_id=f"U0REP{n}", asked_user_id=None,
                        asked_name=f"Person {day}", for_whom=None, asked_on=date(2026, 11, day),
                        now=datetime(2026, 11, day, 15, n, tzinfo=UTC))
    return engine


def both_ways(engine: sa.Engine, statement: object, values: dict) -> tuple[list, list]:
    """(rows below SQLAlchemy, rows through SQLAlchemy), each in a transaction of its own, rolled back."""
    with Session(engine) as session:
        fast = Statement(statement).run(session, values).all()
        session.rollback()
    with Session(engine) as session:
        usual = session.connection().execute(statement, values).all()
        session.rollback()
    return fast, usual


def test_rows_match_sqlalchemy_in_values_types_and_names(seeded: sa.Engine) -> None:
    statement = sa.select(_PROFILE.user_id, _PROFILE.timezone, _PROFILE.is_admin, _PROFILE.fetched_at,
                          sa.literal(1).label("just_now")).where(
        _PROFILE.team_id == sa.bindparam("team_id"), _PROFILE.enterprise_id.is_(None),
    ).order_by(_PROFILE.user_id)
    fast, usual = both_ways(seeded, statement, {"team_id": WORKSPACE.team_id})
    assert [tuple(row) for row in fast] == [tuple(row) for row in usual] == [
        ("U0ONE", "America/New_York", True, FETCHED, 1), ("U0TWO", None, False, FETCHED, 1)]
    assert fast[0]._fields == usual[0]._fields == ("user_id", "timezone", "is_admin", "fetched_at", "just_now")
    assert [type(value) for value in fast[0]] == [type(value) for value in usual[0]]
    assert fast[0].fetched_at.tzinfo is not None


def test_a_bound_list_and_dates_match(seeded: sa.Engine) -> None:
    teammates = sa.select(_MEMBER.user_id).where(_MEMBER.sales_team_id.in_(sa.bindparam("team_ids", expanding=True)),
                                                 _MEMBER.role == "rep")
    statement = sa.select(_ASK.rep_user_id, _ASK.asked_on, sa.func.count().label("asks")).where(
        _ASK.team_id == sa.bindparam("team_id"), _ASK.asked_on >= sa.bindparam("since"), _ASK.rep_user_id.in_(teammates),
    ).group_by(_ASK.rep_user_id, _ASK.asked_on).order_by(_ASK.rep_user_id, _ASK.asked_on)
    with Session(seeded) as session:
        team_ids = list(session.execute(sa.select(_MEMBER.sales_team_id).order_by(_MEMBER.sales_team_id)).scalars())
    for ids in (team_ids, team_ids[:1], []):  # both teams, one, none (SQLAlchemy's empty-list form)
        fast, usual = both_ways(seeded, statement, {"team_id": WORKSPACE.team_id, "since": date(2026, 11, 3),
                                                    "team_ids": ids})
        assert [tuple(row) for row in fast] == [tuple(row) for row in usual]
        assert len(fast) == 2 * len(ids)
    assert fast == [] and usual == []
    fast, _ = both_ways(seeded, statement, {"team_id": WORKSPACE.team_id, "since": date(2026, 11, 3),
                                            "team_ids": team_ids})
    assert fast[0].asked_on == date(2026, 11, 3) and fast[0].asks == 1


@pytest.mark.parametrize("bound", [
    ("team_id", "enterprise_id", "user_id", "timezone", "is_admin", "real_name", "fetched_at", "deleted"),
    # "deleted" left to its default, computed in Python by SQLAlchemy: this one runs through SQLAlchemy
    ("team_id", "enterprise_id", "user_id", "timezone", "is_admin", "real_name", "fetched_at"),
], ids=["every column bound", "a default left to SQLAlchemy"])
def test_an_insert_stores_what_sqlalchemy_would_store(seeded: sa.Engine, bound: tuple[str, ...]) -> None:
    insert = sa.insert(UserProfile.__table__).values({name: sa.bindparam(name) for name in bound}).returning(
        _PROFILE.id)
    values = dict(team_id=WORKSPACE.team_id, enterprise_id="E0GRID", user_id="U0NEW", timezone="Asia/Tokyo",
                  is_admin=True, real_name="Grace", fetched_at=FETCHED, deleted=False)
    with Session(seeded) as session:
        new_id = Statement(insert).run(session, {name: values[name] for name in bound}).scalar_one()
        session.commit()
    with Session(seeded) as session:
        stored = session.get(UserProfile, new_id)
        assert (stored.enterprise_id, stored.user_id, stored.timezone, stored.is_admin, stored.fetched_at,
                stored.deleted) == ("E0GRID", "U0NEW", "Asia/Tokyo", True, FETCHED, False)
        # stored in SQLAlchemy's own format: a comparison written through the ORM finds it
        assert session.execute(sa.select(sa.func.count()).select_from(UserProfile).where(
            UserProfile.fetched_at == FETCHED)).scalar_one() == 3


def test_an_update_of_a_bound_list_changes_the_same_rows(seeded: sa.Engine) -> None:
    """A bound list in an UPDATE: expanded here on SQLite, left to SQLAlchemy on PostgreSQL; no rows either way."""
    with Session(seeded) as session:
        ids = list(session.execute(sa.select(_ASK.id).order_by(_ASK.id)).scalars())
    update = sa.update(Ask.__table__).where(_ASK.id.in_(sa.bindparam("ids", expanding=True))).values(
        outcome="introduced", outcome_on=sa.bindparam("on", type_=_ASK.outcome_on.type))
    with Session(seeded) as session:
        assert Statement(update).run(session, {"ids": ids[:2], "on": date(2026, 11, 5)}).all() == []
        session.commit()
    with Session(seeded) as session:
        changed = session.execute(sa.select(_ASK.id, _ASK.outcome, _ASK.outcome_on).where(
            _ASK.outcome == "introduced").order_by(_ASK.id)).all()
    assert [tuple(row) for row in changed] == [(ids[0], "introduced", date(2026, 11, 5)),
                                               (ids[1], "introduced", date(2026, 11, 5))]


def test_cursor_listeners_see_each_statement_once(seeded: sa.Engine) -> None:
    seen: list[tuple[str, object]] = []

    def record(_connection, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    statement = sa.select(_PROFILE.timezone).where(_PROFILE.user_id == sa.bindparam("user_id"))
    event.listen(seeded, "before_cursor_execute", record)
    try:
        with session_scope(seeded) as session:
            assert Statement(statement).run(session, {"user_id": "U0ONE"}).scalar() == "America/New_York"
    finally:
        event.remove(seeded, "before_cursor_execute", record)
    selects = [entry for entry in seen if entry[0].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert "U0ONE" in (selects[0][1].values() if isinstance(selects[0][1], dict) else selects[0][1])


def test_errors_are_wrapped_as_sqlalchemy_wraps_them(seeded: sa.Engine) -> None:
    """An IntegrityError is what run_in_transaction retries on; a raw driver error would escape it."""
    insert = sa.insert(TeamMember.__table__).values(sales_team_id=sa.bindparam("team"), user_id="U0REP0", role="rep")
    with Session(seeded) as session:
        team_id = session.execute(sa.select(_MEMBER.sales_team_id).where(_MEMBER.user_id == "U0REP0")).scalar_one()
        with pytest.raises(sa.exc.IntegrityError):
            Statement(insert).run(session, {"team": team_id})


def test_a_missing_value_is_refused_before_the_database(seeded: sa.Engine) -> None:
    statement = sa.select(_PROFILE.timezone).where(_PROFILE.user_id == sa.bindparam("user_id"))
    with Session(seeded) as session, pytest.raises(sa.exc.ArgumentError, match="user_id"):
        Statement(statement).run(session, {})


def test_rows_answer_as_sqlalchemy_results_do(seeded: sa.Engine) -> None:
    statement = sa.select(_PROFILE.user_id).where(_PROFILE.team_id == sa.bindparam("team_id")).order_by(_PROFILE.user_id)
    with Session(seeded) as session:
        rows = Statement(statement).run(session, {"team_id": WORKSPACE.team_id})
        assert rows.first() == ("U0ONE",) and rows.scalar() == "U0ONE"
        with pytest.raises(sa.exc.MultipleResultsFound):
            rows.one()
        none = Statement(statement).run(session, {"team_id": "T0NOBODY"})
        assert none.first() is None and none.scalar() is None
        with pytest.raises(sa.exc.NoResultFound):
            none.scalar_one()
