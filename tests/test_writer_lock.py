"""Processes sharing one SQLite file queue for its writes on the writer lock (storage/engine.py ``WriterLock``),
not on SQLite's busy handler: a writer waits for as long as another process writes, then goes on."""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage.engine as engine_module
from domain.funnel import Workspace
from storage.engine import WriterLock, create_db_engine, session_scope, writer_lock_path
from storage.migrate import upgrade_schema
from storage.queries import add_ask

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = Workspace("T0001")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

# Another process: writes one ask, says so, and commits only when told to.
HOLDER = """
import sys
from datetime import UTC, datetime
from domain.funnel import Workspace
from storage.engine import create_db_engine, session_scope
from storage.queries import add_ask

engine = create_db_engine(sys.argv[1])
with session_scope(engine) as session:
    add_ask(session=session, workspace=Workspace("T0001"), rep_user_id="U0OTHER", asked_user_id=None,
            asked_name="From the other process", for_whom=None, asked_on=datetime(2026, 11, 30).date(),
            now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    print("holding", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


def names(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.exec_driver_sql("SELECT asked_name FROM ask").scalars())


def test_a_writer_waits_for_another_process_beyond_the_busy_timeout(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade_schema(create_db_engine(url))
    # SQLite's own wait is now a tenth of a second: only the writer lock can make this writer wait longer.
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    engine = create_db_engine(url)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        # The other process holds the lock file: a non-blocking attempt from here is refused.
        probe = os.open(writer_lock_path(engine), os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(probe)

        outcome: list[object] = []

        def write() -> None:
            try:
                with session_scope(engine) as session:
                    add_ask(session=session, workspace=WORKSPACE, rep_user_id="U0HERE", asked_user_id=None,
                            asked_name="From this process", for_whom=None, asked_on=NOW.date(), now=NOW)
                outcome.append("stored")
            except Exception as error:  # noqa: BLE001 - the test reports it
                outcome.append(error)

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(1.0)  # ten busy timeouts: a writer on SQLite's busy handler alone would have failed by now
        assert writer.is_alive() and not outcome, outcome
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "committed"
        writer.join(30)
        assert outcome == ["stored"]
    finally:
        holder.kill()
        holder.wait()
    assert names(engine) == ["From the other process", "From this process"]


def test_without_a_lock_file_the_lock_still_queues_this_process(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        lock = WriterLock(str(tmp_path / "missing-directory" / "db-writer.lock"))
    assert not lock.shared_between_processes
    assert "no writer lock file" in caplog.text
    with lock, lock:  # reentrant in one thread
        pass
    # Released fully: another thread takes it.
    taken = threading.Event()

    def take() -> None:
        with lock:
            taken.set()

    other = threading.Thread(target=take)
    other.start()
    other.join(10)
    assert taken.is_set()


def test_only_sqlite_files_have_a_lock_file(tmp_path):
    assert writer_lock_path(sa.create_engine("sqlite://")) is None
    assert writer_lock_path(sa.create_engine("sqlite:///:memory:")) is None
    assert writer_lock_path(sa.create_engine("postgresql+psycopg://u@h/db")) is None
    assert writer_lock_path(sa.create_engine(f"sqlite:///{tmp_path}/x.db")) == f"{tmp_path}/x.db-writer.lock"
