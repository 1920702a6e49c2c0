"""Bad input and abuse through the real app: never a 500, never a crash, never lost data,
never a live broadcast mention, and every reply within Slack's limits."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from storage.models import Ask

FRAGMENTS = ["<@U0JANE|jane>", "<@U0JANE>", ";", " for ", " to meet ", "yesterday", "<!here>", "<!channel>",
             "#3", "got", "from", "won", "lost", '"', "$12k", "2026-11-19", "<#C1|x>", "<http://x|y>", "&lt;",
             "\u202e", "שלום", "🙂", "'; DROP TABLE ask;--", "\x00", "<", ">", "|"]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12).map("".join),
)
LIVE_MENTION = re.compile(r"<!(channel|here|everyone|subteam)")


def assert_safe_reply(reply: dict) -> None:
    assert reply, "the user must always get an answer"
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    blocks = reply.get("blocks", [])
    assert len(blocks) <= 50
    for block in blocks:
        for text in _texts(block):
            assert len(text) <= 3000
    assert not LIVE_MENTION.search(json.dumps(reply, ensure_ascii=False))


def _texts(node) -> list[str]:  # noqa: ANN001
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@pytest.mark.parametrize("text", [
    "", " ", "x" * 4000, "🙂🙂🙂 Jane 🙂", "مرحبا بك", "\u202eevil\u202c Jane", "'; DROP TABLE ask;--",
    "<!channel> please", "<!here|here>", "<!subteam^S123|@sales>", "Jane <!everyone> for <!channel>",
    "Robert'); DELETE FROM referral;--", "<@U0JANE", "for", "; ; ;", "Jane on 2026-02-30", "\x00\x01\x02",
])
def test_asked_never_fails_and_never_echoes_a_live_mention(slack, engine, fake_slack, text):
    reply = slack.asked(text)
    if reply or not fake_slack.calls_to("views.open"):  # text with nothing in it opens the form instead
        assert_safe_reply(reply)
    with Session(engine) as session:
        for ask in session.exec(select(Ask)).all():
            assert "<!" not in ask.asked_name and "<!" not in (ask.for_whom or "")


@pytest.mark.parametrize("text", [
    "", "x" * 4000, "got <!channel> from <!here>", "won 1 $-5", "won 1 9999999999999999", "lost", "met",
    "meeting 1 2030-01-01", "got from", "stats <!channel>", "🙂 🙂", "thanked '; DROP TABLE referral;--",
    "nobody <@U0GHOST|ghost>", "list extra words", "got Bob from Jane 2026-13-45",
])
def test_referral_never_fails_and_never_echoes_a_live_mention(slack, text):
    assert_safe_reply(slack.referral(text))


def test_unknown_users_and_slack_errors_still_get_an_answer(slack, fake_slack, engine):
    fake_slack.fail_next("users.info", status=500, times=10)
    reply = slack.asked("Jane", user="U0NOBODY")
    assert_safe_reply(reply)
    with Session(engine) as session:
        assert [a.rep_user_id for a in session.exec(select(Ask)).all()] == ["U0NOBODY"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_arbitrary_text_through_both_commands(slack, fake_slack, text):
    modals_before = len(fake_slack.calls_to("views.open"))
    reply = slack.asked(text)
    if not reply:  # text with nothing in it opens the form instead of replying
        assert len(fake_slack.calls_to("views.open")) == modals_before + 1
    else:
        assert_safe_reply(reply)
    assert_safe_reply(slack.referral(text))


# --------------------------------------------------------------------------- forged payloads: forms, buttons, metadata

def _ask_form(slack, fake_slack):  # noqa: ANN001, ANN202
    slack.asked("")
    return fake_slack.calls_to("views.open")[-1].params["view"]


def _ask_values(*, user=None, name=None, for_whom=None, day=None) -> dict:  # noqa: ANN001
    from views import ids

    return {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": user}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": name}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": for_whom}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": day}},
    }


@pytest.mark.parametrize("values, field_message", [
    ({"name": "x" * 5011}, "too long"),
    ({"user": "U0JANE", "name": "x" * 5011}, "too long"),
    ({"user": "U1>|<!channel"}, "isn't someone in Slack"),
    ({"user": "u0jane"}, "isn't someone in Slack"),
    ({"user": "U" + "A" * 5000}, "isn't someone in Slack"),
    ({"user": 12345}, "isn't someone in Slack"),
    ({"name": ["a", "list"]}, "Pick someone"),
])
def test_a_forged_ask_form_is_refused_with_a_clear_message_and_stores_nothing(slack, fake_slack, engine, values,
                                                                             field_message):
    from views import ids

    response = slack.submit(_ask_form(slack, fake_slack), _ask_values(**values))
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert field_message in body["errors"][ids.ASK_NAME_BLOCK]
    with Session(engine) as session:
        assert session.exec(select(Ask)).all() == []


@pytest.mark.parametrize("value", ["9" * 5000, "1" * 30, "²", "-1", "0", "7,8," * 5000, "", "0x10", " 1e9"])
def test_forged_button_values_get_an_answer_not_a_crash(slack, fake_slack, engine, value):
    from views import ids

    slack.asked("Jane")
    for action in (ids.UNDO_ASK, ids.MARK_THANKED, ids.LOG_ASK_OUTCOME, ids.ADD_CLOSE_REASON, ids.OPEN_PREP_MODAL):
        reply = slack.click(action, value)
        assert_safe_reply(reply)
    with Session(engine) as session:
        assert len(session.exec(select(Ask)).all()) == 1  # nothing undone by a forged id


@pytest.mark.parametrize("metadata", ['{"number": 99999999999999999999999}', '{"number": "1; DROP"}', "[1]",
                                      '{"number": true}', "{", '{"ask_id": 1e400}'])
def test_forged_private_metadata_is_read_as_missing(slack, fake_slack, metadata):
    from views import ids

    view = {"type": "modal", "callback_id": ids.CLOSE_REASON_MODAL, "private_metadata": metadata}
    response = slack.submit(view, {ids.CLOSE_REASON_BLOCK: {ids.CLOSE_REASON_ACTION: {"type": "plain_text_input",
                                                                                        "value": "Price"}}})
    assert response.status == 200
    view = {"type": "modal", "callback_id": ids.ASK_OUTCOME_MODAL, "private_metadata": metadata}
    response = slack.submit(view, {
        ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {"type": "radio_buttons", "selected_option": {"value": "nobody"}}},
        ids.PROSPECT_BLOCK: {ids.PROSPECT_ACTION: {"type": "plain_text_input", "value": None}}})
    assert response.status == 200


@pytest.mark.parametrize("digits", ["000001" + "0" * 2900, "000001" + "0" * 40, "1" * 2900, "99999", "0"])
def test_plan_with_absurd_digits_is_refused_with_the_right_form(slack, digits):
    reply = slack.referral(f"plan {digits}")
    assert_safe_reply(reply)
    text = json.dumps(reply)
    assert "plan 10" in text and "whole number" in text
