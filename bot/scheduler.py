"""APScheduler inside ``serve``: one frequent tick per job kind.

Schedules are per person and per time zone, so instead of one cron job per
person a tick every few minutes asks "what is due now?" (domain.schedule) and
the delivery ledger makes sure each message goes out once. ``coalesce`` and
``max_instances=1`` keep a slow tick from piling up behind itself.
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
from services.context import AppContext

log = logging.getLogger(__name__)
TICK_MINUTES = 5
FIRST_TICK_DELAY = timedelta(seconds=20)


def create_scheduler(*, ctx: AppContext, client: Any, tick_minutes: int = TICK_MINUTES) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                                                  "misfire_grace_time": tick_minutes * 60})
    # The first tick comes soon after start, so that whatever fell due while the bot was down goes out now.
    first = datetime.now(UTC) + FIRST_TICK_DELAY
    for kind in KINDS:
        scheduler.add_job(_tick, IntervalTrigger(minutes=tick_minutes), args=(kind, ctx, client), id=f"tick-{kind}",
                          name=f"{kind} tick", replace_existing=True, next_run_time=first)
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
