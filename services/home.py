"""Gathering the App Home tab: the person's own week, month and quarter, and their teams' week.

Everything is read in the caller's one read-only transaction, and only the person's rows and the
teams they belong to: the cost does not grow with the workspace (see tests/test_query_counts.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from domain.cadence import streak, week_result
from domain.funnel import Workspace
from domain.home import HomeContent, PeriodKpis, RepThisWeek, TeamThisWeek, order_team_week
from domain.kpis import MINIMUM_ASKS_PER_WEEK
from domain.periods import days_left_in_week, local_today, period_containing
from domain.records import WeekProgress, money_totals
from services.commitments import week_commitments
from services.nudges import STREAK_LOOKBACK_WEEKS, rep_plans, rep_weeks
from services.people import PeopleDirectory, Person
from services.referrals import referral_record
from services.teams import teams_with
from storage.convention_queries import sum_won_by_currency
from storage.queries import count_open_referrals, list_open_referrals
from storage.report_queries import count_kpis
from storage.setting_queries import get_fiscal_year_start

# Open referrals listed on the tab; the rest are counted, and /referral list pages through them.
HOME_REFERRALS = 12


def home_content(*, session: Session, workspace: Workspace, person: Person, people: PeopleDirectory,
                 now: datetime) -> HomeContent:
    today = local_today(now, person.timezone)
    teams = teams_with(session=session, workspace=workspace, user_id=person.user_id)
    plan = rep_plans(teams).get(person.user_id)
    minimum = plan.minimum if plan else MINIMUM_ASKS_PER_WEEK
    fiscal = get_fiscal_year_start(session=session, workspace=workspace)
    periods = [period_containing(kind, today, fiscal_start_month=fiscal) for kind in ("week", "month", "quarter")]
    week = periods[0]
    history = rep_weeks(session=session, workspace=workspace, reps={person.user_id: person}, now=now,
                        weeks=STREAK_LOOKBACK_WEEKS)[person.user_id]
    kpis = tuple(PeriodKpis(
        p, count_kpis(session=session, workspace=workspace, rep_user_ids=[person.user_id], start=p.start,
                      end=min(p.end, today)),
        money_totals(sum_won_by_currency(session=session, workspace=workspace, rep_user_ids=[person.user_id],
                                         start=p.start, end=min(p.end, today)))) for p in periods)
    open_rows = list_open_referrals(session=session, workspace=workspace, rep_user_id=person.user_id,
                                    limit=HOME_REFERRALS)
    open_referrals = tuple(referral_record(r) for r in open_rows)
    open_total = count_open_referrals(session=session, workspace=workspace, rep_user_id=person.user_id)
    promised = week_commitments(session=session, workspace=workspace, rep_user_id=person.user_id,
                                week_start=week.start)
    managed = sorted((t for t in teams if person.user_id in t.managers and t.reps), key=lambda t: t.name)
    return HomeContent(
        user_id=person.user_id,
        progress=WeekProgress(asks=kpis[0].counts.asks, minimum=minimum, days_left=days_left_in_week(today), week=week),
        streak=streak(history, minimum), kpis=kpis, open_referrals=open_referrals, open_total=open_total,
        commitments_open=tuple(name or uid or "" for uid, name in promised.open),
        commitments_kept=tuple(name or uid or "" for uid, name in promised.kept),
        teams=_team_weeks(session=session, workspace=workspace, teams=managed, people=people, now=now),
    )


def _team_weeks(*, session: Session, workspace: Workspace, teams: list, people: PeopleDirectory,
                now: datetime) -> tuple[TeamThisWeek, ...]:
    """Each rep's own week so far, in their own zone: one profile read and one grouped count for all the
    manager's teams together."""
    if not teams:
        return ()
    everyone = people.cached_people(session=session, workspace=workspace,
                                    user_ids=sorted({uid for t in teams for uid in t.reps}))
    current = rep_weeks(session=session, workspace=workspace, now=now, weeks=1, include_current=True, reps=everyone)
    return tuple(TeamThisWeek(t.name, t.minimum, order_team_week(
        [RepThisWeek(uid, current[uid][0].asks, week_result(current[uid][0], t.minimum)) for uid in t.reps]))
        for t in teams)
