"""Leaderboards that lift everyone: each team's mode, on demand and in the weekly post, never naming anyone at zero."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from domain.funnel import Workspace
from services.spreadsheets import export_for
from tests.driver import TEAM_ID
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY, tick


def _text(reply) -> str:  # noqa: ANN001
    return json.dumps(reply, ensure_ascii=False)


def _named(reply) -> set[str]:  # noqa: ANN001
    return set(re.findall(r"<@(U[A-Z0-9]+)>", _text(reply)))


def _history(slack) -> None:  # noqa: ANN001
    """New York asked once a week for four weeks and three times this week; Berlin only once, this week;
    Sydney not at all."""
    for day in ("2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"):
        slack.asked(f"Old Friend {day[-2:]} on {day}", user=NY)
    slack.asked("Jane Doe; Raj Patel; Maria Lopez", user=NY)
    slack.asked("Tom Baker", user=BERLIN)


def test_improvers_everyone_and_team_modes_on_demand(team, slack):
    _history(slack)
    improvers = slack.referral("leaderboard improvers", user=SYDNEY)
    assert _named(improvers) == {NY, BERLIN}
    text = _text(improvers)
    assert text.index(NY) < text.index(BERLIN)  # a rise of 2 against 1
    assert "3 a week, up from 1.0" in text

    everyone = slack.referral("leaderboard week everyone", user=SYDNEY)
    assert _named(everyone) == {NY, BERLIN} and "2 of 3" in _text(everyone)

    whole_team = slack.referral("leaderboard team", user=NY)
    assert _named(whole_team) == set()
    assert "*4* asks of a 3 target" in _text(whole_team)  # 3 reps x minimum 1; last week New York's one ask
    assert "on the period before, 1" in _text(whole_team)

    ranking = slack.referral("leaderboard", user=NY)
    assert SYDNEY not in _named(ranking) and {NY, BERLIN} <= _named(ranking)


def test_the_team_mode_is_a_team_setting_that_admins_change(team, slack):
    _history(slack)
    refused = slack.referral("team set east leaderboard-mode team", user=NY)
    assert "admins" in _text(refused)
    bad = slack.referral("team set east leaderboard-mode loudest", user=ADMIN)
    assert "ranking, improvers, everyone, team" in _text(bad)
    assert "leaderboard mode is now everyone" in _text(slack.referral("team set east leaderboard-mode everyone",
                                                                      user=ADMIN))
    # No mode given: the team's own.
    board = slack.referral("leaderboard", user=SYDNEY)
    assert "2 of 3" in _text(board) and _named(board) == {NY, BERLIN}
    # The team commands the team grammar owns still work beside the new setting.
    assert "minimum is 2" in _text(slack.referral("team set east minimum 2", user=ADMIN))


def test_the_weekly_post_follows_the_mode_and_agrees_with_stats(team, slack, fake_slack, app_and_ctx):
    _history(slack)
    slack.referral("team set east leaderboard-mode team", user=ADMIN)
    report = tick("leaderboard", app_and_ctx, datetime(2026, 11, 9, 16, 0, tzinfo=UTC))
    assert report.sent == 1
    [post] = [c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("channel") == "C0SALES"]
    assert _named(post.params) == set()
    team_total = int(re.search(r"\*(\d+)\* asks of a", _text(post.params)).group(1))
    # The same week as each rep's /referral stats for last week, summed.
    stats = [int(re.search(r": (\d+) asks?$", slack.referral("stats week", user=rep)["text"]).group(1))
             for rep in (NY, BERLIN, SYDNEY)]
    assert stats == [3, 1, 0] and team_total == sum(stats)
    # And with the export the manager would get (/referral export): the team's asks dated that week.
    _app, ctx = app_and_ctx
    manager = ctx.people.cached_person(workspace=Workspace(TEAM_ID), user_id=MANAGER)
    export = export_for(engine=ctx.engine, workspace=Workspace(TEAM_ID), requester=manager)
    rows = list(csv.DictReader(io.StringIO(export.asks_csv)))
    assert sum("2026-11-02" <= row["date"] <= "2026-11-08" for row in rows) == team_total


def test_nobody_at_zero_is_named_in_any_naming_mode(team, slack):
    slack.asked("Jane Doe", user=NY)
    for mode in ("ranking", "improvers", "everyone"):
        assert SYDNEY not in _named(slack.referral(f"leaderboard {mode}", user=SYDNEY)), mode
    assert "Choose a period" in _text(slack.referral("leaderboard loudest", user=NY))
