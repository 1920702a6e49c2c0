"""Managers see the nudges before they go: who will be nudged and why, a note in a rep's nudge, and a
rep skipped for the week with the reason in the delivery ledger; both in the next digest."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.models import Delivery
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY, dms, tick

EXTRA = "U0EXTRA"


def _text(reply) -> str:  # noqa: ANN001
    return json.dumps(reply, ensure_ascii=False)


def _rep_line(preview: dict, user: str) -> str:
    text = "\n".join(b["text"]["text"] for b in preview["blocks"] if b["type"] == "section")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"<@{user}>"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("<@")), len(lines))
    return "\n".join(lines[start:end])


def test_preview_note_skip_then_the_reminders_and_the_digest(team, slack, fake_slack, app_and_ctx, engine, clock):
    fake_slack.add_user(EXTRA, tz="America/New_York")
    slack.referral(f"team add east <@{EXTRA}|extra>", user=ADMIN)
    slack.asked("Jane Doe", user=NY)
    slack.referral("pause 1w", user=SYDNEY)

    assert "for managers" in _text(slack.referral("preview", user=NY))
    preview = slack.referral("preview", user=MANAGER)
    assert "2 of 4 reps will be nudged" in _text(preview)
    assert "will be nudged (Thu 14:00 their time)" in _rep_line(preview, BERLIN)
    assert "0 of 1 asks this week · no ask logged yet" in _rep_line(preview, BERLIN)
    assert "at the minimum" in _rep_line(preview, NY) and "1 of 1 asks this week · last ask today" in _rep_line(preview, NY)
    assert "on time off" in _rep_line(preview, SYDNEY) and "paused" in _rep_line(preview, SYDNEY)

    note = slack.referral(f"preview note <@{BERLIN}|berlin> Call Maria at Globex, she owes you one", user=MANAGER)
    assert "Added your note" in _text(note)
    skip = slack.referral(f"preview skip <@{EXTRA}|extra> on a customer visit all week", user=MANAGER)
    assert "won't be nudged" in _text(skip)
    assert "already gone out or been skipped" in _text(
        slack.referral(f"preview skip <@{EXTRA}> again", user=MANAGER))
    assert "isn't a rep on a team you manage" in _text(slack.referral("preview note <@U0REP1> hi", user=MANAGER))
    assert "Pick the rep with an @mention" in _text(slack.referral("preview skip Berlin busy", user=MANAGER))
    preview = slack.referral("preview east", user=MANAGER)
    assert "skipped" in _rep_line(preview, EXTRA) and "on a customer visit all week" in _rep_line(preview, EXTRA)
    assert "Call Maria at Globex" in _rep_line(preview, BERLIN)

    report = tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 30, tzinfo=UTC))
    assert report.sent == 1  # Berlin only: New York met the minimum, Sydney is off, the extra rep is skipped
    [reminder] = dms(fake_slack, BERLIN)
    assert "From your manager: “Call Maria at Globex, she owes you one”" in _text(reminder.params)
    assert dms(fake_slack, EXTRA) == []
    with Session(engine) as session:
        [skipped] = session.exec(select(Delivery).where(Delivery.recipient == EXTRA)).all()
        assert (skipped.kind, skipped.status, skipped.note, skipped.claimed_by) == (
            "reminder", "skipped", "on a customer visit all week", MANAGER)
    clock.set(datetime(2026, 11, 5, 20, 0, tzinfo=UTC))
    assert "nudged already" in _rep_line(slack.referral("preview", user=MANAGER), BERLIN)
    assert "already gone out" in _text(slack.referral(f"preview skip <@{BERLIN}> too late", user=MANAGER))

    tick("digest", app_and_ctx, datetime(2026, 11, 9, 15, 0, tzinfo=UTC))
    digest = _text([c.params for c in dms(fake_slack, MANAGER)])
    assert f"<@{MANAGER}> skipped the nudge of <@{EXTRA}>: “on a customer visit all week”" in digest
    assert f"<@{MANAGER}> added a note to the nudge of <@{BERLIN}>: “Call Maria at Globex, she owes you one”" in digest


def test_a_note_is_one_line_for_this_week_only(team, slack, fake_slack, app_and_ctx):
    long = "x" * 151
    assert "one line of 150" in _text(slack.referral(f"preview note <@{BERLIN}> {long}", user=MANAGER))
    slack.referral(f"preview note <@{BERLIN}> first", user=MANAGER)
    slack.referral(f"preview note <@{BERLIN}> second thoughts", user=MANAGER)  # replaces the first
    tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 30, tzinfo=UTC))
    [reminder] = dms(fake_slack, BERLIN)
    assert "second thoughts" in _text(reminder.params) and "“first”" not in _text(reminder.params)
    tick("reminder", app_and_ctx, datetime(2026, 11, 12, 19, 30, tzinfo=UTC))  # next week: no note
    assert "From your manager" not in _text(dms(fake_slack, BERLIN)[-1].params)
