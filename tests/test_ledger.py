"""The ledger on a bad day: a dead process's claims are taken over after the lease, long messages resume
after the last part Slack accepted, a drain hands back what it could not finish, and people Slack says
are gone leave the nudges."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, select

from bot.jobs import run_job
from domain.funnel import Workspace
from services.delivery import DeliveryGate, Outgoing, Pace, deliver, part_metadata
from services.profiles import sync_profiles
from storage.delivery_queries import claim_delivery
from storage.engine import session_scope
from storage.models import Delivery, UserProfile
from storage.team_queries import add_member, get_team
from tests.support.teams import BERLIN, MANAGER, NY, dms, tick

WORKSPACE = Workspace("T0001")
THURSDAY_EVENING = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def test_a_claim_left_by_a_dead_process_is_taken_over_after_its_lease(team, fake_slack, app_and_ctx, engine, caplog):
    app, _ctx = app_and_ctx
    # A process claimed New York's reminder, posted it, and was killed before it could record that.
    claimed_at = THURSDAY_EVENING
    claim = claim_delivery(engine=engine, workspace=WORKSPACE, kind="reminder", recipient=NY,
                           period_key="2026-11-02", now=claimed_at, claimed_by="dead-host:1",
                           lease_until=claimed_at + LEASE)
    assert claim is not None
    app.client.chat_postMessage(channel=NY, text="0 of 1 asks this week", metadata=part_metadata(claim.row.id, 0))
    # Within the lease the claim is respected: the others get theirs, New York's row stays claimed.
    assert tick("reminder", app_and_ctx, claimed_at + timedelta(minutes=5)).sent == 2
    # After it, one process takes the row over, finds the part the dead process was sending in the DM's
    # history, and records it as sent instead of posting it again.
    assert tick("reminder", app_and_ctx, claimed_at + LEASE + timedelta(minutes=1)).sent == 1
    assert tick("reminder", app_and_ctx, claimed_at + LEASE + timedelta(minutes=6)).sent == 0
    assert len(dms(fake_slack, NY)) == 1
    assert f"reminder to {NY} taken over from dead-host:1; part 1 is in Slack, so counted as sent" in caplog.text
    assert [c.params["channel"] for c in fake_slack.calls_to("conversations.history")] == ["D" + NY]
    with Session(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.recipient == NY)).one()
        assert row.status == "sent" and row.attempts == 2 and row.claimed_by != "dead-host:1"


def test_a_taken_over_two_part_digest_sends_only_the_part_after_the_dead_ones(team, fake_slack, app_and_ctx, engine):
    with session_scope(engine) as session:
        east = get_team(session=session, workspace=WORKSPACE, name="east")
        for n in range(60):
            add_member(session=session, team=east, user_id=f"U0X{n:03d}", role="rep")
            fake_slack.add_user(f"U0X{n:03d}", tz="America/New_York")
    monday = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
    recipient = f"{MANAGER}:{east.id}"
    # The dead process claimed the digest while part 1 went out, then died.
    claim_delivery(engine=engine, workspace=WORKSPACE, kind="digest", recipient=recipient, period_key="2026-11-09",
                   now=monday, claimed_by="dead-host:1", lease_until=monday + LEASE)
    with Session(engine) as session:
        row_id = session.exec(select(Delivery.id).where(Delivery.kind == "digest")).one()
    fake_slack.clear()
    app_and_ctx[0].client.chat_postMessage(channel=MANAGER, text="(part 1 of 2, as the dead process posted it)",
                                           metadata=part_metadata(row_id, 0))
    assert tick("digest", app_and_ctx, monday + timedelta(minutes=5)).sent == 0  # the lease still holds
    assert tick("digest", app_and_ctx, monday + LEASE + timedelta(minutes=1)).sent == 1
    texts = [c.params["text"] for c in dms(fake_slack, MANAGER)]
    assert len(texts) == 2 and "as the dead process posted it" in texts[0] and "part 2 of 2" in texts[1]


def test_a_claim_whose_part_never_reached_slack_is_sent_by_the_process_taking_it_over(team, fake_slack,
                                                                                     app_and_ctx, engine, caplog):
    """The dead process claimed New York's reminder and died before posting it: nothing is lost."""
    claimed_at = THURSDAY_EVENING
    claim_delivery(engine=engine, workspace=WORKSPACE, kind="reminder", recipient=NY, period_key="2026-11-02",
                   now=claimed_at, claimed_by="dead-host:1", lease_until=claimed_at + LEASE)
    assert tick("reminder", app_and_ctx, claimed_at + timedelta(minutes=5)).sent == 2
    assert dms(fake_slack, NY) == []
    assert tick("reminder", app_and_ctx, claimed_at + LEASE + timedelta(minutes=1)).sent == 1
    [reminder] = dms(fake_slack, NY)
    assert reminder.params["metadata"]["event_type"] == "referral_nudge_delivery"
    # The operator can tell a resend from a part counted as sent.
    assert f"reminder to {NY} taken over from dead-host:1; part 1 is not in Slack, so it is sent now" in caplog.text


