"""/referral team channel saves the channel and answers in the ack at once, with the channel as a real mention;
then, off the request path, it checks the bot can post there: it joins a public channel, asks to be invited to
a private one, goes back from an archived one, and tells the admin through the command's response_url."""
from __future__ import annotations

import json

from slack_bolt import BoltRequest
from sqlmodel import Session, select

from storage.models import SalesTeam
from tests.conftest import SIGNING_SECRET
from tests.driver import command_body, signed_headers

ADMIN = "U0ADMIN"


def section_texts(reply: dict) -> str:
    return "\n".join(b["text"]["text"] for b in reply["blocks"] if b.get("type") == "section")


def channel_of(engine, name: str) -> str | None:  # noqa: ANN001
    with Session(engine) as session:
        return session.exec(select(SalesTeam).where(SalesTeam.name == name)).one().channel_id


def test_a_public_channel_the_bot_is_not_in_is_joined_and_shown_as_a_mention(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
        "id": "C0PUB", "name": "sales", "is_private": False, "is_member": False}})
    told = slack.referral("team channel east <#C0PUB|sales>", user=ADMIN)
    ack = section_texts(slack.last_ack)
    assert "The east leaderboard goes to <#C0PUB>." in ack and "&lt;#" not in ack
    assert [c.params["channel"] for c in fake_slack.calls_to("conversations.join")] == ["C0PUB"]
    text = section_texts(told)
    assert "I joined <#C0PUB>" in text and "&lt;#" not in text
    assert channel_of(engine, "east") == "C0PUB"


def test_a_channel_the_bot_is_already_in_needs_nothing_more(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    reply = slack.referral("team channel east <#C0IN|sales>", user=ADMIN)  # the fake says is_member
    assert [c.params["channel"] for c in fake_slack.calls_to("conversations.info")] == ["C0IN"]
    assert not fake_slack.calls_to("conversations.join") and not fake_slack.calls_to("response_url")
    assert reply == slack.last_ack and "The east leaderboard goes to <#C0IN>." in section_texts(reply)


def test_a_private_channel_gets_the_invite_instruction_and_is_saved_for_later(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    fake_slack.fail_next("conversations.info", 200, error="channel_not_found")  # private and the bot is not in it
    reply = slack.referral("team channel east <#G0PRIV|secret>", user=ADMIN)
    assert "/invite @Referral Nudge" in section_texts(reply) and "<#G0PRIV>" in section_texts(reply)
    assert not fake_slack.calls_to("conversations.join")
    assert channel_of(engine, "east") == "G0PRIV"

    fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
        "id": "C0PRIV2", "is_private": True, "is_member": False}})
    reply = slack.referral("team channel east <#C0PRIV2|secret2>", user=ADMIN)
    assert "it is private" in section_texts(reply) and not fake_slack.calls_to("conversations.join")


def test_an_archived_channel_is_refused_and_the_team_goes_back_to_its_channel(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    slack.referral("team channel east <#C0OK|ok>", user=ADMIN)
    fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
        "id": "C0OLD", "is_archived": True, "is_member": False}})
    reply = slack.referral("team channel east <#C0OLD|old>", user=ADMIN)
    assert "archived" in json.dumps(reply) and "stays in <#C0OK>" in section_texts(reply)
    assert channel_of(engine, "east") == "C0OK"


def test_the_ack_answers_at_once_while_slack_hangs_on_the_channel_check(slack, fake_slack, engine):
    """The check runs on the outbox: the ack (saved, with the mention) comes back while conversations.info
    has not answered, and the admin hears the outcome through the response_url once Slack does."""
    slack.referral("team create east", user=ADMIN)
    fake_slack.hold("conversations.info")
    fake_slack.hold("conversations.join")
    body = command_body("/referral", "team channel east <#C0SLOW|slow>", user_id=ADMIN,
                        response_url=fake_slack.response_url("channel-check"))
    try:
        response = slack.app.dispatch(BoltRequest(body=body, headers=signed_headers(SIGNING_SECRET, body)))
        assert response.status == 200
        assert "The east leaderboard goes to <#C0SLOW>." in section_texts(slack.ack_reply(response))
        assert channel_of(engine, "east") == "C0SLOW"
        fake_slack.wait_for_arrival("conversations.info")  # the check is under way, and still unanswered:
        assert not fake_slack.calls_to("conversations.info") and not fake_slack.calls_to("response_url")
        fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
            "id": "C0SLOW", "is_private": False, "is_member": False}})
    finally:
        fake_slack.release("conversations.info")
        fake_slack.release("conversations.join")
    slack.settle()
    [told] = fake_slack.calls_to("response_url")
    assert told.url_key == "channel-check" and "I joined <#C0SLOW>" in section_texts(told.params)


def test_a_team_name_is_still_escaped_in_the_reply():
    from views.teams import team_changed

    text = section_texts(team_changed(summary=None, what="Created team <!channel> for <#C0AB>."))
    assert "&lt;!channel&gt;" in text and "<#C0AB>" in text
