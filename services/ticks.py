"""Who is due now, found set-based, page by page, for the scheduler's ticks.

The loop is over the distinct time zones of the people concerned, grouped by
their local reading of ``now`` (zones that agree share one query), never over
people: each group's due query returns a page of recipients in key order, with
its numbers gathered for the whole page in a few grouped queries. Each page is
read in its own short transaction and handed on as soon as it is read, so
sending starts after the first page and memory holds one page at a time (for
digests, the page being sent plus the ``DIGEST_READERS`` pages read ahead on
worker threads while it is sent).
"""
from __future__ import annotations

import gc
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from domain.funnel import Workspace
from domain.nudges import COMMITMENT_PROMPT_SLOT, DigestContent, LeaderboardContent, ReminderContent
from domain.periods import Period, days_left_in_week, period_containing, previous_period
from domain.schedule import earliest_instant, local_instant
from services.nudges import DigestDue, DigestFigures, build_digests, leaderboard_contents, read_digest_figures
from services.teams import TeamInfo, fiscal_year_start, team_info
from storage.commitment_queries import list_commitments
from storage.due_queries import (
    NO_ZONE,
    LocalClock,
    list_due_commitment_prompts,
    list_due_digests,
    list_due_leaderboards,
    list_due_reminders,
    list_member_zones,
    list_paused_zones,
    list_slots,
    list_team_reps,
    list_team_zones,
    page_reps,
)
from storage.engine import read_scope, session_scope
from storage.quiet_queries import read_quiet_state, read_timed_changes, save_quiet_proof

log = logging.getLogger(__name__)
PAGE = 200
T = TypeVar("T")
# No "who will you ask this week?" when less than this is left of the rep's week (install day on a Sunday).
LEAST_WEEK_LEFT_FOR_PROMPT = timedelta(days=1)


@dataclass(frozen=True)
class ZoneGroup:
    zone: ZoneInfo  # one zone of the group, for instants (week end)
    clock: LocalClock

    @property
    def week(self) -> Period:
        return Period("week", self.clock.week_start, self.clock.week_end)

    @property
    def week_ends_at(self) -> datetime:
        return local_instant(self.clock.week_end + timedelta(days=1), time(0), self.zone)


def resolve_zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def zone_groups(raw_zones: Sequence[str], *, default: ZoneInfo, now: datetime) -> list[ZoneGroup]:
    """Zones whose local clocks read the same now share one group, so one query serves them all."""
    grouped: dict[datetime, tuple[ZoneInfo, list[str]]] = {}
    for raw in raw_zones:
        zone = resolve_zone(raw, default)
        local = now.astimezone(zone).replace(tzinfo=None, microsecond=0)
        grouped.setdefault(local, (zone, []))[1].append(raw)
    groups = []
    for local, (zone, names) in sorted(grouped.items()):
        week = period_containing("week", local.date())
        groups.append(ZoneGroup(zone, LocalClock(zones=tuple(names), now=now, today=local.date(),
                                                 weekday=local.weekday(), at=local.time(), week_start=week.start,
                                                 week_end=week.end, period_key=week.start.isoformat())))
    return groups


def _zones(engine: sa.Engine, lister: Callable[[Session], list[str]]) -> list[str]:
    with read_scope(engine) as session:
        return lister(session) or [NO_ZONE]


def _slots(engine: sa.Engine, workspace: Workspace, kind: str) -> list[tuple[int, time]]:
    with read_scope(engine) as session:
        return list_slots(session=session, workspace=workspace, kind=kind)


def _any_passed(slots: Sequence[tuple[int, time]], group: ZoneGroup) -> bool:
    """Whether some team's slot has come this week in the group's zones: if none has, its query is skipped."""
    return any((weekday, at) <= (group.clock.weekday, group.clock.at) for weekday, at in slots)


@dataclass(frozen=True)
class DueReminder:
    group: ZoneGroup
    content: ReminderContent


