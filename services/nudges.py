"""Gathering what each scheduled message says, from the database.

Event dates are stored in each rep's own calendar, so a week is a range of
dates that means the same for every rep. The digest covers the manager's last
complete week: each rep's line counts the rep's events dated in it. Ticks build
many digests or leaderboards at once from a few grouped queries
(``digest_contents``, ``leaderboard_contents``); the single-team functions are
the same code with one team.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from domain.cadence import (
    STUCK_WITHOUT_MEETING,
    STUCK_WITHOUT_OUTCOME,
    UNTHANKED_AFTER,
    RepWeek,
    WeekResult,
    coaching_questions,
    streak,
    stuck_reason,
    week_result,
)
from domain.forgetting import FORMER_ROLE
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
from domain.records import money_totals
from domain.schedule import WeeklySlot
from services.people import Person
from services.teams import TeamInfo, fiscal_year_start, team_info
from storage.among import People
from storage.commitment_queries import list_commitments
from storage.convention_queries import sum_won_by_rep_and_currency
from storage.due_queries import (
    REFERRAL_FIGURES,
    count_asks_in_spans,
    count_kpis_by_rep,
    count_referrals_in_spans,
    kpis_of,
    list_chase_candidates,
)
from storage.engine import read_scope, session_scope
from storage.models import SalesTeam
from storage.report_queries import count_asks_by_day, count_kpis
from storage.team_queries import list_memberships, list_pauses

STREAK_LOOKBACK_WEEKS = 52
TREND_WEEKS = 4
# Streaks are read a quarter at a time: older weeks only for reps whose streak spans the whole quarter.
RECENT_WEEKS = 13
# An introduction older than this is history; the digest stops asking about its thank-you.
UNTHANKED_LOOKBACK = timedelta(days=90)


def load_teams(*, engine: sa.Engine, workspace: Workspace) -> list[TeamInfo]:
    with read_scope(engine) as session:  # the rows are read before its rollback expires them
        teams: dict[int, SalesTeam] = {}
        members: dict[int, dict[str, list[str]]] = {}
        for team, member in list_memberships(session=session, workspace=workspace):
            teams[team.id or 0] = team
            members.setdefault(team.id or 0, {"rep": [], "manager": [], FORMER_ROLE: []})[member.role].append(
                member.user_id)
        return [team_info(team, reps=members[team_id]["rep"], managers=members[team_id]["manager"],
                          former=members[team_id][FORMER_ROLE]) for team_id, team in teams.items()]


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
    with read_scope(engine) as session:
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
    with read_scope(engine) as session:
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


@dataclass(frozen=True)
class DigestDue:
    """One digest to build: a team, the manager it goes to, and the team's reps (active, then deactivated)."""

    team: TeamInfo
    manager_user_id: str
    left: tuple[str, ...] = ()  # reps deactivated in Slack: a line only when they did something in the periods


def digest_spans(manager_today: date, fiscal_start_month: int) -> dict[str, tuple[Period, Period]]:
    """Each total's (current, previous) span in the manager's calendar: last week against the week before;
    month and quarter to date against the same number of days at the start of the previous one."""
    last = previous_period(period_containing("week", manager_today))
    spans = {"Last week": (last, previous_period(last))}
    for label, kind in (("Month to date", "month"), ("Quarter to date", "quarter")):
        current = period_containing(kind, manager_today, fiscal_start_month=fiscal_start_month)
        previous = previous_period(current)
        elapsed = (manager_today - current.start).days
        spans[label] = (Period(kind, current.start, manager_today, fiscal_start_month),
                        Period(kind, previous.start, min(previous.end, previous.start + timedelta(days=elapsed)),
                               fiscal_start_month))
    return spans


@dataclass(frozen=True)
class DigestFigures:
    """What a batch of digests is built from, as plain values read in one transaction: a tick reads the
    next page's figures on another thread while this page's lines are built (services/ticks.py)."""

    spans: dict[str, tuple[Period, Period]]
    asks: Mapping[str, tuple[int, ...]]  # the spans' counts, then the recent weeks of the streaks
    referrals: Mapping[str, tuple[int, ...]]
    series: Mapping[str, list[RepWeek]]
    won: Sequence[Mapping[str, Mapping[str | None, Decimal]]]
    promised: Mapping[str, tuple[int, int]]  # (commitments made, kept) last week
    stuck: Mapping[str, list[StuckReferral]]
    unthanked: Mapping[str, list[StuckReferral]]


