"""Ack first, always: the request path answers from the database alone; Slack is called on the outbox.

The proofs are causal, not timed: an outbox that holds its jobs shows that every reply is already
in the ack while not one Slack call has been made; releasing the jobs then makes the calls.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app import create_app
from bot.outbox import Outbox
from tests.conftest import SIGNING_SECRET
from tests.driver import SlackDriver, command_body, signed_headers
from tests.support.outbox import HeldOutbox
from views import ids


@pytest.fixture
def held(settings, engine, clock, fake_slack):  # noqa: ANN001, ANN201
    outbox = HeldOutbox()
    app, ctx = create_app(settings, engine=engine, clock=clock, outbox=outbox)
    return SlackDriver(app, fake_slack, SIGNING_SECRET), outbox, ctx


def slack_calls(fake_slack) -> list[str]:  # noqa: ANN001
    # Bolt's own lazy auth.test on the first request is outside the listeners (see the README).
    return [c.method for c in fake_slack.calls if c.method != "auth.test"]


def test_every_reply_is_in_the_ack_before_any_slack_call(held, fake_slack, engine):
    slack, outbox, _ctx = held
    reply = slack.asked("Jane Doe for Bob Smith")
    assert "Logged: asked Jane Doe" in reply["text"] and reply["response_type"] == "ephemeral"
    assert slack_calls(fake_slack) == []
    reply = slack.referral("got Bob Smith from Jane Doe")
    assert "Referral" in json.dumps(reply)
    reply = slack.referral("stats")
    assert "People asked: *1*" in json.dumps(reply)
    assert slack_calls(fake_slack) == []
    # Then the outbox does the Slack work: the profile lookup and the Home tab, once per person.
    outbox.release()
    assert fake_slack.calls_to("users.info") and fake_slack.calls_to("views.publish")
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_buttons_and_forms_ack_without_calling_slack(held, fake_slack):
    slack, outbox, _ctx = held
    reply = slack.asked("Jane")
    undo = next(e for block in reply["blocks"] if block.get("type") == "actions" for e in block["elements"])
    slack.click(ids.UNDO_ASK, undo["value"])
    slack.asked("")  # opens the form
    assert slack_calls(fake_slack) == []
    assert any(urgent for _job, _key, urgent in outbox.jobs)  # views.open goes on the urgent lane
    outbox.release()
    assert fake_slack.calls_to("views.open") and fake_slack.calls_to("response_url")


def test_forget_habit_buttons_the_intro_shortcut_and_its_form_ack_without_calling_slack(held, fake_slack, engine):
    """The listeners outside /asked and /referral: their replies, forms and redraws wait on the outbox too."""
    from datetime import date
    from urllib.parse import urlencode

    from views import modals

    slack, outbox, _ctx = held
    slack.click(ids.FORGET_CANCEL, "U0REP2", user="U0ADMIN")
    slack.click(ids.FORGET_CONFIRM, "U0REP2", user="U0ADMIN")
    slack.referral("client Acme")
    with engine.connect() as connection:
        [win_id] = connection.exec_driver_sql("select id from client_win").scalars().all()
    slack.click(ids.OPEN_CLIENT_ASK, str(win_id))
    slack.click(ids.SNOOZE_CLIENT_FOLLOWUP, str(win_id))
    form = modals.ask_modal(today=date(2026, 11, 20))
    picked = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0REP1"}, "api_app_id": "A0001",
              "token": "legacy", "trigger_id": "1.2.3", "container": {"type": "view", "view_id": "V0ASK"},
              "view": {**form, "id": "V0ASK", "hash": "h1", "state": {"values": {}}},
              "actions": [{"type": "users_select", "action_id": ids.ASK_USER_ACTION, "block_id": ids.ASK_USER_BLOCK,
                           "selected_user": "U0JANE", "action_ts": "1.3"}]}
    shortcut = {"type": "message_action", "callback_id": ids.LOG_INTRO_SHORTCUT, "trigger_id": "9.0.1",
                "team": {"id": "T0001"}, "user": {"id": "U0REP1"}, "api_app_id": "A0001", "token": "legacy",
                "channel": {"id": "C0INTROS"}, "response_url": fake_slack.response_url(),
                "message": {"type": "message", "user": "U0MARIA", "ts": "1700000000.000100",
                            "text": "Meet Jane Doe, CFO at Acme Corp"}}
    for payload in (picked, shortcut):
        assert slack.dispatch(urlencode({"payload": json.dumps(payload)})).status == 200
    slack.submit({"type": "modal", "callback_id": ids.INTRO_MODAL, "private_metadata": '{"channel_id": "C0INTROS"}'}, {
        ids.INTRO_PROSPECT_BLOCK: {ids.INTRO_PROSPECT_ACTION: {"value": "Jane Doe"}},
        ids.INTRO_COMPANY_BLOCK: {ids.INTRO_COMPANY_ACTION: {"value": "Acme Corp"}},
        ids.INTRO_REFERRER_USER_BLOCK: {ids.INTRO_REFERRER_USER_ACTION: {"selected_user": "U0MARIA"}},
        ids.INTRO_REFERRER_NAME_BLOCK: {ids.INTRO_REFERRER_NAME_ACTION: {"value": None}},
        ids.INTRO_DATE_BLOCK: {ids.INTRO_DATE_ACTION: {"selected_date": "2026-11-19"}}})
    assert slack_calls(fake_slack) == []
    outbox.release()
    made = set(slack_calls(fake_slack))
    assert {"response_url", "views.open", "views.update", "chat.postEphemeral"} <= made, made
    assert len(fake_slack.calls_to("response_url")) == 3  # the cancel, the confirmation and the snooze


def test_someone_unknown_gets_the_default_zone_and_is_looked_up_off_the_request_path(slack, fake_slack, clock,
                                                                                      engine):
    from datetime import UTC, datetime

    from tests.test_asked import all_asks

    # Monday 02:00 UTC: Sunday evening in Chicago (the default zone), Monday morning in Tokyo.
    clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    fake_slack.add_user("U0TOKYO", tz="Asia/Tokyo")
    slack.sync_profiles = False
    slack.asked("Jane", user="U0TOKYO")
    assert all_asks(engine)[-1].asked_on.isoformat() == "2026-11-22"  # the default zone's day
    assert [c.params["user"] for c in fake_slack.calls_to("users.info")] == ["U0TOKYO"]  # fetched after the ack
    slack.asked("Raj", user="U0TOKYO")
    assert all_asks(engine)[-1].asked_on.isoformat() == "2026-11-23"  # now their own zone


def test_a_slow_slack_and_a_hanging_response_url_do_not_delay_the_acks(settings, engine, clock, fake_slack):
    """Through the real HTTP server: every Web API call takes 2 s and response_urls never answer;
    a burst of /asked from ten people (most unknown, so looked up) all get their confirmation in the ack."""
    from tests.test_http import RunningServer

    app, ctx = create_app(settings, engine=engine, clock=clock)
    server = RunningServer(app, engine)
    fake_slack.set_latency(2)
    fake_slack.hang_response_url()
    try:
        def send(n: int) -> tuple[int, dict]:
            body = command_body("/asked", f"Prospect {n}", user_id=f"U0BURST{n % 10}",
                                response_url=fake_slack.response_url(f"b{n}"))
            status, acked = server.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
            return status, json.loads(acked)

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(send, range(30)))
        assert [status for status, _ in answers] == [200] * 30
        assert all("Logged: asked Prospect" in reply["text"] for _, reply in answers)
        assert fake_slack.calls_to("response_url") == []  # nothing waited on the hanging response_url
    finally:
        fake_slack.set_latency(0)
        fake_slack.hang_response_url(False)
        assert ctx.outbox.drain(timeout=60)
        ctx.outbox.shutdown(timeout=10)
        server.stop()
    # The Home refreshes piled up behind the slow Slack and collapsed: at most one running and one waiting
    # per person, never one per command.
    published = [c.params["user_id"] for c in fake_slack.calls_to("views.publish")]
    assert set(published) == {f"U0BURST{n}" for n in range(10)}
    assert len(published) < 30


# --- the outbox itself ---------------------------------------------------------------------------------------


def blocked_outbox(**kwargs) -> tuple[Outbox, threading.Event, threading.Event]:  # noqa: ANN003
    """An outbox whose only worker is busy with a job that waits for ``gate``."""
    outbox = Outbox(**kwargs)
    started, gate = threading.Event(), threading.Event()
    outbox.submit(lambda: (started.set(), gate.wait(10)))
    assert started.wait(10)
    return outbox, started, gate


def test_jobs_for_one_key_collapse_into_the_newest_while_they_wait():
    outbox, _started, gate = blocked_outbox(workers=1, urgent_workers=1)
    ran: list[int] = []
    for n in range(5):
        outbox.submit(lambda n=n: ran.append(n), key=("home", "U1"))
    outbox.submit(lambda: ran.append(99), key=("home", "U2"))
    gate.set()
    assert outbox.shutdown(timeout=10)
    assert ran == [4, 99]


def test_a_full_outbox_refuses_instead_of_blocking_the_request():
    outbox, _started, gate = blocked_outbox(workers=1, urgent_workers=1, capacity=2)
    accepted = [outbox.submit(lambda: None) for _ in range(4)]
    assert accepted == [True, True, False, False]
    gate.set()
    assert outbox.shutdown(timeout=10)


def test_the_urgent_lane_runs_while_the_queue_is_stuck():
    outbox, _started, gate = blocked_outbox(workers=1, urgent_workers=1)
    opened = threading.Event()
    outbox.submit(lambda: None)
    outbox.submit(opened.set, urgent=True)
    assert opened.wait(10)  # ran although the ordinary worker is still blocked
    assert not outbox.drain(timeout=0.05)  # and the queue is still not empty
    gate.set()
    assert outbox.drain(timeout=10)
    outbox.shutdown(timeout=10)


def test_shutdown_finishes_queued_work_then_refuses_more():
    outbox, _started, gate = blocked_outbox(workers=1)
    done: list[int] = []
    for n in range(3):
        outbox.submit(lambda n=n: done.append(n))
    gate.set()
    assert outbox.shutdown(timeout=10)
    assert done == [0, 1, 2]
    assert outbox.submit(lambda: done.append(9)) is False


def test_a_burst_from_one_person_waits_its_collapse_window_and_runs_once():
    outbox = Outbox(workers=2, collapse_window=30)
    ran: list[int] = []
    for n in range(5):
        outbox.submit(lambda n=n: ran.append(n), key=("home", "U1"))
    assert ran == [] and outbox.pending == 1  # waiting out its window, not queued
    assert outbox.drain(timeout=10)  # a drain (tests, SIGTERM) does not wait the window out
    assert ran == [4]
    outbox.shutdown(timeout=10)


def test_a_waiting_refresh_is_brought_forward_when_the_person_looks():
    outbox = Outbox(workers=1, collapse_window=0.01)
    ran: list[str] = []
    looked = threading.Event()
    outbox.submit(lambda: ran.append("after a command"), key=("home", "U1"), delay=3600)
    assert outbox.pending == 1 and ran == []  # waiting an hour for more changes
    outbox.submit(lambda: (ran.append("opened"), looked.set()), key=("home", "U1"))
    assert looked.wait(10)  # ran after the short window, not the hour, without a drain
    assert ran == ["opened"]
    outbox.submit(lambda: ran.append("later change"), key=("home", "U1"), delay=3600)
    outbox.submit(lambda: ran.append("a longer wait changes nothing"), key=("home", "U1"), delay=7200)
    assert outbox.drain(timeout=10)
    assert ran == ["opened", "a longer wait changes nothing"]
    outbox.shutdown(timeout=10)


def test_no_listener_calls_slack_on_the_request_path():
    """Every Web API call and response_url post a listener causes goes through handlers/follow_ups.py (the
    outbox). A direct ``client.x(...)``, ``respond(...)`` or ``say(...)`` in a listener would run before the
    ack goes back (process_before_response), so a slow Slack would delay the answer."""
    import ast
    from pathlib import Path

    handlers = Path(__file__).resolve().parent.parent / "handlers"
    direct = []
    for path in sorted(handlers.glob("*.py")):
        if path.name == "follow_ups.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "client") \
                    or (isinstance(func, ast.Name) and func.id in ("respond", "say")):
                direct.append(f"{path.name}:{node.lineno}")
    assert direct == []
