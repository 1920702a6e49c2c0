"""Issue 4's coaching flows end to end: signed requests, the fake Slack, a pinned clock, a real database."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from domain.prep import PREP_QUESTIONS
from storage.models import Referral
from tests.support.teams import ADMIN, BERLIN, NY, dms, tick
from views import ids


def text_of(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def test_quarters_follow_the_workspaces_fiscal_year(team, slack, clock):
    clock.set(datetime(2026, 10, 30, 15, 0, tzinfo=UTC))
    slack.asked("Jane", user=NY)  # calendar Q4, but the last fiscal quarter when the year starts in February
    clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    slack.asked("Raj", user=NY)
    calendar = text_of(slack.referral("stats quarter", user=NY))
    assert "Q4 2026" in calendar and "People asked: *2*  (before: 0" in calendar

    refused = text_of(slack.referral("team fiscal-year february", user=NY))
    assert "Only workspace admins" in refused
    changed = text_of(slack.referral("team fiscal-year feb", user=ADMIN))
    assert "starts in February" in changed and "Q4 FY2027" in changed and "Nov 1 to Jan 31" in changed
    fiscal = text_of(slack.referral("stats quarter", user=NY))
    assert "Q4 FY2027" in fiscal and "Q3 FY2027" in fiscal  # compared with the fiscal quarter before
    assert "People asked: *1*  (before: 1" in fiscal
    assert "Name the month" in text_of(slack.referral("team fiscal-year smarch", user=ADMIN))


def _prep_dms(fake_slack, user):  # noqa: ANN001
    return [c for c in dms(fake_slack, user) if "Ten minutes of prep" in text_of(c.params)]


def test_the_checklist_goes_out_the_day_before_at_nine_or_at_once_when_that_day_has_begun(
        team, slack, fake_slack, app_and_ctx, clock):
    # Monday 07:00 in New York: a meeting on Thursday waits; one tomorrow is prepared for right away.
    slack.referral("got Bob Smith from Carol", user=NY)
    slack.referral("got Ann Lee from <@U0DAVE|dave>", user=NY)
    slack.referral("meeting 1 2026-11-05", user=NY)
    assert _prep_dms(fake_slack, NY) == []
    slack.referral("meeting 2 2026-11-03", user=NY)
    [at_once] = _prep_dms(fake_slack, NY)
    assert "Ann Lee" in text_of(at_once.params) and "LinkedIn" in text_of(at_once.params)
    assert tick("prep", app_and_ctx, datetime(2026, 11, 2, 14, 5, tzinfo=UTC)).sent == 0  # the ledger has it

    # Wednesday 08:55 in New York is too early; 09:05 is the time; a second tick sends nothing new.
    assert tick("prep", app_and_ctx, datetime(2026, 11, 4, 13, 55, tzinfo=UTC)).sent == 0
    assert tick("prep", app_and_ctx, datetime(2026, 11, 4, 14, 5, tzinfo=UTC)).sent == 1
    assert tick("prep", app_and_ctx, datetime(2026, 11, 4, 14, 10, tzinfo=UTC)).sent == 0
    assert [("Bob Smith" in text_of(c.params)) for c in _prep_dms(fake_slack, NY)] == [False, True]


def test_the_checklist_follows_the_reps_own_zone_and_skips_past_meetings(team, slack, fake_slack, app_and_ctx):
    slack.referral("got Bob Smith from Carol", user=BERLIN)
    slack.referral("meeting 1 2026-11-04", user=BERLIN)  # Wednesday; the day before begins Tuesday in Berlin
    assert tick("prep", app_and_ctx, datetime(2026, 11, 3, 7, 55, tzinfo=UTC)).sent == 0  # 08:55 in Berlin
    assert tick("prep", app_and_ctx, datetime(2026, 11, 3, 8, 5, tzinfo=UTC)).sent == 1
    slack.referral("got Cy from Carol", user=NY)
    slack.referral("meeting 2 2026-10-30", user=NY)  # logged after it happened: no checklist
    assert _prep_dms(fake_slack, NY) == []


def test_save_my_prep_stores_the_answers_and_the_list_shows_them(team, slack, fake_slack, engine):
    slack.referral("got Bob Smith from Carol", user=NY)
    slack.referral("meeting 1 2026-11-03", user=NY)
    [checklist] = _prep_dms(fake_slack, NY)
    [save] = [e for b in checklist.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert save["action_id"] == ids.OPEN_PREP_MODAL
    slack.click(ids.OPEN_PREP_MODAL, save["value"], user=NY)
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    assert len([b for b in view["blocks"] if b["type"] == "input"]) == 5

    def answers(**given):  # noqa: ANN003, ANN202
        return {ids.PREP_BLOCK_PREFIX + key: {ids.PREP_ACTION: {"value": given.get(key)}} for key, _ in PREP_QUESTIONS}

    empty = slack.submit(view, answers(source="  "), user=NY)
    assert set(json.loads(empty.body)["errors"]) == {ids.PREP_BLOCK_PREFIX + "source"}
    slack.submit(view, answers(linkedin="VP Finance, ex-Deloitte <!channel>", plan="Open with the Deloitte link"),
                 user=NY)
    with Session(engine) as session:
        [referral] = session.exec(select(Referral)).all()
    # Slack markup is stored as plain text, so it can never become a live mention when shown.
    assert json.loads(referral.prep_notes) == {"linkedin": "VP Finance, ex-Deloitte @channel",
                                               "plan": "Open with the Deloitte link"}
    listed = text_of(slack.referral("list", user=NY))
    assert "VP Finance, ex-Deloitte @channel" in listed and "Open with the Deloitte link" in listed
    assert "<!channel>" not in listed
    # Opening it again shows what was saved, to add to it.
    slack.click(ids.OPEN_PREP_MODAL, save["value"], user=NY)
    again = fake_slack.calls_to("views.open")[-1].params["view"]
    assert [b["element"].get("initial_value") for b in again["blocks"] if b["type"] == "input"] == \
        [None, "VP Finance, ex-Deloitte @channel", None, None, "Open with the Deloitte link"]


def test_closing_as_lost_without_a_reason_asks_for_one(team, slack, fake_slack, engine):
    for prospect in ("Ann", "Ben", "Cy"):
        slack.referral(f"got {prospect} from Carol", user=NY)
    reply = slack.referral("lost 1", user=NY)
    [form] = [c.params["view"] for c in fake_slack.calls_to("views.open")]
    assert form["callback_id"] == ids.CLOSE_REASON_MODAL
    assert ids.ADD_CLOSE_REASON in text_of(reply)  # in case the form was dismissed
    blank = slack.submit(form, {ids.CLOSE_REASON_BLOCK: {ids.CLOSE_REASON_ACTION: {"value": " "}}}, user=NY)
    assert set(json.loads(blank.body)["errors"]) == {ids.CLOSE_REASON_BLOCK}
    slack.submit(form, {ids.CLOSE_REASON_BLOCK: {ids.CLOSE_REASON_ACTION: {"value": "Chose a cheaper vendor"}}}, user=NY)

    slack.referral("lost 2 went elsewhere", user=NY)  # a reason given: no form
    assert len(fake_slack.calls_to("views.open")) == 1
    fake_slack.fail_next("views.open", status=200, error="expired_trigger_id")
    late = slack.referral("nodecision 3", user=NY)  # the form can't open: the reply and its button still come
    assert "Add the reason" in text_of(late)
    with Session(engine) as session:
        reasons = {r.number: (r.status, r.close_reason) for r in session.exec(select(Referral))}
    assert reasons == {1: ("lost", "Chose a cheaper vendor"), 2: ("lost", "went elsewhere"), 3: ("no_decision", None)}
    slack.click(ids.ADD_CLOSE_REASON, "3", user=NY)
    assert fake_slack.calls_to("views.open")[-1].params["view"]["callback_id"] == ids.CLOSE_REASON_MODAL


def test_the_fiscal_year_can_be_set_from_a_setup_script(cli_env, capsys):
    from bot.cli import main

    assert main(["team", "fiscal-year", "4", "--workspace", "T0001"]) == 0
    assert "starts in April" in capsys.readouterr().out
    assert main(["team", "fiscal-year", "smarch", "--workspace", "T0001"]) == 2
    assert "Name the month" in capsys.readouterr().err
