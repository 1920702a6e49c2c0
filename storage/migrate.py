"""Schema migrations through Alembic, driven from code so that ``referral-bot db
upgrade`` and ``serve`` need no alembic.ini next to the working directory.

Several replicas may start at once: on PostgreSQL the upgrade runs under a
session advisory lock, so one replica migrates while the others wait and then
find nothing left to do. (SQLite serves one machine; its write lock and
``BEGIN IMMEDIATE`` already serialize writers.)"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # env.py reuses this engine (and its SQLite pragmas) instead of building one from a URL.
    config.attributes["engine"] = engine
    return config


# Any fixed 64-bit number, the same in every replica: "Referral Nudge migrations".
MIGRATION_LOCK_KEY = 7_205_846_113_902_001


def upgrade_schema(engine: sa.Engine, revision: str = "head") -> None:
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def migration_lock(engine: sa.Engine) -> Iterator[None]:
    """Held on a connection of its own for the whole upgrade; released even when the upgrade fails."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: sa.Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
