"""Leaderboards in the team's chosen mode, on demand and for the scheduled post.

Counts come from the same per-day ask counts as /referral stats and the digest,
so every mode's numbers agree with them.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.habit_commands import LEADERBOARD_USAGE, ShowModeLeaderboard
from domain.leaderboard_modes import (
    BASELINE_WEEKS,
    RANKING,
    ModeBoard,
    RepNumbers,
    at_minimum,
    improvers,
    period_weeks,
)
from domain.nudges import LeaderboardContent
from domain.parsing import CommandError
from domain.periods import Period, local_today, named_period, previous_period
from services.habit_settings import team_habits
from services.nudges import leaderboard_content, load_teams
from services.people import PeopleDirectory, Person
from services.teams import TeamInfo, fiscal_year_start
from storage.engine import read_scope
from storage.report_queries import count_asks_by_day

Board = LeaderboardContent | ModeBoard


def board_for_team(*, engine: sa.Engine, workspace: Workspace, team: TeamInfo, reps: Mapping[str, Person],
                   period: Period, mode: str | None, now: datetime) -> Board:
    """The team's board for the period, in ``mode`` or else the team's own."""
    mode = mode or team_habits(engine=engine, workspace=workspace, team_id=team.id).leaderboard_mode
    if mode == RANKING:
        return leaderboard_content(engine=engine, workspace=workspace, team=team, reps=reps, period=period, now=now)
    before = previous_period(period)
    baseline_start = period.start - timedelta(weeks=BASELINE_WEEKS)
    with read_scope(engine) as session:
        daily = count_asks_by_day(session=session, workspace=workspace, rep_user_ids=list(reps),
                                  start=min(before.start, baseline_start), end=period.end)

    def asks(uid: str, start, end) -> int:  # noqa: ANN001
        return sum(n for (rep, day), n in daily.items() if rep == uid and start <= day <= end)

    numbers = [RepNumbers(uid, asks(uid, period.start, period.end), tuple(
        asks(uid, baseline_start + timedelta(weeks=w), baseline_start + timedelta(weeks=w, days=6))
        for w in range(BASELINE_WEEKS))) for uid in reps]
    weeks = period_weeks((period.end - period.start).days + 1)
    return ModeBoard(mode=mode, team_name=team.name, period_label=period.label,
                     improvers=improvers(numbers, weeks=weeks),
                     at_minimum=at_minimum(numbers, minimum=team.minimum, weeks=weeks), rep_count=len(reps),
                     minimum=team.minimum, team_asks=sum(n.asks for n in numbers),
                     target=len(reps) * team.minimum * weeks,
                     previous_asks=sum(asks(uid, before.start, before.end) for uid in reps))


def board_for_requester(*, engine: sa.Engine, workspace: Workspace, rep: Person, command: ShowModeLeaderboard,
                        now: datetime, people: PeopleDirectory) -> Board:
    """/referral leaderboard: the requester's team (the first by name), the period so far, just for them."""
    teams = load_teams(engine=engine, workspace=workspace)
    mine = [t for t in teams if rep.user_id in t.reps or rep.user_id in t.managers]
    team = min(mine, key=lambda t: t.name) if mine else None
    try:
        period = named_period(command.period, local_today(now, rep.timezone),
                              fiscal_start_month=fiscal_year_start(engine=engine, workspace=workspace))
    except ValueError as error:  # a period that hasn't begun yet
        raise CommandError(str(error), usage=LEADERBOARD_USAGE) from None
    if team is None:
        return LeaderboardContent(team_name="your team", period=period, entries=(), team_asks=0, target=0,
                                  longest_streaks=())
    reps = {uid: people.cached_person(workspace=workspace, user_id=uid) for uid in team.reps}
    return board_for_team(engine=engine, workspace=workspace, team=team, reps=reps, period=period,
                          mode=command.mode, now=now)
