"""APScheduler, inside ``serve`` or alone in ``referral-bot worker``: one frequent tick per job kind, and a
bulk profile sync on its own slower schedule.

Schedules are per person and per time zone, so instead of one cron job per
person a tick every few minutes asks "what is due now?" (set-based, see
services.ticks) and the delivery ledger makes sure each message goes out once.
``coalesce`` and ``max_instances=1`` keep a slow tick from piling up behind
itself. Ticks run on the scheduler's own threads and fan out on the delivery
pool, never on the threads that acknowledge Slack's requests.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import run_job
from bot.logs import job_context
from bot.metrics import observe_job, observe_job_deliveries
from domain.nudges import KINDS
from domain.words import count_of
from services.context import AppContext
from services.profiles import sync_profiles
from storage.engine import read_scope
from storage.team_queries import list_workspaces

log = logging.getLogger(__name__)
TICK_MINUTES = 5
FIRST_TICK_DELAY = timedelta(seconds=20)
# Zones, admin flags and deactivations from users.list; user_change events keep them current in between.
PROFILE_SYNC_HOURS = 6
PROFILE_SYNC_JOB = "sync-profiles"


def create_scheduler(*, ctx: AppContext, client: Any, tick_minutes: int = TICK_MINUTES,
                     tick_seconds: float | None = None, first_tick_seconds: float | None = None) -> BackgroundScheduler:
    interval = timedelta(seconds=tick_seconds) if tick_seconds else timedelta(minutes=tick_minutes)
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": max(1, int(interval.total_seconds()))})
    # The first tick comes soon after start, so that whatever fell due while the bot was down goes out now.
    delay = timedelta(seconds=first_tick_seconds) if first_tick_seconds is not None else FIRST_TICK_DELAY
    first = datetime.now(UTC) + delay
    for kind in KINDS:
        scheduler.add_job(_tick, IntervalTrigger(seconds=interval.total_seconds()), args=(kind, ctx, client),
                          id=f"tick-{kind}", name=f"{kind} tick", replace_existing=True, next_run_time=first)
    scheduler.add_job(_sync_profiles, IntervalTrigger(hours=PROFILE_SYNC_HOURS), args=(ctx, client),
                      id=PROFILE_SYNC_JOB, name="profile sync", replace_existing=True,
                      next_run_time=first + timedelta(minutes=1))
    return scheduler


def _tick(kind: str, ctx: AppContext, client: Any) -> None:
    with job_context(f"{kind}-{uuid.uuid4().hex[:8]}"):
        _timed_tick(kind, ctx, client)


def _timed_tick(kind: str, ctx: AppContext, client: Any) -> None:
    started = time.perf_counter()
    try:
        report = run_job(kind, ctx=ctx, client=client, now=ctx.clock())
    except Exception:  # noqa: BLE001 - one bad tick must not stop the next; the ledger keeps what's owed
        log.exception("%s tick failed", kind)
        return
    finally:
        observe_job(kind, seconds=time.perf_counter() - started)
    observe_job_deliveries(kind, sent=report.sent, failed=report.failed)
    # Quiet by default: a line for a tick that sent or failed something; what was already sent is no news.
    if report.sent or report.failed:
        log.info("%s tick: %d due, %d sent, %d skipped, %d failed", kind, report.due, report.sent, report.skipped,
                 report.failed)


def _sync_profiles(ctx: AppContext, client: Any) -> None:
    try:
        with read_scope(ctx.engine) as session:
            workspaces = list_workspaces(session=session)
        for workspace in workspaces:
            report = sync_profiles(engine=ctx.engine, client=client, workspace=workspace, now=ctx.clock())
            log.info("profiles synced: %d people in %s, %d deactivated", report.people, count_of(report.pages, "page"),
                     report.deactivated)
    except Exception:  # noqa: BLE001 - stale zones are better than none; the next sync tries again
        log.exception("profile sync failed")
