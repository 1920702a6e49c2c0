"""The scheduler inside serve: one job per kind, ticking often, never piling up."""
from __future__ import annotations

from bot.scheduler import PROFILE_SYNC_HOURS, PROFILE_SYNC_JOB, TICK_MINUTES, _tick, create_scheduler
from domain.nudges import KINDS


def test_one_frequent_tick_per_kind(app_and_ctx):
    app, ctx = app_and_ctx
    scheduler = create_scheduler(ctx=ctx, client=app.client)
    scheduler.start(paused=True)  # job defaults apply once the scheduler runs; paused, nothing fires
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {f"tick-{kind}" for kind in KINDS} | {PROFILE_SYNC_JOB}
    assert jobs.pop(PROFILE_SYNC_JOB).trigger.interval.total_seconds() == PROFILE_SYNC_HOURS * 3600
    for job in jobs.values():
        assert job.trigger.interval.total_seconds() == TICK_MINUTES * 60
        assert job.coalesce is True and job.max_instances == 1


def test_a_failing_tick_is_logged_not_raised(app_and_ctx, caplog, monkeypatch):
    app, ctx = app_and_ctx
    monkeypatch.setattr("bot.scheduler.run_job", lambda *a, **k: 1 / 0)
    _tick("reminder", ctx, app.client)
    assert "reminder tick failed" in caplog.text
