"""What the scheduler's ticks read: who is due, found in SQL, and their numbers, counted in groups.

A tick loops over the distinct time zones of the people concerned (a few dozen at
most), never over the people: for one zone the local week, day and time are
constants, so "whose slot has passed, who isn't paused, who hasn't had it yet"
is one WHERE clause, read a page at a time in key order. The numbers for a page
of recipients come from a handful of grouped queries whatever the page's size.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain.forgetting import FORMER_ROLE
from domain.funnel import ReferralStatus, Workspace
from domain.kpis import KpiCounts
from storage.among import People, among, among_ids
from storage.models import Ask, Commitment, Delivery, Pause, Referral, SalesTeam, TeamMember, UserProfile
from storage.queries import scoped

REP, MANAGER = "rep", "manager"
NO_ZONE = ""  # how a person without a known zone is grouped: they get the workspace's default zone


@dataclass(frozen=True)
class LocalClock:
    """One zone group's local reading of ``now``: every condition of a due query is a constant."""

    zones: tuple[str, ...]  # the raw profile (or team) zone names in this group; NO_ZONE for unknown
    now: datetime  # aware, the tick's instant
    today: date  # local date
    weekday: int  # local, 0 = Monday
    at: time  # local wall-clock time
    week_start: date
    week_end: date
    period_key: str  # the ledger key of this week's weekly messages


def _zone_of(member) -> sa.ColumnElement[str]:  # noqa: ANN001
    return sa.func.coalesce(UserProfile.timezone, NO_ZONE)


def _profile_join(member) -> sa.ColumnElement[bool]:  # noqa: ANN001
    return sa.and_(UserProfile.team_id == member.team_id, UserProfile.user_id == member.user_id)


def _active(member) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """Not deactivated in Slack (unknown people are active)."""
    return sa.func.coalesce(UserProfile.deleted, sa.false()) == sa.false()


def list_member_zones(*, session: Session, workspace: Workspace, role: str) -> list[str]:
    """The distinct raw zones of the people who hold ``role`` in any team (NO_ZONE for unknown)."""
    rows = session.exec(
        select(_zone_of(TeamMember)).select_from(TeamMember)
        .outerjoin(UserProfile, _profile_join(TeamMember))
        .where(scoped(TeamMember, workspace), TeamMember.role == role).distinct()).all()
    return sorted(rows)


def list_paused_zones(*, session: Session, workspace: Workspace, since: date) -> list[tuple[str, date]]:
    """(raw zone of the person, last paused day) of every pause not over before ``since``, distinct."""
    rows = session.exec(
        select(sa.func.coalesce(UserProfile.timezone, NO_ZONE), Pause.until_on).select_from(Pause)
        .outerjoin(UserProfile, sa.and_(UserProfile.team_id == Pause.team_id, UserProfile.user_id == Pause.user_id))
        .where(scoped(Pause, workspace), Pause.until_on >= since).distinct()).all()
    return [(zone, until_on) for zone, until_on in rows]


def list_team_zones(*, session: Session, workspace: Workspace) -> list[str]:
    rows = session.exec(select(sa.func.coalesce(SalesTeam.timezone, NO_ZONE)).where(
        scoped(SalesTeam, workspace)).distinct()).all()
    return sorted(rows)


def list_slots(*, session: Session, workspace: Workspace, kind: str) -> list[tuple[int, time]]:
    """The distinct (weekday, time) slots the workspace's teams use for ``kind`` (reminder, digest, leaderboard):
    a handful, so a tick can tell without reading any person that no slot has passed yet in a zone."""
    weekday, at = getattr(SalesTeam, f"{kind}_weekday"), getattr(SalesTeam, f"{kind}_time")
    rows = session.exec(select(weekday, at).where(scoped(SalesTeam, workspace), col(weekday).is_not(None))
                        .distinct()).all()
    return [(int(w), t) for w, t in rows if t is not None]


def _slot_passed(weekday_column, time_column, clock: LocalClock) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """The slot's local weekday and time have come this week (the service confirms DST edges exactly)."""
    return sa.or_(weekday_column < clock.weekday, sa.and_(weekday_column == clock.weekday, time_column <= clock.at))


