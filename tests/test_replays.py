"""A replayed signed request takes effect once, for every listener that stores something.

Each case below takes one writing action through the real app the way Slack sends it (a signed slash
command, button click or form submission), then delivers the very same signed request again, to the
same app or to another replica sharing the database. The replay must change nothing in the database,
make no Slack call (no second confirmation, DM, join or form), and answer: a command says "Already
received" in its ack, a click or a form gets the plain empty ack the first one got.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from slack_bolt import BoltRequest
from sqlmodel import Session, select

from bot.app import create_app
from domain.prep import PREP_QUESTIONS
from storage.models import Ask, ClientWin
from tests.driver import SlackDriver, command_body
from tests.support.teams import ADMIN, MANAGER, NY
from views import ids


def everything_stored(engine: sa.Engine) -> dict[str, list[str]]:
    """Every row of every table, in a stable order: what a replay must leave exactly as it was."""
    with engine.connect() as connection:
        tables = sa.MetaData()
        tables.reflect(bind=connection)
        return {table.name: sorted(json.dumps([str(v) for v in row]) for row in connection.execute(table.select()))
                for table in tables.sorted_tables}


def buttons_of(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in reply.get("blocks", []) if b.get("type") == "actions" for e in b["elements"]]


def a_referral(slack: SlackDriver) -> None:
    slack.referral("got Bob Smith from Carol", user=NY)  # NY's referral #1


def form(callback_id: str, **meta: Any) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(meta)}


def _choose_amount(slack: SlackDriver) -> None:
    a_referral(slack)
    [first, *_] = buttons_of(slack.referral("won 1 €12.000", user=NY))
    slack.click(ids.CHOOSE_AMOUNT, first["value"], user=NY)


def _forget(slack: SlackDriver) -> None:
    slack.asked("Jane", user=NY)
    slack.click(ids.FORGET_CONFIRM, NY, user=ADMIN)


def _snooze_client(slack: SlackDriver) -> None:
    slack.referral("client Acme", user=NY)
    with Session(slack.ctx.engine) as session:
        [win] = session.exec(select(ClientWin)).all()
    slack.click(ids.SNOOZE_CLIENT_FOLLOWUP, str(win.id), user=NY)


def _outcome(slack: SlackDriver) -> None:
    slack.asked("<@U0JANE|jane>", user=NY)
    with Session(slack.ctx.engine) as session:
        [ask] = session.exec(select(Ask)).all()
    slack.submit(form(ids.ASK_OUTCOME_MODAL, ask_id=ask.id, channel_id=None), {
        ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {"type": "radio_buttons", "selected_option": {"value": "introduced"}}},
        ids.PROSPECT_BLOCK: {ids.PROSPECT_ACTION: {"type": "plain_text_input", "value": "Bob Smith"}}}, user=NY)


def _close_reason(slack: SlackDriver) -> None:
    a_referral(slack)
    slack.referral("lost 1", user=NY)
    slack.submit(form(ids.CLOSE_REASON_MODAL, number=1),
                 {ids.CLOSE_REASON_BLOCK: {ids.CLOSE_REASON_ACTION: {"value": "Chose a cheaper vendor"}}}, user=NY)


def _prep(slack: SlackDriver) -> None:
    a_referral(slack)
    answers = {ids.PREP_BLOCK_PREFIX + key: {ids.PREP_ACTION: {"value": "VP Finance" if key == "linkedin" else None}}
               for key, _ in PREP_QUESTIONS}
    slack.submit(form(ids.PREP_MODAL, number=1), answers, user=NY)


def _meeting(slack: SlackDriver) -> None:
    a_referral(slack)
    slack.submit(form(ids.MEETING_MODAL, number=1), {
        ids.MEETING_DATE_BLOCK: {ids.MEETING_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-11-03"}}},
        user=NY)


def _intro(slack: SlackDriver) -> None:
    slack.submit(form(ids.INTRO_MODAL, channel_id="C0INTROS"), {
        ids.INTRO_PROSPECT_BLOCK: {ids.INTRO_PROSPECT_ACTION: {"type": "plain_text_input", "value": "Jane Doe"}},
        ids.INTRO_COMPANY_BLOCK: {ids.INTRO_COMPANY_ACTION: {"type": "plain_text_input", "value": "Acme Corp"}},
        ids.INTRO_REFERRER_USER_BLOCK: {ids.INTRO_REFERRER_USER_ACTION: {"type": "users_select",
                                                                          "selected_user": "U0MARIA"}},
        ids.INTRO_REFERRER_NAME_BLOCK: {ids.INTRO_REFERRER_NAME_ACTION: {"type": "plain_text_input", "value": None}},
        ids.INTRO_DATE_BLOCK: {ids.INTRO_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-10-30"}}},
        user=NY)


def _ask_form(slack: SlackDriver) -> None:
    slack.submit(form(ids.ASK_MODAL, channel_id=None), {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": None}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": "Jane Doe"}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": None}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-11-02"}}}, user=NY)


def _commit_form(slack: SlackDriver) -> None:
    slack.submit(form(ids.COMMIT_MODAL), {
        ids.COMMIT_USERS_BLOCK: {ids.COMMIT_USERS_ACTION: {"selected_users": ["U0JANE"]}},
        ids.COMMIT_NAMES_BLOCK: {ids.COMMIT_NAMES_ACTION: {"value": "Raj"}}}, user=NY)


def _undo(slack: SlackDriver) -> None:
    [undo] = buttons_of(slack.asked("Jane", user=NY))
    slack.click(ids.UNDO_ASK, undo["value"], user=NY)


def _command(text: str, user: str = ADMIN) -> Callable[[SlackDriver], None]:
    return lambda slack: slack.referral(text, user=user)


# Each writing action, after whatever it needs first; its last request is the one replayed.
COMMANDS: dict[str, Callable[[SlackDriver], None]] = {
    "team create": _command("team create west"),
    "team add": _command("team add east <@U0NEW|new>"),
    "team manager": _command("team manager east <@U0BOSS|boss>"),
    "team remove": _command("team remove east <@U0SYDNEY|sydney>"),
    "team set minimum": _command("team set east minimum 5"),
    "team set reminder": _command("team set east reminder tuesday 09:30"),
    "team set timezone": _command("team set east timezone Europe/Berlin"),
    "team set habit": _command("team set east connector-threshold 4"),
    "team channel": _command("team channel east <#C0NEW|new>"),
    "team fiscal-year": _command("team fiscal-year feb"),
    "settings": _command("settings currency EUR"),
    "client": _command("client Acme", user=NY),
    "preview note": _command(f"preview note <@{NY}|ny> Call Jane first", user=MANAGER),
    "funnel step": lambda slack: (a_referral(slack), slack.referral("meeting 1 2026-11-05", user=NY)),
}
CLICKS_AND_FORMS: dict[str, Callable[[SlackDriver], None]] = {
    "undo button": _undo,
    "snooze week button": lambda slack: slack.click(ids.SNOOZE_WEEK, "", user=NY),
    "ask form": _ask_form,
    "commitment form": _commit_form,
    "thanked button": lambda slack: (a_referral(slack), slack.click(ids.MARK_THANKED, "1", user=NY)),
    "choose amount button": _choose_amount,
    "home menu": lambda slack: (a_referral(slack), slack.pick(ids.REFERRAL_MENU, "won:1", user=NY)),
    "forget confirmation": _forget,
    "client follow-up snooze": _snooze_client,
    "ask outcome form": _outcome,
    "close reason form": _close_reason,
    "prep form": _prep,
    "meeting form": _meeting,
    "intro form": _intro,
}


def take_then_replay(slack: SlackDriver, fake_slack, engine: sa.Engine, act: Callable[[SlackDriver], None],  # noqa: ANN001
                     replica: Any = None) -> Any:
    """Act (its last request is the one replayed), then replay it, to ``replica`` (an app and its context)
    if given; check the replay changed nothing."""
    act(slack)
    stored, calls = everything_stored(engine), len(fake_slack.calls)
    replay = slack.replay(replica[0] if replica else None)
    if replica:
        assert replica[1].outbox.drain(timeout=30)
    assert replay.status == 200, (replay.status, replay.body)
    assert everything_stored(engine) == stored, "the replay stored something"
    assert [c.method for c in fake_slack.calls[calls:]] == [], "the replay called Slack"
    return replay


@pytest.mark.parametrize("act", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_replayed_command_takes_effect_once_and_says_already_received(team, slack, fake_slack, engine, act):
    before = everything_stored(engine)
    replay = take_then_replay(slack, fake_slack, engine, act)
    assert everything_stored(engine) != before  # the first delivery did store something
    assert "Already received" in slack.ack_reply(replay)["text"]


@pytest.mark.parametrize("act", CLICKS_AND_FORMS.values(), ids=CLICKS_AND_FORMS.keys())
def test_a_replayed_click_or_form_takes_effect_once_and_is_acked_plainly(team, slack, fake_slack, engine, act):
    before = everything_stored(engine)
    replay = take_then_replay(slack, fake_slack, engine, act)
    assert everything_stored(engine) != before
    assert replay.body == ""  # the same plain ack: a form closes, a click shows nothing new


@pytest.mark.parametrize("name", ["team create", "team channel", "ask outcome form", "intro form"])
def test_a_replay_to_another_replica_takes_effect_once(team, slack, fake_slack, engine, settings, clock, name):
    """Replicas share only the database: the one that gets the replay finds the first one's row."""
    other = create_app(settings, engine=engine, clock=clock)
    try:
        replay = take_then_replay(slack, fake_slack, engine, COMMANDS.get(name) or CLICKS_AND_FORMS[name],
                                  replica=other)
        if name in COMMANDS:
            assert "Already received" in slack.ack_reply(replay)["text"]
        else:
            assert replay.body == ""
    finally:
        other[1].outbox.shutdown(timeout=10)


