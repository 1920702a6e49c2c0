"""The scheduled jobs: one tick of reminders, digests or leaderboards at a given instant.

A tick finds every message due at ``now`` set-based in SQL (services.ticks, a
loop over time zones, never over people) and streams it to the delivery engine,
which sends what the ledger has not seen. People's zones come from the stored
profiles, synced in bulk (services.profiles); a tick never calls users.info.
The scheduler calls a tick every few minutes; ``referral-bot run-job --at``
calls one by hand.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.habit_jobs import plan_client_followups, with_habits
from bot.oauth import WorkspaceClients
from domain.client_followups import CLIENT_FOLLOWUP
from domain.funnel import Workspace
from domain.nudges import COMMITMENT_PROMPT, DIGEST, KINDS, LEADERBOARD, REMINDER
from domain.prep import PREP
from domain.trends import has_history
from services.charts import upload_chart, weekly_trend
from services.context import AppContext
from services.delivery import Outgoing, Pace, TickReport, deliver
from services.direct_messages import dm_channel
from services.prep import due_checklists, prep_outgoing
from services.profiles import ensure_profiles
from services.teams import TeamInfo
from services.ticks import (
    PAGE,
    due_commitment_prompts,
    due_digests,
    due_leaderboards,
    due_reminders,
    prove_reminders_quiet,
    proving,
    quiet_check,
)
from storage.engine import read_scope
from storage.team_queries import list_workspaces
from views import chart
from views import coaching as coaching_views
from views import nudges as nudge_views

log = logging.getLogger(__name__)


def run_job(kind: str, *, ctx: AppContext, client: Any, now: datetime, dry_run: bool = False,
            pace: Pace | None = None, page: int = PAGE) -> TickReport:
    if kind not in KINDS:
        raise ValueError(f"unknown job {kind!r}; expected one of {', '.join(KINDS)}")
    planner = {COMMITMENT_PROMPT: plan_commitment_prompts, REMINDER: plan_reminders, DIGEST: plan_digests,
               LEADERBOARD: plan_leaderboards, PREP: plan_prep_checklists, CLIENT_FOLLOWUP: plan_client_followups}[kind]
    with read_scope(ctx.engine) as session:
        workspaces = list_workspaces(session=session)
    if isinstance(client, WorkspaceClients):
        if client.multi_workspace:
            return _run_per_workspace(kind, planner, ctx=ctx, clients=client, workspaces=workspaces, now=now,
                                      dry_run=dry_run, pace=pace, page=page)
        client = client.client_for(Workspace(""))

    def outgoing() -> Iterator[Outgoing]:
        for workspace in workspaces:
            yield from _plan_workspace(kind, planner, ctx=ctx, client=client, workspace=workspace, now=now, page=page)

    # Streaming: the delivery engine pulls pages from these generators as it sends.
    return deliver(outgoing(), engine=ctx.engine, client=client, now=now, dry_run=dry_run, pace=pace)


def _plan_workspace(kind: str, planner: Any, *, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                    page: int) -> Iterator[Outgoing]:
    """One workspace's messages. A reminder tick first reads the proof the last quiet tick left: while it
    holds, the workspace is skipped with that one read (services.ticks, "quiet ticks")."""
    default = ctx.people.default_zone
    check = quiet_check(engine=ctx.engine, workspace=workspace, job=kind, default=default, now=now) \
        if kind == REMINDER else None
    if check is not None and check.holds:
        return
    ensure_profiles(engine=ctx.engine, client=client, workspace=workspace, now=now)
    planned = planner(ctx=ctx, client=client, workspace=workspace, now=now, page=page)
    if check is not None:
        planned = proving(planned, lambda: prove_reminders_quiet(engine=ctx.engine, workspace=workspace, kind=kind,
                                                                 default=default, now=now,
                                                                 generation=check.generation))
    # with_habits: the referral-habit additions (a manager's note, the digest's habit lines, the board mode).
    yield from with_habits(planned, ctx=ctx, workspace=workspace, now=now)


def _run_per_workspace(kind: str, planner: Any, *, ctx: AppContext, clients: WorkspaceClients, workspaces: list[Workspace],
                       now: datetime, dry_run: bool, pace: Pace | None, page: int) -> TickReport:
    """Multi-workspace mode: each workspace with its own bot token; none for a workspace without an installation."""
    total = TickReport()
    for workspace in workspaces:
        try:
            client = clients.client_for(workspace)
        except Exception as error:  # noqa: BLE001 - e.g. a refresh Slack refused: the other workspaces still go
            log.warning("no client for workspace %s (%s); its messages wait for the next tick", workspace.team_id,
                        type(error).__name__)
            continue
        if client is None:  # never installed, uninstalled or revoked: nothing goes there
            continue
        planned = _plan_workspace(kind, planner, ctx=ctx, client=client, workspace=workspace, now=now, page=page)
        report = deliver(planned, engine=ctx.engine, client=client, now=now, dry_run=dry_run, pace=pace)
        total.due, total.sent, total.skipped = total.due + report.due, total.sent + report.sent, total.skipped + report.skipped
        total.failed += report.failed
        total.planned.extend(report.planned)
    return total


def plan_commitment_prompts(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                            page: int = PAGE) -> Iterator[Outgoing]:
    """Monday 09:00 in each rep's zone: who will you ask? Not to reps on time off or who already named people."""
    for group, rep in due_commitment_prompts(engine=ctx.engine, workspace=workspace, kind=COMMITMENT_PROMPT,
                                             default=ctx.people.default_zone, now=now, page=page):
        yield Outgoing(workspace=workspace, kind=COMMITMENT_PROMPT, recipient=rep, channel=rep,
                       period_key=group.clock.period_key, expires_at=group.week_ends_at,
                       render=lambda week=group.week: [nudge_views.commitment_prompt_message(week.label)])


