"""Log an intro where it arrives: the "Log as referral received" message shortcut opens the referral form
pre-filled from the message, offers the rep's open ask of the referrer, and stores only what is submitted."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from domain.intros import company_from_email, read_intro
from storage.models import Ask, Referral
from tests.driver import TEAM_ID
from tests.support.teams import NY
from views import ids

SECRET = "SECRET-budget-4711"


def _shortcut(slack, *, text: str, author: str, ts: datetime, user: str = NY) -> dict:  # noqa: ANN001
    payload = {
        "type": "message_action", "callback_id": ids.LOG_INTRO_SHORTCUT, "trigger_id": "999.000.xyz",
        "team": {"id": TEAM_ID, "domain": "acme"}, "user": {"id": user}, "api_app_id": "A0001", "token": "legacy",
        "channel": {"id": "C0INTROS", "name": "intros"}, "response_url": slack.fake.response_url("shortcut"),
        "message_ts": f"{ts.timestamp():.6f}",
        "message": {"type": "message", "user": author, "ts": f"{ts.timestamp():.6f}", "text": text},
    }
    response = slack.dispatch(urlencode({"payload": json.dumps(payload)}))
    assert response.status == 200, response.body
    return slack.fake.calls_to("views.open")[-1].params["view"]


def _block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _values(view: dict, *, prospect: str | None, company: str | None = None, referrer_user: str | None = None,
            referrer_name: str | None = None, day: str = "2026-10-30", link: bool = False) -> dict:
    values = {
        ids.INTRO_PROSPECT_BLOCK: {ids.INTRO_PROSPECT_ACTION: {"type": "plain_text_input", "value": prospect}},
        ids.INTRO_COMPANY_BLOCK: {ids.INTRO_COMPANY_ACTION: {"type": "plain_text_input", "value": company}},
        ids.INTRO_REFERRER_USER_BLOCK: {ids.INTRO_REFERRER_USER_ACTION: {"type": "users_select",
                                                                          "selected_user": referrer_user}},
        ids.INTRO_REFERRER_NAME_BLOCK: {ids.INTRO_REFERRER_NAME_ACTION: {"type": "plain_text_input",
                                                                          "value": referrer_name}},
        ids.INTRO_DATE_BLOCK: {ids.INTRO_DATE_ACTION: {"type": "datepicker", "selected_date": day}},
    }
    if any(b.get("block_id") == ids.INTRO_LINK_BLOCK for b in view["blocks"]):
        options = _block(view, ids.INTRO_LINK_BLOCK)["element"]["options"]
        values[ids.INTRO_LINK_BLOCK] = {ids.INTRO_LINK_ACTION: {"type": "checkboxes",
                                                                "selected_options": options if link else []}}
    return values


def _everything_stored(engine) -> str:  # noqa: ANN001
    with engine.connect() as connection:
        tables = sa.MetaData()
        tables.reflect(bind=connection)
        return json.dumps([[list(map(str, row)) for row in connection.execute(table.select())]
                           for table in tables.sorted_tables])


def test_a_colleagues_intro_post_prefills_the_form_and_links_the_open_ask(team, slack, fake_slack, engine):
    slack.asked("<@U0MARIA|maria> for someone in finance on 2026-10-26", user=NY)
    text = (f"Hi <@{NY}>, meet Jane Doe, CFO at Acme Corp &lt;<mailto:jane@acme.com|jane@acme.com>&gt;. "
            f"She has the {SECRET} numbers you wanted.")
    view = _shortcut(slack, text=text, author="U0MARIA", ts=datetime(2026, 10, 30, 15, 0, tzinfo=UTC))
    assert view["callback_id"] == ids.INTRO_MODAL
    assert _block(view, ids.INTRO_PROSPECT_BLOCK)["element"]["initial_value"] == "Jane Doe"
    assert _block(view, ids.INTRO_COMPANY_BLOCK)["element"]["initial_value"] == "Acme Corp"
    assert _block(view, ids.INTRO_REFERRER_USER_BLOCK)["element"]["initial_user"] == "U0MARIA"
    assert _block(view, ids.INTRO_DATE_BLOCK)["element"]["initial_date"] == "2026-10-30"
    link = _block(view, ids.INTRO_LINK_BLOCK)["element"]
    assert link["initial_options"] == link["options"] and "ask of maria" in link["options"][0]["text"]["text"]
    assert "Jane Doe (jane@acme.com)" in json.dumps(view)

    response = slack.submit(view, _values(view, prospect="Jane Doe", company="Acme Corp", referrer_user="U0MARIA",
                                          link=True), user=NY)
    assert response.status == 200 and not response.body
    with Session(engine) as session:
        [referral] = session.exec(select(Referral)).all()
        [ask] = session.exec(select(Ask)).all()
    assert (referral.prospect_name, referral.referrer_user_id, str(referral.introduced_on)) == (
        "Jane Doe, Acme Corp", "U0MARIA", "2026-10-30")
    assert referral.ask_id == ask.id and ask.outcome == "introduced"
    confirmation = fake_slack.calls_to("chat.postEphemeral")[-1].params
    assert confirmation["channel"] == "C0INTROS" and confirmation["user"] == NY
    assert SECRET not in _everything_stored(engine)  # the message itself is never kept


def test_a_forwarded_email_names_the_referrer_and_the_rep_may_decline_the_link(team, slack, engine):
    slack.asked("Maria Lopez on 2026-10-26", user=NY)
    text = ("---------- Forwarded message ---------\nFrom: Maria Lopez &lt;<mailto:maria@gmail.com|maria@gmail.com>&gt;"
            "\nSubject: Intro\n\nBen, I'd like to introduce you to Tom Baker "
            "(<mailto:tom.baker@globex-industries.co.uk|tom.baker@globex-industries.co.uk>), who runs finance.")
    view = _shortcut(slack, text=text, author=NY, ts=datetime(2026, 11, 2, 3, 0, tzinfo=UTC))  # Sunday night in NY
    assert _block(view, ids.INTRO_PROSPECT_BLOCK)["element"]["initial_value"] == "Tom Baker"
    assert _block(view, ids.INTRO_COMPANY_BLOCK)["element"]["initial_value"] == "Globex Industries"
    assert _block(view, ids.INTRO_REFERRER_NAME_BLOCK)["element"]["initial_value"] == "Maria Lopez"
    assert "initial_user" not in _block(view, ids.INTRO_REFERRER_USER_BLOCK)["element"]
    assert _block(view, ids.INTRO_DATE_BLOCK)["element"]["initial_date"] == "2026-11-01"
    slack.submit(view, _values(view, prospect="Tom Baker", company="Globex Industries", referrer_name="Maria Lopez",
                               day="2026-11-01", link=False), user=NY)
    with Session(engine) as session:
        [referral] = session.exec(select(Referral)).all()
        [ask] = session.exec(select(Ask)).all()
    assert referral.prospect_name == "Tom Baker, Globex Industries" and referral.referrer_name == "Maria Lopez"
    assert referral.ask_id is None and ask.outcome == "pending"


def test_bad_form_input_is_shown_inline_and_nothing_is_stored(team, slack, engine):
    view = _shortcut(slack, text="lunch on friday?", author="U0SOMEONE", ts=datetime(2026, 11, 1, tzinfo=UTC))
    assert "initial_value" not in _block(view, ids.INTRO_PROSPECT_BLOCK)["element"]
    assert not any(b.get("block_id") == ids.INTRO_LINK_BLOCK for b in view["blocks"])
    response = slack.submit(view, _values(view, prospect="  ", referrer_user=None, day="2027-01-01"), user=NY)
    errors = json.loads(response.body)["errors"]
    assert set(errors) == {ids.INTRO_PROSPECT_BLOCK, ids.INTRO_REFERRER_NAME_BLOCK, ids.INTRO_DATE_BLOCK}
    with Session(engine) as session:
        assert session.exec(select(Referral)).all() == []


def test_reading_people_and_companies_from_text():
    draft = read_intro("cc <mailto:bob@initech.com|bob@initech.com> and not-an-email@ nor a@@b.com; "
                       "<@U0KIM> knows Bob", author_user_id="U0REP1", rep_user_id="U0REP1")
    assert [(p.user_id, p.email) for p in draft.people] == [("U0KIM", None), (None, "bob@initech.com")]
    assert draft.referrer is None and draft.prospect.user_id == "U0KIM"
    assert company_from_email("ann@gmail.com") is None and company_from_email("x@acme-corp.co.uk") == "Acme Corp"


def test_the_manifest_declares_the_message_shortcut():
    from pathlib import Path

    manifest = json.loads((Path(__file__).parents[1] / "manifest.json").read_text())
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["name"]) == (
        "message", ids.LOG_INTRO_SHORTCUT, "Log as referral received")


@pytest.mark.parametrize(("text", "company"), [
    ("let me connect you with Jane Doe from Initech. Best, an intro from Maria Lopez", "Initech"),
    ("meet Jane Doe at J.P. Morgan Chase, she runs treasury", "J.P. Morgan Chase"),
    ("meet Jane Doe, CFO of Acme &amp; Sons; she knows", "Acme & Sons"),
    ("I'd like to introduce you to Tom Baker. He's great", None),
])
def test_the_company_is_read_from_the_text(text, company):
    assert read_intro(text, author_user_id="U0M", rep_user_id="U0R").company == company