def _not_delivered(workspace: Workspace, kind: str, recipient, clock: LocalClock) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """No ledger row that rules a send out now: sent, given up, skipped, held by a live claim, or waiting for its retry."""
    # Skipped blocks too (it is never sent): otherwise a skipped rep would read as due all week.
    blocking = sa.or_(col(Delivery.status).in_(("sent", "expired", "skipped")),
                      sa.and_(Delivery.status == "claimed", col(Delivery.lease_until) >= clock.now),
                      sa.and_(Delivery.status == "claimed", col(Delivery.lease_until).is_(None)),
                      sa.and_(Delivery.status == "failed", col(Delivery.next_attempt_at) > clock.now))
    return ~sa.exists().where(scoped(Delivery, workspace), Delivery.kind == kind, Delivery.recipient == recipient,
                              Delivery.period_key == clock.period_key, blocking)


def _not_paused(workspace: Workspace, user_id, day: date) -> sa.ColumnElement[bool]:  # noqa: ANN001
    return ~sa.exists().where(scoped(Pause, workspace), Pause.user_id == user_id, Pause.starts_on <= day,
                              Pause.until_on >= day)


def _asks_between(workspace: Workspace, user_id, start: date, end: date) -> sa.ScalarSelect:  # noqa: ANN001
    return (select(sa.func.count()).select_from(Ask)
            .where(scoped(Ask, workspace), Ask.rep_user_id == user_id, Ask.asked_on >= start, Ask.asked_on <= end)
            .scalar_subquery())


def list_due_reminders(
    *, session: Session, workspace: Workspace, clock: LocalClock, kind: str, after: str, limit: int,
) -> Sequence[tuple[str, int, int]]:
    """(rep, strictest minimum, asks this week) for reps in the clock's zones whose earliest reminder slot has
    passed, below their minimum, not paused today, not deactivated and not yet reminded; ``after`` pages."""
    asks = _asks_between(workspace, TeamMember.user_id, clock.week_start, clock.week_end)
    # The strictest minimum over all the rep's teams, read only for reps whose earliest slot has passed
    # (the WHERE below keeps the memberships whose slot has passed: a quiet tick stops there).
    other = aliased(TeamMember)
    other_team = aliased(SalesTeam)
    minimum = (select(sa.func.max(other_team.minimum)).select_from(other)
               .join(other_team, other_team.id == other.sales_team_id)
               .where(other.team_id == workspace.team_id, other.user_id == TeamMember.user_id, other.role == REP)
               .scalar_subquery())
    query = (
        select(TeamMember.user_id, minimum, asks).select_from(TeamMember)
        .join(SalesTeam, col(SalesTeam.id) == TeamMember.sales_team_id)
        .outerjoin(UserProfile, _profile_join(TeamMember))
        .where(scoped(TeamMember, workspace), TeamMember.role == REP,
               _slot_passed(SalesTeam.reminder_weekday, SalesTeam.reminder_time, clock), TeamMember.user_id > after,
               _zone_of(TeamMember).in_(clock.zones), _active(TeamMember),
               _not_paused(workspace, TeamMember.user_id, clock.today),
               _not_delivered(workspace, kind, TeamMember.user_id, clock))
        .group_by(TeamMember.user_id)
        .having(asks < minimum)
        .order_by(TeamMember.user_id).limit(limit))
    return [(uid, int(m), int(a)) for uid, m, a in session.exec(query).all()]


def list_due_commitment_prompts(
    *, session: Session, workspace: Workspace, clock: LocalClock, kind: str, after: str, limit: int,
) -> list[str]:
    """Reps in the clock's zones who named nobody this week, not paused, not deactivated, not yet prompted."""
    named = sa.exists().where(scoped(Commitment, workspace), Commitment.rep_user_id == TeamMember.user_id,
                              Commitment.week_start == clock.week_start)
    query = (
        select(TeamMember.user_id).select_from(TeamMember)
        .outerjoin(UserProfile, _profile_join(TeamMember))
        .where(scoped(TeamMember, workspace), TeamMember.role == REP, TeamMember.user_id > after,
               _zone_of(TeamMember).in_(clock.zones), _active(TeamMember), ~named,
               _not_paused(workspace, TeamMember.user_id, clock.today),
               _not_delivered(workspace, kind, TeamMember.user_id, clock))
        .distinct().order_by(TeamMember.user_id).limit(limit))
    return list(session.exec(query).all())


