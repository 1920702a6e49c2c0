"""/asked end to end: signed requests into the real app, a real database, a fake Slack."""
from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Ask
from views import ids


def all_asks(engine: sa.Engine) -> list[Ask]:
    with Session(engine) as session:
        return list(session.exec(select(Ask).order_by(Ask.id)).all())


def reply_text(reply: dict) -> str:
    """Everything a user can read in a reply: fallback text and every text in its blocks."""
    return json.dumps(reply, ensure_ascii=False)


def test_logs_a_named_ask_and_counts_the_week(slack, engine):
    reply = slack.asked("Jane Doe")
    [ask] = all_asks(engine)
    assert (ask.asked_name, ask.asked_user_id, ask.team_id, ask.rep_user_id) == ("Jane Doe", None, "T0001", "U0REP1")
    # Friday 15:00 in New York, the rep's zone from users.info.
    assert ask.asked_on == date(2026, 11, 20)
    assert reply["response_type"] == "ephemeral"
    assert "1 ask this week (minimum 1)" in reply_text(reply)
    buttons = [b for block in reply["blocks"] for b in
               ([block["accessory"]] if "accessory" in block else block.get("elements", []))
               if b.get("type") == "button"]
    assert {b["action_id"] for b in buttons} == {ids.UNDO_ASK, ids.LOG_ASK_OUTCOME}


def test_mention_for_whom_and_date(slack, engine):
    slack.asked("<@U0JANE|jane> for Bob Smith, CFO at Acme yesterday")
    [ask] = all_asks(engine)
    assert ask.asked_user_id == "U0JANE"
    assert ask.for_whom == "Bob Smith, CFO at Acme"
    assert ask.asked_on == date(2026, 11, 19)


def test_several_people_at_once(slack, engine):
    reply = slack.asked("<@U0JANE|jane>; Raj Patel to meet the COO; Maria Lopez on 2026-11-16")
    asks = all_asks(engine)
    assert [a.asked_name for a in asks] == ["jane", "Raj Patel", "Maria Lopez"]
    assert asks[1].for_whom == "the COO"
    assert {a.asked_on for a in asks} == {date(2026, 11, 16)}  # the last entry's date applies to all
    assert "3 asks this week" in reply_text(reply)


def test_week_is_monday_to_sunday_in_the_reps_zone(slack, engine, clock, fake_slack):
    from datetime import UTC, datetime

    # Sunday 23:30 in New York is already Monday 04:30 UTC: still last week for this rep.
    clock.set(datetime(2026, 11, 23, 4, 30, tzinfo=UTC))
    slack.asked("Jane")
    reply = slack.asked("Raj")
    assert all_asks(engine)[0].asked_on == date(2026, 11, 22)
    assert "2 asks this week" in reply_text(reply)
    # The Berlin rep is already in Monday: a new week with its first ask.
    reply = slack.asked("Maria", user="U0REP2")
    assert all_asks(engine)[-1].asked_on == date(2026, 11, 23)
    assert "1 ask this week" in reply_text(reply)


def test_future_and_too_old_dates_are_refused_and_nothing_is_stored(slack, engine):
    for text in ("Jane on 2026-11-21", "Jane 2025-01-01"):
        reply = slack.asked(text)
        assert reply["response_type"] == "ephemeral"
        assert "/asked" in reply_text(reply)  # shows the right form
    assert all_asks(engine) == []


def test_help_and_unknown_user_timezone_fallback(slack, engine, fake_slack):
    assert "/asked undo" in reply_text(slack.asked("help"))
    # A user Slack doesn't know: the default zone (Chicago) decides the date, nothing crashes.
    reply = slack.asked("Jane", user="U0GHOST")
    assert all_asks(engine)[0].asked_on == date(2026, 11, 20)
    assert "1 ask this week" in reply_text(reply)


def test_undo_removes_the_latest_ask_from_the_last_day(slack, engine, clock):
    slack.asked("Jane")
    clock.advance(minutes=5)
    slack.asked("Raj")
    reply = slack.asked("undo")
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]
    assert "Raj" in reply_text(reply)
    clock.advance(hours=25)
    reply = slack.asked("undo")
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]
    assert "no ask from the last 24 hours" in reply_text(reply)


