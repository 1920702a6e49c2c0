"""Dates and amounts the way reps really type them: each phrase, what is stored, or why it is refused.

The grammar rows run without Slack or a database (fast); the last tests send the
issue's own examples through the real app and read what the database kept.
``today`` is Friday 2026-11-20 in the rep's zone, as in test_parsing.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from domain.conventions import Conventions
from domain.parsing import ChooseAmount, CommandError, parse_asked, parse_referral
from storage.models import Ask, Referral
from views import ids

TODAY = date(2026, 11, 20)  # a Friday
MDY, DMY = Conventions(date_order="MDY"), Conventions(date_order="DMY")
COMMA, EUR = Conventions(decimal_mark=","), Conventions(currency="EUR")


def asked_on(text: str, conventions: Conventions = Conventions()) -> tuple[str, date]:
    [entry] = parse_asked(text, today=TODAY, conventions=conventions).entries
    return entry.asked.name, entry.occurred_on


# (what the rep typed after /asked, the workspace's conventions, the name and date stored, or a fragment of the refusal)
ASKED_DATES = [
    ("Jane", Conventions(), ("Jane", TODAY)),
    ("Jane on 11/20", Conventions(), ("Jane", date(2026, 11, 20))),
    ("Jane 20/11", Conventions(), ("Jane", date(2026, 11, 20))),
    ("Jane on 11/20/2026", Conventions(), ("Jane", date(2026, 11, 20))),
    ("Jane on 11/3", Conventions(), "Is 11/3"),  # 3 Nov and 11 Mar are both past days: a question
    ("Jane on Nov 20", Conventions(), ("Jane", date(2026, 11, 20))),
    ("Jane on 20 Nov", Conventions(), ("Jane", date(2026, 11, 20))),
    ("Jane November 19th", Conventions(), ("Jane", date(2026, 11, 19))),
    ("Jane on the 19th of November", Conventions(), ("Jane", date(2026, 11, 19))),
    ("Jane Dec 24", Conventions(), ("Jane", date(2025, 12, 24))),  # past events: the most recent Dec 24
    ("Jane 2026-11-18", Conventions(), ("Jane", date(2026, 11, 18))),
    ("Jane today", Conventions(), ("Jane", TODAY)),
    ("Jane yesterday", Conventions(), ("Jane", date(2026, 11, 19))),
    ("Jane tomorrow", Conventions(), "in the future"),
    ("Jane friday", Conventions(), ("Jane", TODAY)),  # today's own weekday is today
    ("Jane tuesday", Conventions(), ("Jane", date(2026, 11, 17))),
    ("Jane on Tue", Conventions(), ("Jane", date(2026, 11, 17))),
    ("Jane last friday", Conventions(), ("Jane", date(2026, 11, 13))),
    ("Jane last fri", Conventions(), ("Jane", date(2026, 11, 13))),
    ("Jane this monday", Conventions(), ("Jane", date(2026, 11, 16))),  # this week's Monday
    ("Jane this sunday", Conventions(), "in the future"),
    ("Jane next tuesday", Conventions(), "in the future"),
    ("Jane on 05/06", Conventions(), "05/06"),  # ambiguous while the workspace has no date order: asked
    ("Jane on 05/06", MDY, ("Jane", date(2026, 5, 6))),
    ("Jane on 05/06", DMY, ("Jane", date(2026, 6, 5))),
    ("Jane 13/13", Conventions(), "isn't a real date"),
    ("Jane Nov 31", Conventions(), "isn't a real date"),
    ("Jane 2026-02-30", Conventions(), "isn't a real date"),
    ("Jane 2062-11-20", Conventions(), "in the future"),
    ("Jane 2024-11-20", Conventions(), "more than 365 days ago"),
    ("Jane May", Conventions(), ("Jane May", TODAY)),  # a month alone is a name, not a date
    ("April Smith", Conventions(), ("April Smith", TODAY)),
    ("Jane on 11/20 for Bob Smith", Conventions(), ("Jane", date(2026, 11, 20))),
]


@pytest.mark.parametrize(("text", "conventions", "expected"), ASKED_DATES)
def test_asked_dates(text, conventions, expected):
    if isinstance(expected, tuple):
        assert asked_on(text, conventions) == expected
    else:
        with pytest.raises(CommandError) as refused:
            asked_on(text, conventions)
        assert expected in refused.value.message


def test_an_ambiguous_date_is_a_question_naming_both_days_and_the_setting():
    with pytest.raises(CommandError) as asked:
        asked_on("Jane 05/06")
    assert "6 May" in asked.value.message and "5 Jun" in asked.value.message
    assert "/referral settings dates" in asked.value.message


# /referral steps: (text, conventions, the field that gets stored and its value, or a refusal fragment)
FUNNEL_DATES = [
    ("got Bob from Jane 11/19", Conventions(), ("occurred_on", date(2026, 11, 19))),
    ("nobody Jane last monday", Conventions(), ("occurred_on", date(2026, 11, 16))),
    ("meeting 3 tuesday", Conventions(), ("meeting_on", date(2026, 11, 24))),  # a meeting being booked: the next one
    ("meeting 3 friday", Conventions(), ("meeting_on", TODAY)),
    ("meeting 3 next tuesday", Conventions(), ("meeting_on", date(2026, 11, 24))),
    ("meeting 3 Dec 3", Conventions(), ("meeting_on", date(2026, 12, 3))),
    ("meeting 3 tomorrow", Conventions(), ("meeting_on", date(2026, 11, 21))),
    ("meeting 3 tuesday booked yesterday", Conventions(), ("booked_on", date(2026, 11, 19))),
    ("meeting 3 tuesday booked on Nov 13", Conventions(), ("booked_on", date(2026, 11, 13))),
    ("meeting 3 tuesday booked tomorrow", Conventions(), "in the future"),
    ("meeting 3 booked", Conventions(), "when it was booked"),
    ("met 3 wednesday", Conventions(), ("occurred_on", date(2026, 11, 18))),
    ("met 3 tomorrow", Conventions(), "in the future"),
    ("won 3 2026-11-18", Conventions(), ("occurred_on", date(2026, 11, 18))),
    ("won 3 $5,000 yesterday", Conventions(), ("occurred_on", date(2026, 11, 19))),
    ("lost 3 2026-11-20", Conventions(), ("reason", None)),  # the date is the day it closed, never the reason
    ("lost 3 went with a competitor on 11/19", Conventions(), ("reason", "went with a competitor")),
    ("lost 3 went with a competitor on 11/19", Conventions(), ("occurred_on", date(2026, 11, 19))),
    ("nodecision 3 budget frozen tuesday", Conventions(), ("occurred_on", date(2026, 11, 17))),
    ("lost 3 tomorrow", Conventions(), "in the future"),
    ("pause until friday", Conventions(), ("until", TODAY)),
    ("pause until next friday", Conventions(), ("until", date(2026, 11, 27))),
    ("pause until Dec 5", Conventions(), ("until", date(2026, 12, 5))),  # time off lies ahead: this December
    ("pause until 12/5", DMY, ("until", date(2027, 5, 12))),
    ("pause until yesterday", Conventions(), "has passed"),
]


@pytest.mark.parametrize(("text", "conventions", "expected"), FUNNEL_DATES)
def test_funnel_dates(text, conventions, expected):
    if isinstance(expected, tuple):
        field, value = expected
        assert getattr(parse_referral(text, today=TODAY, conventions=conventions), field) == value
    else:
        with pytest.raises(CommandError) as refused:
            parse_referral(text, today=TODAY, conventions=conventions)
        assert expected in refused.value.message


# won amounts: (what follows "won 3", conventions, (amount, currency) stored, or "ask" for the buttons, or a refusal)
AMOUNTS = [
    ("12000", Conventions(), (Decimal("12000"), None)),
    ("12,000", Conventions(), (Decimal("12000"), None)),
    ("12,000", EUR, (Decimal("12000"), "EUR")),
    ("$12,000", Conventions(), (Decimal("12000"), "USD")),
    ("$12,000.50", Conventions(), (Decimal("12000.50"), "USD")),
    ("USD 12000", Conventions(), (Decimal("12000"), "USD")),
    ("12000 usd", Conventions(), (Decimal("12000"), "USD")),
    ("€12.000", Conventions(), "ask"),
    ("€12.000", COMMA, (Decimal("12000"), "EUR")),
    ("12.000 €", COMMA, (Decimal("12000"), "EUR")),
    ("€12.000,50", Conventions(), (Decimal("12000.50"), "EUR")),
    ("EUR 1.234.567", Conventions(), (Decimal("1234567"), "EUR")),
    ("1,234,567.89", Conventions(), (Decimal("1234567.89"), None)),
    ("12,5k", Conventions(), (Decimal("12500"), None)),
    ("12k", Conventions(), (Decimal("12000"), None)),
    ("12K€", Conventions(), (Decimal("12000"), "EUR")),
    ("1.2M", Conventions(), (Decimal("1200000"), None)),
    ("£1.5m", Conventions(), (Decimal("1500000"), "GBP")),
    ("CHF 1'200", Conventions(), (Decimal("1200"), "CHF")),
    ("¥500", Conventions(), (Decimal("500"), "JPY")),
    ("12.345", Conventions(), (Decimal("12345"), None)),  # 12.345 can't be cents, so only one reading is left
    ("12.005", COMMA, (Decimal("12005"), None)),
    ("12,005", Conventions(decimal_mark="."), (Decimal("12005"), None)),
    ("12.34.5", Conventions(), "isn't an amount"),
    ("-500", Conventions(), "negative"),
    ("2000000000000", Conventions(), "more than we can believe"),
]


@pytest.mark.parametrize(("typed", "conventions", "expected"), AMOUNTS)
def test_won_amounts(typed, conventions, expected):
    text = f"won 3 {typed}"
    if expected == "ask":
        with pytest.raises(ChooseAmount) as choose:
            parse_referral(text, today=TODAY, conventions=conventions)
        assert {(c.amount, c.currency) for c in choose.value.choices} == {(Decimal("12000"), "EUR"),
                                                                          (Decimal("12"), "EUR")}
    elif isinstance(expected, tuple):
        won = parse_referral(text, today=TODAY, conventions=conventions)
        assert (won.ref.number, won.amount, won.currency) == (3, *expected)
    else:
        with pytest.raises(CommandError) as refused:
            parse_referral(text, today=TODAY, conventions=conventions)
        assert expected in refused.value.message


# ------------------------------------------------------------------ through the real app

def _rows(engine: sa.Engine, model):  # noqa: ANN001, ANN202
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())


def test_the_issues_examples_store_what_was_typed(slack, engine):
    reply = slack.asked("Jane on 11/20")
    [ask] = _rows(engine, Ask)
    assert (ask.asked_name, ask.asked_on) == ("Jane", date(2026, 11, 20))
    assert "Logged: asked Jane on Fri 20 Nov" in reply["text"]  # the date understood, echoed
    assert "*Jane* today (Fri 20 Nov)" in json.dumps(reply, ensure_ascii=False)

    slack.referral("got Bob Smith from Jane 11/19")
    slack.referral("lost 1 2026-11-20")
    [referral] = _rows(engine, Referral)
    assert (referral.status, referral.close_reason, referral.closed_on) == ("lost", None, date(2026, 11, 20))
    assert referral.introduced_on == date(2026, 11, 19)


def test_an_ambiguous_amount_is_stored_only_once_the_rep_picks(slack, engine):
    slack.referral("got Bob Smith from Jane on Nov 18")
    reply = slack.referral("won 1 €12.000 yesterday")
    [referral] = _rows(engine, Referral)
    assert referral.status == "introduced" and referral.amount is None  # nothing stored yet
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["12,000.00 EUR", "12.00 EUR"]
    assert all(b["action_id"] == ids.CHOOSE_AMOUNT for b in buttons)
    slack.click(ids.CHOOSE_AMOUNT, buttons[0]["value"])
    [referral] = _rows(engine, Referral)
    assert (referral.status, referral.amount, referral.currency, referral.closed_on) == (
        "won", Decimal("12000.00"), "EUR", date(2026, 11, 19))


def test_the_workspace_number_convention_settles_amounts(slack, engine, fake_slack):
    fake_slack.add_user("U0ADMIN", tz="Europe/Berlin", is_admin=True)
    assert "not set" in json.dumps(slack.referral("settings", user="U0ADMIN"))
    assert "Only an admin" in json.dumps(slack.referral("settings numbers 1.234,56"))
    slack.referral("settings numbers 1.234,56", user="U0ADMIN")
    slack.referral("settings currency EUR", user="U0ADMIN")
    slack.referral("got Bob Smith from Jane")
    slack.referral("won 1 12.000")
    [referral] = _rows(engine, Referral)
    assert (referral.amount, referral.currency) == (Decimal("12000.00"), "EUR")
