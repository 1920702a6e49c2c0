"""Sending scheduled messages exactly once, through the delivery ledger.

For each message that is due: claim its ledger row, post it, mark it sent. A
failure is recorded with its error and retried with exponential backoff until
the message's period no longer makes sense, then marked expired; it is never
dropped silently and, being claimed, never sent twice. Fan-out runs on its own
small thread pool with a workspace-wide pace, so slash commands (on Bolt's
executor) stay fast while a few thousand DMs go out. Messages are sent as the
tick produces them (streaming), a claim is a lease that another process takes
over when its holder died, and each part of a long message is recorded as it
goes, so a retry never repeats a part Slack already has.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.words import count_of
from services.direct_messages import dm_channel
from storage.delivery_queries import (
    claim_delivery,
    mark_deliveries_sent,
    mark_delivery_failed,
    mark_part_sent,
    release_claims,
)

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
# chat.postMessage allows about one message per second per channel (each DM is its own channel)
# plus a workspace-wide cap; this pace stays well under the latter.
DEFAULT_MESSAGES_PER_SECOND = 20.0
FANOUT_WORKERS = 4
# A claim older than this, still unsent, belongs to a process that died; another may take it over.
DEFAULT_LEASE = timedelta(minutes=10)
DEFAULT_DRAIN_SECONDS = 10.0
# Every part the ledger sends carries this message metadata with its row and part, and a process taking over a
# dead one's claim looks for that part among the channel's latest messages before sending it (reached_slack).
DELIVERY_EVENT_TYPE = "referral_nudge_delivery"
IN_DOUBT_LOOKBACK = 100
# Sends are marked in the ledger a batch at a time, one write per MARK_BATCH sends or MARK_SECONDS, whichever
# comes first, instead of one write per send: in one process the acks queue for SQLite's write lock behind
# every write the fan-out makes. Waiting to mark costs no guarantee: a process that dies before its batch is
# written leaves those rows claimed, and whoever takes a claim over after its lease counts the part in flight
# as sent if Slack has it (reached_slack), exactly as for a death between a post and its own mark. The batch
# never waits longer than MARK_SECONDS, far inside the lease.
MARK_BATCH = 50
MARK_SECONDS = 1.0
# The longest a send waits for the requests this process is answering (see Foreground).
YIELD_SECONDS = 0.05


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


class SlowDown:
    """Slack's 429 on ``chat.postMessage`` as one pause for every fan-out thread sending to that workspace.

    The client waits out a 429's Retry-After and posts again (bot/slack_client.py), but the other fan-out
    threads kept sending at the pace meanwhile, so at a pace just under the workspace's cap the retry often
    found the second full again: in one 10,000-DM run, 2 messages met four 429s in a row and failed. While a
    pause runs, no thread starts a new send to that workspace (``Pace.wait``), so the retry finds room. Acks
    never wait on it.

    Slack's limits are per workspace, so the pause is too: it is keyed by the bot token the 429 answered (each
    workspace has its own; a multi-workspace install sends with each one's), and a 429 from one workspace does
    not hold back another's digests. Tokens are kept only as keys in memory, never logged."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, token: str | None, seconds: float) -> None:
        with self._lock:
            now = self._clock()
            for key in [key for key, until in self._until.items() if until <= now]:  # over: forget it
                del self._until[key]
            self._until[token or ""] = max(self._until.get(token or "", 0.0), now + seconds)

    def remaining(self, token: str | None) -> float:
        with self._lock:
            return max(0.0, self._until.get(token or "", 0.0) - self._clock())


SLOW_DOWN = SlowDown()


class Pace:
    """At most ``per_second`` sends a second across all fan-out threads, and none while Slack says to slow
    down to the workspace they send to (``SLOW_DOWN``, by its bot token). After a pause the threads take new
    slots, one interval apart: waking together, they made a burst that met the cap again and started another
    pause."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = clock()
        self._lock = threading.Lock()

    def wait(self, token: str | None = None) -> None:
        """Until this thread's next send to the workspace whose bot token is ``token`` may start."""
        while True:
            with self._lock:
                now = self._clock()
                slot = max(now + SLOW_DOWN.remaining(token), self._next)
                self._next = slot + self._interval
            if slot > now:
                self._sleep(slot - now)
            if not SLOW_DOWN.remaining(token):
                return


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


class SentMarks:
    """The sends of one run that Slack accepted and the ledger does not show yet (see MARK_BATCH)."""

    def __init__(self, engine: sa.Engine, now: datetime):
        self._engine = engine
        self._now = now
        self._ids: list[int] = []
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def add(self, delivery_id: int) -> None:
        with self._lock:
            self._ids.append(delivery_id)
            due = len(self._ids) >= MARK_BATCH or time.monotonic() - self._since >= MARK_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            ids, self._ids = self._ids, []
            self._since = time.monotonic()
        mark_deliveries_sent(engine=self._engine, delivery_ids=ids, now=self._now)


