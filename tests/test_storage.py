"""Storage on both databases: migrations match the models, workspaces never mix, SQLite is configured."""
from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from domain.funnel import Workspace
from storage.engine import session_scope
from storage.queries import add_ask, add_referral, find_referrals_by_prospect
from storage.report_queries import count_kpis, list_asks

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_migrations_create_exactly_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_sqlite_runs_in_wal_with_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_workspaces_never_mix(engine):
    acme, globex = Workspace("T0ACME"), Workspace("T0GLOBEX")
    # Slack team IDs are unique across Enterprise Grid; the enterprise ID narrows further.
    grid = Workspace("T0GRID", enterprise_id="E0GRID")
    with session_scope(engine) as session:
        for workspace in (acme, globex, grid):
            add_ask(session=session, workspace=workspace, rep_user_id="U0REP1", asked_user_id=None,
                    asked_name=f"Jane at {workspace.team_id}", for_whom=None, asked_on=date(2026, 11, 20), now=NOW)
            add_referral(session=session, workspace=workspace, rep_user_id="U0REP1", prospect_name="Bob",
                         referrer_user_id=None, referrer_name="Jane", ask_id=None, introduced_on=date(2026, 11, 20),
                         now=NOW)
    with session_scope(engine) as session:
        for workspace in (acme, globex, grid):
            assert len(list_asks(session=session, workspace=workspace)) == 1
            counts = count_kpis(session=session, workspace=workspace, rep_user_ids=["U0REP1"],
                                start=date(2026, 11, 16), end=date(2026, 11, 22))
            assert (counts.asks, counts.referrals) == (1, 1)
            [bob] = find_referrals_by_prospect(session=session, workspace=workspace, rep_user_id="U0REP1",
                                               fragment="bo")
            assert bob.number == 1 and bob.team_id == workspace.team_id
            assert bob.enterprise_id == workspace.enterprise_id
        assert list_asks(session=session, workspace=Workspace("T0GRID")) == []
        assert list_asks(session=session, workspace=Workspace("T0ACME", enterprise_id="E0GRID")) == []


def test_like_wildcards_in_a_reference_match_literally(engine):
    workspace = Workspace("T0ACME")
    with session_scope(engine) as session:
        for name in ("Bob_Smith", "Bob Smith", "100% Corp"):
            add_referral(session=session, workspace=workspace, rep_user_id="U0REP1", prospect_name=name,
                         referrer_user_id=None, referrer_name="Jane", ask_id=None, introduced_on=date(2026, 11, 20),
                         now=NOW)
    with session_scope(engine) as session:
        def names(fragment: str) -> list[str]:
            return sorted(r.prospect_name for r in find_referrals_by_prospect(
                session=session, workspace=workspace, rep_user_id="U0REP1", fragment=fragment))

        assert names("b_s") == ["Bob_Smith"]
        assert names("%") == ["100% Corp"]


def test_timestamps_come_back_aware_in_utc(engine):
    workspace = Workspace("T0ACME")
    with session_scope(engine) as session:
        add_ask(session=session, workspace=workspace, rep_user_id="U0REP1", asked_user_id=None,
                asked_name="Jane", for_whom=None, asked_on=date(2026, 11, 20), now=NOW)
    with session_scope(engine) as session:
        [stored] = list_asks(session=session, workspace=workspace)
        assert stored.created_at == NOW and stored.created_at.tzinfo is not None
    assert isinstance(engine, sa.Engine)
