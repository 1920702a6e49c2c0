"""Referral math against hand-computed cases."""
from __future__ import annotations

from domain.kpis import KpiCounts
from domain.plan import calibrate, plan_for


def test_the_methods_defaults_ten_clients_take_forty_asks():
    plan = plan_for(10, 13, calibrate(KpiCounts()))
    assert (plan.meetings, plan.introductions, plan.asks) == (20, 20, 40)
    assert plan.asks_per_week == 4  # ceil(40 / 13)
    assert {r.source for r in plan.rates} == {"default"}


def test_own_rates_once_there_is_enough_history():
    # 40 asks gave 10 introductions (25%), 10 introductions gave 8 meetings (80%), 8 meetings won 2 (25%).
    own = KpiCounts(asks=40, referrals=10, meetings_held=8, won=2)
    plan = plan_for(3, 6, calibrate(own))
    # 3 / 0.25 = 12 meetings; 12 / 0.8 = 15 introductions; 15 / 0.25 = 60 asks; 10 a week.
    assert (plan.meetings, plan.introductions, plan.asks, plan.asks_per_week) == (12, 15, 60, 10)
    assert [(r.source, r.based_on) for r in plan.rates] == [("yours", 40), ("yours", 10), ("yours", 8)]


def test_too_little_history_falls_back_rate_by_rate():
    own = KpiCounts(asks=30, referrals=6, meetings_held=2, won=1)
    team = KpiCounts(asks=200, referrals=60, meetings_held=40, won=10)
    intro, meeting, win = calibrate(own, team)
    assert (intro.source, intro.value) == ("yours", 0.2)
    assert (meeting.source, round(meeting.value, 3), meeting.based_on) == ("your team's", 0.667, 60)
    assert (win.source, win.value) == ("your team's", 0.25)
    assert calibrate(own)[2].source == "default"
