"""What every listener needs, built once by the app factory and passed to ``register``."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from services.people import PeopleDirectory
from storage.engine import read_scope, run_in_transaction
from storage.replays import Replayed

T = TypeVar("T")
__all__ = ["AppContext", "FollowUps", "Replayed", "RunNow"]


class FollowUps(Protocol):
    """Where listeners hand the work that talks to Slack (bot/outbox.py): it runs after the ack."""

    def submit(self, job: Callable[[], object], *, key: Hashable | None = None, urgent: bool = False,
               delay: float | None = None) -> bool: ...

    def drain(self, timeout: float = ...) -> bool: ...


class RunNow:
    """Runs each follow-up at once, on the caller's thread: for one-shot CLI jobs that have no outbox."""

    def submit(self, job: Callable[[], object], *, key: Hashable | None = None, urgent: bool = False,
               delay: float | None = None) -> bool:
        job()
        return True

    def drain(self, timeout: float = 0) -> bool:
        return True


@dataclass(frozen=True)
class AppContext:
    engine: sa.Engine
    people: PeopleDirectory
    # An aware "now"; tests pin it, production reads the system clock.
    clock: Callable[[], datetime]
    # The Slack calls a listener causes go here, never on the request thread.
    outbox: FollowUps = RunNow()
    # The Web API client the follow-ups use (the app's own).
    client: Any = None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One read-only transaction for an action that only reads (never takes SQLite's write lock)."""
        with read_scope(self.engine) as session:
            yield session

    def writing(self, work: Callable[[Session], T]) -> T:
        """One short write transaction for an action that stores something; retried on a write race,
        so ``work`` must not call Slack (hand that to the outbox).

        On a signed request, the request's first write takes its key (storage/replays.py): a replay,
        within Slack's 5-minute window and on any replica sharing the database, raises ``Replayed``
        and stores nothing.
        """
        return run_in_transaction(self.engine, work)
