"""Protecting the connectors: the heads-up after asking someone the team keeps asking, the managers'
/referral connectors, and a rep's top connectors on the Home tab."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from domain.funnel import Workspace
from services.connectors import heads_up_for
from storage.engine import read_scope, session_scope
from storage.models import Ask
from storage.queries import add_ask
from storage.team_queries import add_member, add_team, list_rep_teams
from tests.driver import TEAM_ID
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY
from views import ids


def _text(reply) -> str:  # noqa: ANN001
    return json.dumps(reply, ensure_ascii=False)


def _asks_this_week(slack, user: str) -> int:  # noqa: ANN001
    return int(re.search(r": (\d+) asks?$", slack.referral("stats week", user=user)["text"]).group(1))


def test_the_fourth_ask_of_the_same_person_gets_a_heads_up_and_still_counts(team, slack):
    slack.asked("Maria Lopez on 2026-10-20", user=NY)
    slack.asked("maria  LOPEZ on 2026-10-27", user=BERLIN)  # the same person, by normalised name
    quiet = slack.asked("MARIA LOPEZ", user=SYDNEY)  # two earlier asks: below the default of 3
    assert "Heads-up" not in _text(quiet)
    warned = slack.asked("Maria Lopez", user=NY)
    text = _text(warned)
    assert "Heads-up" in text and "3 times" in text
    assert f"<@{BERLIN}> (Tue Oct 27)" in text and f"<@{SYDNEY}> (today)" in text and "you (Tue Oct 20)" in text
    assert "Logged" in text or "1 of 1" in text  # the confirmation is still there
    assert _asks_this_week(slack, NY) == 1 and _asks_this_week(slack, SYDNEY) == 1


def test_heads_up_by_slack_user_within_90_days_of_the_team_only(team, slack):
    slack.referral("team create west", user=ADMIN)
    slack.referral("team add west <@U0REP2|outsider>", user=ADMIN)
    for day in (21, 22, 23):  # another team asking the connector doesn't count
        slack.asked(f"<@U0CONN|connie> on 2026-10-{day}", user="U0REP2")
    slack.asked("<@U0CONN|connie> on 2026-07-01", user=BERLIN)  # older than 90 days
    slack.asked("<@U0CONN|connie> on 2026-10-21", user=BERLIN)
    assert "Heads-up" not in _text(slack.asked("<@U0CONN|connie>", user=SYDNEY))
    reply = slack.referral("team set east connector-threshold 2", user=ADMIN)
    assert "asked 2 times" in _text(reply)
    warned = _text(slack.asked("<@U0CONN|c>", user=NY))
    assert "Heads-up" in warned and "<@U0CONN>" in warned and "2 times" in warned
    assert "U0REP2" not in warned


def test_the_ask_form_gets_the_heads_up_too(team, slack, fake_slack):
    slack.referral("team set east connector-threshold 1", user=ADMIN)
    slack.asked("Maria Lopez on 2026-10-20", user=BERLIN)
    slack.asked("", user=NY)
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    response = slack.submit(view, {
        ids.ASK_USER_BLOCK: {ids.ASK_USER_ACTION: {"type": "users_select", "selected_user": None}},
        ids.ASK_NAME_BLOCK: {ids.ASK_NAME_ACTION: {"type": "plain_text_input", "value": "Maria Lopez"}},
        ids.ASK_FOR_BLOCK: {ids.ASK_FOR_ACTION: {"type": "plain_text_input", "value": None}},
        ids.ASK_DATE_BLOCK: {ids.ASK_DATE_ACTION: {"type": "datepicker", "selected_date": "2026-11-02"}},
    }, user=NY)
    assert response.status == 200
    confirmation = fake_slack.calls_to("chat.postEphemeral")[-1].params
    assert confirmation["user"] == NY and "Heads-up" in _text(confirmation) and f"<@{BERLIN}>" in _text(confirmation)


def test_the_heads_up_costs_the_same_statements_as_the_workspace_grows(team, slack, app_and_ctx, engine):
    _app, ctx = app_and_ctx
    slack.asked("Maria Lopez on 2026-10-20", user=BERLIN)
    slack.asked("Maria Lopez on 2026-10-21", user=SYDNEY)
    slack.asked("Maria Lopez on 2026-10-22", user=BERLIN)
    workspace = Workspace(TEAM_ID)
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    rep = ctx.people.cached_person(workspace=workspace, user_id=NY)
    from services.asks import ask_record

    with session_scope(engine) as session:
        ask = add_ask(session=session, workspace=workspace, rep_user_id=NY, asked_user_id=None,
                      asked_name="Maria Lopez", for_whom=None, asked_on=date(2026, 11, 2), now=now).ask
        logged = (ask_record(ask),)

    def measured() -> tuple[int, tuple]:
        statements = []

        def count(conn, cursor, statement, parameters, *rest) -> None:  # noqa: ANN001
            statements.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            with read_scope(engine) as session:
                result = heads_up_for(session=session, workspace=workspace, rep=rep, logged=logged, now=now,
                                      teams=list_rep_teams(session=session, workspace=workspace, user_id=NY))
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        measured.statements = statements
        return len(statements), result

    small, before = measured()
    # The workspace grows: 20 more teams of 10 reps, each rep asking the same person and others, many times.
    with session_scope(engine) as session:
        for t in range(20):
            other = add_team(session=session, workspace=workspace, name=f"west{t}", now=now)
            for n in range(t * 10, t * 10 + 10):
                add_member(session=session, team=other, user_id=f"U0W{n:03d}", role="rep")
        # Straight rows (setup only): the same columns add_ask writes, without its duplicate check per row.
        session.add_all([Ask(team_id=TEAM_ID, rep_user_id=f"U0W{n:03d}", asked_name=name, asked_on=date(2026, 10, day),
                             dedupe_key=f"bulk-{n}-{day}-{name}", created_at=now)
                         for n in range(200) for day in (5, 12, 19, 26) for name in ("Maria Lopez", f"Person {n}")])
    large, after = measured()
    assert before and after == before  # the other team's asks aren't the team's
    assert small == large
    if engine.dialect.name == "sqlite":  # and it reads Maria's asks by index, not the teams' other asks
        statement, parameters = next((s, p) for s, p in measured.statements if "lower(ask.asked_name)" in s)
        with engine.connect() as connection:
            plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                            parameters))
        assert "ix_ask_person_name" in plan, plan
    print(f"connector heads-up: {small} SQL statements before and {large} after the workspace grew")


def test_managers_see_the_top_sources_and_who_is_asked_often_without_thanks(team, slack, clock):
    slack.asked("Maria Lopez on 2026-10-20", user=NY)
    slack.referral("got Acme from Maria Lopez on 2026-10-22", user=NY)
    slack.referral("meeting 1 2026-11-10", user=NY)
    slack.referral("won 1", user=NY)
    slack.referral("got Globex from maria lopez", user=BERLIN)
    slack.referral("thanked 1", user=BERLIN)
    slack.referral("got Initech from Sam Jones", user=SYDNEY)
    for day in (12, 19, 26):
        slack.asked(f"Connie Nector on 2026-10-{day}", user=SYDNEY)
    refused = slack.referral("connectors", user=NY)
    assert "for managers" in _text(refused)
    report = _text(slack.referral("connectors", user=MANAGER))
    lines = [line for line in report.split("\\n") if " intro" in line and "·" in line]
    assert "Maria Lopez" in lines[0]  # a win ranks first
    assert "2 intros · 1 meeting · 1 win · asked 1× in 90 days · thanked today" in lines[0]
    assert "Sam Jones" in report and "never thanked" in report
    [connie] = [line for line in lines if "Connie Nector" in line]
    assert "0 intros" in connie and "asked 3× in 90 days" in connie and "no thank-you logged" in connie
    assert "no thank-you logged" not in lines[0]


def test_a_reps_home_tab_shows_their_top_connectors(team, slack):
    slack.referral("got Acme from Maria Lopez", user=NY)
    slack.referral("got Globex from Maria Lopez", user=NY)
    slack.referral("got Initech from <@U0SAM|sam>", user=NY)
    slack.referral("got Hooli from Someone Else", user=BERLIN)
    home = _text(slack.open_home(user=NY))
    assert "Your top connectors:* *Maria Lopez* (2 intros, 0 wins), <@U0SAM> (1 intro" in home
    assert "Someone Else" not in home


def test_picking_someone_in_the_ask_form_shows_the_heads_up_before_logging(team, slack, fake_slack, engine):
    import json as _json
    from urllib.parse import urlencode

    for day in (12, 19, 26):
        slack.asked(f"<@U0CONN|connie> on 2026-10-{day}", user=BERLIN)
    slack.asked("", user=NY)
    view = fake_slack.calls_to("views.open")[-1].params["view"]

    def pick(user_id: str, shown: dict) -> dict:
        payload = {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "acme"}, "user": {"id": NY},
                   "api_app_id": "A0001", "token": "legacy", "trigger_id": "1.2.3",
                   "container": {"type": "view", "view_id": "V0ASK"},
                   "view": {**shown, "id": "V0ASK", "hash": "h1", "state": {"values": {}}},
                   "actions": [{"type": "users_select", "action_id": ids.ASK_USER_ACTION, "block_id": ids.ASK_USER_BLOCK,
                                "selected_user": user_id, "action_ts": "1.3"}]}
        assert slack.dispatch(urlencode({"payload": _json.dumps(payload)})).status == 200
        update = fake_slack.calls_to("views.update")[-1].params
        assert update["view_id"] == "V0ASK" and update["hash"] == "h1"
        return update["view"]

    warned = pick("U0CONN", view)
    assert "Heads-up" in _text(warned) and f"<@{BERLIN}>" in _text(warned)
    assert warned["callback_id"] == view["callback_id"] and "id" not in warned and "state" not in warned
    calm = pick("U0NEW", warned)  # someone else: the earlier heads-up goes
    assert "Heads-up" not in _text(calm) and len(calm["blocks"]) == len(view["blocks"])
    with session_scope(engine) as session:
        assert session.exec(sa.text("select count(*) from ask")).one()[0] == 3  # nothing logged by picking
