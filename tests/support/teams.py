"""A sample team across three time zones, and helpers to run scheduled jobs and read DMs.

The ``team`` fixture lives in conftest.py and uses these names.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.jobs import run_job

# The week of Mon 2026-11-02: the US left daylight time on Sunday Nov 1, Europe a week earlier,
# and Sydney is on daylight time (UTC+11).
NY, BERLIN, SYDNEY, MANAGER, ADMIN = "U0NY", "U0BERLIN", "U0SYDNEY", "U0MGR", "U0ADMIN"


def make_team(slack, fake_slack, clock):  # noqa: ANN001
    fake_slack.add_user(NY, tz="America/New_York")
    fake_slack.add_user(BERLIN, tz="Europe/Berlin")
    fake_slack.add_user(SYDNEY, tz="Australia/Sydney")
    fake_slack.add_user(MANAGER, tz="America/Chicago")
    clock.set(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    for text in ("team create east", f"team add east <@{NY}|ny> <@{BERLIN}|berlin> <@{SYDNEY}|sydney>",
                 f"team manager east <@{MANAGER}|mgr>", "team channel east <#C0SALES|sales>"):
        reply = slack.referral(text, user=ADMIN)
        assert "✅" in json.dumps(reply, ensure_ascii=False) or ":white_check_mark:" in json.dumps(reply)
    return "east"


def tick(kind, app_and_ctx, at):  # noqa: ANN001
    app, ctx = app_and_ctx
    return run_job(kind, ctx=ctx, client=app.client, now=at)


def dms(fake_slack, user):  # noqa: ANN001
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("channel") == user and c.status == 200]


