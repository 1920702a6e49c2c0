"""The referral-habit parts of the scheduled jobs.

- ``plan_client_followups``: "who do they know?" to each rep whose new client's follow-up has come.
- ``with_habits``: what the habit features add to the messages the other jobs plan: a manager's note
  in a rep's reminder, the habit lines at the end of a digest, and the team's leaderboard mode. It
  wraps each ``Outgoing`` by its kind and ledger keys only, so it works whatever planned it.
  Reads happen when a message is rendered, once per workspace and tick for the notes and teams.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.funnel import Workspace
from domain.leaderboard_modes import RANKING
from domain.nudges import DIGEST, LEADERBOARD, REMINDER
from domain.periods import period_containing
from services.client_followups import due_followups, followup_outgoing
from services.context import AppContext
from services.delivery import Outgoing
from services.habit_digest import digest_habits
from services.habit_settings import team_habits
from services.leaderboard_modes import board_for_team
from services.nudge_preview import reminder_notes
from services.nudges import load_teams
from views import habit_digest as habit_digest_views
from views import leaderboard_modes as board_views
from views import nudge_preview as preview_views
from views.client_followups import followup_message


def plan_client_followups(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                          **_: Any) -> Iterator[Outgoing]:
    """Zones from the stored profiles: a tick never asks Slack who someone is."""
    def zone_of(user_id: str) -> Any:
        return ctx.people.cached_person(workspace=workspace, user_id=user_id).timezone

    for due in due_followups(engine=ctx.engine, workspace=workspace, zone_of=zone_of, now=now):
        yield followup_outgoing(due, followup_message)


def with_habits(items: Iterable[Outgoing], *, ctx: AppContext, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    cache: dict[str, Any] = {}

    def notes() -> dict[tuple[str, date], str]:
        if "notes" not in cache:
            cache["notes"] = reminder_notes(engine=ctx.engine, workspace=workspace, now=now)
        return cache["notes"]

    def team(recipient: str) -> Any:
        """Digest and leaderboard recipients end in ":<team id>"."""
        if "teams" not in cache:
            cache["teams"] = {str(t.id): t for t in load_teams(engine=ctx.engine, workspace=workspace)}
        return cache["teams"].get(recipient.rsplit(":", 1)[-1])

    def reps_of(info: Any) -> dict[str, Any]:
        return {uid: ctx.people.cached_person(workspace=workspace, user_id=uid) for uid in info.reps}

    for item in items:
        if item.kind == REMINDER:
            week_start = _day(item.period_key)

            def render(item: Outgoing = item, week_start: date | None = week_start) -> list[dict[str, Any]]:
                note = notes().get((item.recipient, week_start)) if week_start else None
                return [preview_views.with_manager_note(m, note) if i == 0 else m for i, m in enumerate(item.render())]

            yield replace(item, render=render)
        elif item.kind == DIGEST and team(item.recipient) is not None:
            def render(item: Outgoing = item, info: Any = team(item.recipient)) -> list[dict[str, Any]]:
                return habit_digest_views.with_habit_lines(item.render(), digest_habits(
                    engine=ctx.engine, workspace=workspace, reps=reps_of(info), now=now))

            yield replace(item, render=render)
        elif item.kind == LEADERBOARD and team(item.recipient) is not None and _day(item.period_key) and \
                team_habits(engine=ctx.engine, workspace=workspace, team_id=team(item.recipient).id).leaderboard_mode \
                != RANKING:
            # The post on the slot's week shows the week before it.
            last_week = period_containing("week", _day(item.period_key) - timedelta(days=7))

            def render(info: Any = team(item.recipient), period: Any = last_week) -> list[dict[str, Any]]:
                return [board_views.board_message(board_for_team(engine=ctx.engine, workspace=workspace, team=info,
                                                                 reps=reps_of(info), period=period, mode=None, now=now))]

            yield replace(item, render=render)
        else:
            yield item


def _day(period_key: str) -> date | None:
    try:
        return date.fromisoformat(period_key)
    except ValueError:
        return None