def plan_reminders(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                   page: int = PAGE) -> Iterator[Outgoing]:
    for due in due_reminders(engine=ctx.engine, workspace=workspace, kind=REMINDER, default=ctx.people.default_zone,
                             now=now, page=page):
        rep = due.content.rep_user_id
        yield Outgoing(workspace=workspace, kind=REMINDER, recipient=rep, channel=rep,
                       period_key=due.group.clock.period_key, expires_at=due.group.week_ends_at,
                       render=lambda c=due.content, t=due.group.clock.today: [nudge_views.reminder_message(c, t)])


def plan_digests(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                 page: int = PAGE) -> Iterator[Outgoing]:
    for due in due_digests(engine=ctx.engine, workspace=workspace, kind=DIGEST, default=ctx.people.default_zone,
                           now=now, page=page):
        manager_id, team = due.content.manager_user_id, due.team

        def send_chart(team: TeamInfo = team, manager_id: str = manager_id, last_week=due.content.week) -> None:  # noqa: ANN001
            points = weekly_trend(engine=ctx.engine, workspace=workspace, rep_user_ids=team.reps,
                                  last_week_start=last_week.start)
            if not has_history(points):
                return
            channel = dm_channel(client, manager_id)
            upload_chart(client=client, engine=ctx.engine, workspace=workspace, owner=f"team:{team.id}",
                         points=points, now=now, channel=channel,
                         draw=lambda weeks: chart.trend_chart_png(weeks, minimum=team.minimum * len(team.reps),
                                                                  minimum_label="Team target"),
                         title=f"{team.name}: asks and referrals, last 12 weeks",
                         comment=f"12-week trend for {team.name}: asks (blue) and referrals received (green).")

        yield Outgoing(workspace=workspace, kind=DIGEST, recipient=f"{manager_id}:{team.id}", channel=manager_id,
                       period_key=due.group.clock.period_key, expires_at=due.group.week_ends_at,
                       render=lambda c=due.content: nudge_views.digest_messages(c), after_send=send_chart)


def plan_leaderboards(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                      page: int = PAGE) -> Iterator[Outgoing]:
    for due in due_leaderboards(engine=ctx.engine, workspace=workspace, kind=LEADERBOARD,
                                default=ctx.people.default_zone, now=now, page=page):
        channel = due.team.channel_id or ""
        yield Outgoing(workspace=workspace, kind=LEADERBOARD, recipient=f"{channel}:{due.team.id}", channel=channel,
                       period_key=due.group.clock.period_key, expires_at=due.group.week_ends_at,
                       render=lambda c=due.content: [nudge_views.leaderboard_message(c)])


def plan_prep_checklists(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime,
                         page: int = PAGE) -> Iterator[Outgoing]:
    """The day before a referred meeting, in the rep's zone (from the stored profiles): the five prep questions."""
    for due in due_checklists(engine=ctx.engine, workspace=workspace, default_zone=ctx.people.default_zone,
                              now=now):
        yield prep_outgoing(due, coaching_views.prep_checklist_message)

