"""WAL checkpoints run on their own thread in serve and worker, never inside a commit (storage/checkpoints.py)."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.checkpoints import start_checkpoints
from storage.engine import create_db_engine

COMMITS = 1_500  # each writes at least one 4 KB page: past SQLite's 1,000-page automatic checkpoint
NEVER = 3_600.0  # the thread's period in these tests: they call run_once themselves


def _commit_many(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (body TEXT)")
    for n in range(COMMITS):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO filler (body) VALUES (?)", (f"{n:04d}" * 1_000,))


def _log_frames(engine: sa.Engine) -> int:
    """Frames in the write-ahead log, read with a checkpoint that copies nothing (NOOP)."""
    connection = engine.raw_connection()
    try:
        return connection.cursor().execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1]
    finally:
        connection.close()


def test_by_default_a_commit_checkpoints_once_the_log_passes_1000_pages(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'default.db'}")
    _commit_many(engine)
    # Some commit copied the log into the database and the log started again from the top.
    assert _log_frames(engine) < 1_000
    engine.dispose()


def test_with_background_checkpoints_no_commit_checkpoints_and_the_thread_catches_up(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'serve.db'}")
    checkpointer = start_checkpoints(engine, every=NEVER)
    try:
        _commit_many(engine)
        assert _log_frames(engine) >= COMMITS  # no commit copied the log: every frame is still there

        done = checkpointer.run_once()
        assert not done.busy
        assert done.checkpointed_frames == done.log_frames >= COMMITS

        with engine.begin() as connection:  # the next writer starts the log again from the top
            connection.exec_driver_sql("INSERT INTO filler (body) VALUES ('after')")
        assert _log_frames(engine) < 10
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM filler").scalar_one() == COMMITS + 1
    finally:
        checkpointer.stop()
        engine.dispose()


def test_every_pooled_connection_has_checkpoints_off_even_one_opened_before(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'early.db'}")
    with engine.connect() as connection:  # the start-up checks open a connection first
        connection.exec_driver_sql("SELECT 1")
    checkpointer = start_checkpoints(engine, every=NEVER)
    try:
        connections = [engine.raw_connection() for _ in range(3)]  # three at once: three pooled connections
        try:
            settings = [c.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0] for c in connections]
            assert settings == [0, 0, 0]
        finally:
            for connection in connections:
                connection.close()
    finally:
        checkpointer.stop()
        engine.dispose()


def test_postgresql_keeps_its_own_checkpointer() -> None:
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert start_checkpoints(engine) is None
    engine.dispose()
