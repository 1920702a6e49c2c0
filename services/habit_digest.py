"""The digest's referral-habit lines: asks of new clients, and the managers' notes and skips of last week.

Each rep's figures cover the rep's own last week, like the rest of the digest.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from domain.client_followups import NEW_CLIENT_WINDOW, is_new_client_ask
from domain.funnel import Workspace
from domain.habit_records import DigestHabits
from domain.periods import Period, local_today, period_containing, previous_period
from services.nudge_preview import last_week_touches
from services.people import Person
from storage.engine import session_scope
from storage.habit_queries import list_client_wins_of
from storage.queries import list_asks_between


def _last_weeks(reps: Mapping[str, Person], now: datetime) -> dict[str, Period]:
    return {uid: previous_period(period_containing("week", local_today(now, p.timezone))) for uid, p in reps.items()}


def digest_habits(*, engine: sa.Engine, workspace: Workspace, reps: Mapping[str, Person], now: datetime) -> DigestHabits:
    weeks = _last_weeks(reps, now)
    if not weeks:
        return DigestHabits(0, 0, ())
    start, end = min(w.start for w in weeks.values()), max(w.end for w in weeks.values())
    with session_scope(engine) as session:
        wins = list_client_wins_of(session=session, workspace=workspace, rep_user_ids=list(reps),
                                   won_since=start - NEW_CLIENT_WINDOW)
        asks = list_asks_between(session=session, workspace=workspace, rep_user_ids=list(reps), start=start, end=end)
        wins_of: dict[str, list] = {}
        for win in wins:
            wins_of.setdefault(win.rep_user_id, []).append((win.client_name, win.won_on))
        asked = sum(1 for ask in asks if weeks[ask.rep_user_id].contains(ask.asked_on) and any(
            is_new_client_ask(asked_name=ask.asked_name, asked_on=ask.asked_on, client_name=name, won_on=won_on)
            for name, won_on in wins_of.get(ask.rep_user_id, ())))
        won = sum(1 for win in wins if weeks[win.rep_user_id].contains(win.won_on))
    return DigestHabits(asked, won, last_week_touches(engine=engine, workspace=workspace, weeks=weeks))