def digest_contents(
    *, session: Session, workspace: Workspace, dues: Sequence[DigestDue], manager_today: date,
    fiscal_start_month: int, reps_query: sa.Select | None = None,
) -> list[DigestContent]:
    """The digests of many teams whose managers share one calendar day, from a fixed handful of grouped
    queries (counted in the tests), whatever the number of teams and reps. ``reps_query``, when given,
    selects the same reps as the dues hold (active and departed), for the reads to filter by."""
    figures = read_digest_figures(session=session, workspace=workspace, dues=dues, manager_today=manager_today,
                                  fiscal_start_month=fiscal_start_month, reps_query=reps_query)
    return build_digests(dues, figures)


def read_digest_figures(
    *, session: Session, workspace: Workspace, dues: Sequence[DigestDue], manager_today: date,
    fiscal_start_month: int, reps_query: sa.Select | None = None,
) -> DigestFigures:
    """The reads of ``digest_contents``: everything its lines and totals need, nothing built yet."""
    spans = digest_spans(manager_today, fiscal_start_month)
    week = spans["Last week"][0]
    flat = [(p.start, p.end) for pair in spans.values() for p in pair]
    reps = sorted({uid for due in dues for uid in (*due.team.reps, *due.left)})
    among: People = reps_query if reps_query is not None else reps
    # One pass over the asks for every span and the recent weeks of the streaks; one over the referrals.
    recent = _recent_weeks(week, STREAK_LOOKBACK_WEEKS)
    asks = count_asks_in_spans(session=session, workspace=workspace, rep_user_ids=among, spans=flat + recent)
    referrals = count_referrals_in_spans(session=session, workspace=workspace, rep_user_ids=among, spans=flat)
    series = _weekly_series(session, workspace, reps, week, STREAK_LOOKBACK_WEEKS,
                            recent={uid: row[len(flat):] for uid, row in asks.items()}, among=among)
    # Won value in each current span, per rep and currency: one grouped query, never per rep.
    won = sum_won_by_rep_and_currency(session=session, workspace=workspace, rep_user_ids=among,
                                      spans=[(current.start, current.end) for current, _previous in spans.values()])
    # Counts, not rows: the rows expire when the read ends, before the lines are built.
    promised: dict[str, tuple[int, int]] = {}
    for row in list_commitments(session=session, workspace=workspace, rep_user_ids=among, week_starts=[week.start]):
        made, kept = promised.get(row.rep_user_id, (0, 0))
        promised[row.rep_user_id] = (made + 1, kept + (row.kept_ask_id is not None))
    # Both lists of referrals to chase come from one read, each in order of introduction.
    stuck: dict[str, list[StuckReferral]] = {}
    unthanked: dict[str, list[StuckReferral]] = {}
    for row in list_chase_candidates(session=session, workspace=workspace, rep_user_ids=among,
                                     introduced_before=manager_today - STUCK_WITHOUT_MEETING,
                                     held_before=manager_today - STUCK_WITHOUT_OUTCOME,
                                     thank_before=manager_today - UNTHANKED_AFTER,
                                     thank_since=manager_today - UNTHANKED_LOOKBACK):
        reason = stuck_reason(row, manager_today)
        if reason:
            stuck.setdefault(row.rep_user_id, []).append(
                StuckReferral(row.rep_user_id, row.number, row.prospect_name, reason))
        if row.unthanked:
            unthanked.setdefault(row.rep_user_id, []).append(StuckReferral(
                row.rep_user_id, row.number, row.prospect_name,
                f"{row.referrer_name or 'the referrer'} not thanked "
                f"{(manager_today - row.introduced_on).days} days after the introduction"))
    return DigestFigures(spans, asks, referrals, series, won, promised, stuck, unthanked)


