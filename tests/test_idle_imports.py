"""What the long-running ``serve`` process doesn't load, because its idle memory is measured against a bare
Bolt app (``bench/memory.py``): the other subcommands' modules, alembic and SQLAlchemy's PostgreSQL dialect on
a SQLite database never; dateparser only when the first date in words is typed (``domain/dates.py``)."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_serves_modules_and_a_replay_check_on_sqlite_load_none_of_them_and_dateparser_comes_with_a_date(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from datetime import date, datetime, UTC, timedelta
        import bot.app, bot.scheduler, bot.serve, bot.server
        from domain.dates import parse_date_phrase
        from storage.engine import create_db_engine, session_scope
        from storage.replays import remember_request
        from storage.models import SQLModel

        engine = create_db_engine("sqlite:///{tmp_path}/idle.db")
        SQLModel.metadata.create_all(engine)
        with session_scope(engine) as session:
            assert remember_request(session=session, key="k", now=datetime.now(UTC), keep_for=timedelta(days=1))
        loaded = sorted(name for name in sys.modules if name.startswith((
            "dateparser", "sqlalchemy.dialects.postgresql", "bot.ops_commands", "bot.data_commands", "alembic")))
        assert loaded == [], loaded
        assert parse_date_phrase("2026-11-20", today=date(2026, 12, 1)) == date(2026, 11, 20)
        assert not any(name.startswith("dateparser") for name in sys.modules)  # ISO dates need no library
        assert parse_date_phrase("last friday", today=date(2026, 12, 1)) == date(2026, 11, 27)
        assert "dateparser" in sys.modules  # words are read by dateparser, loaded on first use
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
