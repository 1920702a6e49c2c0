"""The grouped counts a tick's digests are built from, against a plain recount of the same rows.

``count_asks_in_spans`` counts a span as the difference of two running counts (the rows before its end,
less the rows before its start), so spans that share a bound, overlap, repeat, start on the first day read
or end on the last must still come out as a direct count of the dates says.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from domain.funnel import Workspace
from storage.due_queries import count_asks_in_spans
from storage.engine import read_scope, session_scope
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
