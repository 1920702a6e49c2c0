"""The scheduled jobs: one tick of reminders, digests or leaderboards at a given instant.

A tick finds every message due at ``now`` (see domain.schedule) and hands it to
the delivery engine, which sends what the ledger has not seen. The scheduler
calls a tick every few minutes; ``referral-bot run-job --at`` calls one by hand.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.habit_jobs import plan_client_followups, with_habits
from domain.client_followups import CLIENT_FOLLOWUP
from domain.funnel import Workspace
from domain.nudges import COMMITMENT_PROMPT, COMMITMENT_PROMPT_SLOT, DIGEST, KINDS, LEADERBOARD, REMINDER
from domain.periods import local_today, previous_period
from domain.prep import PREP
from domain.schedule import due_now, week_end
from domain.trends import has_history
from services.charts import upload_chart, weekly_trend
from services.commitments import commitments_of
from services.context import AppContext
from services.delivery import Outgoing, Pace, TickReport, deliver
from services.nudges import digest_content, is_paused, leaderboard_content, load_teams, reminder_content, rep_plans
from services.people import Person
from services.prep import due_checklists, prep_outgoing
from services.teams import TeamInfo
from storage.engine import session_scope
from storage.team_queries import list_workspaces
from views import chart
from views import coaching as coaching_views
from views import nudges as nudge_views


def run_job(kind: str, *, ctx: AppContext, client: Any, now: datetime, dry_run: bool = False,
            pace: Pace | None = None) -> TickReport:
    if kind not in KINDS:
        raise ValueError(f"unknown job {kind!r}; expected one of {', '.join(KINDS)}")
    planner = {COMMITMENT_PROMPT: plan_commitment_prompts, REMINDER: plan_reminders, DIGEST: plan_digests,
               LEADERBOARD: plan_leaderboards, PREP: plan_prep_checklists, CLIENT_FOLLOWUP: plan_client_followups}[kind]
    with session_scope(ctx.engine) as session:
        workspaces = list_workspaces(session=session)
    # with_habits: the referral-habit additions (a manager's note, the digest's habit lines, the team's board mode).
    outgoing = [item for workspace in workspaces for item in with_habits(
        planner(ctx=ctx, client=client, workspace=workspace, now=now), ctx=ctx, workspace=workspace, now=now)]
    return deliver(outgoing, engine=ctx.engine, client=client, now=now, dry_run=dry_run, pace=pace)


def _person(ctx: AppContext, client: Any, workspace: Workspace, user_id: str, now: datetime) -> Person:
    return ctx.people.person(client=client, workspace=workspace, user_id=user_id, now=now)


def plan_commitment_prompts(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    """Monday 09:00 in each rep's zone: who will you ask? Not to reps on time off or who already named people."""
    for plan in rep_plans(load_teams(engine=ctx.engine, workspace=workspace)).values():
        rep = _person(ctx, client, workspace, plan.user_id, now)
        due = due_now(COMMITMENT_PROMPT_SLOT, now=now, tz=rep.timezone)
        if due is None or is_paused(engine=ctx.engine, workspace=workspace, user_id=rep.user_id,
                                    day=local_today(now, rep.timezone)):
            continue
        named = commitments_of(engine=ctx.engine, workspace=workspace, rep_user_id=rep.user_id, week_start=due.week.start)
        if named.open or named.kept:
            continue
        yield Outgoing(workspace=workspace, kind=COMMITMENT_PROMPT, recipient=rep.user_id, channel=rep.user_id,
                       period_key=due.key, expires_at=week_end(due.week, rep.timezone),
                       render=lambda week=due.week: [nudge_views.commitment_prompt_message(week.label)])


def plan_reminders(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    for plan in rep_plans(load_teams(engine=ctx.engine, workspace=workspace)).values():
        rep = _person(ctx, client, workspace, plan.user_id, now)
        due = due_now(plan.reminder, now=now, tz=rep.timezone)
        if due is None:
            continue
        promised = commitments_of(engine=ctx.engine, workspace=workspace, rep_user_id=rep.user_id, week_start=due.week.start)
        content = reminder_content(engine=ctx.engine, workspace=workspace, rep=rep, minimum=plan.minimum, now=now,
                                   commitments=tuple(name or uid or "" for uid, name in promised.open))
        if content is None:
            continue
        today = local_today(now, rep.timezone)
        yield Outgoing(workspace=workspace, kind=REMINDER, recipient=rep.user_id, channel=rep.user_id,
                       period_key=due.key, expires_at=week_end(due.week, rep.timezone),
                       render=lambda c=content, t=today: [nudge_views.reminder_message(c, t)])


def plan_digests(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    for team in load_teams(engine=ctx.engine, workspace=workspace):
        if not team.reps:
            continue
        for manager_id in team.managers:
            manager = _person(ctx, client, workspace, manager_id, now)
            due = due_now(team.digest, now=now, tz=manager.timezone)
            if due is None:
                continue
            reps = {uid: _person(ctx, client, workspace, uid, now) for uid in team.reps}

            def render(team: TeamInfo = team, manager: Person = manager, reps: dict = reps) -> list[dict]:
                return nudge_views.digest_messages(digest_content(engine=ctx.engine, workspace=workspace, team=team,
                                                                  manager=manager, reps=reps, now=now))

            def send_chart(team: TeamInfo = team, manager: Person = manager, last_week=previous_period(due.week)) -> None:  # noqa: ANN001
                points = weekly_trend(engine=ctx.engine, workspace=workspace, rep_user_ids=team.reps,
                                      last_week_start=last_week.start)
                if not has_history(points):
                    return
                channel = client.conversations_open(users=manager.user_id)["channel"]["id"]
                upload_chart(client=client, engine=ctx.engine, workspace=workspace, owner=f"team:{team.id}",
                             points=points, draw=chart.trend_chart_png, now=now, channel=channel,
                             title=f"{team.name}: asks and referrals, last 12 weeks",
                             comment=f"12-week trend for {team.name}: asks (blue) and referrals received (green).")

            yield Outgoing(workspace=workspace, kind=DIGEST, recipient=f"{manager_id}:{team.id}", channel=manager_id,
                           period_key=due.key, expires_at=week_end(due.week, manager.timezone), render=render,
                           after_send=send_chart)


def plan_leaderboards(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    default_zone = ctx.people.default_zone
    for team in load_teams(engine=ctx.engine, workspace=workspace):
        if team.leaderboard is None or team.channel_id is None or not team.reps:
            continue
        zone = ZoneInfo(team.timezone) if team.timezone else default_zone
        due = due_now(team.leaderboard, now=now, tz=zone)
        if due is None:
            continue
        reps = {uid: _person(ctx, client, workspace, uid, now) for uid in team.reps}
        period = previous_period(due.week)

        def render(team: TeamInfo = team, reps: dict = reps, period=period) -> list[dict]:  # noqa: ANN001
            return [nudge_views.leaderboard_message(leaderboard_content(
                engine=ctx.engine, workspace=workspace, team=team, reps=reps, period=period, now=now))]

        yield Outgoing(workspace=workspace, kind=LEADERBOARD, recipient=f"{team.channel_id}:{team.id}",
                       channel=team.channel_id, period_key=due.key, expires_at=week_end(due.week, zone),
                       render=render)


def plan_prep_checklists(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    """The day before a referred meeting, in the rep's zone: the five prep questions."""
    def zone_of(user_id: str) -> Any:
        return _person(ctx, client, workspace, user_id, now).timezone

    for due in due_checklists(engine=ctx.engine, workspace=workspace, zone_of=zone_of, now=now):
        yield prep_outgoing(due, coaching_views.prep_checklist_message)
