"""Trend charts: the weekly numbers behind them, and uploading each chart to Slack once a week.

The PNG itself is drawn by ``views.chart``; callers pass a function that draws
it, so that nothing is drawn when this week's chart is already in Slack.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from slack_sdk.errors import SlackClientError

from domain.funnel import Workspace
from domain.trends import TREND_WEEKS, WeekPoint, has_history, weekly_points
from storage.chart_queries import add_chart_upload, get_chart_upload
from storage.engine import read_scope, run_in_transaction
from storage.report_queries import count_asks_by_day, count_referrals_by_day

log = logging.getLogger(__name__)


def weekly_trend(*, engine: sa.Engine, workspace: Workspace, rep_user_ids: Iterable[str],
                 last_week_start: date) -> tuple[WeekPoint, ...]:
    """Asks and referrals of these reps per week, the 12 weeks ending with ``last_week_start``'s.

    A team's chart uses the viewer's weeks for everyone: a rep's Sunday evening in
    another zone may land in the neighbouring week, which a trend line can afford.
    """
    reps = list(rep_user_ids)
    start = last_week_start - timedelta(weeks=TREND_WEEKS - 1)
    end = last_week_start + timedelta(days=6)
    with read_scope(engine) as session:
        asks = count_asks_by_day(session=session, workspace=workspace, rep_user_ids=reps, start=start, end=end)
        referrals = count_referrals_by_day(session=session, workspace=workspace, rep_user_ids=reps, start=start,
                                           end=end)
    return weekly_points(last_week_start=last_week_start, asks_by_day=_by_day(asks),
                         referrals_by_day=_by_day(referrals))


@dataclass(frozen=True)
class ChartLines:
    """What the chart draws over the bars: the minimum (a rep's, or a team's target) and a trend line.
    ``trend`` None: the chart shows the asks' own moving average."""

    minimum: float | None
    minimum_label: str = "Minimum"
    trend_label: str = ""
    trend: tuple[float, ...] | None = None


def home_chart_lines(*, engine: sa.Engine, workspace: Workspace, user_id: str, minimum: int,
                     managed_teams: Sequence[tuple[int, int]], last_week_start: date) -> ChartLines:
    """A manager's chart (``managed_teams``: each team's minimum and rep count) gets the teams' target;
    a rep's gets their minimum and their teams' average asks per rep, to see where they stand."""
    if managed_teams:
        return ChartLines(minimum=sum(m * reps for m, reps in managed_teams), minimum_label="Team target")
    from services.nudges import load_teams

    teammates = sorted({r for team in load_teams(engine=engine, workspace=workspace) if user_id in team.reps
                        for r in team.reps})
    if len(teammates) < 2:
        return ChartLines(minimum=minimum)
    team = weekly_trend(engine=engine, workspace=workspace, rep_user_ids=teammates, last_week_start=last_week_start)
    return ChartLines(minimum=minimum, trend_label="Team average asks",
                      trend=tuple(round(p.asks / len(teammates), 2) for p in team))


def _by_day(counts: dict[tuple[str, date], int]) -> dict[date, int]:
    total: dict[date, int] = {}
    for (_, day), n in counts.items():
        total[day] = total.get(day, 0) + n
    return total


def upload_chart(
    *, client: Any, engine: sa.Engine, workspace: Workspace, owner: str, points: tuple[WeekPoint, ...],
    draw: Callable[[tuple[WeekPoint, ...]], bytes], now: datetime, channel: str | None = None,
    title: str = "12-week trend", comment: str | None = None,
) -> str | None:
    """The chart's Slack file ID: uploaded with files_upload_v2 the first time this week, then reused.

    ``channel`` shares the file there (a digest's DM); without it the file stays
    private to the bot, for the Home tab's image block. No history: no chart.
    A failed upload is logged and returns None: a chart never blocks the message it illustrates.
    """
    if not has_history(points):
        return None
    key = f"{points[-1].week_start.isoformat()}:{channel or 'home'}"
    if channel is None:
        with read_scope(engine) as session:
            cached = get_chart_upload(session=session, workspace=workspace, owner=owner, period_key=key)
        if cached:
            return cached
    try:
        response = client.files_upload_v2(content=draw(points), filename="referral-trend.png", title=title,
                                          channel=channel, initial_comment=comment, alt_txt=title)
    except SlackClientError as error:  # an API error, or the upload step's own failure
        log.warning("chart upload failed: %s", getattr(error, "response", {}) and error.response.get("error"))
        return None
    file_id = (response.get("file") or {}).get("id")
    if file_id and channel is None:
        run_in_transaction(engine, lambda session: add_chart_upload(session=session, workspace=workspace, owner=owner,
                                                                    period_key=key, file_id=file_id, now=now))
    return file_id
