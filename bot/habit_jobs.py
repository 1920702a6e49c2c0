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
from domain.periods import Period, period_containing, previous_period
from services.client_followups import due_followups, followup_outgoing
from services.context import AppContext
from services.delivery import Outgoing
from services.habit_digest import digest_habits_of_teams
from services.habit_settings import habits_of_teams
from services.leaderboard_modes import board_for_team
from services.nudge_preview import reminder_notes
from services.nudges import load_teams
from storage.engine import read_scope
from views import habit_digest as habit_digest_views
from views import leaderboard_modes as board_views
from views import nudge_preview as preview_views
from views.client_followups import followup_message

# Digests whose habit lines are read together: the page size of the ticks' own reads.
DIGEST_BATCH = 200


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
        with read_scope(ctx.engine) as session:  # one query for the team, never one per rep
            return ctx.people.cached_people(session=session, workspace=workspace, user_ids=list(info.reps))

    def mode_of(team_id: int) -> str:
        """Every team's leaderboard mode, read once per tick and workspace."""
        if "modes" not in cache:
            with read_scope(ctx.engine) as session:
                ids = [int(key) for key in cache["teams"]]
                cache["modes"] = {tid: h.leaderboard_mode for tid, h in
                                  habits_of_teams(session=session, workspace=workspace, team_ids=ids).items()}
        return cache["modes"].get(team_id, RANKING)

    digests: list[Outgoing] = []

    def flush() -> Iterator[Outgoing]:
        """A page of digests gets its habit lines, and its teams' reps, from one grouped read, then goes on
        as planned (never the whole workspace's memberships); a team gone meanwhile gets none."""
        scopes = {str(n): (_team_id(item.recipient), _digest_week(item.period_key)) for n, item in enumerate(digests)}
        habits = digest_habits_of_teams(engine=ctx.engine, workspace=workspace, digests=scopes) if scopes else {}
        for n, item in enumerate(digests):
            if str(n) not in habits:
                yield item
                continue

            def render(item: Outgoing = item, found: Any = habits[str(n)]) -> list[dict[str, Any]]:
                return habit_digest_views.with_habit_lines(item.render(), found)

            yield replace(item, render=render)
        digests.clear()

    for item in items:
        if item.kind == DIGEST and _team_id(item.recipient) is not None and _digest_week(item.period_key) is not None:
            digests.append(item)
            if len(digests) >= DIGEST_BATCH:
                yield from flush()
            continue
        if digests:
            yield from flush()
        if item.kind == REMINDER:
            week_start = _day(item.period_key)

            def render(item: Outgoing = item, week_start: date | None = week_start) -> list[dict[str, Any]]:
                note = notes().get((item.recipient, week_start)) if week_start else None
                return [preview_views.with_manager_note(m, note) if i == 0 else m for i, m in enumerate(item.render())]

            yield replace(item, render=render)
        elif item.kind == LEADERBOARD and team(item.recipient) is not None and _day(item.period_key) and \
                mode_of(team(item.recipient).id) != RANKING:
            # The post on the slot's week shows the week before it.
            last_week = period_containing("week", _day(item.period_key) - timedelta(days=7))

            def render(info: Any = team(item.recipient), period: Any = last_week) -> list[dict[str, Any]]:
                return [board_views.board_message(board_for_team(engine=ctx.engine, workspace=workspace, team=info,
                                                                 reps=reps_of(info), period=period, mode=None, now=now))]

            yield replace(item, render=render)
        else:
            yield item
    if digests:
        yield from flush()


def _digest_week(period_key: str) -> Period | None:
    """The week a digest covers: the one before the week its ledger key names (the manager's last week)."""
    monday = _day(period_key)
    return previous_period(period_containing("week", monday)) if monday else None


def _team_id(recipient: str) -> int | None:
    """Digest and leaderboard recipients end in ":<team id>"."""
    suffix = recipient.rsplit(":", 1)[-1]
    return int(suffix) if ":" in recipient and suffix.isdigit() else None


def _day(period_key: str) -> date | None:
    try:
        return date.fromisoformat(period_key)
    except ValueError:
        return None