class DeliveryGate:
    """The process's switch for fan-out: open while running; ``drain`` closes it for a graceful stop.

    A closed gate lets no new delivery be claimed; claimed ones finish. ``drain`` waits for them up to a
    bound and, when the bound passes first, hands their claims back to the ledger so another process
    sends them at once: nothing is left claimed.
    """

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._active = 0
        self._engines: set[sa.Engine] = set()
        self._marks: set[SentMarks] = set()
        self._idle = threading.Condition()

    @contextmanager
    def running(self, engine: sa.Engine, marks: SentMarks | None = None) -> Iterator[None]:
        with self._idle:
            self._active += 1
            self._engines.add(engine)
            if marks is not None:
                self._marks.add(marks)
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._marks.discard(marks)  # type: ignore[arg-type]
                self._idle.notify_all()

    def close(self) -> None:
        """No new delivery is claimed from now on (a tick in progress skips the rest of its run, which stays
        unclaimed in the ledger for the next process); the claimed ones finish. ``drain`` waits for them."""
        self.stopping.set()

    def drain(self, timeout: float = DEFAULT_DRAIN_SECONDS, *, now: Callable[[], datetime] | None = None) -> bool:
        """Stop taking new deliveries and wait for the claimed ones; True when all finished in time."""
        self.close()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._idle:
            while self._active and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            finished = self._active == 0
            engines = list(self._engines)
            pending = list(self._marks)
        if not finished:
            # Sends Slack already accepted are marked first: handed back unmarked, they would go out again.
            for marks in pending:
                marks.flush()
            at = (now or (lambda: datetime.now(UTC)))()
            for engine in engines:
                released = release_claims(engine=engine, claimed_by=process_id(), now=at)
                log.warning("drain ran out of time: %d claimed deliveries handed back to the ledger", released)
        return finished

    def reopen(self) -> None:
        self.stopping.clear()


# The process-wide gate the scheduler's ticks run through; ``serve`` and ``worker`` drain it on SIGTERM.
GATE = DeliveryGate()


class Foreground:
    """The Slack requests this process is answering. A fan-out in the same process (a single ``serve``) lets
    them go first: a send about to start waits, up to YIELD_SECONDS, until none is in flight, so the claim's
    write does not take SQLite's write lock, nor the send's work the GIL, while an ack needs them. The pace is
    a ceiling, so a late send costs nothing; the bound keeps a stream of requests from starving the fan-out."""

    def __init__(self) -> None:
        self._active = 0
        self._idle = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                if not self._active:
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = YIELD_SECONDS) -> None:
        with self._idle:
            if self._active:
                self._idle.wait_for(lambda: not self._active, timeout)


FOREGROUND = Foreground()