def build_digests(dues: Sequence[DigestDue], figures: DigestFigures) -> list[DigestContent]:
    """The digests out of their figures: no database."""
    spans, asks, referrals, series, won = figures.spans, figures.asks, figures.referrals, figures.series, figures.won
    promised, stuck, unthanked = figures.promised, figures.stuck, figures.unthanked
    week = spans["Last week"][0]
    flat = [(p.start, p.end) for pair in spans.values() for p in pair]
    # A team's totals are column sums of its shown reps' rows (asks, referral figures): no KpiCounts per rep
    # and span. The asks rows also hold the recent weeks, after the spans.
    spanned, per_span = len(flat), REFERRAL_FIGURES
    no_asks, no_referrals = (0,) * len(flat), (0,) * (per_span * len(flat))
    contents = []
    for due in dues:
        minimum = due.team.minimum
        lines = []
        ask_rows, referral_rows = [], []
        members = [(uid, False) for uid in due.team.reps] + [(uid, True) for uid in due.left]
        for uid, left in members:
            own_asks, own_referrals = asks.get(uid), referrals.get(uid)
            if left and not (own_asks and any(own_asks[:spanned])) and not (own_referrals and any(own_referrals)):
                continue  # gone, and nothing of theirs in these periods
            ask_rows.append(own_asks[:spanned] if own_asks else no_asks)
            referral_rows.append(own_referrals or no_referrals)
            weeks = series[uid]  # newest first, at least TREND_WEEKS long
            made, kept = promised.get(uid, (0, 0))
            lines.append(DigestRepLine(
                user_id=uid, kpis=kpis_of(own_asks, own_referrals, 0),
                result=WeekResult.LEFT if left else week_result(weeks[0], minimum),
                streak=0 if left else streak(weeks, minimum),
                trend=tuple([w.asks for w in weeks[TREND_WEEKS - 1::-1]]),
                commitments_made=made, commitments_kept=kept))
        ask_sums = [sum(column) for column in zip(*ask_rows, strict=True)] or no_asks
        referral_sums = [sum(column) for column in zip(*referral_rows, strict=True)] or no_referrals

        def total(span: int, ask_sums: Sequence[int] = ask_sums, referral_sums: Sequence[int] = referral_sums) -> KpiCounts:
            return KpiCounts(ask_sums[span], *referral_sums[span * per_span:(span + 1) * per_span])

        shown = [line.user_id for line in lines]
        totals = tuple(
            PeriodTotals(label, total(2 * i), total(2 * i + 1),
                         won_amounts=money_totals(_add_money(won[i].get(uid, {}) for uid in shown)))
            for i, label in enumerate(spans))
        ordered = order_digest(lines)
        missed = sum(1 for line in ordered if line.result is WeekResult.MISSED)
        contents.append(DigestContent(
            manager_user_id=due.manager_user_id, team_name=due.team.name, week=week, minimum=minimum, reps=ordered,
            totals=totals, stuck=tuple(s for uid in due.team.reps for s in stuck.get(uid, ())),
            questions=coaching_questions(missed),
            unthanked=tuple(s for uid in due.team.reps for s in unthanked.get(uid, ()))))
    return contents


def _add_money(amounts: Iterable[Mapping[str | None, Decimal]]) -> dict[str | None, Decimal]:
    """Per-currency totals of several reps; currencies are never mixed."""
    total: dict[str | None, Decimal] = {}
    for per_currency in amounts:
        for currency, amount in per_currency.items():
            total[currency] = total.get(currency, Decimal(0)) + amount
    return total


def _recent_weeks(last: Period, weeks: int) -> list[tuple[date, date]]:
    """The (start, end) of the most recent weeks a streak reads first, newest first, ending with ``last``."""
    return [(last.start - timedelta(weeks=back), last.end - timedelta(weeks=back))
            for back in range(min(weeks, RECENT_WEEKS))]


