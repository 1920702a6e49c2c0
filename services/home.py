"""Gathering the App Home tab: the person's own week, month and quarter, and their teams' week."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from domain.cadence import streak, week_result
from domain.funnel import Workspace
from domain.home import HomeContent, PeriodKpis, RepThisWeek, TeamThisWeek, order_team_week
from domain.kpis import MINIMUM_ASKS_PER_WEEK
from domain.periods import days_left_in_week, local_today, period_containing
from domain.records import WeekProgress, money_totals
from services.commitments import commitments_of
from services.nudges import STREAK_LOOKBACK_WEEKS, load_teams, rep_plans, rep_weeks
from services.people import PeopleDirectory, Person
from services.referrals import referral_record
from services.teams import fiscal_year_start
from storage.convention_queries import sum_won_by_currency
from storage.engine import session_scope
from storage.queries import count_kpis, count_open_referrals, list_open_referrals

# Open referrals listed on the tab; the rest are counted, and /referral list pages through them.
HOME_REFERRALS = 12


def home_content(*, engine: sa.Engine, workspace: Workspace, person: Person, people: PeopleDirectory,
                 now: datetime) -> HomeContent:
    today = local_today(now, person.timezone)
    teams = load_teams(engine=engine, workspace=workspace)
    plan = rep_plans(teams).get(person.user_id)
    minimum = plan.minimum if plan else MINIMUM_ASKS_PER_WEEK
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    periods = [period_containing(kind, today, fiscal_start_month=fiscal) for kind in ("week", "month", "quarter")]
    week = periods[0]
    history = rep_weeks(engine=engine, workspace=workspace, reps={person.user_id: person}, now=now,
                        weeks=STREAK_LOOKBACK_WEEKS)[person.user_id]
    with session_scope(engine) as session:
        kpis = tuple(PeriodKpis(
            p, count_kpis(session=session, workspace=workspace, rep_user_ids=[person.user_id], start=p.start,
                          end=min(p.end, today)),
            money_totals(sum_won_by_currency(session=session, workspace=workspace, rep_user_ids=[person.user_id],
                                             start=p.start, end=min(p.end, today)))) for p in periods)
        open_rows = list_open_referrals(session=session, workspace=workspace, rep_user_id=person.user_id,
                                        limit=HOME_REFERRALS)
        open_referrals = tuple(referral_record(r) for r in open_rows)
        open_total = count_open_referrals(session=session, workspace=workspace, rep_user_id=person.user_id)
    promised = commitments_of(engine=engine, workspace=workspace, rep_user_id=person.user_id, week_start=week.start)
    managed = [t for t in teams if person.user_id in t.managers and t.reps]
    return HomeContent(
        user_id=person.user_id,
        progress=WeekProgress(asks=kpis[0].counts.asks, minimum=minimum, days_left=days_left_in_week(today), week=week),
        streak=streak(history, minimum), kpis=kpis, open_referrals=open_referrals, open_total=open_total,
        commitments_open=tuple(name or uid or "" for uid, name in promised.open),
        commitments_kept=tuple(name or uid or "" for uid, name in promised.kept),
        teams=tuple(_team_week(engine=engine, workspace=workspace, name=t.name, minimum=t.minimum, reps=t.reps,
                               people=people, now=now) for t in sorted(managed, key=lambda t: t.name)),
    )


def _team_week(*, engine: sa.Engine, workspace: Workspace, name: str, minimum: int, reps: tuple[str, ...],
               people: PeopleDirectory, now: datetime) -> TeamThisWeek:
    """Each rep's own week so far, in their own zone, from one grouped query."""
    current = rep_weeks(engine=engine, workspace=workspace, now=now, weeks=1, include_current=True,
                        reps={uid: people.cached_person(workspace=workspace, user_id=uid) for uid in reps})
    rows = [RepThisWeek(uid, week.asks, week_result(week, minimum)) for uid, (week, *_) in current.items()]
    return TeamThisWeek(name, minimum, order_team_week(rows))

