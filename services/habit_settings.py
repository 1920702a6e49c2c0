"""Each team's say in the referral-habit features: leaderboard mode, connector heads-up, client follow-up."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.funnel import Workspace
from domain.habit_commands import HABIT_SET_USAGE, SetHabitSetting
from domain.leaderboard_modes import DEFAULT_MODE
from domain.parsing import CommandError
from domain.words import count_of
from services.people import Person
from storage.engine import read_scope, run_in_transaction
from storage.habit_queries import list_habit_settings, save_habit_setting
from storage.team_queries import get_team

DEFAULT_CONNECTOR_THRESHOLD = 3
DEFAULT_FOLLOWUP_DAYS = 30


@dataclass(frozen=True)
class TeamHabits:
    leaderboard_mode: str = DEFAULT_MODE
    connector_threshold: int = DEFAULT_CONNECTOR_THRESHOLD
    client_followup_days: int = DEFAULT_FOLLOWUP_DAYS


def habits_of_teams(*, session: Session, workspace: Workspace, team_ids: Iterable[int]) -> dict[int, TeamHabits]:
    """Every given team's settings, the defaults where a team set none; one query."""
    team_ids = list(team_ids)
    rows = list_habit_settings(session=session, workspace=workspace, team_ids=team_ids)
    return {team_id: TeamHabits(rows[team_id].leaderboard_mode, rows[team_id].connector_threshold,
                                rows[team_id].client_followup_days) if team_id in rows else TeamHabits()
            for team_id in team_ids}


def strictest(habits: Iterable[TeamHabits]) -> TeamHabits:
    """A rep on several teams: the earliest heads-up and the soonest follow-up any of them asks for."""
    found = list(habits) or [TeamHabits()]
    return TeamHabits(found[0].leaderboard_mode, min(h.connector_threshold for h in found),
                      min(h.client_followup_days for h in found))


def team_habits(*, engine: sa.Engine, workspace: Workspace, team_id: int) -> TeamHabits:
    with read_scope(engine) as session:
        return habits_of_teams(session=session, workspace=workspace, team_ids=[team_id])[team_id]


_DESCRIBE = {
    "leaderboard_mode": "{team}'s leaderboard mode is now {value}.",
    "connector_threshold": "{team} gets a heads-up when someone the team asked {count} in 90 days is asked again.",
    "client_followup_days": "{team}'s reps hear \"who do they know?\" {count} after each win.",
}


def set_habit(*, engine: sa.Engine, workspace: Workspace, actor: Person, command: SetHabitSetting,
              now: datetime) -> str:
    """An admin's change to one team's habit setting; the sentence saying what changed."""
    if not actor.is_admin:
        raise CommandError("Only workspace admins (and the bot's configured admins) can change teams.",
                           usage=HABIT_SET_USAGE)

    def work(session: Session) -> str:
        team = get_team(session=session, workspace=workspace, name=command.team)
        if team is None:
            raise CommandError(f"There is no team called {command.team}. `/referral team show` lists them.",
                               usage=HABIT_SET_USAGE)
        save_habit_setting(session=session, workspace=workspace, sales_team_id=team.id or 0, setting=command.setting,
                           value=command.value, now=now)
        unit = {"connector_threshold": "time", "client_followup_days": "day"}.get(command.setting)
        count = count_of(int(command.value), unit) if unit else ""
        return _DESCRIBE[command.setting].format(team=team.name, value=command.value, count=count)

    return run_in_transaction(engine, work)
