"""Gathering what each scheduled message says, from the database.

Each rep's week is their own: a digest line covers the rep's own last week in
the rep's zone, even when the manager sits in another zone.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from domain.cadence import (
    UNTHANKED_AFTER,
    RepWeek,
    WeekResult,
    coaching_questions,
    streak,
    stuck_reason,
    week_result,
)
from domain.funnel import Workspace
from domain.kpis import KpiCounts
from domain.nudges import (
    DigestContent,
    DigestRepLine,
    LeaderboardContent,
    LeaderboardEntry,
    PeriodTotals,
    ReminderContent,
    StuckReferral,
    longest_streaks,
    order_digest,
    rank_leaderboard,
)
from domain.periods import Period, days_left_in_week, local_today, period_containing, previous_period
from domain.schedule import WeeklySlot
from services.people import Person
from services.referrals import referral_record
from services.teams import TeamInfo, fiscal_year_start, team_info
from storage.commitment_queries import list_commitments
from storage.engine import session_scope
from storage.models import SalesTeam
from storage.queries import count_asks_by_day, count_kpis, list_open_referrals_of, list_unthanked_referrals
from storage.team_queries import list_memberships, list_pauses

STREAK_LOOKBACK_WEEKS = 52
# An introduction older than this is history; the digest stops asking about its thank-you.
UNTHANKED_LOOKBACK = timedelta(days=90)


def load_teams(*, engine: sa.Engine, workspace: Workspace) -> list[TeamInfo]:
    with session_scope(engine) as session:
        rows = list_memberships(session=session, workspace=workspace)
    teams: dict[int, SalesTeam] = {}
    members: dict[int, dict[str, list[str]]] = {}
    for team, member in rows:
        teams[team.id or 0] = team
        members.setdefault(team.id or 0, {"rep": [], "manager": []})[member.role].append(member.user_id)
    return [team_info(team, reps=members[team_id]["rep"], managers=members[team_id]["manager"])
            for team_id, team in teams.items()]


@dataclass(frozen=True)
class RepPlan:
    """A rep's cadence across all their teams: the strictest minimum, the earliest reminder."""

    user_id: str
    minimum: int
    reminder: WeeklySlot


def rep_plans(teams: Sequence[TeamInfo]) -> dict[str, RepPlan]:
    plans: dict[str, RepPlan] = {}
    for team in teams:
        for rep in team.reps:
            known = plans.get(rep)
            minimum = max(team.minimum, known.minimum if known else 0)
            reminder = min(team.reminder, known.reminder, key=lambda s: (s.weekday, s.at)) if known else team.reminder
            plans[rep] = RepPlan(rep, minimum, reminder)
    return plans


def is_paused(*, engine: sa.Engine, workspace: Workspace, user_id: str, day: date) -> bool:
    with session_scope(engine) as session:
        return bool(list_pauses(session=session, workspace=workspace, user_ids=[user_id], start=day, end=day))


def reminder_content(
    *, engine: sa.Engine, workspace: Workspace, rep: Person, minimum: int, now: datetime,
    commitments: tuple[str, ...] = (),
) -> ReminderContent | None:
    """The reminder for a rep below the minimum this week; None when at the minimum or on time off."""
    today = local_today(now, rep.timezone)
    week = period_containing("week", today)
    if is_paused(engine=engine, workspace=workspace, user_id=rep.user_id, day=today):
        return None
    with session_scope(engine) as session:
        asks = count_kpis(session=session, workspace=workspace, rep_user_ids=[rep.user_id], start=week.start,
                          end=week.end).asks
    if asks >= minimum:
        return None
    return ReminderContent(rep_user_id=rep.user_id, asks=asks, minimum=minimum, days_left=days_left_in_week(today),
                           week=week, commitments=commitments)


def rep_weeks(
    *, engine: sa.Engine | None = None, workspace: Workspace, reps: Mapping[str, Person], now: datetime, weeks: int,
    include_current: bool = False, session: Session | None = None,
) -> dict[str, list[RepWeek]]:
    """Each rep's last ``weeks`` complete weeks in their own zone, newest first; with ``include_current``
    the newest is the week under way (the Home tab's "this week so far")."""
    currents = {uid: period_containing("week", local_today(now, p.timezone)) for uid, p in reps.items()}
    lasts = currents if include_current else {uid: previous_period(week) for uid, week in currents.items()}
    if not lasts:
        return {}
    earliest = min(w.start for w in lasts.values()) - timedelta(weeks=weeks)
    latest = max(w.end for w in lasts.values())
    # In the caller's transaction when given one (the Home tab reads everything in one).
    with nullcontext(session) if session is not None else session_scope(engine) as session:
        daily = count_asks_by_day(session=session, workspace=workspace, rep_user_ids=list(reps), start=earliest,
                                  end=latest)
        pauses = list_pauses(session=session, workspace=workspace, user_ids=list(reps), start=earliest, end=latest)
    result: dict[str, list[RepWeek]] = {}
    for uid, last in lasts.items():
        series = []
        for back in range(weeks):
            start = last.start - timedelta(weeks=back)
            end = start + timedelta(days=6)
            asks = sum(daily.get((uid, start + timedelta(days=d)), 0) for d in range(7))
            paused = any(p.user_id == uid and p.starts_on <= end and p.until_on >= start for p in pauses)
            series.append(RepWeek(start, asks, paused))
        result[uid] = series
    return result