def due_reminders(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo, now: datetime,
                  page: int = PAGE) -> Iterator[DueReminder]:
    zones = _zones(engine, lambda s: list_member_zones(session=s, workspace=workspace, role="rep"))
    slots = _slots(engine, workspace, "reminder")
    for group in zone_groups(zones, default=default, now=now):
        if not _any_passed(slots, group):
            continue
        after = ""
        while True:
            with read_scope(engine) as session:
                rows = list_due_reminders(session=session, workspace=workspace, clock=group.clock, kind=kind,
                                          after=after, limit=page)
                promised: dict[str, list[str]] = {}
                for row in list_commitments(session=session, workspace=workspace, rep_user_ids=[r[0] for r in rows],
                                            week_starts=[group.clock.week_start]):
                    if row.kept_ask_id is None:
                        promised.setdefault(row.rep_user_id, []).append(row.person_name or row.person_user_id or "")
            for uid, minimum, asks in rows:
                yield DueReminder(group, ReminderContent(
                    rep_user_id=uid, asks=asks, minimum=minimum, days_left=days_left_in_week(group.clock.today),
                    week=group.week, commitments=tuple(promised.get(uid, ()))))
            if len(rows) < page:
                break
            after = rows[-1][0]


def due_commitment_prompts(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo,
                           now: datetime, page: int = PAGE) -> Iterator[tuple[ZoneGroup, str]]:
    zones = _zones(engine, lambda s: list_member_zones(session=s, workspace=workspace, role="rep"))
    for group in zone_groups(zones, default=default, now=now):
        clock = group.clock
        slot = COMMITMENT_PROMPT_SLOT
        if (clock.weekday, clock.at) < (slot.weekday, slot.at) or group.week_ends_at - now < LEAST_WEEK_LEFT_FOR_PROMPT:
            continue
        after = ""
        while True:
            with read_scope(engine) as session:
                reps = list_due_commitment_prompts(session=session, workspace=workspace, clock=clock, kind=kind,
                                                   after=after, limit=page)
            yield from ((group, uid) for uid in reps)
            if len(reps) < page:
                break
            after = reps[-1]


@dataclass(frozen=True)
class DueDigest:
    group: ZoneGroup
    team: TeamInfo
    content: DigestContent


