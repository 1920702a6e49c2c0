"""Leaderboards that lift everyone: the four modes a team can choose, as rules on plain numbers.

- ``ranking``: today's board, by asks, without anyone at zero;
- ``improvers``: the biggest rise in weekly asks against each rep's own average of the 4 weeks before;
- ``everyone``: everyone at or above the minimum, in no order (alphabetical by Slack ID), plus the count;
- ``team``: the team's total against its target and the period before, with no names at all.

In every mode that names people, nobody at zero is ever named.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RANKING, IMPROVERS, EVERYONE, TEAM = "ranking", "improvers", "everyone", "team"
LEADERBOARD_MODES = (RANKING, IMPROVERS, EVERYONE, TEAM)
DEFAULT_MODE = RANKING
BASELINE_WEEKS = 4


@dataclass(frozen=True)
class RepNumbers:
    user_id: str
    asks: int  # in the period
    baseline_weeks: tuple[int, ...]  # asks in each of the BASELINE_WEEKS weeks before the period


@dataclass(frozen=True)
class Improver:
    user_id: str
    asks: int
    weekly: float  # asks a week in the period
    average: float  # the rep's own weekly average before it

    @property
    def rise(self) -> float:
        return self.weekly - self.average


def improvers(reps: Sequence[RepNumbers], *, weeks: int) -> tuple[Improver, ...]:
    """Reps whose weekly asks rose against their own 4-week average, biggest rise first."""
    found = []
    for rep in reps:
        if rep.asks <= 0:
            continue
        average = sum(rep.baseline_weeks) / max(1, len(rep.baseline_weeks))
        improver = Improver(rep.user_id, rep.asks, rep.asks / max(1, weeks), average)
        if improver.rise > 0:
            found.append(improver)
    return tuple(sorted(found, key=lambda i: (-i.rise, -i.asks, i.user_id)))


def at_minimum(reps: Sequence[RepNumbers], *, minimum: int, weeks: int) -> tuple[str, ...]:
    """Everyone at or above the minimum for the period, in no ranked order; never anyone at zero."""
    bar = max(1, minimum * max(1, weeks))
    return tuple(sorted(rep.user_id for rep in reps if rep.asks >= bar))


def period_weeks(days: int) -> int:
    return max(1, round(days / 7))


@dataclass(frozen=True)
class ModeBoard:
    """What a board in a non-ranking mode says (the ranking mode keeps its own LeaderboardContent)."""

    mode: str
    team_name: str
    period_label: str
    improvers: tuple[Improver, ...]
    at_minimum: tuple[str, ...]
    rep_count: int
    minimum: int
    team_asks: int
    target: int
    previous_asks: int  # the team's asks in the period before