def test_undo_button_removes_exactly_the_logged_asks(slack, engine):
    slack.asked("Jane")
    reply = slack.asked("Raj; Maria")
    undo = next(b for block in reply["blocks"] if block["type"] == "actions" for b in block["elements"]
                if b["action_id"] == ids.UNDO_ASK)
    after = slack.click(ids.UNDO_ASK, undo["value"])
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]
    assert after["replace_original"] is True
    # A forged value can't crash the listener or touch anything.
    slack.click(ids.UNDO_ASK, "x,'; DROP TABLE ask;--,99999")
    assert [a.asked_name for a in all_asks(engine)] == ["Jane"]


def test_the_same_command_twice_within_a_second_is_stored_once(slack, engine):
    slack.asked("Jane for Bob")
    reply = slack.asked("Jane for Bob")
    assert len(all_asks(engine)) == 1
    assert "not counted twice" in reply_text(reply)


def test_empty_text_opens_the_modal_and_submission_logs(slack, engine, fake_slack):
    slack.asked("   ")
    [opened] = fake_slack.calls_to("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == ids.ASK_MODAL
    response = slack.submit(view, {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": "U0JANE"}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": None}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": "Bob <!channel>"}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-11-18"}},
    })
    assert response.status == 200 and not response.body
    [ask] = all_asks(engine)
    assert (ask.asked_user_id, ask.asked_on) == ("U0JANE", date(2026, 11, 18))
    assert "<!channel>" not in (ask.for_whom or "")
    [confirmation] = fake_slack.calls_to("chat.postEphemeral")
    assert confirmation.params["channel"] == "C0GENERAL" and confirmation.params["user"] == "U0REP1"


def test_modal_errors_are_inline_and_store_nothing(slack, engine, fake_slack):
    slack.asked("")
    view = fake_slack.calls_to("views.open")[0].params["view"]
    response = slack.submit(view, {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": None}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": "  "}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": None}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-12-25"}},
    })
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.ASK_NAME_BLOCK, ids.ASK_DATE_BLOCK}
    assert all_asks(engine) == []


def test_log_what_happened_introduced_creates_a_linked_referral(slack, engine, fake_slack):
    from storage.models import Referral

    reply = slack.asked("<@U0JANE|jane> for Bob Smith")
    outcome_button = next(block["accessory"] for block in reply["blocks"] if "accessory" in block)
    slack.click(ids.LOG_ASK_OUTCOME, outcome_button["value"])
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == ids.ASK_OUTCOME_MODAL
    slack.submit(view, {
        ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {"type": "radio_buttons", "selected_option": {"value": "introduced"}}},
        ids.PROSPECT_BLOCK: {ids.PROSPECT_ACTION: {"type": "plain_text_input", "value": "Bob Smith"}},
    })
    with Session(engine) as session:
        [referral] = session.exec(select(Referral)).all()
        [ask] = session.exec(select(Ask)).all()
    assert (referral.prospect_name, referral.ask_id, referral.referrer_user_id) == ("Bob Smith", ask.id, "U0JANE")
    assert ask.outcome == "introduced"


def test_rate_limited_slack_is_waited_out_not_failed(slack, fake_slack):
    # Slack answers 429 with Retry-After: the client waits and retries, and the form still opens.
    fake_slack.fail_next("views.open", status=429, retry_after=1)
    slack.asked("")
    opened = fake_slack.calls_to("views.open")
    assert [c.status for c in opened] == [429, 200]
    assert opened[1].time - opened[0].time >= 1.0


def test_an_unknown_user_is_looked_up_once_a_day_not_on_every_command(slack, fake_slack, clock):
    for _ in range(3):
        slack.asked("Jane", user="U0GHOST2")
        clock.advance(minutes=1)
    assert len([c for c in fake_slack.calls_to("users.info") if c.params.get("user") == "U0GHOST2"]) == 1
    clock.advance(hours=25)
    slack.asked("Raj", user="U0GHOST2")
    assert len([c for c in fake_slack.calls_to("users.info") if c.params.get("user") == "U0GHOST2"]) == 2
