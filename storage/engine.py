"""Database engine and transactions.

SQLite is the embedded default: WAL so readers never block the writer, a busy
timeout so concurrent writers wait instead of failing, foreign keys on, and
``BEGIN IMMEDIATE`` for write transactions so they take the write lock up front
(a deferred transaction that reads and then writes can fail with "database is
locked" when another writer got in between; the busy timeout cannot save it).
Reads (``read_scope``) begin a plain deferred transaction instead: under WAL they
see one consistent snapshot and never queue for the write lock, so a Home refresh
or a count never waits behind a writer (nor makes one wait).
PostgreSQL needs none of that; its reads are marked READ ONLY. Writes are short; no Slack call is ever made
while a transaction is open (services fetch from Slack first, then write).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from storage.replays import release, take_signed_request
from storage.statements import execute_on_cursor

log = logging.getLogger(__name__)
T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Execution option that makes a SQLite connection begin a deferred (read) transaction.
READ_ONLY_OPTION = "referral_read_only"


def create_db_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            # Autocommit at the driver level; transactions are begun explicitly below.
            connect_args={"isolation_level": None, "check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=8,
            max_overflow=16,
            # The connection used last: its page cache is still valid after its own commit, where a
            # first-in-first-out pool rotated connections whose caches other commits had emptied (about 100
            # page reads from the file per /asked; bench/ack.py under strace).
            pool_use_lifo=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # noqa: ANN001
            read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
            # On the cursor (storage/statements.py): through exec_driver_sql, SQLAlchemy's execution context
            # for this one word cost as much as all of SQLite's work in a /asked.
            execute_on_cursor(connection, "BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _read_only_engine(engine: sa.Engine) -> sa.Engine:
    """The same pool, with connections that begin read-only transactions (see the module docstring)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READ_ONLY_OPTION: True})
    if engine.dialect.name == "postgresql":
        return engine.execution_options(postgresql_readonly=True)
    return engine


@contextmanager
def read_scope(engine: sa.Engine) -> Iterator[Session]:
    """One read-only transaction: a consistent snapshot that never takes SQLite's write lock.

    Nothing is committed; writing through this session fails on SQLite's deferred transaction
    only if another writer holds the lock, so callers must not write here (use ``session_scope``).
    """
    with Session(_read_only_engine(engine), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """One short write transaction: commit on success, roll back on any error.

    On the thread handling a signed Slack request, the request's first write transaction takes its
    key first (storage/replays.py), so a replay stores nothing: it raises ``Replayed`` here."""
    with _one_writer(engine), Session(engine, expire_on_commit=False) as session:
        taken = None
        try:
            taken = take_signed_request(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            release(taken)
            raise


class WriterLock:
    """One SQLite writer at a time, queued in turn: the threads of this process on a reentrant lock, and the
    processes sharing the file (``serve --processes``, a command run beside the bot) on an advisory lock on
    ``<database>-writer.lock`` (``flock``), taken by the outermost holder of the thread lock only.

    Without it, writers queue on SQLite's busy handler, which polls with sleeps of up to 100 ms and lets a
    late writer overtake an early one: under ten concurrent commands that made some acks wait seconds, and
    two web processes sharing one file had a p99 of 150 to 230 ms where one process had 30 ms (bench/ack.py).
    ``flock`` wakes the next waiter as soon as the holder lets go. A process that does not take this lock
    (an older version, the ``sqlite3`` shell) still queues on the busy timeout, as before. Where the lock
    file cannot be made (a read-only directory), processes fall back to the busy timeout alone.
    Reentrant, so a nested transaction fails as before rather than hangs."""

    def __init__(self, lock_path: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        if lock_path is not None:
            try:
                self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                weakref.finalize(self, os.close, self._fd)  # with the pool that holds it (engine.dispose())
            except OSError as error:
                log.warning("SQLite: no writer lock file (%s); other processes queue on the busy timeout",
                            error.strerror or error)

    @property
    def shared_between_processes(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1 and self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._depth -= 1
                self._threads.release()
                raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


_writer_locks_guard = threading.Lock()


def writer_lock_path(engine: sa.Engine) -> str | None:
    """Where the processes sharing a SQLite file queue for its writes; None for memory databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{os.path.abspath(database)}-writer.lock"


def _one_writer(engine: sa.Engine) -> WriterLock | nullcontext:
    """SQLite takes one writer at a time: see ``WriterLock``. PostgreSQL needs no such queue."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    pool = engine.pool  # one lock per pool: engines made with execution_options share it
    with _writer_locks_guard:
        lock = pool.__dict__.get("_referral_writer_lock")
        if lock is None:
            lock = pool.__dict__["_referral_writer_lock"] = WriterLock(writer_lock_path(engine))
        return lock


def run_in_transaction(engine: sa.Engine, work: Callable[[Session], T], *, attempts: int = 4) -> T:
    """Run ``work`` in a transaction, retrying on races the database reports.

    Two requests can race for the same unique value (a referral number, a dedupe
    key). The loser gets an IntegrityError or a serialization failure; running the
    work again sees the winner's row and does the right thing.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except (IntegrityError, OperationalError) as error:
            if attempt == attempts or not _is_retryable(error):
                raise
            log.info("retrying a transaction after a write race (attempt %d)", attempt)
    raise AssertionError("unreachable")


def _is_retryable(error: DBAPIError) -> bool:
    if isinstance(error, IntegrityError):
        return True
    text = str(error.orig).lower()
    return "locked" in text or "serializ" in text or "deadlock" in text


def ping(engine: sa.Engine) -> bool:
    """True when the database answers; used by /healthz."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