def _team_recipient(prefix_column) -> sa.ColumnElement[str]:  # noqa: ANN001
    """The ledger's recipient key for one team's message: "<user or channel>:<team id>"."""
    return sa.cast(prefix_column, sa.String) + ":" + sa.cast(SalesTeam.id, sa.String)


def _has_active_reps(workspace: Workspace) -> sa.ColumnElement[bool]:
    rep = aliased(TeamMember)
    profile = aliased(UserProfile)
    return sa.exists().select_from(sa.outerjoin(
        rep, profile, sa.and_(profile.team_id == rep.team_id, profile.user_id == rep.user_id)
    )).where(rep.sales_team_id == SalesTeam.id, rep.role == REP,
            sa.func.coalesce(profile.deleted, sa.false()) == sa.false())


def list_due_digests(
    *, session: Session, workspace: Workspace, clock: LocalClock, kind: str, after: tuple[int, str], limit: int,
) -> Sequence[tuple[SalesTeam, str]]:
    """(team, manager) for managers in the clock's zones whose team's digest slot has passed, with reps, not
    deactivated and not yet sent; paged by (team id, manager)."""
    after_team, after_user = after
    query = (
        select(SalesTeam, TeamMember.user_id).select_from(TeamMember)
        .join(SalesTeam, col(SalesTeam.id) == TeamMember.sales_team_id)
        .outerjoin(UserProfile, _profile_join(TeamMember))
        .where(scoped(TeamMember, workspace), TeamMember.role == MANAGER,
               sa.or_(SalesTeam.id > after_team, sa.and_(SalesTeam.id == after_team, TeamMember.user_id > after_user)),
               _zone_of(TeamMember).in_(clock.zones), _active(TeamMember),
               _slot_passed(SalesTeam.digest_weekday, SalesTeam.digest_time, clock),
               _has_active_reps(workspace),
               _not_delivered(workspace, kind, _team_recipient(TeamMember.user_id), clock))
        .order_by(col(SalesTeam.id), TeamMember.user_id).limit(limit))
    return session.exec(query).all()


def list_due_leaderboards(
    *, session: Session, workspace: Workspace, clock: LocalClock, kind: str, after: int, limit: int,
) -> Sequence[SalesTeam]:
    """Teams on the clock's zones whose leaderboard slot has passed, with a channel and reps, not yet posted."""
    query = (
        select(SalesTeam)
        .where(scoped(SalesTeam, workspace), SalesTeam.id > after,
               sa.func.coalesce(SalesTeam.timezone, NO_ZONE).in_(clock.zones),
               col(SalesTeam.channel_id).is_not(None), col(SalesTeam.leaderboard_weekday).is_not(None),
               _slot_passed(SalesTeam.leaderboard_weekday, SalesTeam.leaderboard_time, clock),
               _has_active_reps(workspace),
               _not_delivered(workspace, kind, _team_recipient(SalesTeam.channel_id), clock))
        .order_by(col(SalesTeam.id)).limit(limit))
    return session.exec(query).all()


def list_team_reps(*, session: Session, team_ids: Iterable[int]) -> Sequence[tuple[int, str, bool]]:
    """(team id, rep, gone) for these teams, in one query. Gone: deactivated in Slack, or a forgotten person's
    anonymous line (role ``former``), whose past numbers stay in the team's lines and totals."""
    gone = sa.or_(sa.func.coalesce(UserProfile.deleted, sa.false()), TeamMember.role == FORMER_ROLE)
    return session.connection().execute(
        select(TeamMember.sales_team_id, TeamMember.user_id, gone)
        .select_from(TeamMember).outerjoin(UserProfile, _profile_join(TeamMember))
        .where(among_ids(TeamMember.sales_team_id, team_ids), col(TeamMember.role).in_((REP, FORMER_ROLE)))
        .order_by(col(TeamMember.sales_team_id), TeamMember.user_id)).all()


