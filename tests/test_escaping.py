"""Escaping by construction: nasty input, however nested, pushed through real commands, forms, the Home tab,
the prep DM and the digest, never comes back as a live link, broadcast or mention in any recorded Slack call."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from domain.prep import PREP_QUESTIONS
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY, tick
from views import ids
from views.text import defuse, escape, mention, person

# What a rep can type (Slack sends typed < > & as entities) and what Slack itself sends for real markup.
NASTY = [
    "&lt;&lt;!h&gt;ttps://evil|click&gt;",
    "&lt;!channel&gt; hi",
    "<!here> all",
    "&lt;@U0EVIL&gt;",
    "&lt;&lt;@h&gt;@U0EVIL&gt;",
    "<https://evil.example/x|click me>",
    "&amp;lt;!everyone&amp;gt;",
    "&lt;&lt;&lt;!subteam^S1|@team&gt;&gt;&gt;",
    "&lt;mailto:a@evil.example|mail&gt;",
    "&lt;#C0EVIL&gt; and &lt;&lt;#C0EVIL&gt;&gt;",
    "x&lt;h&gt;ttp://a|b&gt;",
]
MEANT = {NY, BERLIN, SYDNEY, MANAGER, ADMIN, "U0REP1", "U0REP2"}
# Anything Slack would parse as markup: <!…>, <@…>, <#…>, <scheme:…>.
MARKUP = re.compile(r"<(?:[!@#]|[A-Za-z][A-Za-z0-9+.\-]*:)[^<>]*>?")


def unintended_markup(fake_slack, acks: list[dict] = ()) -> list[str]:  # noqa: ANN001
    """Markup nobody meant, in every recorded Slack call and in every reply that went back in an ack."""
    found = []
    sent = [(call.method, call.params) for call in fake_slack.calls] + [("ack", reply) for reply in acks]
    for method, params in sent:
        text = json.dumps(params, ensure_ascii=False, default=repr)
        for match in MARKUP.finditer(text):
            token = match.group()
            meant = re.fullmatch(r"<@([UW][A-Z0-9]+)>", token)
            if meant and meant.group(1) in MEANT:
                continue
            if token == "<#C0SALES>":
                continue
            found.append(f"{method}: {token} in …{text[max(0, match.start() - 40):match.end() + 20]}…")
    return found


def test_nasty_input_never_goes_live_anywhere(team, slack, fake_slack, app_and_ctx, clock):
    clock.set(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    acks: list[dict] = []
    for n, nasty in enumerate(NASTY, start=1):
        acks.append(slack.asked(f"{nasty} for {nasty}", user=NY))
        acks.append(slack.asked(f"Jane {n} for {nasty}; {nasty}", user=BERLIN))
        acks.append(slack.referral(f"got {nasty} from {nasty}", user=NY))
        acks.append(slack.referral(f"meeting {n} 2026-11-03", user=NY))  # tomorrow: the prep DM goes out at once
        acks.append(slack.referral(f"met {nasty}", user=NY))  # no such referral: the error echoes the input
        acks.append(slack.referral(f"commit {nasty}; Raj", user=SYDNEY))
        acks.append(slack.asked(f"{nasty} {n} on {nasty}", user=SYDNEY))  # a broken date, echoed
    slack.referral("got Bob from Carol", user=BERLIN)
    slack.referral(f"lost Bob {NASTY[0]}", user=BERLIN)

    # The prep form, with every answer nasty; then the list, the Home tab, the digest.
    prep = next(c for c in fake_slack.calls_to("chat.postMessage") if "Ten minutes of prep" in json.dumps(c.params))
    button = next(e for b in prep.params["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack.click(ids.OPEN_PREP_MODAL, button["value"], user=NY)
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    slack.submit(view, {ids.PREP_BLOCK_PREFIX + key: {ids.PREP_ACTION: {"value": NASTY[i % len(NASTY)]}}
                        for i, (key, _) in enumerate(PREP_QUESTIONS)}, user=NY)
    acks += [slack.referral("list", user=NY), slack.referral("list", user=BERLIN), slack.referral("review", user=ADMIN)]
    slack.open_home(user=NY)
    slack.open_home(user=MANAGER)
    tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 5, tzinfo=UTC))  # Monday 08:05 in Chicago
    tick("reminder", app_and_ctx, datetime(2026, 11, 12, 20, 5, tzinfo=UTC))

    assert fake_slack.calls_to("views.publish") and acks
    digests = [c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("channel") == MANAGER]
    assert digests, "the digest must have gone out for this test to mean anything"
    assert unintended_markup(fake_slack, acks) == []
    # The nasty text is still shown, as text: the rep sees what they typed.
    assert any("evil" in json.dumps(reply) for reply in acks)


@pytest.mark.parametrize("value", ["U1>|<!channel", "U0EVIL> <!here", "", "<@U0X>", "C123"])
def test_mentions_are_made_only_from_well_formed_ids(value):
    assert "<" not in mention(value).replace("&lt;", "")
    assert "<" not in person(value, "x").replace("&lt;", "")


def test_the_fallback_keeps_the_bots_own_mentions_and_nothing_else():
    text = f"Hi {mention('U0NY')} in <#C0SALES>: <https://evil|x> <!channel> &lt;kept&gt; <@U1>"
    assert defuse(text) == ("Hi <@U0NY> in <#C0SALES>: &lt;https://evil|x&gt; &lt;!channel&gt; &lt;kept&gt; "
                            "&lt;@U1&gt;")
    assert defuse(escape("<!here>")) == "&lt;!here&gt;"
