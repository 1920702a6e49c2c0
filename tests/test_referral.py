"""/referral end to end: the funnel after the ask."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Ask, Referral


def referrals(engine: sa.Engine) -> list[Referral]:
    with Session(engine) as session:
        return list(session.exec(select(Referral).order_by(Referral.id)).all())


def asks(engine: sa.Engine) -> list[Ask]:
    with Session(engine) as session:
        return list(session.exec(select(Ask).order_by(Ask.id)).all())


def text_of(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def test_got_links_to_the_referrers_open_ask(slack, engine):
    slack.asked("<@U0JANE|jane> for Bob Smith")
    reply = slack.referral("got Bob Smith, CFO at Acme from <@U0JANE|jane>")
    [referral] = referrals(engine)
    [ask] = asks(engine)
    assert referral.number == 1 and referral.prospect_name == "Bob Smith, CFO at Acme"
    assert referral.ask_id == ask.id and ask.outcome == "introduced"
    assert referral.introduced_on == date(2026, 11, 20)
    assert "#1" in text_of(reply) and "Linked to your ask" in text_of(reply)


def test_got_without_an_ask_is_still_logged_and_numbers_are_per_rep(slack, engine):
    slack.referral("got Alice from Carol")
    slack.referral("got Zed from Carol", user="U0REP2")
    slack.referral("got Bea from Carol")
    numbers = [(r.rep_user_id, r.number, r.ask_id) for r in referrals(engine)]
    assert numbers == [("U0REP1", 1, None), ("U0REP2", 1, None), ("U0REP1", 2, None)]


def test_nobody_marks_the_ask(slack, engine):
    slack.asked("Carol")
    reply = slack.referral("nobody carol")
    assert asks(engine)[0].outcome == "nobody"
    assert "still counts" in text_of(reply)


def test_full_funnel_by_number_and_by_name(slack, engine, clock):
    slack.asked("Jane")
    slack.referral("got Bob Smith from Jane")
    slack.referral("meeting 1 2026-11-24")
    r = referrals(engine)[0]
    assert (r.status, r.meeting_on, r.meeting_scheduled_on) == ("meeting_scheduled", date(2026, 11, 24), date(2026, 11, 20))
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    reply = slack.referral("met bob")
    assert "thank" in text_of(reply).lower()
    clock.set(datetime(2026, 11, 30, 18, 0, tzinfo=UTC))
    slack.referral("won #1 $12,500")
    r = referrals(engine)[0]
    assert (r.status, r.meeting_held_on, r.closed_on, r.amount) == ("won", date(2026, 11, 24), date(2026, 11, 30),
                                                                    Decimal("12500.00"))
    slack.referral("thanked smith")
    assert referrals(engine)[0].thanked_on == date(2026, 11, 30)
    # A closed referral can't move again; the reply says why and shows the form.
    reply = slack.referral("lost 1 too late")
    assert "already closed" in text_of(reply)
    assert referrals(engine)[0].status == "won"


def test_lost_and_nodecision_keep_the_reason(slack, engine):
    slack.referral("got Ann Lee from Carol")
    slack.referral("got Ben Ode from Carol")
    slack.referral('lost "Ann Lee" went with a competitor')
    slack.referral("nodecision 2 budget frozen")
    first, second = referrals(engine)
    assert (first.status, first.close_reason) == ("lost", "went with a competitor")
    assert (second.status, second.close_reason) == ("no_decision", "budget frozen")


def test_ambiguous_and_unknown_references(slack, engine):
    slack.referral("got Bob Smith from Carol")
    slack.referral("got Bob Jones from Carol")
    reply = slack.referral("met bob")
    assert "several" in text_of(reply) and "#1" in text_of(reply) and "#2" in text_of(reply)
    reply = slack.referral("met 7")
    assert "no referral #7" in text_of(reply)
    assert {r.status for r in referrals(engine)} == {"introduced"}


def test_unknown_verb_suggests_the_closest(slack):
    reply = slack.referral("gto Bob from Jane")
    assert "`got`" in text_of(reply)


def test_list_shows_open_referrals_with_next_step(slack):
    slack.referral("got Bob Smith from Carol")
    slack.referral("got Ann Lee from Carol")
    slack.referral("won 2")
    reply = slack.referral("list")
    text = text_of(reply)
    assert "Bob Smith" in text and "Schedule a meeting" in text and "Ann Lee" not in text


def test_stats_counts_each_kpi_by_the_date_it_happened(slack, clock):
    slack.asked("Jane on 2026-11-13")  # last week
    slack.asked("Raj; Maria")  # this week
    slack.referral("got Bob from Raj")
    slack.referral("meeting 1 2026-11-25")
    reply = slack.referral("stats")
    text = text_of(reply)
    assert "People asked: *2*  (before: 1" in text
    assert "Referrals received: *1*" in text and "Meetings scheduled: *1*" in text
    month = text_of(slack.referral("stats month"))
    assert "People asked: *3*" in month
    assert "week|month|quarter" in text_of(slack.referral("stats year"))


def test_help_lists_every_verb_once(slack):
    from domain.grammar.referral import HABIT_VERB_NAMES, REFERRAL_VERBS
    from domain.habit_commands import HABIT_VERBS_HELP

    reply = slack.referral("help")
    [listing] = [b["text"]["text"] for b in reply["blocks"] if "`/referral " in b.get("text", {}).get("text", "")]
    lines = listing.splitlines()
    verbs = [line.split()[1].rstrip("`") for line in lines]
    # Every verb of the table and every habit verb, each on a line of its own: none missing, none twice.
    assert len(lines) == len(REFERRAL_VERBS) + len(HABIT_VERBS_HELP)
    assert set(verbs) == {*REFERRAL_VERBS, *HABIT_VERB_NAMES}
    assert verbs.count("leaderboard") == 1 and "improvers" in lines[verbs.index("leaderboard")]  # with its modes
    assert verbs.count("preview") == 2 and verbs.count("team") == 2  # the report and its note|skip; the settings
    for verb in ("got", "nobody", "meeting", "met", "won", "lost", "nodecision", "thanked", "list", "stats"):
        assert f"`/referral {verb}" in listing
    # The habit verbs named for typo suggestions are the ones help lists.
    assert {u.split()[1] for u, _ in HABIT_VERBS_HELP} - {"team"} == set(HABIT_VERB_NAMES)
    assert "Did you mean `leaderboard`?" in text_of(slack.referral("leaderbord"))


def test_plan_uses_the_methods_defaults_then_the_reps_own_rates(slack, clock):
    # Friday 2026-11-20; the quarter ends 2026-12-31: 6 weeks, counting this one.
    text = text_of(slack.referral("plan 10"))
    assert "*40 asks*" in text and "20 introductions" in text and "*7 asks a week*" in text
    assert "default" in text and "above your team's minimum of 1" in text
    # Calibrate: 20 asks gave 5 introductions (25%).
    for n in range(20):
        slack.asked(f"Person {n} on 2026-10-{n + 1:02d}")
    for n in range(5):
        slack.referral(f"got Prospect {n} from Person {n}")
    text = text_of(slack.referral("plan 2 by 2027-01-29"))
    # 2 clients / 50% default win = 4 meetings = 4 introductions (default 100%) / 25% = 16 asks over 11 weeks.
    assert "*16 asks*" in text and "*2 asks a week*" in text and "25% (yours, from 20 events)" in text
    assert "whole number" in text_of(slack.referral("plan ten"))
