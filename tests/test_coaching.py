"""Issue 4's coaching flows end to end: signed requests, the fake Slack, a pinned clock, a real database."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.support.teams import ADMIN, NY


def text_of(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def test_quarters_follow_the_workspaces_fiscal_year(team, slack, clock):
    clock.set(datetime(2026, 10, 30, 15, 0, tzinfo=UTC))
    slack.asked("Jane", user=NY)  # calendar Q4, but the last fiscal quarter when the year starts in February
    clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    slack.asked("Raj", user=NY)
    calendar = text_of(slack.referral("stats quarter", user=NY))
    assert "Q4 2026" in calendar and "People asked: *2*  (before: 0" in calendar

    refused = text_of(slack.referral("team fiscal-year february", user=NY))
    assert "Only workspace admins" in refused
    changed = text_of(slack.referral("team fiscal-year feb", user=ADMIN))
    assert "starts in February" in changed and "Q4 FY2027" in changed and "Nov 1 to Jan 31" in changed
    fiscal = text_of(slack.referral("stats quarter", user=NY))
    assert "Q4 FY2027" in fiscal and "Q3 FY2027" in fiscal  # compared with the fiscal quarter before
    assert "People asked: *1*  (before: 1" in fiscal
    assert "Name the month" in text_of(slack.referral("team fiscal-year smarch", user=ADMIN))
