"""The referral-habit verbs of /referral (client, connectors, preview, leaderboard modes, their team settings)
and the heads-up that follows a logged ask.

``answer`` is called by the /referral listener after it has acked and parsed: one service call per
command, rendered by a pure builder; the listener replies with what comes back.
"""
from __future__ import annotations

from typing import Any

from domain.funnel import Workspace
from domain.habit_commands import HabitVerb, SetHabitSetting, ShowModeLeaderboard
from services import habit_settings as habit_settings_service
from services import leaderboard_modes as board_service
from services.context import AppContext
from services.people import Person
from views import leaderboard_modes as board_views
from views import teams as team_views

Message = dict[str, Any]


def answer(ctx: AppContext, client: Any, *, workspace: Workspace, rep: Person, command: HabitVerb,
           now: Any) -> Message:
    match command:
        case ShowModeLeaderboard():
            return board_views.board_message(board_service.board_for_requester(
                engine=ctx.engine, workspace=workspace, rep=rep, command=command, now=now, people=ctx.people))
        case SetHabitSetting():
            what = habit_settings_service.set_habit(engine=ctx.engine, workspace=workspace, actor=rep,
                                                    command=command, now=now)
            return team_views.team_changed(summary=None, what=what)
    raise AssertionError(f"unhandled {command!r}")
