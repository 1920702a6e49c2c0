"""A signed Slack request takes effect once, whichever listener handles it (README "Counted once").

Slack may deliver the same signed request again (a retry, a proxy, an attacker replaying it) within
its 5-minute signature window, to any replica. The app names the signed request it is handling
(``handling_signed_request``, around Bolt's dispatch in bot/app.py); the first write transaction that
request opens on its thread (``session_scope`` in storage/engine.py) inserts the request's key into
``seen_request`` before its own work. So the key and what the request stores commit together or not
at all, for every listener, without any listener having to ask for it. A replay, on any replica
sharing the database, finds the row: its first write raises ``Replayed`` and nothing it would store
is stored. The request's later writes belong to the request already taken and pass. A request that
writes nothing leaves no row (and a replay of it only reads again).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import SeenRequest
from storage.statements import Statement
from storage.upserts import dialect_insert

# Slack refuses a signature older than 5 minutes, so a replay can only come within them.
REPLAY_WINDOW = timedelta(minutes=5)


class Replayed(Exception):
    """The same signed request was already taken: it takes effect once."""


@dataclass
class SignedRequest:
    key: str  # the request's timestamp and signature
    now: datetime  # when it arrived, by the app's clock
    taken: bool = False  # its key is in this thread's open (or a committed) write transaction


# The signed request this thread is handling; contextvars follow it into Bolt's listener pool.
_HANDLING: ContextVar[SignedRequest | None] = ContextVar("signed_request", default=None)


@contextmanager
def handling_signed_request(key: str | None, *, now: datetime) -> Iterator[SignedRequest | None]:
    """While a listener handles the request with this key (None: nothing identifies it; see
    handlers.payloads.request_key for what does, over HTTP and in Socket Mode)."""
    token = _HANDLING.set(SignedRequest(key, now) if key else None)
    try:
        yield _HANDLING.get()
    finally:
        _HANDLING.reset(token)


def take_signed_request(session: Session) -> SignedRequest | None:
    """At the start of a write transaction: the request being handled takes its key here, once.
    Returns what was taken (to give back with ``release`` if the transaction rolls back); None when
    there is nothing to take. Raises ``Replayed`` when another transaction already took it."""
    request = _HANDLING.get()
    if request is None or request.taken:
        return None
    if not remember_request(session=session, key=request.key, now=request.now, keep_for=REPLAY_WINDOW):
        raise Replayed(request.key)
    request.taken = True
    return request


def release(taken: SignedRequest | None) -> None:
    """The transaction that took the key rolled back: the key is free again (a retry takes it)."""
    if taken is not None:
        taken.taken = False


def remember_request(*, session: Session, key: str, now: datetime, keep_for: timedelta) -> bool:
    """True the first time this signed request is seen; False for a replay. Inserted in the action's own
    transaction, so the request and what it stores commit together; a replica racing on the same key
    waits on the unique index and then finds the row (ON CONFLICT DO NOTHING inserts nothing).
    Rows past ``keep_for`` are pruned at most once a minute per process."""
    dialect = session.get_bind().dialect.name
    statement = _REMEMBER.get(dialect)
    if statement is None:
        table = SeenRequest.__table__  # Core, not the ORM: see storage.queries.Prebuilt
        insert = dialect_insert(dialect, table)
        received_at = sa.bindparam("received_at", type_=table.c.received_at.type)
        statement = _REMEMBER[dialect] = Statement(insert.values(
            signature=sa.bindparam("signature"), received_at=received_at,
        ).on_conflict_do_nothing(index_elements=["signature"]).returning(table.c.id))
    inserted = statement.run(session, {"signature": key, "received_at": now}).first()
    if _prune_due(now):
        session.exec(sa.delete(SeenRequest).where(col(SeenRequest.received_at) < now - keep_for))  # type: ignore[call-overload]
    return inserted is not None


_REMEMBER: dict[str, Statement] = {}  # the insert, built once per dialect
_last_prune: list[datetime] = []


def _prune_due(now: datetime) -> bool:
    if _last_prune and timedelta(0) <= now - _last_prune[0] < timedelta(minutes=1):
        return False
    _last_prune[:] = [now]
    return True
