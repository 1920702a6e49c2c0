"""Every win becomes the next ask: a DM a month after each win, in the rep's working hours, exactly once,
with a pre-filled ask form and a two-week snooze; counted in the manager's digest."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.models import Ask, ClientWin, Delivery
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, dms, tick
from views import ids


def _text(reply) -> str:  # noqa: ANN001
    return json.dumps(reply, ensure_ascii=False)


def _followups(fake_slack, user):  # noqa: ANN001
    return [c for c in dms(fake_slack, user) if "Who do they know?" in c.params.get("text", "")]


def test_a_won_referral_asks_who_they_know_a_month_later_once(team, slack, fake_slack, app_and_ctx, engine, clock):
    slack.referral("got Acme from Jane Doe", user=NY)
    slack.referral("won 1 $12,000", user=NY)  # Monday Nov 2 in New York: the follow-up is Wednesday Dec 2
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 1, 15, 0, tzinfo=UTC)).sent == 0  # a day early
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 2, 13, 59, tzinfo=UTC)).sent == 0  # 08:59 NY
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 2, 14, 0, tzinfo=UTC)).sent == 1  # 09:00 NY
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 2, 14, 5, tzinfo=UTC)).sent == 0
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 3, 14, 5, tzinfo=UTC)).sent == 0
    [dm] = _followups(fake_slack, NY)
    assert dm.params["text"] == "Acme has been a client for a month. Who do they know?"
    buttons = [e for b in dm.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.OPEN_CLIENT_ASK, ids.SNOOZE_CLIENT_FOLLOWUP]

    # The button opens the /asked form with the client in it; submitting logs an ordinary ask.
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    slack.click(ids.OPEN_CLIENT_ASK, buttons[0]["value"], user=NY)
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == ids.ASK_MODAL
    [name] = [b for b in view["blocks"] if b["block_id"] == ids.ASK_NAME_BLOCK]
    assert name["element"]["initial_value"] == "Acme"
    slack.submit(view, {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": None}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": "Acme"}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": None}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-12-02"}},
    }, user=NY)
    slack.asked("Jane at Acme", user=NY)  # by name too
    slack.asked("Somebody Else", user=NY)
    with Session(engine) as session:
        assert len(session.exec(select(Ask)).all()) == 3
    # The manager's digest on Monday Dec 7 counts them as a line of its own.
    tick("digest", app_and_ctx, datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    [digest] = dms(fake_slack, MANAGER)
    assert "Asks of new clients: *2*" in _text(digest.params)
    stats = slack.referral("stats week", user=NY)  # and they are asks like any other
    assert ": 3 asks" in stats["text"]


def test_weekends_wait_for_monday_and_a_missed_day_catches_up(team, slack, fake_slack, app_and_ctx, clock):
    reply = slack.referral("client Globex 2026-11-01", user=NY)
    assert "Globex is a client since yesterday. On Tue Dec 1 I'll ask you who they know." in _text(reply)
    clock.set(datetime(2026, 11, 6, 15, 0, tzinfo=UTC))
    slack.referral("client Initech 2026-11-05", user=NY)  # due Saturday Dec 5
    # Down all of Tuesday Dec 1: Globex goes out on Wednesday morning.
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 2, 14, 30, tzinfo=UTC)).sent == 1
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 5, 16, 0, tzinfo=UTC)).sent == 0  # Saturday
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 6, 16, 0, tzinfo=UTC)).sent == 0  # Sunday
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 7, 22, 30, tzinfo=UTC)).sent == 0  # 17:30
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 8, 14, 0, tzinfo=UTC)).sent == 1
    assert [c.params["text"].split(" has")[0] for c in _followups(fake_slack, NY)] == ["Globex", "Initech"]
    # Two weeks after its date a follow-up no longer falls due.
    slack.referral("client Hooli 2026-11-02", user=BERLIN)
    assert tick("client_followup", app_and_ctx, datetime(2026, 12, 18, 10, 0, tzinfo=UTC)).sent == 0


def test_snooze_brings_it_back_in_two_weeks_and_the_team_sets_the_wait(team, slack, fake_slack, app_and_ctx,
                                                                       engine, clock):
    assert "7 days after each win" in _text(slack.referral("team set east client-followup 7", user=ADMIN))
    slack.referral("client Acme", user=NY)  # Mon Nov 2: due Mon Nov 9
    assert tick("client_followup", app_and_ctx, datetime(2026, 11, 9, 15, 0, tzinfo=UTC)).sent == 1
    [dm] = _followups(fake_slack, NY)
    assert dm.params["text"] == "Acme has been a client since Mon Nov 2. Who do they know?"
    clock.set(datetime(2026, 11, 9, 16, 0, tzinfo=UTC))
    win_id = [e for b in dm.params["blocks"] if b["type"] == "actions" for e in b["elements"]][1]["value"]
    reply = slack.click(ids.SNOOZE_CLIENT_FOLLOWUP, win_id, user=NY)
    assert "again on Mon Nov 23" in _text(reply)
    assert tick("client_followup", app_and_ctx, datetime(2026, 11, 16, 15, 0, tzinfo=UTC)).sent == 0
    assert tick("client_followup", app_and_ctx, datetime(2026, 11, 23, 15, 0, tzinfo=UTC)).sent == 1
    assert len(_followups(fake_slack, NY)) == 2
    # Someone else's button (or a forged value) snoozes nothing.
    assert "no longer there" in _text(slack.click(ids.SNOOZE_CLIENT_FOLLOWUP, win_id, user=BERLIN))
    assert "no longer there" in _text(slack.click(ids.SNOOZE_CLIENT_FOLLOWUP, "x1", user=NY))
    with Session(engine) as session:
        keys = sorted(d.period_key for d in session.exec(select(Delivery).where(Delivery.kind == "client_followup")))
        assert keys == [f"win{win_id}:2026-11-09", f"win{win_id}:2026-11-23"]


def test_working_hours_follow_the_reps_zone_across_dst(team, slack, fake_slack, app_and_ctx, clock):
    clock.set(datetime(2027, 2, 27, 12, 0, tzinfo=UTC))
    slack.referral("client Siemens", user=BERLIN)  # due Monday Mar 29, the day after Europe springs forward
    # 08:59 in Berlin is 06:59 UTC after the change (it would be 07:59 before it).
    assert tick("client_followup", app_and_ctx, datetime(2027, 3, 29, 6, 59, tzinfo=UTC)).sent == 0
    assert tick("client_followup", app_and_ctx, datetime(2027, 3, 29, 7, 0, tzinfo=UTC)).sent == 1
    assert len(_followups(fake_slack, BERLIN)) == 1


def test_client_command_checks_its_input(team, slack, engine):
    assert "Which client?" in _text(slack.referral("client", user=NY))
    assert "within the last year" in _text(slack.referral("client Acme 2027-01-01", user=NY))
    slack.referral("got Acme from Jane", user=NY)
    slack.referral("won 1", user=NY)
    assert "already closed" in _text(slack.referral("won 1", user=NY))
    with Session(engine) as session:
        assert len(session.exec(select(ClientWin)).all()) == 1
