"""Referral math: work backwards from the clients a rep needs to the asks it takes.

asks -> introductions -> meetings -> deals. Until there is history, the
method's defaults: half of asks give an introduction, and half of introductions
become clients (every introduction is assumed to get its meeting). So 10 new
clients take about 20 introductions, and 40 asks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from domain.kpis import KpiCounts

DEFAULT_INTRO_RATE = 0.5  # introductions per ask
DEFAULT_MEETING_RATE = 1.0  # meetings held per introduction
DEFAULT_WIN_RATE = 0.5  # deals won per meeting held
# Enough history to trust one's own rate over the method's default.
MIN_ASKS, MIN_INTRODUCTIONS, MIN_MEETINGS = 20, 10, 8


@dataclass(frozen=True)
class Rate:
    name: str
    value: float
    based_on: int  # events behind it; 0 for a default
    source: str  # "yours", "your team's" or "default"


@dataclass(frozen=True)
class Plan:
    clients: int
    weeks: int
    asks: int
    introductions: int
    meetings: int
    asks_per_week: int
    rates: tuple[Rate, Rate, Rate]


def _rate(name: str, numerator: int, denominator: int, minimum: int, source: str) -> Rate | None:
    if denominator < minimum or numerator == 0:
        return None
    return Rate(name, min(numerator / denominator, 1.0), denominator, source)


def calibrate(own: KpiCounts, team: KpiCounts | None = None) -> tuple[Rate, Rate, Rate]:
    """Each rate from the rep's own history when there is enough, else the team's, else the default."""
    specs = (
        ("introductions per ask", lambda k: (k.referrals, k.asks), MIN_ASKS, DEFAULT_INTRO_RATE),
        ("meetings per introduction", lambda k: (k.meetings_held, k.referrals), MIN_INTRODUCTIONS, DEFAULT_MEETING_RATE),
        ("deals won per meeting", lambda k: (k.won, k.meetings_held), MIN_MEETINGS, DEFAULT_WIN_RATE),
    )
    rates = []
    for name, pick, minimum, default in specs:
        chosen = _rate(name, *pick(own), minimum, "yours")
        if chosen is None and team is not None:
            chosen = _rate(name, *pick(team), minimum, "your team's")
        rates.append(chosen or Rate(name, default, 0, "default"))
    return rates[0], rates[1], rates[2]


def plan_for(clients: int, weeks: int, rates: tuple[Rate, Rate, Rate]) -> Plan:
    intro, meeting, win = rates
    meetings = math.ceil(clients / win.value)
    introductions = math.ceil(meetings / meeting.value)
    asks = math.ceil(introductions / intro.value)
    weeks = max(1, weeks)
    return Plan(clients, weeks, asks, introductions, meetings, math.ceil(asks / weeks), rates)