def deliver(
    outgoing: Iterable[Outgoing], *, engine: sa.Engine, client: Any, now: datetime, dry_run: bool = False,
    workers: int = FANOUT_WORKERS, pace: Pace | None = None, lease: timedelta | None = None,
    gate: DeliveryGate | None = None,
) -> TickReport:
    """Send as the messages come: ``outgoing`` is read lazily, and at most a few messages wait for a
    sender at any time, so the first DM leaves before the last recipient is even read and memory stays
    flat however large the run."""
    report = TickReport()
    if dry_run:
        for item in outgoing:
            report.due += 1
            messages = item.render()
            first = messages[0].get("text", "") if messages else ""
            report.planned.append(f"{item.kind} -> {item.channel} ({count_of(len(messages), 'message')}): {first}")
        return report
    pace = pace or Pace(_number_from_environment("DELIVERY_MESSAGES_PER_SECOND", DEFAULT_MESSAGES_PER_SECOND))
    gate = gate or GATE
    lease = lease or lease_from_environment()
    claimed_by = process_id()
    token = getattr(client, "token", None)  # whose 429s pause this run (SlowDown)
    lock = threading.Lock()
    started = time.monotonic()
    marks = SentMarks(engine, now)

    def instant() -> datetime:
        """The tick's ``now`` moved on by the time spent, so that late claims in a long run get a full lease."""
        return now + timedelta(seconds=time.monotonic() - started)

    def count(field_name: str) -> None:
        with lock:
            setattr(report, field_name, getattr(report, field_name) + 1)

    def send(item: Outgoing) -> None:
        if gate.stopping.is_set():
            return  # stopping: not claimed, so the next process sends it
        pace.wait(token)  # before the claim: a claim says "the next part goes out now"
        FOREGROUND.wait_idle()
        at = instant()
        claim = claim_delivery(engine=engine, workspace=item.workspace, kind=item.kind, recipient=item.recipient,
                               period_key=item.period_key, now=at, claimed_by=claimed_by, lease_until=at + lease)
        if claim is None:
            count("skipped")
            return
        row = claim.row
        first = row.parts_sent
        in_slack = reached_slack(client, item.channel, part_key(row.id or 0, first)) if claim.taken_over else None
        if claim.taken_over and in_slack is not False:
            # The process that died held this claim while part ``parts_sent`` went out, and Slack has it (or
            # we cannot tell: then sending it again could double it, so the ledger keeps at most once).
            log.warning("%s to %s taken over from %s; part %d %s, so counted as sent", item.kind, item.channel,
                        claim.previous_holder, first + 1, "is in Slack" if in_slack else "may be in Slack")
            first += 1
        elif claim.taken_over:
            log.warning("%s to %s taken over from %s; part %d is not in Slack, so it is sent now", item.kind,
                        item.channel, claim.previous_holder, first + 1)
        try:
            messages = item.render()
            for index in range(first, len(messages)):
                if index > first:
                    pace.wait(token)
                    mark_part_sent(engine=engine, delivery_id=row.id or 0, parts_sent=index,
                                   lease_until=instant() + lease)
                client.chat_postMessage(channel=item.channel, **messages[index],
                                        metadata=part_metadata(row.id or 0, index))
        except Exception as error:  # noqa: BLE001 - any failure is recorded in the ledger, then retried
            retry_at = now + backoff(row.attempts)
            mark_delivery_failed(engine=engine, delivery_id=row.id or 0, error=_describe(error),
                                 retry_at=retry_at if retry_at < item.expires_at else None)
            log.warning("%s to %s failed (%s); attempt %d", item.kind, item.channel, _describe(error), row.attempts)
            count("failed")
            return
        count("sent")
        marks.add(row.id or 0)
        if item.after_send is not None:
            try:
                item.after_send()
            except Exception as error:  # noqa: BLE001
                log.warning("after sending %s to %s: %s", item.kind, item.channel, _describe(error))

    workers = max(1, workers)
    waiting = threading.BoundedSemaphore(workers * 2)  # a sender is never idle, and little is held in memory

    def done(future: Future) -> None:
        waiting.release()
        if future.exception() is not None:  # the ledger itself failed: the lease lets a later tick retry
            log.error("delivery failed before it was recorded: %s", type(future.exception()).__name__)
            count("failed")

    with gate.running(engine, marks):
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fanout") as pool:
                for item in outgoing:
                    if gate.stopping.is_set():
                        break
                    report.due += 1
                    waiting.acquire()
                    pool.submit(send, item).add_done_callback(done)
        finally:
            marks.flush()  # inside the gate, so a drain waits for the last marks as it waits for the sends
    return report


def part_key(delivery_id: int, index: int) -> str:
    return f"{delivery_id}.{index}"


def part_metadata(delivery_id: int, index: int) -> dict[str, Any]:
    """Slack message metadata on every part the ledger sends: it names the ledger row and the part, so that a
    process taking over a dead one's claim can look for that exact part in the channel (``reached_slack``)."""
    return {"event_type": DELIVERY_EVENT_TYPE, "event_payload": {"delivery": part_key(delivery_id, index)}}


def reached_slack(client: Any, channel: str, key: str) -> bool | None:
    """Whether the part a dead process was posting when it died is in Slack: its metadata key among the
    channel's latest messages (``conversations.history``; a DM's channel through ``conversations.open``).

    A lease runs 10 minutes by default and the bot posts a few messages a week to a person, so the latest
    ``IN_DOUBT_LOOKBACK`` messages cover the window. None when it cannot tell: an install made before the
    history scopes were asked for (``missing_scope``), a channel the bot left, Slack failing. The caller then
    counts the part as sent rather than risk doubling it, as before these checks."""
    try:
        if channel[:1] in ("U", "W"):  # a DM is posted to the user ID; its history is the IM channel's
            channel = dm_channel(client, channel)
        history = client.conversations_history(channel=channel, limit=IN_DOUBT_LOOKBACK, include_all_metadata=True)
    except Exception as error:  # noqa: BLE001 - any failure means "cannot tell"
        log.warning("could not check whether part %s reached Slack (%s): counted as sent", key, _describe(error))
        return None
    return any(((message.get("metadata") or {}).get("event_payload") or {}).get("delivery") == key
               for message in history.get("messages") or [])


def lease_from_environment() -> timedelta:
    """How long a claim holds before another process may take it over (``DELIVERY_LEASE_SECONDS``)."""
    return timedelta(seconds=_number_from_environment("DELIVERY_LEASE_SECONDS", DEFAULT_LEASE.total_seconds()))


def _number_from_environment(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw and float(raw) > 0 else default
    except ValueError:
        return default


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None:
        try:
            return f"slack error: {response.get('error')} (HTTP {response.status_code})"
        except Exception:  # noqa: BLE001
            pass
    return type(error).__name__
