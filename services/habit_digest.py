"""The digest's referral-habit lines: asks of new clients, and the managers' notes and skips of last week.

The figures cover the digest's own week (the manager's last complete week, the same dates as every other
line of the digest), and the digests of a whole page of managers come from four grouped queries: a tick
never reads per team or per rep.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from domain.client_followups import NEW_CLIENT_WINDOW, is_new_client_ask
from domain.funnel import Workspace
from domain.habit_records import DigestHabits
from domain.periods import Period
from services.nudge_preview import touches_in
from storage.engine import read_scope
from storage.habit_queries import list_client_wins_of
from storage.report_queries import list_asks_between


@dataclass(frozen=True)
class DigestScope:
    """One digest's reps and its week."""

    reps: Sequence[str]
    week: Period


def digest_habits_of(*, engine: sa.Engine, workspace: Workspace,
                     digests: Mapping[str, DigestScope]) -> dict[str, DigestHabits]:
    """Each digest's habit lines (keyed as given), from one read of every rep and week they cover."""
    reps = sorted({uid for scope in digests.values() for uid in scope.reps})
    if not reps:
        return {key: DigestHabits(0, 0, ()) for key in digests}
    start = min(scope.week.start for scope in digests.values())
    end = max(scope.week.end for scope in digests.values())
    with read_scope(engine) as session:
        wins = list_client_wins_of(session=session, workspace=workspace, rep_user_ids=reps,
                                   won_since=start - NEW_CLIENT_WINDOW)
        asks = list_asks_between(session=session, workspace=workspace, rep_user_ids=reps, start=start, end=end)
        touches = touches_in(session=session, workspace=workspace, rep_user_ids=reps,
                             week_starts={scope.week.start for scope in digests.values()})
        # Plain values out of the rows while the read is open.
        wins = [(win.rep_user_id, win.client_name, win.won_on) for win in wins]
        asks = [(ask.rep_user_id, ask.asked_name, ask.asked_on) for ask in asks]
    wins_of: dict[str, list] = {}
    for rep, client_name, won_on in wins:
        wins_of.setdefault(rep, []).append((client_name, won_on))
    found = {}
    for key, scope in digests.items():
        mine, week = set(scope.reps), scope.week
        asked = sum(1 for rep, asked_name, asked_on in asks if rep in mine and week.contains(asked_on) and any(
            is_new_client_ask(asked_name=asked_name, asked_on=asked_on, client_name=name, won_on=won_on)
            for name, won_on in wins_of.get(rep, ())))
        won = sum(1 for rep, _name, won_on in wins if rep in mine and week.contains(won_on))
        found[key] = DigestHabits(asked, won, tuple(touch for week_start, touch in touches
                                                     if touch.rep_user_id in mine and week_start == week.start))
    return found
