"""The Home tab always renders, and its chart carries the minimum and the team's trend."""
from __future__ import annotations

from datetime import date

from domain.funnel import Workspace
from services.charts import home_chart_lines
from tests.support.teams import BERLIN, MANAGER, NY


def images(view: dict) -> list[dict]:
    return [b for b in view["blocks"] if b["type"] == "image"]


def test_when_slack_refuses_the_chart_image_the_home_tab_is_published_without_it(team, slack, fake_slack):
    slack.asked("Jane 2026-10-20", user=NY)
    fake_slack.clear()
    fake_slack.fail_next("views.publish", 200, error="invalid_blocks")
    home = slack.open_home(user=NY)
    first, second = fake_slack.calls_to("views.publish")
    assert images(first.params["view"]) and not images(second.params["view"])
    assert home == second.params["view"]
    assert "This week" in str(home["blocks"]) and "Open referrals" in str(home["blocks"])


def test_other_publish_errors_are_not_retried(team, slack, fake_slack):
    fake_slack.clear()
    fake_slack.fail_next("views.publish", 200, error="not_enabled")
    slack.open_home(user=BERLIN)  # no history, no image: nothing to drop, so no second try
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_a_reps_chart_has_their_minimum_and_the_teams_average_and_a_managers_the_teams_target(team, slack, engine):
    for text in ("Jane 2026-10-20", "Raj 2026-10-21", "Ann 2026-10-22"):
        slack.asked(text, user=NY)
    slack.asked("Bo 2026-10-21", user=BERLIN)
    workspace, week = Workspace("T0001"), date(2026, 10, 19)
    rep = home_chart_lines(engine=engine, workspace=workspace, user_id=NY, minimum=1, managed_teams=[],
                           last_week_start=week)
    assert rep.minimum == 1 and rep.trend_label == "Team average asks"
    assert rep.trend[-1] == round(4 / 3, 2) and rep.trend[:-1] == (0.0,) * 11  # NY 3 + Berlin 1, over 3 reps
    manager = home_chart_lines(engine=engine, workspace=workspace, user_id=MANAGER, minimum=1,
                               managed_teams=[(2, 3), (1, 4)], last_week_start=week)
    assert (manager.minimum, manager.minimum_label, manager.trend) == (10, "Team target", None)