def digest_content(
    *, engine: sa.Engine, workspace: Workspace, team: TeamInfo, manager: Person, reps: Mapping[str, Person],
    now: datetime,
) -> DigestContent:
    manager_today = local_today(now, manager.timezone)
    manager_week = previous_period(period_containing("week", manager_today))
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    series = rep_weeks(engine=engine, workspace=workspace, reps=reps, now=now, weeks=STREAK_LOOKBACK_WEEKS)
    lines = []
    with session_scope(engine) as session:
        for uid, weeks in series.items():
            last = weeks[0]
            kpis = count_kpis(session=session, workspace=workspace, rep_user_ids=[uid], start=last.week_start,
                              end=last.week_start + timedelta(days=6))
            promised = list_commitments(session=session, workspace=workspace, rep_user_ids=[uid],
                                        week_starts=[last.week_start])
            lines.append(DigestRepLine(user_id=uid, kpis=kpis, result=week_result(last, team.minimum),
                                       streak=streak(weeks, team.minimum),
                                       trend=tuple(w.asks for w in reversed(weeks[:4])),
                                       commitments_made=len(promised),
                                       commitments_kept=sum(c.kept_ask_id is not None for c in promised)))
        totals = tuple(_totals(session, workspace, list(reps), label, kind, manager_today, fiscal)
                       for label, kind in (("Last week", "week"), ("Month to date", "month"),
                                           ("Quarter to date", "quarter")))
        open_referrals = list_open_referrals_of(session=session, workspace=workspace, rep_user_ids=list(reps))
        stuck = []
        for row in open_referrals:
            reason = stuck_reason(referral_record(row), manager_today)
            if reason:
                stuck.append(StuckReferral(row.rep_user_id, row.number, row.prospect_name, reason))
        unthanked = tuple(
            StuckReferral(row.rep_user_id, row.number, row.prospect_name,
                          f"{row.referrer_name or 'the referrer'} not thanked "
                          f"{(manager_today - row.introduced_on).days} days after the introduction")
            for row in list_unthanked_referrals(session=session, workspace=workspace, rep_user_ids=list(reps),
                                                introduced_before=manager_today - UNTHANKED_AFTER,
                                                since=manager_today - UNTHANKED_LOOKBACK))
    ordered = order_digest(lines)
    missed = sum(1 for line in ordered if line.result is WeekResult.MISSED)
    return DigestContent(manager_user_id=manager.user_id, team_name=team.name, week=manager_week,
                         minimum=team.minimum, reps=ordered, totals=totals, stuck=tuple(stuck),
                         questions=coaching_questions(missed), unthanked=unthanked)


def _totals(session, workspace: Workspace, reps: list[str], label: str, kind: str, today: date,  # noqa: ANN001
            fiscal_start_month: int) -> PeriodTotals:
    """Like for like: last week against the week before; month and quarter to date against the same
    number of days at the start of the previous month or quarter."""
    if kind == "week":
        current = previous_period(period_containing("week", today))
        previous = previous_period(current)
        spans = ((current.start, current.end), (previous.start, previous.end))
    else:
        current = period_containing(kind, today, fiscal_start_month=fiscal_start_month)
        previous = previous_period(current)
        elapsed = (today - current.start).days
        spans = ((current.start, today), (previous.start, min(previous.end, previous.start + timedelta(days=elapsed))))
    counts = [count_kpis(session=session, workspace=workspace, rep_user_ids=reps, start=a, end=b) for a, b in spans]
    return PeriodTotals(label, counts[0], counts[1])


def leaderboard_content(
    *, engine: sa.Engine, workspace: Workspace, team: TeamInfo, reps: Mapping[str, Person], period: Period,
    now: datetime,
) -> LeaderboardContent:
    series = rep_weeks(engine=engine, workspace=workspace, reps=reps, now=now, weeks=STREAK_LOOKBACK_WEEKS)
    entries = []
    with session_scope(engine) as session:
        for uid in reps:
            kpis: KpiCounts = count_kpis(session=session, workspace=workspace, rep_user_ids=[uid], start=period.start,
                                         end=period.end)
            entries.append(LeaderboardEntry(uid, kpis.asks, kpis.referrals, streak(series.get(uid, []), team.minimum)))
    weeks = max(1, round(((period.end - period.start).days + 1) / 7))
    return LeaderboardContent(team_name=team.name, period=period, entries=rank_leaderboard(entries),
                              team_asks=sum(e.asks for e in entries), target=len(reps) * team.minimum * weeks,
                              longest_streaks=longest_streaks(entries))