def _split_reps(session: Session, team_ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """(active reps, deactivated reps) of each team, from one query."""
    split: dict[int, tuple[list[str], list[str]]] = {tid: ([], []) for tid in team_ids}
    for team_id, uid, deleted in list_team_reps(session=session, team_ids=team_ids):
        split[team_id][1 if deleted else 0].append(uid)
    return split


class _Collector:
    """Who holds the pause of ``paused_collector``: the tick's two threads may both be inside it."""

    lock = threading.Lock()
    holds = 0
    resume = False  # whether the collector was on when the first hold began


@contextmanager
def paused_collector() -> Iterator[None]:
    """Python's cyclic garbage collector off while a page of digests is read and built.

    A page is tens of thousands of small objects (rows, weeks, lines) that all live until the page is sent:
    they are never garbage, yet their number keeps triggering full collections, each of which walks every
    object of the process; that was a third of a tick's CPU. Reference counting still frees everything at
    once; only the search for cycles waits, and resumes as soon as no thread holds the pause. The collector
    is the process's: other threads go without it too meanwhile, for the tenth of a second a page takes to
    read or build (sending is never inside the pause). A collector someone else turned off stays off."""
    with _Collector.lock:
        _Collector.holds += 1
        if _Collector.holds == 1:
            _Collector.resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _Collector.lock:
            _Collector.holds -= 1
            if _Collector.holds == 0 and _Collector.resume:
                gc.enable()


@dataclass(frozen=True)
class _DigestPage:
    dues: list[DigestDue]
    figures: DigestFigures


# Pages of digests read at once, each on its own thread and in its own read: while one waits on the database,
# the other turns its rows into figures, so the database's work and Python's overlap (one reader left the
# database idle while it worked on its rows, and itself idle while the database worked). Memory holds these
# pages and the one being sent.
DIGEST_READERS = 2
_NO_NEXT_PAGE = None


def _read_digest_page(engine: sa.Engine, workspace: Workspace, group: ZoneGroup, kind: str, fiscal: int,
                      after: Future[tuple[int, str] | None], next_after: Future[tuple[int, str] | None], *,
                      page: int) -> _DigestPage | None:
    """One page of due digests and every figure they need, in one short read; None when nobody is left.

    The page starts after the key ``after`` resolves to (the previous page's last team and manager; None: that
    page was the last) and resolves ``next_after`` as soon as its own due rows are read, so the next page's
    read starts while this one still counts."""
    try:
        start = after.result()
        if start is _NO_NEXT_PAGE:
            next_after.set_result(_NO_NEXT_PAGE)
            return None
        with paused_collector(), read_scope(engine) as session:
            rows = list_due_digests(session=session, workspace=workspace, clock=group.clock, kind=kind, after=start,
                                    limit=page)
            next_after.set_result((rows[-1][0].id or 0, rows[-1][1]) if len(rows) == page else _NO_NEXT_PAGE)
            if not rows:  # the last page was full: nothing more to count
                return None
            team_ids = sorted({team.id or 0 for team, _ in rows})
            reps = _split_reps(session, team_ids)
            dues = [DigestDue(team_info(team, reps=reps[team.id or 0][0], managers=(manager,)), manager,
                              tuple(reps[team.id or 0][1])) for team, manager in rows]
            figures = read_digest_figures(session=session, workspace=workspace, dues=dues,
                                          manager_today=group.clock.today, fiscal_start_month=fiscal,
                                          reps_query=page_reps(team_ids))
            # Read while the read is open: its rollback expires the rows.
            return _DigestPage(dues, figures)
    except BaseException as error:
        if not next_after.done():  # the next page's reader must not wait forever on a page that failed
            next_after.set_exception(error)
        raise


class _PagesAhead:
    """The chain of page reads for one zone group: each read learns where it starts from the read before it
    (the key resolves as soon as that read has its due rows) and tells the next read where to start."""

    def __init__(self, ahead: ThreadPoolExecutor, read: Callable[[Future, Future], _DigestPage | None]) -> None:
        self._ahead = ahead
        self._read = read
        self._pending: deque[tuple[Future[_DigestPage | None], Future[tuple[int, str] | None]]] = deque()
        self._start: Future[tuple[int, str] | None] = Future()
        self._start.set_result((0, ""))

    def read_next(self) -> None:
        after, self._start = self._start, Future()
        self._pending.append((self._ahead.submit(self._read, after, self._start), self._start))

    def take(self) -> _DigestPage | None:
        """The oldest page in key order, waiting for it; None when nobody is left."""
        if not self._pending:
            return None
        read, _ = self._pending.popleft()
        return read.result()

    def close(self) -> None:
        """Stopped early (a drain, an error) or done: no read outlives the tick, and their results go unused."""
        for read, next_after in self._pending:
            if read.cancel():
                if not next_after.done():  # a later read waits on this key: end its wait too
                    next_after.set_exception(CancelledError())
            else:
                read.exception()
        self._pending.clear()


def due_digests(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo, now: datetime,
                page: int = PAGE) -> Iterator[DueDigest]:
    """Pages are read ahead on ``DIGEST_READERS`` worker threads, in key order: while this thread builds a
    page's digests (and the caller renders and sends them), the next pages are read. The first page is still
    handed on as soon as it is read, and the ledger's claim still decides exactly-once."""
    zones = _zones(engine, lambda s: list_member_zones(session=s, workspace=workspace, role="manager"))
    fiscal = fiscal_year_start(engine=engine, workspace=workspace)
    slots = _slots(engine, workspace, "digest")
    with ThreadPoolExecutor(max_workers=DIGEST_READERS, thread_name_prefix="digest-read-ahead") as ahead:
        for group in zone_groups(zones, default=default, now=now):
            if not _any_passed(slots, group):
                continue
            pages = _PagesAhead(ahead, partial(_read_digest_page, engine, workspace, group, kind, fiscal,
                                               page=page))
            try:
                for _ in range(DIGEST_READERS):
                    pages.read_next()
                while (read := pages.take()) is not None:
                    pages.read_next()
                    with paused_collector():
                        contents = build_digests(read.dues, read.figures)
                    yield from (DueDigest(group, due.team, content)
                                for due, content in zip(read.dues, contents, strict=True))
            finally:
                pages.close()


@dataclass(frozen=True)
class DueLeaderboard:
    group: ZoneGroup
    team: TeamInfo
    content: LeaderboardContent


def due_leaderboards(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo, now: datetime,
                     page: int = PAGE) -> Iterator[DueLeaderboard]:
    """A team's leaderboard runs on the team's zone (or the workspace default), not its members'."""
    zones = _zones(engine, lambda s: list_team_zones(session=s, workspace=workspace))
    slots = _slots(engine, workspace, "leaderboard")
    for group in zone_groups(zones, default=default, now=now):
        if not _any_passed(slots, group):
            continue
        period = previous_period(group.week)
        after = 0
        while True:
            with read_scope(engine) as session:
                teams = list_due_leaderboards(session=session, workspace=workspace, clock=group.clock, kind=kind,
                                              after=after, limit=page)
                reps = _split_reps(session, [t.id or 0 for t in teams])
                infos = [team_info(t, reps=reps[t.id or 0][0], managers=()) for t in teams]
                contents = leaderboard_contents(session=session, workspace=workspace, teams=infos, period=period,
                                                streak_until=period)
                last, full = (teams[-1].id or 0) if teams else 0, len(teams) == page
            yield from (DueLeaderboard(group, info, content) for info, content in zip(infos, contents, strict=True))
            if not full:
                break
            after = last


# --- quiet ticks ---------------------------------------------------------------------------------------
#
# A tick that found nobody due leaves a proof: the workspace's generation it read first (bumped by triggers
# on every write able to make someone newly due, see storage/quiet_queries.py) and the earliest instant at
# which time alone could make someone due. While both hold, the next tick reads that one row and skips the
# workspace. Only the reminder job proves so far: it is the tick that runs every few minutes over everyone.


@dataclass(frozen=True)
class QuietCheck:
    generation: int  # read before anything else of the tick: a proof recorded later carries this one
    holds: bool


def quiet_check(*, engine: sa.Engine, workspace: Workspace, job: str, default: ZoneInfo, now: datetime) -> QuietCheck:
    with read_scope(engine) as session:
        state = read_quiet_state(session=session, workspace=workspace, job=job)
    proof = state.proof
    # proven_at <= now: a tick run by hand at an earlier instant (run-job --at) proves nothing about it.
    holds = (proof is not None and proof.generation == state.generation and proof.default_zone == default.key
             and proof.proven_at <= now and (proof.valid_until is None or now < proof.valid_until))
    return QuietCheck(state.generation, holds)


def proving(items: Iterator[T], prove: Callable[[], None]) -> Iterator[T]:
    """Pass the planned messages on; when the planner ends without any, record that nothing was due."""
    planned = False
    for item in items:
        planned = True
        yield item
    if not planned:
        prove()


def reminders_quiet_until(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo,
                          now: datetime) -> datetime:
    """The earliest instant after ``now`` at which someone may become due for a reminder with no write at
    all: a slot coming in some rep's zone, a new week there, a pause ending there, a retry, a lease's end."""
    with read_scope(engine) as session:
        zones = list_member_zones(session=session, workspace=workspace, role="rep") or [NO_ZONE]
        slots = list_slots(session=session, workspace=workspace, kind="reminder")
        # A day no zone has left yet (UTC-12 is the latest clock): pauses over before it are over everywhere.
        since = (now - timedelta(hours=12)).date() - timedelta(days=1)
        paused = list_paused_zones(session=session, workspace=workspace, since=since)
        timed = read_timed_changes(session=session, workspace=workspace, kind=kind, now=now)
    candidates = [t for t in (timed.retry_at, timed.lease_ends) if t is not None]
    for raw in zones:
        zone = resolve_zone(raw, default)
        local = now.astimezone(zone).replace(tzinfo=None, microsecond=0)
        week = period_containing("week", local.date())
        candidates.append(earliest_instant(week.end + timedelta(days=1), time(0), zone))
        candidates.extend(earliest_instant(week.start + timedelta(days=weekday), at, zone) for weekday, at in slots
                          if (weekday, at) > (local.weekday(), local.time()))
    for raw, until_on in paused:
        zone = resolve_zone(raw, default)
        if until_on >= now.astimezone(zone).date():  # still paused there: free from the next local midnight
            candidates.append(earliest_instant(until_on + timedelta(days=1), time(0), zone))
    return min(candidates)


def prove_reminders_quiet(*, engine: sa.Engine, workspace: Workspace, kind: str, default: ZoneInfo, now: datetime,
                          generation: int) -> None:
    """Record that nobody was due; a proof is only a shortcut, so failing to record one (SQLite busy beyond
    its timeout, say) costs the next tick a full read, never the tick itself."""
    try:
        until = reminders_quiet_until(engine=engine, workspace=workspace, kind=kind, default=default, now=now)
        with session_scope(engine) as session:
            save_quiet_proof(session=session, workspace=workspace, job=kind, generation=generation, proven_at=now,
                             valid_until=until, default_zone=default.key)
    except DBAPIError as error:
        log.warning("no quiet proof for %s in workspace %s (%s); the next tick reads everyone", kind,
                    workspace.team_id, type(error).__name__)
