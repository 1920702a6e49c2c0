"""/referral plan: the referral math with the rep's own conversion rates once they have history."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.parsing import PlanClients
from domain.periods import local_today, period_containing
from domain.plan import Plan, calibrate, plan_for
from services.people import Person
from services.teams import fiscal_year_start
from storage.engine import read_scope
from storage.report_queries import count_kpis
from storage.team_queries import list_members, teams_of

ALL_TIME = date(2000, 1, 1)


def plan_clients(*, engine: sa.Engine, workspace: Workspace, rep: Person, command: PlanClients,
                 now: datetime) -> tuple[Plan, int]:
    """The plan and the rep's weekly minimum (the strictest of their teams'), to compare against."""
    today = local_today(now, rep.timezone)
    by = command.by or period_containing("quarter", today,
                                         fiscal_start_month=fiscal_year_start(engine=engine, workspace=workspace)).end
    weeks = max(1, -(-((by - today).days + 1) // 7))
    with read_scope(engine) as session:
        own = count_kpis(session=session, workspace=workspace, rep_user_ids=[rep.user_id], start=ALL_TIME, end=today)
        teams = teams_of(session=session, workspace=workspace, user_id=rep.user_id, role="rep")
        teammates = {m for t in teams for m in list_members(session=session, team=t, role="rep")}
        team = count_kpis(session=session, workspace=workspace, rep_user_ids=teammates, start=ALL_TIME, end=today) \
            if teammates else None
        minimum = max((t.minimum for t in teams), default=1)
    return plan_for(command.clients, weeks, calibrate(own, team)), minimum
