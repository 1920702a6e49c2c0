"""Is the database really there and really taking writes? For /healthz, ``doctor`` and every commit.

A SQLite file can be deleted, replaced or made read-only under a running
process, and its open connections keep writing happily: to the unlinked inode
(gone at the next restart) or through a descriptor opened before the chmod.
So the file's identity (device, inode) is recorded when the app starts and
compared before every commit (a ``stat``, microseconds); a mismatch refuses the
commit, so nothing is confirmed to a rep and then lost. The readiness probe
goes further: it writes a heartbeat row on a fresh connection with a short
busy timeout, so a held write lock makes it answer 503 in seconds instead of
hanging. PostgreSQL gets the same write through a probe engine with a connect
timeout and a statement timeout.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

PROBE_TIMEOUT_SECONDS = 2.0
HEARTBEAT_ID = 1
_UPSERT = ("INSERT INTO heartbeat (id, beat_at) VALUES ({id}, {at}) "
           "ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at")


class DatabaseUnavailable(Exception):
    """The database can't safely take this write; nothing was stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str  # "writable", or what is wrong and what to do


def sqlite_path(engine: sa.Engine) -> Path | None:
    """The file behind a SQLite engine, or None (PostgreSQL, in-memory SQLite)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _file_problem(path: Path, expected: tuple[int, int] | None) -> str | None:
    """What is wrong with the SQLite file, in words an operator can act on; None when it is fine."""
    now = _identity(path)
    if now is None:
        return f"the SQLite file {path.name} was deleted; restore it and restart the bot"
    if expected is not None and now != expected:
        return f"the SQLite file {path.name} was replaced since start; restart the bot to use the new file"
    # The mode bits too: root passes os.access on a chmod 444 file, but the operator meant "read-only".
    if (not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
            or not stat.S_IMODE(path.stat().st_mode) & 0o222):
        return f"the SQLite file {path.name} (or its folder) is read-only; make it writable by the bot's user"
    return None


class DatabaseHealth:
    """The readiness check for one engine. Create it when the app starts (it records the file's identity)."""

    def __init__(self, engine: sa.Engine, *, timeout: float = PROBE_TIMEOUT_SECONDS):
        self.engine, self.timeout = engine, timeout
        self.path = sqlite_path(engine)
        self.identity = _identity(self.path) if self.path else None
        self._probe_engine: sa.Engine | None = None
        self._lock = threading.Lock()

    def file_problem(self) -> str | None:
        return _file_problem(self.path, self.identity) if self.path else None

    def check(self) -> Health:
        problem = self.file_problem()
        if problem:
            return Health(False, problem)
        try:
            if self.path is not None:
                self._write_sqlite(self.path)
            else:
                self._write_server()
        except Exception as error:  # noqa: BLE001 - any failure is "not ready"; the reason is what we show
            return Health(False, describe_failure(error))
        return Health(True, "writable")

    def _write_sqlite(self, path: Path) -> None:
        # A fresh connection, never one from the pool: mode=rw refuses to create a missing file, and a
        # short busy timeout turns a held write lock into an answer instead of a hang.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=self.timeout,
                                     isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(_UPSERT.format(id=HEARTBEAT_ID, at="?"), (datetime.now(UTC).isoformat(" "),))
            connection.execute("COMMIT")
        finally:
            connection.close()

    def _write_server(self) -> None:
        with self._lock:
            if self._probe_engine is None:
                self._probe_engine = sa.create_engine(
                    self.engine.url, poolclass=sa.pool.NullPool,
                    connect_args={"connect_timeout": max(1, int(self.timeout))})
        millis = int(self.timeout * 1000)
        with self._probe_engine.begin() as connection:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {millis}")
            connection.execute(sa.text(_UPSERT.format(id=HEARTBEAT_ID, at=":at")), {"at": datetime.now(UTC)})

    def dispose(self) -> None:
        if self._probe_engine is not None:
            self._probe_engine.dispose()


def describe_failure(error: BaseException) -> str:
    """A database error as one line an operator can act on; never the URL (it may hold a password)."""
    if isinstance(error, DatabaseUnavailable):
        return error.reason
    text = str(getattr(error, "orig", None) or error).lower()
    if "no such table" in text or "does not exist" in text and "relation" in text or "undefinedtable" in text:
        return "the database is not migrated; run referral-bot db upgrade"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; make it writable by the bot's user"
    if "locked" in text or "timeout" in text or "canceling statement" in text:
        return f"the database did not take a write within {PROBE_TIMEOUT_SECONDS:g} s (a held lock?)"
    if "unable to open" in text:
        return "the SQLite file can't be opened; check the path and its folder"
    if "connection" in text or "could not" in text or "refused" in text or "resolve" in text:
        return "the database server is unreachable; check DATABASE_URL and that the server is up"
    return f"the database refused a write ({type(error).__name__})"


def is_database_failure(error: BaseException) -> str | None:
    """The operator-facing reason when ``error`` means the database can't take work (gone, read-only,
    unreachable, locked past the timeout); None for anything else (a bug, a Slack error)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, DatabaseUnavailable):
        return error.reason
    if isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return describe_failure(error)
    if isinstance(error, sqlite3.OperationalError):
        return describe_failure(error)
    return None


def guard_commits(engine: sa.Engine) -> DatabaseHealth:
    """Refuse any commit to a SQLite file that is no longer the one opened at start, or is read-only.

    Idempotent per engine. Returns the engine's DatabaseHealth (the identity recorded now).
    """
    existing = engine.__dict__.get("_referral_health")
    if existing is not None:
        return existing
    health = DatabaseHealth(engine)
    engine.__dict__["_referral_health"] = health
    if health.path is None:
        return health

    @event.listens_for(engine, "do_connect")
    def _refuse_to_create_a_new_file(_dialect, _record, _cargs, _cparams) -> None:  # noqa: ANN001
        # SQLite creates a missing file on connect: a pool connection opened after the file was deleted
        # would start an empty database in its place.
        problem = health.file_problem()
        if problem:
            raise DatabaseUnavailable(problem)

    @event.listens_for(engine, "commit")
    def _check_file_before_commit(_connection) -> None:  # noqa: ANN001
        problem = health.file_problem()
        if problem:
            raise DatabaseUnavailable(problem)

    return health
