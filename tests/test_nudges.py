"""Reminders, digests and leaderboards: on time in every zone, to the right people, exactly once."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.app import create_app
from bot.jobs import run_job
from domain.kpis import KpiCounts
from storage.models import Delivery
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY, dms, tick


def test_reminders_reach_reps_below_minimum_at_their_local_time(team, slack, fake_slack, app_and_ctx, clock):
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    slack.asked("Jane", user=NY)  # New York already met the minimum this week
    expected = [
        (datetime(2026, 11, 5, 2, 59, tzinfo=UTC), set()),
        (datetime(2026, 11, 5, 3, 0, tzinfo=UTC), {SYDNEY}),  # Thursday 14:00 in Sydney (UTC+11)
        (datetime(2026, 11, 5, 12, 59, tzinfo=UTC), set()),
        (datetime(2026, 11, 5, 13, 0, tzinfo=UTC), {BERLIN}),  # Thursday 14:00 in Berlin (UTC+1 since Oct 25)
        (datetime(2026, 11, 5, 19, 0, tzinfo=UTC), set()),  # New York is at the minimum: nothing
    ]
    for at, recipients in expected:
        before = {c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")}
        report = tick("reminder", app_and_ctx, at)
        after = {c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")}
        assert after - before == recipients, at
        assert report.sent == len(recipients)
    [reminder] = dms(fake_slack, BERLIN)
    text = json.dumps(reminder.params, ensure_ascii=False)
    assert "0 of 1" in text or "0 asks" in text
    # A second run sends nothing new.
    again = tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 5, tzinfo=UTC))
    assert again.sent == 0 and len(fake_slack.calls_to("chat.postMessage")) == 2


def test_new_york_reminder_follows_the_dst_change(team, fake_slack, app_and_ctx):
    # 14:00 in New York is 19:00 UTC after Nov 1 (it was 18:00 UTC the week before).
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 5, 18, 30, tzinfo=UTC)).sent == 2  # Sydney, Berlin
    assert dms(fake_slack, NY) == []
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 0, tzinfo=UTC)).sent == 1
    assert len(dms(fake_slack, NY)) == 1


def test_a_reminder_is_dropped_once_the_reps_week_has_ended(team, fake_slack, app_and_ctx):
    # The bot was down all Thursday to Sunday: on Monday it's a new week, and last week's reminder is moot.
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 9, 12, 0, tzinfo=UTC)).sent == 0
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_paused_rep_gets_no_reminder(team, slack, fake_slack, app_and_ctx, clock):
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    assert "paused" in json.dumps(slack.referral("pause 1w", user=BERLIN))
    tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 0, tzinfo=UTC))
    assert dms(fake_slack, BERLIN) == []
    assert len(dms(fake_slack, NY)) == 1 and len(dms(fake_slack, SYDNEY)) == 1


def test_429s_are_waited_out_and_each_message_is_sent_once(team, fake_slack, app_and_ctx, engine):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    report = tick("reminder", app_and_ctx, datetime(2026, 11, 5, 19, 0, tzinfo=UTC))
    assert report.sent == 3 and report.failed == 0
    statuses = [c.status for c in fake_slack.calls_to("chat.postMessage")]
    assert statuses.count(429) == 1 and statuses.count(200) == 3
    with Session(engine) as session:
        assert {d.status for d in session.exec(select(Delivery)).all()} == {"sent"}


def test_a_failed_send_stays_in_the_ledger_and_is_retried_with_backoff(team, fake_slack, app_and_ctx, engine):
    fake_slack.fail_next("chat.postMessage", status=500, times=3)  # the client's own retries, exhausted
    first = tick("reminder", app_and_ctx, datetime(2026, 11, 5, 3, 0, tzinfo=UTC))  # Sydney only
    assert (first.sent, first.failed) == (0, 1)
    with Session(engine) as session:
        [row] = session.exec(select(Delivery)).all()
        assert row.status == "failed" and "500" in (row.last_error or "") and row.next_attempt_at is not None
    # Before the backoff elapses nothing is resent; after it, exactly once.
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 5, 3, 2, tzinfo=UTC)).sent == 0
    assert tick("reminder", app_and_ctx, datetime(2026, 11, 5, 3, 6, tzinfo=UTC)).sent == 1
    assert len(dms(fake_slack, SYDNEY)) == 1


def test_a_restart_mid_fan_out_resumes_without_duplicates(team, fake_slack, app_and_ctx, engine, settings):
    # The first process sent Sydney's reminder and stopped; a new process picks up the rest.
    at = datetime(2026, 11, 5, 19, 0, tzinfo=UTC)
    tick("reminder", app_and_ctx, datetime(2026, 11, 5, 3, 0, tzinfo=UTC))
    second_app, second_ctx = create_app(settings, engine=engine, clock=lambda: at)
    report = run_job("reminder", ctx=second_ctx, client=second_app.client, now=at)
    assert report.sent == 2
    assert [len(dms(fake_slack, u)) for u in (NY, BERLIN, SYDNEY)] == [1, 1, 1]


def test_the_digest_figures_equal_the_logged_events(team, slack, fake_slack, app_and_ctx, clock):
    # Week of Nov 2, each rep in their own zone.
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    slack.asked("Jane; Raj", user=NY)
    slack.referral("got Bob from Jane", user=NY)
    slack.referral("meeting 1 2026-11-06", user=NY)
    slack.asked("Maria", user=BERLIN)
    # Sunday 23:30 in New York (Monday 04:30 UTC) is still the New York rep's last week.
    clock.set(datetime(2026, 11, 9, 4, 30, tzinfo=UTC))
    slack.asked("Late Larry", user=NY)
    report = tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))  # Monday 08:00 in Chicago
    assert report.sent == 1
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    assert digest.index(SYDNEY) < digest.index(NY)  # the rep who missed comes first
    expected = {NY: KpiCounts(asks=3, referrals=1, meetings_scheduled=1), BERLIN: KpiCounts(asks=1),
                SYDNEY: KpiCounts()}
    for user, counts in expected.items():
        assert f"Asked {counts.asks} · Referrals {counts.referrals}" in digest, user
    assert tick("digest", app_and_ctx, datetime(2026, 11, 10, 14, 0, tzinfo=UTC)).sent == 0  # once


def test_a_monday_digest_missed_while_down_goes_out_on_tuesday(team, fake_slack, app_and_ctx):
    assert tick("digest", app_and_ctx, datetime(2026, 11, 10, 16, 0, tzinfo=UTC)).sent == 1
    assert len(dms(fake_slack, MANAGER)) >= 1


def test_the_leaderboard_never_lists_zeros(team, slack, fake_slack, app_and_ctx, clock):
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    slack.asked("Jane; Raj", user=NY)
    slack.asked("Maria", user=BERLIN)
    report = tick("leaderboard", app_and_ctx, datetime(2026, 11, 9, 15, 0, tzinfo=UTC))  # Monday 09:00 Chicago
    assert report.sent == 1
    [post] = [c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "C0SALES"]
    text = json.dumps(post.params, ensure_ascii=False)
    assert NY in text and BERLIN in text and SYDNEY not in text
    assert text.index(NY) < text.index(BERLIN)
    # On demand, ephemeral, same rule.
    clock.set(datetime(2026, 11, 9, 15, 0, tzinfo=UTC))
    reply = slack.referral("leaderboard month", user=SYDNEY)
    assert SYDNEY not in json.dumps(reply) and NY in json.dumps(reply)


def test_run_job_dry_run_sends_and_records_nothing(team, fake_slack, app_and_ctx, engine):
    app, ctx = app_and_ctx
    report = run_job("reminder", ctx=ctx, client=app.client, now=datetime(2026, 11, 5, 19, 0, tzinfo=UTC),
                     dry_run=True)
    assert len(report.planned) == 3 and all(line.startswith("reminder -> U0") for line in report.planned)
    assert fake_slack.calls_to("chat.postMessage") == []
    with Session(engine) as session:
        assert session.exec(select(Delivery)).all() == []


def test_only_admins_change_teams_and_reps_see_no_one_elses_numbers(team, slack):
    reply = json.dumps(slack.referral("team create west", user=NY))
    assert "Only workspace admins" in reply
    shown = json.dumps(slack.referral("team show", user=NY))
    assert "east" in shown


def test_reminder_buttons_open_the_form_and_snooze_the_week(team, slack, fake_slack, app_and_ctx, clock):
    from views import ids

    tick("reminder", app_and_ctx, datetime(2026, 11, 5, 13, 0, tzinfo=UTC))
    [reminder] = dms(fake_slack, BERLIN)
    buttons = {b["action_id"]: b for block in reminder.params["blocks"] if block["type"] == "actions"
               for b in block["elements"]}
    assert set(buttons) == {ids.OPEN_ASK_MODAL, ids.SNOOZE_WEEK}
    clock.set(datetime(2026, 11, 5, 13, 5, tzinfo=UTC))
    slack.click(ids.OPEN_ASK_MODAL, buttons[ids.OPEN_ASK_MODAL]["value"], user=BERLIN)
    assert fake_slack.calls_to("views.open")[-1].params["view"]["callback_id"] == ids.ASK_MODAL
    reply = slack.click(ids.SNOOZE_WEEK, buttons[ids.SNOOZE_WEEK]["value"], user=BERLIN)
    assert "paused" in json.dumps(reply)
    # Snoozed: the digest shows the week as paused, not missed.
    tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    berlin_line = next(part for part in digest.split("<@")[1:] if part.startswith(BERLIN))
    assert "paused" in berlin_line and "below minimum" not in berlin_line


def test_managers_see_their_reps_numbers_and_reps_see_only_their_own(team, slack, clock):
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    slack.asked("Jane; Raj", user=NY)
    as_manager = json.dumps(slack.referral(f"stats <@{NY}|ny>", user=MANAGER))
    assert "People asked: *2*" in as_manager and f"<@{NY}>'s numbers" in as_manager
    as_peer = json.dumps(slack.referral(f"stats week <@{NY}|ny>", user=BERLIN))
    assert "your own numbers" in as_peer and "People asked" not in as_peer
    outsider_manager = "U0OTHERMGR"
    slack.referral("team create west", user=ADMIN)
    slack.referral(f"team manager west <@{outsider_manager}|o>", user=ADMIN)
    assert "People asked" not in json.dumps(slack.referral(f"stats <@{NY}|ny>", user=outsider_manager))
    assert "People asked: *2*" in json.dumps(slack.referral(f"stats <@{NY}|ny>", user=ADMIN))


def test_commitments_kept_and_not_kept_show_in_the_reminder_and_the_digest(team, slack, fake_slack, app_and_ctx,
                                                                             clock, engine):
    from storage.models import Commitment

    clock.set(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))  # Monday, in Berlin's week of Nov 2
    reply = json.dumps(slack.referral("commit <@U0JANE|jane>; Raj Patel; Maria", user=BERLIN), ensure_ascii=False)
    assert "<@U0JANE>" in reply and "Raj Patel" in reply
    slack.asked("<@U0JANE|jane>", user=BERLIN)  # kept by Slack ID
    slack.asked("raj patel yesterday", user=BERLIN)  # Sunday: last week, so it keeps nothing this week
    with Session(engine) as session:
        kept = {c.person_name: c.kept_ask_id is not None for c in session.exec(select(Commitment)).all()}
    assert kept == {"jane": True, "Raj Patel": False, "Maria": False}
    # Berlin has 1 ask against a minimum of 1: set the minimum to 2 so the reminder goes out.
    slack.referral("team set east minimum 2", user=ADMIN)
    tick("reminder", app_and_ctx, datetime(2026, 11, 5, 13, 0, tzinfo=UTC))
    [reminder] = dms(fake_slack, BERLIN)
    text = json.dumps(reminder.params, ensure_ascii=False)
    assert "Raj Patel" in text and "Maria" in text and "jane" not in text
    tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    berlin_line = next(part for part in digest.split("<@")[1:] if part.startswith(BERLIN))
    assert "kept 1 of 3 commitments" in berlin_line
    ny_line = next(part for part in digest.split("<@")[1:] if part.startswith(NY))
    assert "named nobody to ask" in ny_line


def test_monday_prompt_asks_who_they_will_ask_and_the_modal_commits(team, slack, fake_slack, app_and_ctx, engine):
    from storage.models import Commitment
    from views import ids

    slack.referral("commit Jane", user=NY)  # New York already named someone this week
    # Monday 09:00 in Berlin is 08:00 UTC; in Sydney it was Sunday 22:00 UTC; New York's comes at 14:00 UTC.
    report = tick("commitment", app_and_ctx, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    assert report.sent == 2 and dms(fake_slack, NY) == []
    [prompt] = dms(fake_slack, BERLIN)
    [button] = [e for b in prompt.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    slack.click(ids.OPEN_COMMIT_MODAL, button["value"], user=BERLIN)
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    empty = slack.submit(view, {ids.COMMIT_USERS_BLOCK: {ids.COMMIT_USERS_ACTION: {"selected_users": []}},
                                ids.COMMIT_NAMES_BLOCK: {ids.COMMIT_NAMES_ACTION: {"value": " "}}}, user=BERLIN)
    assert json.loads(empty.body)["errors"].keys() == {ids.COMMIT_NAMES_BLOCK}
    slack.submit(view, {ids.COMMIT_USERS_BLOCK: {ids.COMMIT_USERS_ACTION: {"selected_users": ["U0RAJ"]}},
                        ids.COMMIT_NAMES_BLOCK: {ids.COMMIT_NAMES_ACTION: {"value": "Maria Lopez; Tom"}}}, user=BERLIN)
    with Session(engine) as session:
        names = sorted((c.rep_user_id, c.person_user_id or c.person_name) for c in session.exec(select(Commitment)))
    assert names == [(BERLIN, "Maria Lopez"), (BERLIN, "Tom"), (BERLIN, "U0RAJ"), (NY, "Jane")]
    # Berlin and Sydney got theirs; New York is due now but already named people: nothing new.
    assert tick("commitment", app_and_ctx, datetime(2026, 11, 2, 14, 0, tzinfo=UTC)).sent == 0
    assert dms(fake_slack, NY) == []


def test_thank_you_nudge_button_and_the_digest_entry(team, slack, fake_slack, app_and_ctx, clock, engine):
    from storage.models import Referral
    from views import ids

    clock.set(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    slack.referral("got Bob Smith from Carol", user=NY)
    slack.referral("got Ann Lee from Dave", user=NY)
    reply = slack.referral("met 1", user=NY)
    [button] = [b["accessory"] for b in reply["blocks"] if b.get("accessory", {}).get("action_id") == ids.MARK_THANKED]
    assert "Carol" in json.dumps(reply)
    slack.click(ids.MARK_THANKED, button["value"], user=NY)
    with Session(engine) as session:
        thanked = {r.number: r.thanked_on for r in session.exec(select(Referral))}
    assert thanked[1] is not None and thanked[2] is None
    # Nine days on, Dave has heard nothing about Ann Lee: the manager sees it; Carol's is done.
    tick("digest", app_and_ctx, datetime(2026, 11, 16, 14, 0, tzinfo=UTC))
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    assert "Waiting for a thank-you" in digest and "Ann Lee: Dave not thanked 14 days" in digest
    assert "Bob Smith: Carol not thanked" not in digest


def test_review_breaks_down_outcomes_with_reasons_for_managers_only(team, slack, clock):
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    for prospect in ("Ann", "Ben", "Cy"):
        slack.referral(f"got {prospect} from Carol", user=NY)
    slack.referral("won 1 $5k", user=NY)
    slack.referral("lost 2 went with a competitor", user=NY)
    slack.referral("nodecision 3 budget frozen <!channel>", user=NY)
    review = json.dumps(slack.referral("review", user=MANAGER), ensure_ascii=False)
    assert "This month: *1* won · *1* lost · *1* no decision" in review
    assert "All time: *1* won" in review
    assert "went with a competitor" in review and "budget frozen" in review and "<!channel>" not in review
    assert "Reviews are for managers" in json.dumps(slack.referral("review quarter", user=NY))