def _weekly_series(session: Session, workspace: Workspace, reps: Sequence[str], last: Period, weeks: int,
                   recent: Mapping[str, Sequence[int]] | None = None,
                   among: People | None = None) -> dict[str, list[RepWeek]]:
    """Each rep's asks in the ``weeks`` weeks ending with ``last``, newest first, with their time off.

    A week without asks or time off ends any streak (minimums are 1 or more), so a rep's series stops there
    (after the four weeks of the trend). The recent weeks are read first (``recent``: each rep's asks in
    ``_recent_weeks``, when the caller counted them with its own figures); older weeks only for the reps
    whose streak runs through all of them: most reps' history is never read. ``among``: the same reps as a
    subquery, for the reads to filter by.
    """
    among = reps if among is None else among
    earliest = last.start - timedelta(weeks=weeks - 1)
    pauses: dict[str, list] = {}
    for pause in list_pauses(session=session, workspace=workspace, user_ids=among, start=earliest, end=last.end):
        pauses.setdefault(pause.user_id, []).append(pause)
    weeks_read = _recent_weeks(last, weeks)
    if recent is None:
        recent = count_asks_in_spans(session=session, workspace=workspace, rep_user_ids=among, spans=weeks_read)
    older: dict[str, tuple[int, ...]] = {}  # each rep's asks in the weeks after the recent ones, newest first
    starts = [last.start - timedelta(weeks=back) for back in range(max(weeks, TREND_WEEKS))]  # newest first
    ends = [start + timedelta(days=6) for start in starts]  # once, not once a rep and week: a tick walks 10,000s
    none_recent = (0,) * len(weeks_read)

    def walk(uid: str, rows: list[RepWeek], upto: int) -> bool:
        """Extend the rep's series up to ``upto`` weeks back; True once a week has ended the streak."""
        counts, before = recent.get(uid, none_recent), older.get(uid, ())
        own = pauses.get(uid)
        for back in range(len(rows), upto):
            asks = counts[back] if back < len(counts) else before[back - len(counts)]
            paused = own is not None and any(p.starts_on <= ends[back] and p.until_on >= starts[back] for p in own)
            rows.append(RepWeek(starts[back], asks, paused))
            if not asks and not paused and back >= TREND_WEEKS - 1:
                return True
        return False

    series: dict[str, list[RepWeek]] = {uid: [] for uid in reps}
    unbroken = [uid for uid in reps if not walk(uid, series[uid], len(weeks_read))]
    # Older weeks, a block of RECENT_WEEKS at a time, only for the reps whose streak runs through every week
    # read so far: one row a rep and block with a count a week (the FILTERs of count_asks_in_spans), where a
    # row a rep and week made a year's streaks read hundreds of thousands of rows at 2 million asks.
    read = len(weeks_read)
    while unbroken and read < weeks:
        block = [(starts[back], ends[back]) for back in range(read, min(weeks, read + RECENT_WEEKS))]
        counted = count_asks_in_spans(session=session, workspace=workspace, rep_user_ids=unbroken, spans=block)
        zeros = (0,) * len(block)
        for uid in unbroken:
            older[uid] = older.get(uid, ()) + tuple(counted.get(uid, zeros))
        read += len(block)
        unbroken = [uid for uid in unbroken if not walk(uid, series[uid], read)]
    for rows in series.values():
        rows.extend(RepWeek(starts[back], 0, False) for back in range(len(rows), TREND_WEEKS))
    return series


def digest_content(
    *, engine: sa.Engine, workspace: Workspace, team: TeamInfo, manager: Person, reps: Mapping[str, Person],
    now: datetime,
) -> DigestContent:
    """One team's digest (the demo and previews); ticks build many at once with ``digest_contents``."""
    manager_today = local_today(now, manager.timezone)
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    with read_scope(engine) as session:
        [content] = digest_contents(session=session, workspace=workspace,
                                    dues=[DigestDue(replace(team, reps=tuple(reps)), manager.user_id)],
                                    manager_today=manager_today, fiscal_start_month=fiscal)
    return content


def leaderboard_contents(
    *, session: Session, workspace: Workspace, teams: Sequence[TeamInfo], period: Period, streak_until: Period,
) -> list[LeaderboardContent]:
    """Leaderboards of many teams for one period, from a few grouped queries; ``team.reps`` are the active reps."""
    reps = sorted({uid for team in teams for uid in team.reps})
    counts = count_kpis_by_rep(session=session, workspace=workspace, rep_user_ids=reps,
                               spans=[(period.start, period.end)])
    series = _weekly_series(session, workspace, reps, streak_until, STREAK_LOOKBACK_WEEKS)
    weeks = max(1, round(((period.end - period.start).days + 1) / 7))
    contents = []
    for team in teams:
        entries = [LeaderboardEntry(uid, counts[uid][0].asks, counts[uid][0].referrals, streak(series[uid], team.minimum))
                   for uid in team.reps]
        contents.append(LeaderboardContent(team_name=team.name, period=period, entries=rank_leaderboard(entries),
                                           team_asks=sum(e.asks for e in entries),
                                           target=len(team.reps) * team.minimum * weeks,
                                           longest_streaks=longest_streaks(entries)))
    return contents


def leaderboard_content(
    *, engine: sa.Engine, workspace: Workspace, team: TeamInfo, reps: Mapping[str, Person], period: Period,
    now: datetime,
) -> LeaderboardContent:
    """One team's board (on demand): streaks run to the last complete week before ``now``."""
    streak_until = previous_period(period_containing("week", now.date()))
    with read_scope(engine) as session:
        [content] = leaderboard_contents(session=session, workspace=workspace, teams=[replace(team, reps=tuple(reps))],
                                         period=period, streak_until=streak_until)
    return content
