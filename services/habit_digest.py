"""The digest's referral-habit lines: asks of new clients, and the managers' notes and skips of last week.

The figures cover the digest's own week (the manager's last complete week, the same dates as every other
line of the digest), and the digests of a whole page of managers come from four grouped queries: a tick
never reads per team or per rep.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from domain.client_followups import NEW_CLIENT_WINDOW, is_new_client_ask
from domain.funnel import Workspace
from domain.habit_records import DigestHabits
from domain.periods import Period
from services.nudge_preview import touches_in
from storage.engine import read_scope
from storage.habit_queries import list_client_wins_of
from storage.report_queries import list_asks_between
from storage.team_queries import list_reps_of_teams, reps_of_teams


@dataclass(frozen=True)
class DigestScope:
    """One digest's reps and its week."""

    reps: Sequence[str]
    week: Period


def digest_habits_of_teams(*, engine: sa.Engine, workspace: Workspace,
                           digests: Mapping[str, tuple[int, Period]]) -> dict[str, DigestHabits]:
    """Each digest's habit lines (keyed as given), from one read of every team, rep and week they cover: the
    teams' reps (deactivated ones too) come from one query. A digest whose team no longer exists is left out."""
    with read_scope(engine) as session:
        team_ids = sorted({team_id for team_id, _week in digests.values()})
        reps = list_reps_of_teams(session=session, workspace=workspace, team_ids=team_ids)
        return _habits(session, workspace, {key: DigestScope(reps[team_id], week)
                                            for key, (team_id, week) in digests.items() if team_id in reps},
                       reps_query=reps_of_teams(team_ids))


def _habits(session: Session, workspace: Workspace, digests: Mapping[str, DigestScope],
            reps_query: sa.Select) -> dict[str, DigestHabits]:
    """``reps_query`` selects the digests' reps, for the reads to filter by."""
    reps = sorted({uid for scope in digests.values() for uid in scope.reps})
    if not reps:
        return {key: DigestHabits(0, 0, ()) for key in digests}
    start = min(scope.week.start for scope in digests.values())
    end = max(scope.week.end for scope in digests.values())
    wins = list_client_wins_of(session=session, workspace=workspace, rep_user_ids=reps_query,
                               won_since=start - NEW_CLIENT_WINDOW)
    # Plain values out of the rows while the read is open.
    wins = [(win.rep_user_id, win.client_name, win.won_on) for win in wins]
    # Only the asks of reps with a new client can be asks of that client: most reps' asks are never read.
    asks = list_asks_between(session=session, workspace=workspace, start=start, end=end,
                             rep_user_ids=sorted({rep for rep, _name, _won_on in wins}))
    asks = [(ask.rep_user_id, ask.asked_name, ask.asked_on) for ask in asks]
    touches = touches_in(session=session, workspace=workspace, rep_user_ids=reps, reps_query=reps_query,
                         week_starts={scope.week.start for scope in digests.values()})
    wins_of: dict[str, list] = {}
    for rep, client_name, won_on in wins:
        wins_of.setdefault(rep, []).append((client_name, won_on))
    asks_of: dict[str, list] = {}
    for rep, asked_name, asked_on in asks:
        asks_of.setdefault(rep, []).append((asked_name, asked_on))
    touches_of: dict[str, list] = {}
    for week_start, touch in touches:
        touches_of.setdefault(touch.rep_user_id, []).append((week_start, touch))
    found = {}
    for key, scope in digests.items():
        mine, week = sorted(set(scope.reps)), scope.week
        asked = sum(1 for rep in mine for asked_name, asked_on in asks_of.get(rep, ()) if week.contains(asked_on) and any(
            is_new_client_ask(asked_name=asked_name, asked_on=asked_on, client_name=name, won_on=won_on)
            for name, won_on in wins_of[rep]))
        won = sum(1 for rep in mine for _name, won_on in wins_of.get(rep, ()) if week.contains(won_on))
        # Reps in order, each rep's touches as touches_in sorted them: the same order as before.
        found[key] = DigestHabits(asked, won, tuple(touch for rep in mine for week_start, touch in touches_of.get(rep, ())
                                                    if week_start == week.start))
    return found
