"""The scheduled messages' Block Kit: Slack's limits for any team size, escaping, no public zeros."""
from __future__ import annotations

import json
from datetime import date

from domain.cadence import WeekResult
from domain.kpis import KpiCounts
from domain.nudges import (
    DigestContent,
    DigestRepLine,
    LeaderboardContent,
    LeaderboardEntry,
    PeriodTotals,
    ReminderContent,
    StuckReferral,
    rank_leaderboard,
)
from domain.periods import period_containing
from views import ids
from views.nudges import digest_messages, leaderboard_message, reminder_message

WEEK = period_containing("week", date(2026, 11, 2))


def texts(node) -> list[str]:  # noqa: ANN001
    if isinstance(node, dict):
        return ([node["text"]] if isinstance(node.get("text"), str) else []) + [t for v in node.values() for t in texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []


def within_limits(message: dict) -> None:
    assert len(message["blocks"]) <= 50
    assert all(len(t) <= 3000 for t in texts(message["blocks"]))


def test_reminder_counts_buttons_and_escaped_commitments():
    content = ReminderContent("U1", asks=0, minimum=2, days_left=3, week=WEEK, commitments=("Jane", "<!channel>"))
    message = reminder_message(content, date(2026, 11, 5))
    text = json.dumps(message)
    assert "0 of 2" in text and "3 days left" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    actions = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ids.OPEN_ASK_MODAL, ids.SNOOZE_WEEK]


def digest(reps: int, name_length: int = 10) -> DigestContent:
    lines = tuple(DigestRepLine(f"U{n:05d}", KpiCounts(asks=n % 3), WeekResult.MISSED if n % 3 == 0 else WeekResult.MET,
                                streak=n % 5, trend=(1, 0, 2, n % 3)) for n in range(reps))
    totals = (PeriodTotals("Last week", KpiCounts(asks=5), KpiCounts(asks=3)),)
    stuck = tuple(StuckReferral(f"U{n:05d}", n, "P" * name_length, "no meeting 9 days after the introduction")
                  for n in range(reps // 2))
    return DigestContent("UMGR", "east", WEEK, 1, lines, totals, stuck, ("Who will you ask?",))


def test_a_small_digest_is_one_message():
    [message] = digest_messages(digest(3))
    within_limits(message)


def test_a_long_team_is_split_never_cut():
    messages = digest_messages(digest(300, name_length=140))
    assert len(messages) > 1
    for message in messages:
        within_limits(message)
    everything = json.dumps(messages)
    for n in range(300):
        assert everything.count(f"<@U{n:05d}> ") >= 1


def test_the_leaderboard_has_no_zeros_and_fits_any_team():
    entries = [LeaderboardEntry(f"U{n:05d}", asks=n % 4, referrals=0, streak=n % 3) for n in range(500)]
    ranked = rank_leaderboard(entries)
    assert all(e.asks or e.referrals for e in ranked)
    message = leaderboard_message(LeaderboardContent("east", WEEK, ranked, sum(e.asks for e in entries), 500,
                                                     ranked[:3]))
    within_limits(message)
    zero_ids = {e.user_id for e in entries if e.asks == 0}
    assert not any(f"<@{u}>" in json.dumps(message) for u in zero_ids)
    empty = leaderboard_message(LeaderboardContent("east", WEEK, (), 0, 5, ()))
    assert "first ask puts you on the board" in json.dumps(empty)