def test_a_request_that_stores_nothing_leaves_no_trace_and_answers_again(team, slack, fake_slack, engine):
    """Only what writes takes the request's key: a replayed read (a list, stats) just reads again."""
    slack.referral("stats week", user=NY)
    stored = everything_stored(engine)
    again = slack.ack_reply(slack.replay())
    assert "Already received" not in json.dumps(again) and everything_stored(engine) == stored


def _socket_delivery(slack: SlackDriver, body: dict[str, Any]) -> dict[str, Any]:
    """What Bolt's Socket Mode adapter hands the app: the envelope's payload, unsigned."""
    response = slack.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    slack.settle()
    assert response.status == 200, (response.status, response.body)
    return slack.ack_reply(response)


def test_in_socket_mode_a_redelivered_command_takes_effect_once_by_its_trigger_id(team, slack, fake_slack, engine):
    """Socket Mode delivers at least once (an envelope may come again around a reconnect) and signs
    nothing: the person's action is known by its trigger_id instead."""
    def command(text: str, trigger_id: str) -> dict[str, Any]:
        return dict(parse_qsl(command_body("/asked", text, user_id=NY, response_url=fake_slack.response_url(),
                                           trigger_id=trigger_id)))

    first = _socket_delivery(slack, command("Jane", "1001.2002.aaa"))
    assert "Jane" in first["text"]
    stored, calls = everything_stored(engine), len(fake_slack.calls)
    again = _socket_delivery(slack, command("Jane", "1001.2002.aaa"))
    assert "Already received" in again["text"]
    assert everything_stored(engine) == stored and fake_slack.calls[calls:] == []
    # A new action has a trigger_id of its own and is stored.
    assert "Bob" in _socket_delivery(slack, command("Bob", "1001.2002.bbb"))["text"]
    with Session(engine) as session:
        assert sorted(a.asked_name for a in session.exec(select(Ask))) == ["Bob", "Jane"]


def test_in_socket_mode_a_redelivered_event_is_taken_once_by_its_event_id(team, slack, fake_slack, engine):
    event = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event_id": "Ev0SOCKET1",
             "event_time": 1_700_000_000,
             "event": {"type": "user_change", "user": {"id": NY, "tz": "Europe/Paris", "deleted": False,
                                                       "is_admin": False, "real_name": "New York"}}}
    _socket_delivery(slack, event)
    assert "seen_request" in everything_stored(engine) and any(
        "socket:Ev0SOCKET1" in row for row in everything_stored(engine)["seen_request"])
    stored = everything_stored(engine)
    _socket_delivery(slack, event)
    assert everything_stored(engine) == stored
