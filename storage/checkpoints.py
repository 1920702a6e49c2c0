"""WAL checkpoints on a thread of their own, for a long-running SQLite process (``serve``, ``worker``).

By default SQLite checkpoints inside whichever commit pushes the write-ahead log past 1,000 pages:
that commit copies the log into the database file and syncs both (with ``synchronous=NORMAL`` it is the
only write that waits for the disk), so one ack in a few hundred took tens to hundreds of milliseconds
instead of a few. A long-running process turns that off (``wal_autocheckpoint=0`` on each of its
connections) and checkpoints here instead, once a second, PASSIVE: it copies what no reader still needs
and never waits for, nor blocks, a writer or a reader. The log file stops growing once the
checkpoint catches up (a writer then starts it again from the top), so it stays at about a second's
writes. Short commands (import, export, doctor) keep SQLite's default; so does every process that does
not call ``start_checkpoints``. When the last connection closes, SQLite checkpoints the rest itself.
"""
from __future__ import annotations

import logging
import threading
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0


class Checkpoint(NamedTuple):
    busy: bool  # some reader or writer kept part of the log from being copied (retried next time)
    log_frames: int  # frames in the log
    checkpointed_frames: int  # of which now copied into the database file


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``every`` seconds until ``stop``."""

    def __init__(self, engine: sa.Engine, *, every: float = CHECKPOINT_EVERY_SECONDS) -> None:
        self._engine = engine
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sqlite-checkpoints", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def run_once(self) -> Checkpoint:
        # The driver's own connection, in autocommit: a checkpoint cannot run inside the BEGIN IMMEDIATE
        # that SQLAlchemy's connection would open, and must not hold the write lock anyway.
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            busy, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cursor.close()
        finally:
            connection.close()
        return Checkpoint(bool(busy), frames, copied)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self.run_once()
            except Exception as error:  # noqa: BLE001 - a failed checkpoint is retried; health reports a sick file
                log.warning("WAL checkpoint failed: %s", type(error).__name__)


def start_checkpoints(engine: sa.Engine, *, every: float = CHECKPOINT_EVERY_SECONDS) -> Checkpointer | None:
    """SQLite: from now on this engine's connections never checkpoint on commit, and a thread does it
    every ``every`` seconds. None for other databases (PostgreSQL has its own checkpointer)."""
    if engine.dialect.name != "sqlite":
        return None

    @event.listens_for(engine, "connect")
    def _no_checkpoint_on_commit(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    # Connections opened before (the start-up checks) go, so that every pooled connection has the setting.
    engine.dispose()
    return Checkpointer(engine, every=every).start()
