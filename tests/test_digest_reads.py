"""The grouped reads a tick's digests are built from, against a plain recount of the same rows.

``count_asks_in_spans`` counts a span as the difference of two running counts (the rows before its end,
less the rows before its start), so spans that share a bound, overlap, repeat, start on the first day read
or end on the last must still come out as a direct count of the dates says. ``list_chase_candidates``
reads the stuck and the unthanked referrals in one pass, and each list must be what its own rule says.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from domain.cadence import stuck_reason
from domain.funnel import ReferralStatus, Workspace
from storage.due_queries import count_asks_in_spans, list_chase_candidates
from storage.engine import read_scope, session_scope
from storage.models import Referral
from storage.queries import add_ask

WORKSPACE = Workspace("T0001")
NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
START = date(2026, 7, 1)


def test_span_counts_match_a_direct_count(engine: sa.Engine) -> None:
    rng = random.Random(7)
    asked: dict[str, list[date]] = {f"U0R{n:02d}": [] for n in range(6)}
    with session_scope(engine) as session:
        for n in range(300):
            rep = f"U0R{n % 5:02d}"  # the sixth rep never asks: missing from the counts
            day = START + timedelta(days=rng.randrange(140))
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=rep, asked_user_id=None,
                    asked_name=f"Friend {n}", for_whom=None, asked_on=day, now=NOW)
            asked[rep].append(day)
        # Another workspace's asks on the same days count for nobody here.
        add_ask(session=session, workspace=Workspace("T0002"), rep_user_id="U0R00", asked_user_id=None,
                asked_name="Elsewhere", for_whom=None, asked_on=START + timedelta(days=3), now=NOW)
    weeks = [(date(2026, 11, 9) - timedelta(weeks=k), date(2026, 11, 15) - timedelta(weeks=k)) for k in range(13)]
    spans = [(date(2026, 11, 9), date(2026, 11, 15)), (date(2026, 11, 1), date(2026, 11, 16)),
             (date(2026, 10, 1), date(2026, 10, 16)), (START, date(2026, 8, 16)), (date(2026, 10, 1), date(2026, 11, 16)),
             (date(2026, 9, 3), date(2026, 9, 3)), (START, date(2026, 11, 16)), *weeks,
             *((START + timedelta(days=a), START + timedelta(days=a + rng.randrange(30)))
               for a in (rng.randrange(120) for _ in range(12)))]
    with read_scope(engine) as session:
        counted = count_asks_in_spans(session=session, workspace=WORKSPACE, rep_user_ids=sorted(asked), spans=spans)
    expected = {rep: tuple(sum(start <= day <= end for day in days) for start, end in spans)
                for rep, days in asked.items() if days}
    assert counted == expected
    assert all(len(row) == len(spans) for row in counted.values())


def test_one_read_finds_the_stuck_and_the_unthanked(engine: sa.Engine) -> None:
    today = date(2026, 11, 16)
    rows: list[dict[str, Any]] = [
        # number, status, introduced, held, thanked: (stuck?, unthanked?)
        dict(number=1, status="introduced", introduced_on=today - timedelta(days=10)),  # both
        dict(number=2, status="introduced", introduced_on=today - timedelta(days=10), thanked_on=today),  # stuck
        dict(number=3, status="won", introduced_on=today - timedelta(days=8), closed_on=today),  # unthanked
        dict(number=4, status="introduced", introduced_on=today - timedelta(days=7)),  # neither: 7 days is not late
        dict(number=5, status="introduced", introduced_on=today - timedelta(days=120)),  # stuck, thank-you history
        dict(number=6, status="meeting_held", introduced_on=today - timedelta(days=60),
             meeting_held_on=today - timedelta(days=31), thanked_on=today),  # stuck: no outcome
        dict(number=7, status="meeting_held", introduced_on=today - timedelta(days=60),
             meeting_held_on=today - timedelta(days=30), thanked_on=today),  # neither
        dict(number=8, status="lost", introduced_on=today - timedelta(days=89), closed_on=today),  # unthanked
        dict(number=9, status="lost", introduced_on=today - timedelta(days=91), closed_on=today),  # neither
    ]
    with session_scope(engine) as session:
        for row in rows:
            session.add(Referral(team_id=WORKSPACE.team_id, rep_user_id="U0R01", prospect_name=f"P{row['number']}",
                                 referrer_name="Dave", created_at=NOW, updated_at=NOW, **row))
        session.add(Referral(team_id="T0002", rep_user_id="U0R01", number=1, prospect_name="Elsewhere",
                             referrer_name="Dave", status="introduced", introduced_on=today - timedelta(days=10),
                             created_at=NOW, updated_at=NOW))
    with read_scope(engine) as session:
        found = list_chase_candidates(session=session, workspace=WORKSPACE, rep_user_ids=["U0R01", "U0R02"],
                                      introduced_before=today - timedelta(days=7),
                                      held_before=today - timedelta(days=30),
                                      thank_before=today - timedelta(days=7), thank_since=today - timedelta(days=90))
    stuck = [row.number for row in found if stuck_reason(row, today)]
    unthanked = [row.number for row in found if row.unthanked]
    # Each list in order of introduction (ties by id), as the digest shows them.
    assert stuck == [5, 6, 1, 2]
    assert unthanked == [8, 1, 3]
    assert all(isinstance(row.status, ReferralStatus) for row in found)
    assert {row.prospect_name for row in found} <= {f"P{n}" for n in range(1, 10)}