def list_zones_of(*, session: Session, workspace: Workspace, user_ids: Iterable[str]) -> dict[str, str | None]:
    rows = session.exec(select(UserProfile.user_id, UserProfile.timezone).where(
        scoped(UserProfile, workspace), col(UserProfile.user_id).in_(list(user_ids)))).all()
    return dict(rows)


# --- grouped numbers ---------------------------------------------------------------------------------

def _count_within(column, start: date, end: date, *also: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:  # noqa: ANN001
    """Rows of the group whose date falls in the (inclusive) span: an aggregate FILTER, which SQLite (3.30+)
    and PostgreSQL run faster than a SUM over a CASE, and which counts 0, never NULL, for none."""
    return sa.func.count().filter(sa.and_(column >= start, column <= end, *also))


# Each span's referral figures, in this order: what KpiCounts holds after the asks.
REFERRAL_FIGURES = 6


def _referral_figures(start: date, end: date) -> tuple[sa.ColumnElement[int], ...]:
    closed = Referral.closed_on
    return (_count_within(Referral.introduced_on, start, end), _count_within(Referral.meeting_scheduled_on, start, end),
            _count_within(Referral.meeting_held_on, start, end),
            _count_within(closed, start, end, Referral.status == ReferralStatus.WON),
            _count_within(closed, start, end, Referral.status == ReferralStatus.LOST),
            _count_within(closed, start, end, Referral.status == ReferralStatus.NO_DECISION))


def page_reps(team_ids: Sequence[int]) -> sa.Select:
    """The reps of a page of teams, deactivated ones and forgotten people's lines too (what ``list_team_reps``
    lists), as a subquery for the page's grouped reads: a few hundred team IDs bound (one array on PostgreSQL)
    instead of every rep's."""
    return select(TeamMember.user_id).where(among_ids(TeamMember.sales_team_id, team_ids),
                                            col(TeamMember.role).in_((REP, FORMER_ROLE)))


def count_asks_in_spans(
    *, session: Session, workspace: Workspace, rep_user_ids: People, spans: Sequence[tuple[date, date]],
) -> dict[str, tuple[int, ...]]:
    """Each rep's asks in each (inclusive) span, from one grouped query over the dates the spans cover (one
    pass over the (workspace, rep, date) index); a rep without asks in them is missing."""
    reps = rep_user_ids if isinstance(rep_user_ids, sa.Select) else list(rep_user_ids)
    if not spans:
        return {}
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    # Counted as differences of running counts: a span [s, e] is the rows before e + 1 less the rows before s.
    # That is one comparison a row per distinct bound instead of two per span, and spans share bounds (each
    # week starts where the one after it ends): a third fewer steps on every row read than a FILTER a span.
    # Given the WHERE, nothing is before ``first`` and everything is before ``last + 1``: count(*).
    bounds = sorted({b for s, e in spans for b in (s, e + timedelta(days=1)) if first < b <= last})
    rows = session.connection().execute(
        select(Ask.rep_user_id, sa.func.count(), *(sa.func.count().filter(Ask.asked_on < b) for b in bounds))
        .where(scoped(Ask, workspace), among(Ask.rep_user_id, reps), Ask.asked_on >= first, Ask.asked_on <= last)
        .group_by(Ask.rep_user_id)).all()
    # Positions in (0, count(*), before bounds[0], before bounds[1], ...) of each span's two running counts.
    position = {first: 0, last + timedelta(days=1): 1} | {b: n + 2 for n, b in enumerate(bounds)}
    pairs = [(position[e + timedelta(days=1)], position[s]) for s, e in spans]
    counts = {}
    for uid, *values in rows:
        before = (0, *values)
        counts[uid] = tuple([before[upto] - before[since] for upto, since in pairs])
    return counts


def count_referrals_in_spans(
    *, session: Session, workspace: Workspace, rep_user_ids: People, spans: Sequence[tuple[date, date]],
) -> dict[str, tuple[int, ...]]:
    """Each rep's referral figures (``REFERRAL_FIGURES`` a span, in KpiCounts' order) in each span, by the
    stored dates, from one grouped query; a rep with none is missing."""
    if not spans:
        return {}
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    touched = sa.or_(*(sa.and_(c >= first, c <= last) for c in (
        Referral.introduced_on, Referral.meeting_scheduled_on, Referral.meeting_held_on, Referral.closed_on)))
    rows = session.connection().execute(
        select(Referral.rep_user_id, *(column for s, e in spans for column in _referral_figures(s, e)))
        .where(scoped(Referral, workspace), among(Referral.rep_user_id, rep_user_ids), touched)
        .group_by(Referral.rep_user_id)).all()
    return {uid: tuple(values) for uid, *values in rows}


NO_FIGURES = KpiCounts()


def kpis_of(asks: Sequence[int] | None, referrals: Sequence[int] | None, span: int) -> KpiCounts:
    """One span's KpiCounts out of a rep's rows from ``count_asks_in_spans`` and ``count_referrals_in_spans``."""
    if asks is None and referrals is None:
        return NO_FIGURES
    figures = referrals[span * REFERRAL_FIGURES:(span + 1) * REFERRAL_FIGURES] if referrals else ()
    return KpiCounts(asks[span] if asks else 0, *figures)


def count_kpis_by_rep(
    *, session: Session, workspace: Workspace, rep_user_ids: Iterable[str], spans: Sequence[tuple[date, date]],
) -> dict[str, list[KpiCounts]]:
    """Each rep's indicators in each (inclusive) span, by the stored dates: two grouped queries in all."""
    reps = list(rep_user_ids)
    asks = count_asks_in_spans(session=session, workspace=workspace, rep_user_ids=reps, spans=spans)
    referrals = count_referrals_in_spans(session=session, workspace=workspace, rep_user_ids=reps, spans=spans)
    return {uid: [kpis_of(asks.get(uid), referrals.get(uid), i) for i in range(len(spans))] for uid in reps}


class ChaseCandidate(NamedTuple):
    """The few columns the digest's stuck and unthanked lines read, without loading whole rows (a tuple: a
    tick reads tens of thousands)."""

    rep_user_id: str
    number: int
    prospect_name: str
    status: ReferralStatus
    introduced_on: date
    meeting_held_on: date | None
    referrer_name: str | None
    unthanked: bool  # introduced in [thank_since, thank_before) and the referrer never thanked


def list_chase_candidates(
    *, session: Session, workspace: Workspace, rep_user_ids: People, introduced_before: date,
    held_before: date, thank_before: date, thank_since: date,
) -> list[ChaseCandidate]:
    """The digest's two lists of referrals to chase, from one read of the reps' referrals, by introduction
    date: open ones that may be stuck (no meeting long after the introduction, no outcome long after the
    meeting: the database narrows them down; ``domain.cadence.stuck_reason`` decides), and introductions
    between ``thank_since`` and ``thank_before`` whose referrer was never thanked (``unthanked``)."""
    unthanked = sa.and_(col(Referral.thanked_on).is_(None), Referral.introduced_on < thank_before,
                        Referral.introduced_on >= thank_since)
    rows = session.connection().execute(select(
        Referral.rep_user_id, Referral.number, Referral.prospect_name, Referral.status, Referral.introduced_on,
        Referral.meeting_held_on, Referral.referrer_name, sa.case((unthanked, 1), else_=0)).where(
        scoped(Referral, workspace), among(Referral.rep_user_id, rep_user_ids),
        sa.or_(sa.and_(Referral.status == ReferralStatus.INTRODUCED, Referral.introduced_on < introduced_before),
               sa.and_(Referral.status == ReferralStatus.MEETING_HELD, Referral.meeting_held_on < held_before),
               unthanked),
    ).order_by(col(Referral.introduced_on), col(Referral.id))).all()  # ties in a stable order, whatever the plan
    return [ChaseCandidate(uid, number, name, _STATUSES[status], introduced, held, referrer, flag == 1)
            for uid, number, name, status, introduced, held, referrer, flag in rows]


_STATUSES = {status.value: status for status in ReferralStatus}  # a dict lookup: a tick reads thousands
