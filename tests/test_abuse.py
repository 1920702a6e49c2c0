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