def test_when_slack_cannot_say_whether_the_part_arrived_it_counts_as_sent(team, fake_slack, app_and_ctx, engine,
                                                                           caplog):
    """An install without the history scopes: the part in doubt is counted as sent (at most once), and the
    rest of the run goes on."""
    claimed_at = THURSDAY_EVENING
    claim_delivery(engine=engine, workspace=WORKSPACE, kind="reminder", recipient=NY, period_key="2026-11-02",
                   now=claimed_at, claimed_by="dead-host:1", lease_until=claimed_at + LEASE)
    assert tick("reminder", app_and_ctx, claimed_at + timedelta(minutes=5)).sent == 2
    fake_slack.fail_next("conversations.history", status=200, error="missing_scope")
    assert tick("reminder", app_and_ctx, claimed_at + LEASE + timedelta(minutes=1)).sent == 1
    assert dms(fake_slack, NY) == []
    assert "part 1 may be in Slack, so counted as sent" in caplog.text
    with Session(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.recipient == NY)).one()
        assert row.status == "sent" and row.claimed_by != "dead-host:1"


def test_when_part_two_fails_the_retry_sends_only_part_two(team, fake_slack, app_and_ctx, engine):
    # Sixty reps make the digest two messages.
    with session_scope(engine) as session:
        east = get_team(session=session, workspace=WORKSPACE, name="east")
        for n in range(60):
            add_member(session=session, team=east, user_id=f"U0X{n:03d}", role="rep")
            fake_slack.add_user(f"U0X{n:03d}", tz="America/New_York")

    def fail_after_part_one(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE delivery") and "parts_sent" in statement:
            fake_slack.fail_next("chat.postMessage", status=400, error="invalid_blocks")

    event.listen(engine, "before_cursor_execute", fail_after_part_one)
    try:
        first = tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    finally:
        event.remove(engine, "before_cursor_execute", fail_after_part_one)
    assert (first.sent, first.failed) == (0, 1)
    with Session(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "digest")).one()
        assert (row.status, row.parts_sent) == ("failed", 1)
    retry = tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 10, tzinfo=UTC))
    assert retry.sent == 1
    delivered = [c.params for c in dms(fake_slack, MANAGER)]
    texts = [p["text"] for p in delivered]
    assert len(texts) == 2 and "part 1 of 2" in texts[0] and "part 2 of 2" in texts[1]


def test_a_drain_that_runs_out_of_time_leaves_nothing_claimed(engine, fake_slack, app_and_ctx):
    app, _ctx = app_and_ctx
    gate = DeliveryGate()
    fake_slack.set_latency(1.0, method="chat.postMessage")
    items = (Outgoing(workspace=WORKSPACE, kind="reminder", recipient=f"U0D{n:03d}", channel=f"U0D{n:03d}",
                      period_key="2026-11-02", expires_at=THURSDAY_EVENING + timedelta(days=3),
                      render=lambda: [{"text": "hello"}]) for n in range(50))
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("report", deliver(
        items, engine=engine, client=app.client, now=THURSDAY_EVENING, pace=Pace(1000), gate=gate)))
    runner.start()
    # Wait until sends are in flight (claimed rows exist), then drain with a bound shorter than a send.
    while True:
        with Session(engine) as session:
            if session.exec(select(Delivery).where(Delivery.status == "claimed")).first():
                break
    assert gate.drain(0.05) is False
    with Session(engine) as session:
        assert session.exec(select(Delivery).where(Delivery.status == "claimed")).all() == []
    runner.join()
    report = result["report"]
    assert report.due < 50  # stopped taking new work
    with Session(engine) as session:
        rows = session.exec(select(Delivery)).all()
    # Sends already on the wire when the bound passed still finished and were recorded; nothing stays claimed.
    assert {r.status for r in rows} <= {"sent", "failed"}
    posted = [c for c in fake_slack.calls_to("chat.postMessage") if c.status == 200]
    assert len(posted) == sum(r.status == "sent" for r in rows) == report.sent


