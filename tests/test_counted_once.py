"""Counted once: nobody retypes a command that was stored, and a replayed request takes effect once."""
from __future__ import annotations

import json
import threading

from slack_bolt import BoltRequest

from bot.app import create_app
from tests.conftest import SIGNING_SECRET
from tests.driver import command_body, signed_headers
from tests.test_asked import all_asks
from views import ids


def text_of(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def test_the_same_ask_later_the_same_day_counts_and_offers_undo_in_one_click(slack, engine, clock):
    slack.asked("Jane Doe")
    clock.advance(minutes=30)  # well outside the ten-second double-submit window
    reply = slack.asked("jane doe")
    assert len(all_asks(engine)) == 2
    assert "already logged an ask of *jane doe* today" in text_of(reply) and "Undo is one click" in reply["text"]
    assert "2 asks this week" in text_of(reply)
    [undo] = [b["accessory"] for b in reply["blocks"] if b.get("accessory", {}).get("text", {}).get("text") ==
              "Undo this one"]
    slack.click(ids.UNDO_ASK, undo["value"])
    assert [a.asked_name for a in all_asks(engine)] == ["Jane Doe"]  # the first one stays


def test_the_same_slack_user_later_the_same_day_is_flagged_and_a_typed_name_is_someone_else(slack, engine, clock):
    slack.asked("<@U0JANE|jane>")
    clock.advance(minutes=30)
    assert "already logged an ask of <@U0JANE> today" in text_of(slack.asked("<@U0JANE|jane>"))
    # A typed name is matched against typed names only: "jane" may not be that Slack user.
    assert "already logged" not in text_of(slack.asked("jane"))
    assert "already logged" not in text_of(slack.asked("<@U0RAJ|raj>"))
    assert len(all_asks(engine)) == 4


def test_a_different_person_or_day_is_not_flagged(slack, engine, clock):
    slack.asked("Jane Doe yesterday")
    reply = slack.asked("Jane Doe; Raj")
    assert "already logged" not in text_of(reply)
    assert len(all_asks(engine)) == 3


def test_a_replayed_signed_request_takes_effect_once(slack, app_and_ctx, engine, clock, fake_slack):
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url())
    headers = signed_headers(SIGNING_SECRET, body)
    first = slack.ack_reply(slack.app.dispatch(BoltRequest(body=body, headers=headers)))
    clock.advance(seconds=21)  # inside Slack's five minutes, outside the double-submit window
    replay = slack.ack_reply(slack.app.dispatch(BoltRequest(body=body, headers=headers)))
    assert "Logged: asked Jane" in first["text"]
    assert "Already received" in replay["text"]
    assert len(all_asks(engine)) == 1
    # A new request with the same text (new signature) is a new ask, flagged as the same person today.
    assert "already logged an ask of *Jane* today" in text_of(slack.asked("Jane"))


def test_a_replay_to_another_replica_at_the_same_moment_is_stored_once(settings, engine, clock, fake_slack):
    """Two replicas sharing the database get the same signed request at once: one takes it."""
    replicas = [create_app(settings, engine=engine, clock=clock) for _ in range(2)]
    body = command_body("/referral", "got Bob from Jane", user_id="U0REP1", response_url=fake_slack.response_url())
    headers = signed_headers(SIGNING_SECRET, body)
    start = threading.Barrier(2)
    replies: list[str] = []

    def deliver(app) -> None:  # noqa: ANN001
        start.wait()
        replies.append(app.dispatch(BoltRequest(body=body, headers=headers)).body)

    threads = [threading.Thread(target=deliver, args=(app,)) for app, _ctx in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for _app, ctx in replicas:
        ctx.outbox.shutdown(timeout=10)
    from sqlmodel import Session, select

    from storage.models import Referral
    with Session(engine) as session:
        assert len(session.exec(select(Referral)).all()) == 1
    assert sorted("Already received" in reply for reply in replies) == [False, True]


def test_a_failure_before_storing_says_nothing_was_stored(slack, engine, monkeypatch):
    from services import asks

    def broken(**_kwargs):  # noqa: ANN003, ANN202
        raise RuntimeError("database went away")

    monkeypatch.setattr(asks, "log_asks", broken)
    reply = slack.asked("Jane")
    assert "was not saved" in reply["blocks"][0]["text"]["text"]
    assert all_asks(engine) == []


def test_a_failure_after_storing_says_what_was_stored(slack, engine, monkeypatch):
    from views import replies

    def broken(**_kwargs):  # noqa: ANN003, ANN202
        raise RuntimeError("could not draw the reply")

    monkeypatch.setattr(replies, "asks_logged", broken)
    reply = slack.asked("Jane")
    assert "Saved" in reply["text"] and "/asked Jane" in text_of(reply) and "don't type it again" in reply["text"]
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]


def test_replays_are_remembered_for_five_minutes_only(slack, engine, clock):
    from sqlmodel import Session, select

    from storage.models import SeenRequest
    slack.asked("Jane")
    clock.advance(minutes=6)
    slack.asked("Raj")
    with Session(engine) as session:
        assert len(session.exec(select(SeenRequest)).all()) == 1  # the first one's row was pruned


def test_a_button_that_fails_is_acked_and_the_rep_told_nothing_was_saved(slack, engine, monkeypatch, fake_slack):
    from services import asks

    reply = slack.asked("Jane")
    undo = next(e for block in reply["blocks"] if block.get("type") == "actions" for e in block["elements"])

    def broken(**_kwargs):  # noqa: ANN003, ANN202
        raise RuntimeError("database went away")

    monkeypatch.setattr(asks, "remove_ask", broken)
    told = slack.click(ids.UNDO_ASK, undo["value"])  # the driver asserts the ack was a 200
    assert "was not saved" in text_of(told)
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]


def test_a_replayed_pause_is_stored_once(slack, engine, fake_slack, clock):
    from sqlmodel import Session, select

    from storage.models import Pause
    body = command_body("/referral", "pause until 2026-12-05", user_id="U0REP1", response_url=fake_slack.response_url())
    headers = signed_headers(SIGNING_SECRET, body)
    replies = [slack.ack_reply(slack.app.dispatch(BoltRequest(body=body, headers=headers))) for _ in range(2)]
    assert "Already received" not in text_of(replies[0]) and "Already received" in text_of(replies[1])
    with Session(engine) as session:
        assert len(session.exec(select(Pause)).all()) == 1
