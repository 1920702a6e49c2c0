"""Sending scheduled messages exactly once, through the delivery ledger.

For each message that is due: claim its ledger row, post it, mark it sent. A
failure is recorded with its error and retried with exponential backoff until
the message's period no longer makes sense, then marked expired; it is never
dropped silently and, being claimed, never sent twice. Fan-out runs on its own
small thread pool with a workspace-wide pace, so slash commands (on Bolt's
executor) stay fast while a few thousand DMs go out.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.words import count_of
from storage.delivery_queries import claim_delivery, mark_delivery_failed, mark_delivery_sent

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
# chat.postMessage allows about one message per second per channel (each DM is its own channel)
# plus a workspace-wide cap; this pace stays well under the latter.
DEFAULT_MESSAGES_PER_SECOND = 20.0
FANOUT_WORKERS = 4


@dataclass(frozen=True)
class Outgoing:
    workspace: Workspace
    kind: str
    recipient: str  # the ledger's recipient key (a user, or a user or channel per team)
    channel: str  # where the message is posted: a user ID (DM) or a channel ID
    period_key: str
    expires_at: datetime  # after this the message no longer makes sense: no more retries
    render: Callable[[], list[dict[str, Any]]]
    # Extra best-effort work once the messages are out (the digest's chart): its failure is logged,
    # never retried, because retrying would send the messages again.
    after_send: Callable[[], None] | None = None


@dataclass
class TickReport:
    due: int = 0
    sent: int = 0
    skipped: int = 0  # already sent, or in flight elsewhere
    failed: int = 0
    planned: list[str] = field(default_factory=list)  # dry run: what would be sent, to whom


class Pace:
    """At most ``per_second`` sends a second across all fan-out threads."""

    def __init__(self, per_second: float):
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver(
    outgoing: Iterable[Outgoing], *, engine: sa.Engine, client: Any, now: datetime, dry_run: bool = False,
    workers: int = FANOUT_WORKERS, pace: Pace | None = None,
) -> TickReport:
    report = TickReport()
    items = list(outgoing)
    report.due = len(items)
    if dry_run:
        for item in items:
            messages = item.render()
            first = messages[0].get("text", "") if messages else ""
            report.planned.append(f"{item.kind} -> {item.channel} ({count_of(len(messages), 'message')}): {first}")
        return report
    pace = pace or Pace(DEFAULT_MESSAGES_PER_SECOND)
    claimed_by = process_id()
    lock = threading.Lock()

    def send(item: Outgoing) -> None:
        row = claim_delivery(engine=engine, workspace=item.workspace, kind=item.kind, recipient=item.recipient,
                             period_key=item.period_key, now=now, claimed_by=claimed_by)
        if row is None:
            with lock:
                report.skipped += 1
            return
        try:
            for message in item.render():
                pace.wait()
                client.chat_postMessage(channel=item.channel, **message)
        except Exception as error:  # noqa: BLE001 - any failure is recorded in the ledger, then retried
            retry_at = now + backoff(row.attempts)
            mark_delivery_failed(engine=engine, delivery_id=row.id or 0, error=_describe(error),
                                 retry_at=retry_at if retry_at < item.expires_at else None)
            log.warning("%s to %s failed (%s); attempt %d", item.kind, item.channel, _describe(error), row.attempts)
            with lock:
                report.failed += 1
            return
        mark_delivery_sent(engine=engine, delivery_id=row.id or 0, now=now)
        with lock:
            report.sent += 1
        if item.after_send is not None:
            try:
                item.after_send()
            except Exception as error:  # noqa: BLE001
                log.warning("after sending %s to %s: %s", item.kind, item.channel, _describe(error))

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fanout") as pool:
        list(pool.map(send, items))
    return report


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None:
        try:
            return f"slack error: {response.get('error')} (HTTP {response.status_code})"
        except Exception:  # noqa: BLE001
            pass
    return type(error).__name__
