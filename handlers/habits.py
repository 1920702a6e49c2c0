"""The referral-habit verbs of /referral (client, connectors, preview, leaderboard modes, their team settings)
and the heads-up that follows a logged ask.

``answer`` is called by the /referral listener after it has acked and parsed: one service call per
command, rendered by a pure builder; the listener replies with what comes back.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.connectors import HeadsUp
from domain.funnel import Workspace
from domain.habit_commands import (
    AddClient,
    AddNudgeNote,
    HabitVerb,
    SetHabitSetting,
    ShowConnectors,
    ShowModeLeaderboard,
    ShowPreview,
    SkipNudge,
)
from domain.periods import local_today
from services import client_followups as followup_service
from services import connectors as connector_service
from services import habit_settings as habit_settings_service
from services import leaderboard_modes as board_service
from services import nudge_preview as preview_service
from services.context import AppContext
from services.people import Person
from views import client_followups as followup_views
from views import connectors as connector_views
from views import leaderboard_modes as board_views
from views import nudge_preview as preview_views
from views import teams as team_views

Message = dict[str, Any]


def answer(ctx: AppContext, client: Any, *, workspace: Workspace, rep: Person, command: HabitVerb,
           now: Any) -> Message:
    match command:
        case ShowModeLeaderboard():
            return board_views.board_message(board_service.board_for_requester(
                engine=ctx.engine, workspace=workspace, rep=rep, command=command, now=now, people=ctx.people))
        case AddClient():
            return followup_views.client_added(followup_service.add_client(
                engine=ctx.engine, workspace=workspace, rep=rep, command=command, now=now), local_today(now, rep.timezone))
        case ShowConnectors():
            return connector_views.connector_report(connector_service.connector_report(
                engine=ctx.engine, workspace=workspace, manager=rep, now=now), local_today(now, rep.timezone))
        case ShowPreview():
            return preview_views.preview_message(preview_service.nudge_preview(
                engine=ctx.engine, workspace=workspace, manager=rep, command=command, people=ctx.people, now=now),
                local_today(now, rep.timezone))
        case AddNudgeNote() | SkipNudge():
            return preview_views.change_message(preview_service.change_nudge(
                engine=ctx.engine, workspace=workspace, manager=rep, command=command, people=ctx.people, now=now))
        case SetHabitSetting():
            what = habit_settings_service.set_habit(engine=ctx.engine, workspace=workspace, actor=rep,
                                                    command=command, now=now)
            return team_views.team_changed(summary=None, what=what)
    raise AssertionError(f"unhandled {command!r}")


def with_connector_heads_up(reply: Message, heads_ups: Sequence[HeadsUp], *, rep: Person, now: Any) -> Message:
    """An ask's confirmation, with a private heads-up for anyone the team keeps asking (read with the asks)."""
    return connector_views.with_heads_up(reply, heads_ups, me=rep.user_id, today=local_today(now, rep.timezone))
