"""A tick's fan-out is gentle on the acks of the same process: it writes to the ledger once per send (the claim,
before the post) plus one write per batch of sends (the marks), and it lets requests in flight go first.

Batching the marks keeps the ledger's promise: a process that dies with sends not yet marked leaves them
claimed, and whoever takes them over after the lease counts them sent, so none goes out twice; a drain that
runs out of time marks what Slack accepted before it hands the rest back.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

import services.delivery as delivery
from domain.funnel import Workspace
from services.delivery import FOREGROUND, DeliveryGate, Outgoing, Pace, deliver
from storage.models import Delivery
from tests.support.events import listening

WORKSPACE = Workspace("T0001")
NOW = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
FAST = Pace(10_000)


def items(count: int, render: Callable[[int], list[dict]] | None = None) -> Iterator[Outgoing]:
    for n in range(count):
        yield Outgoing(workspace=WORKSPACE, kind="reminder", recipient=f"U0T{n:04d}", channel=f"U0T{n:04d}",
                       period_key="2026-11-02", expires_at=NOW + timedelta(days=3),
                       render=(lambda n=n: render(n)) if render else (lambda: [{"text": "hello"}]))


@contextmanager
def write_transactions(engine: sa.Engine) -> Iterator[list[str]]:
    """Each write transaction committed (on SQLite, each one that took the write lock), with its statements."""
    committed: list[str] = []
    pending: dict[int, list[str]] = {}

    def record(conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: one per transaction, counted by commit
            pending.setdefault(id(conn.connection.dbapi_connection), []).append(statement)

    def commit(conn) -> None:  # noqa: ANN001
        statements = pending.pop(id(conn.connection.dbapi_connection), [])
        if any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in statements):
            committed.append("; ".join(statements))

    with listening((engine, "before_cursor_execute", record), (engine, "commit", commit)):
        yield committed


def ledger(engine: sa.Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.recipient)).all())


def posted(fake_slack) -> list[str]:  # noqa: ANN001
    return [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage") if c.status == 200]


def test_a_fan_out_writes_one_claim_per_send_and_one_write_per_batch_of_marks(engine, fake_slack, app_and_ctx,
                                                                                monkeypatch):
    app, _ctx = app_and_ctx
    monkeypatch.setattr(delivery, "MARK_SECONDS", 3600.0)  # batches by count alone, whatever the machine's speed
    reps = 120
    with write_transactions(engine) as writes:
        report = deliver(items(reps), engine=engine, client=app.client, now=NOW, pace=FAST)
    assert report.sent == reps
    marks = [w for w in writes if w.startswith("UPDATE delivery")]
    assert len(marks) == math.ceil(reps / delivery.MARK_BATCH)  # 3 writes for 120 sends, not 120
    assert len(writes) == reps + len(marks)  # the rest are the claims, one per send and before it
    assert sorted(posted(fake_slack)) == [f"U0T{n:04d}" for n in range(reps)]
    assert {(r.status, r.attempts) for r in ledger(engine)} == {("sent", 1)}


def test_sends_whose_marks_died_with_the_process_are_taken_over_and_not_sent_again(engine, fake_slack, app_and_ctx,
                                                                                    monkeypatch):
    app, _ctx = app_and_ctx
    # The process posts every message and dies before any batch of marks is written.
    monkeypatch.setattr(delivery, "mark_deliveries_sent", lambda **_: None)
    assert deliver(items(7), engine=engine, client=app.client, now=NOW, pace=FAST, lease=LEASE).sent == 7
    monkeypatch.undo()
    assert {r.status for r in ledger(engine)} == {"claimed"}
    # Within the lease the claims hold; after it another process takes them over and counts them sent.
    assert deliver(items(7), engine=engine, client=app.client, now=NOW + timedelta(minutes=5), pace=FAST).sent == 0
    after = deliver(items(7), engine=engine, client=app.client, now=NOW + LEASE + timedelta(minutes=1), pace=FAST)
    assert after.sent == 7
    assert len(posted(fake_slack)) == len(set(posted(fake_slack))) == 7
    assert {(r.status, r.attempts) for r in ledger(engine)} == {("sent", 2)}


def test_a_drain_out_of_time_marks_what_slack_accepted_before_handing_back_the_rest(engine, fake_slack, app_and_ctx,
                                                                                     monkeypatch):
    app, _ctx = app_and_ctx
    monkeypatch.setattr(delivery, "MARK_SECONDS", 3600.0)  # nothing is marked until the run ends or drains
    gate = DeliveryGate()
    stuck, go_on = threading.Event(), threading.Event()

    def render(n: int) -> list[dict]:
        if n == 3:  # the fourth send is claimed, then held before its post
            stuck.set()
            go_on.wait(30)
        return [{"text": f"hello {n}"}]

    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("report", deliver(
        items(6, render), engine=engine, client=app.client, now=NOW, pace=FAST, gate=gate, workers=1)))
    runner.start()
    assert stuck.wait(30)
    assert gate.drain(0.05) is False
    # The three Slack has are marked sent (handed back unmarked, they would go out again); the one in flight
    # is handed back; the last two were never claimed.
    assert [(r.recipient, r.status) for r in ledger(engine)] == [
        ("U0T0000", "sent"), ("U0T0001", "sent"), ("U0T0002", "sent"), ("U0T0003", "failed")]
    go_on.set()
    runner.join(30)
    gate.reopen()
    assert deliver(items(6), engine=engine, client=app.client, now=NOW + timedelta(minutes=1), pace=FAST,
                   gate=gate).sent == 2
    assert sorted(posted(fake_slack)) == [f"U0T{n:04d}" for n in range(6)]  # each exactly once
    assert {r.status for r in ledger(engine)} == {"sent"}


def test_a_request_that_never_ends_delays_the_fan_out_but_never_stops_it(engine, fake_slack, app_and_ctx):
    app, _ctx = app_and_ctx
    with FOREGROUND.answering():
        report = deliver(items(3), engine=engine, client=app.client, now=NOW, pace=FAST)
    assert report.sent == 3 and len(posted(fake_slack)) == 3
