"""/referral team channel checks the bot can post there: it joins a public channel, asks to be invited to a
private one, refuses an archived one, and the reply shows the channel as a real mention."""
from __future__ import annotations

import json

from sqlmodel import Session, select

from storage.models import SalesTeam

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
    reply = slack.referral("team channel east <#C0PUB|sales>", user=ADMIN)
    assert [c.params["channel"] for c in fake_slack.calls_to("conversations.join")] == ["C0PUB"]
    text = section_texts(reply)
    assert "<#C0PUB>" in text and "&lt;#" not in text and "I joined <#C0PUB>" in text
    assert channel_of(engine, "east") == "C0PUB"


def test_a_channel_the_bot_is_already_in_needs_nothing_more(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    reply = slack.referral("team channel east <#C0IN|sales>", user=ADMIN)  # the fake says is_member
    assert not fake_slack.calls_to("conversations.join")
    assert "The east leaderboard goes to <#C0IN>." in section_texts(reply)


def test_a_private_channel_gets_the_invite_instruction_and_is_saved_for_later(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    fake_slack.fail_next("conversations.info", 200, error="channel_not_found")  # private and the bot is not in it
    reply = slack.referral("team channel east <#G0PRIV|secret>", user=ADMIN)
    assert "/invite @Referral Nudge" in section_texts(reply)
    assert not fake_slack.calls_to("conversations.join")
    assert channel_of(engine, "east") == "G0PRIV"

    fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
        "id": "C0PRIV2", "is_private": True, "is_member": False}})
    reply = slack.referral("team channel east <#C0PRIV2|secret2>", user=ADMIN)
    assert "it is private" in section_texts(reply) and not fake_slack.calls_to("conversations.join")


def test_an_archived_channel_is_refused_and_nothing_changes(slack, fake_slack, engine):
    slack.referral("team create east", user=ADMIN)
    slack.referral("team channel east <#C0OK|ok>", user=ADMIN)
    fake_slack.fail_next("conversations.info", 200, body={"ok": True, "channel": {
        "id": "C0OLD", "is_archived": True, "is_member": False}})
    reply = slack.referral("team channel east <#C0OLD|old>", user=ADMIN)
    assert "archived" in json.dumps(reply)
    assert channel_of(engine, "east") == "C0OK"


def test_a_team_name_is_still_escaped_in_the_reply():
    from views.teams import team_changed

    text = section_texts(team_changed(summary=None, what="Created team <!channel> for <#C0AB>."))
    assert "&lt;!channel&gt;" in text and "<#C0AB>" in text