def test_a_drain_with_time_enough_finishes_in_flight_sends(engine, fake_slack, app_and_ctx):
    app, _ctx = app_and_ctx
    gate = DeliveryGate()
    gate.drain(1.0)  # closed before the run: nothing is claimed at all
    report = deliver((Outgoing(workspace=WORKSPACE, kind="reminder", recipient="U0Z", channel="U0Z",
                               period_key="k", expires_at=THURSDAY_EVENING, render=lambda: [{"text": "x"}]),),
                     engine=engine, client=app.client, now=THURSDAY_EVENING, gate=gate)
    assert report.due == 0 and fake_slack.calls_to("chat.postMessage") == []
    gate.reopen()
    assert deliver((Outgoing(workspace=WORKSPACE, kind="reminder", recipient="U0Z", channel="U0Z",
                             period_key="k", expires_at=THURSDAY_EVENING + timedelta(days=1),
                             render=lambda: [{"text": "x"}]),),
                   engine=engine, client=app.client, now=THURSDAY_EVENING, gate=gate).sent == 1


def test_users_list_is_read_in_pages_at_the_tier_2_pace(engine, fake_slack, app_and_ctx):
    app, _ctx = app_and_ctx
    for n in range(450):
        fake_slack.add_user(f"U0P{n:03d}", tz="Asia/Tokyo")
    fake_slack.set_user_deleted("U0P007")
    waits: list[float] = []
    report = sync_profiles(engine=engine, client=app.client, workspace=WORKSPACE, now=THURSDAY_EVENING,
                           page_size=200, sleep=waits.append)
    assert len(fake_slack.calls_to("users.list")) == 3 and report.pages == 3
    assert waits == [3.0, 3.0]  # Tier 2: about 20 calls a minute
    with Session(engine) as session:
        profiles = {p.user_id: p for p in session.exec(select(UserProfile)).all()}
    assert len([u for u in profiles if u.startswith("U0P")]) == 450
    assert profiles["U0P007"].deleted and not profiles["U0P008"].deleted
    assert profiles["U0P008"].timezone == "Asia/Tokyo"


def test_a_deactivated_rep_leaves_reminders_and_the_board_and_shows_as_left(team, slack, fake_slack, app_and_ctx,
                                                                             engine, clock):
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    slack.asked("Jane", user=BERLIN)
    slack.asked("Raj", user=NY)
    fake_slack.set_user_deleted(BERLIN)  # Slack's own record, which a later users.list sync reads
    user = {"id": BERLIN, "team_id": "T0001", "tz": "Europe/Berlin", "deleted": True, "real_name": "Berlin"}
    body = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event_id": "Ev1",
            "event_time": 1, "event": {"type": "user_change", "user": user}}
    assert slack.dispatch(json.dumps(body), content_type="application/json").status == 200
    with Session(engine) as session:
        assert session.exec(select(UserProfile).where(UserProfile.user_id == BERLIN)).one().deleted
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 5, 20, 0, tzinfo=UTC)).sent == 1  # Sydney
    assert dms(fake_slack, BERLIN) == []
    tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    berlin_line = digest[digest.index(f"<@{BERLIN}>"):][:80]
    assert ":wave: left" in berlin_line and "below minimum" not in berlin_line
    tick("leaderboard", app_and_ctx, datetime(2026, 11, 9, 16, 0, tzinfo=UTC))
    board = json.dumps([c.params for c in fake_slack.calls_to("chat.postMessage")
                        if c.params.get("channel") == "C0SALES"], ensure_ascii=False)
    assert board and BERLIN not in board
    assert "of a 2 target" in board  # two active reps, minimum one each


def test_unleased_claims_from_before_the_upgrade_are_taken_over(engine, fake_slack, app_and_ctx):
    app, _ctx = app_and_ctx
    with session_scope(engine) as session:
        session.add(Delivery(team_id="T0001", kind="reminder", recipient="U0OLD", period_key="k", status="claimed",
                             attempts=1, claimed_by="old", claimed_at=THURSDAY_EVENING - timedelta(hours=2)))
    report = deliver((Outgoing(workspace=WORKSPACE, kind="reminder", recipient="U0OLD", channel="U0OLD",
                               period_key="k", expires_at=THURSDAY_EVENING + timedelta(days=1),
                               render=lambda: [{"text": "x"}]),),
                     engine=engine, client=app.client, now=THURSDAY_EVENING)
    assert report.sent == 1
    with Session(engine) as session:
        assert session.exec(select(sa.func.count()).select_from(Delivery)).one() == 1
    assert run_job  # the job entry point is the same engine the scheduler drives
