"""The leaderboard on demand: the requester's team, the period so far, visible only to them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.nudges import LeaderboardContent
from domain.parsing import CommandError, usage_for
from domain.periods import local_today, named_period
from domain.team_commands import ShowLeaderboard
from services.nudges import leaderboard_content, load_teams
from services.people import PeopleDirectory, Person
from services.teams import fiscal_year_start


def leaderboard_for(
    *, engine: sa.Engine, workspace: Workspace, rep: Person, command: ShowLeaderboard, now: datetime,
    people: PeopleDirectory,
) -> LeaderboardContent:
    teams = load_teams(engine=engine, workspace=workspace)
    mine = [t for t in teams if rep.user_id in t.reps or rep.user_id in t.managers]
    team = min(mine, key=lambda t: t.name) if mine else None
    try:
        period = named_period(command.period, local_today(now, rep.timezone),
                              fiscal_start_month=fiscal_year_start(engine=engine, workspace=workspace))
    except ValueError as error:
        raise CommandError(str(error), usage=usage_for(command)) from None
    if team is None:
        return LeaderboardContent(team_name="your team", period=period, entries=(), team_asks=0, target=0, longest_streaks=())
    reps = {uid: people.cached_person(workspace=workspace, user_id=uid) for uid in team.reps}
    return leaderboard_content(engine=engine, workspace=workspace, team=team, reps=reps, period=period, now=now)
