"""The five leading indicators, counted per rep per period."""
from __future__ import annotations

from dataclasses import dataclass, fields

MINIMUM_ASKS_PER_WEEK = 1


@dataclass(frozen=True)
class KpiCounts:
    asks: int = 0
    referrals: int = 0
    meetings_scheduled: int = 0
    meetings_held: int = 0
    won: int = 0
    lost: int = 0
    no_decision: int = 0

    def __add__(self, other: KpiCounts) -> KpiCounts:
        return KpiCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


# Label for each indicator, in funnel order. Deals closed shows won; lost and no-decision ride along.
KPI_LABELS: tuple[tuple[str, str], ...] = (
    ("asks", "People asked"),
    ("referrals", "Referrals received"),
    ("meetings_scheduled", "Meetings scheduled"),
    ("meetings_held", "Meetings held"),
    ("won", "Deals won"),
)
# Shown wherever won is: a loss or a stalled deal is as much a coaching moment as a win.
OUTCOME_LABELS: tuple[tuple[str, str], ...] = (
    ("lost", "Deals lost"),
    ("no_decision", "No decision"),
)


def meets_minimum(asks: int, minimum: int = MINIMUM_ASKS_PER_WEEK) -> bool:
    return asks >= minimum
