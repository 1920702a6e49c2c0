"""Managers see the nudges before they go: who this week's reminder will nudge and why, a one-line note
added to a rep's nudge, and a rep skipped for the week with the reason kept in the delivery ledger.

The skip claims the reminder's own ledger row (status "skipped"), so no tick, in any process, can send it.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from domain.funnel import Workspace
from domain.habit_commands import PREVIEW_USAGE, AddNudgeNote, ShowPreview, SkipNudge
from domain.habit_records import (
    AT_MINIMUM,
    PAUSED,
    SENT,
    SKIP,
    WILL_NUDGE,
    ManagerTouch,
    NudgePreview,
    PreviewChange,
    RepPreview,
)
from domain.nudges import REMINDER
from domain.parsing import CommandError
from domain.periods import Period, local_today, period_containing
from domain.schedule import local_instant
from services.nudges import load_teams, rep_plans
from services.people import PeopleDirectory, Person
from services.teams import TeamInfo
from storage.engine import read_scope, run_in_transaction, session_scope
from storage.habit_queries import (
    SKIPPED,
    add_skipped_delivery,
    last_ask_dates,
    list_ledger_rows,
    list_nudge_notes,
    save_nudge_note,
)
from storage.report_queries import count_asks_by_day
from storage.team_queries import list_pauses


def _managed(teams: list[TeamInfo], manager: Person, team_name: str | None) -> list[TeamInfo]:
    mine = [t for t in teams if manager.user_id in t.managers]
    if team_name is not None:
        mine = [t for t in mine if t.name.lower() == team_name.lower()]
    if not mine:
        raise CommandError("`preview` is for managers, for the teams they manage." if team_name is None
                           else f"You manage no team called {team_name}.", usage=PREVIEW_USAGE)
    return mine


def _week_of(person: Person, now: datetime) -> Period:
    return period_containing("week", local_today(now, person.timezone))


def nudge_preview(*, engine: sa.Engine, workspace: Workspace, manager: Person, command: ShowPreview,
                  people: PeopleDirectory, now: datetime) -> NudgePreview:
    all_teams = load_teams(engine=engine, workspace=workspace)
    teams = _managed(all_teams, manager, command.team)
    plans = rep_plans(all_teams)
    reps = {uid: people.cached_person(workspace=workspace, user_id=uid) for t in teams for uid in t.reps}
    weeks = {uid: _week_of(p, now) for uid, p in reps.items()}
    if not reps:
        return NudgePreview(tuple(t.name for t in teams), ())
    start, end = min(w.start for w in weeks.values()), max(w.end for w in weeks.values())
    with session_scope(engine) as session:
        daily = count_asks_by_day(session=session, workspace=workspace, rep_user_ids=list(reps), start=start, end=end)
        pauses = list_pauses(session=session, workspace=workspace, user_ids=list(reps), start=start, end=end)
        last = last_ask_dates(session=session, workspace=workspace, rep_user_ids=list(reps))
        ledger = {(row.recipient, row.period_key): row for row in list_ledger_rows(
            session=session, workspace=workspace, kind=REMINDER, recipients=list(reps),
            period_keys={w.start.isoformat() for w in weeks.values()})}
        notes = {(n.rep_user_id, n.week_start): n.note for n in list_nudge_notes(
            session=session, workspace=workspace, rep_user_ids=list(reps), week_starts={w.start for w in weeks.values()})}
    rows = []
    for uid, rep in reps.items():
        week, plan = weeks[uid], plans[uid]
        asks = sum(n for (who, day), n in daily.items() if who == uid and week.contains(day))
        reminder_at = local_instant(week.start + timedelta(days=plan.reminder.weekday), plan.reminder.at, rep.timezone)
        paused = any(p.user_id == uid and p.starts_on <= reminder_at.astimezone(rep.timezone).date() <= p.until_on
                     for p in pauses)
        row = ledger.get((uid, week.start.isoformat()))
        status = SKIP if row is not None and row.status == SKIPPED else SENT if row is not None else \
            PAUSED if paused else AT_MINIMUM if asks >= plan.minimum else WILL_NUDGE
        rows.append(RepPreview(uid, asks, plan.minimum, paused, last.get(uid),
                               reminder_at.astimezone(rep.timezone), status, notes.get((uid, week.start)),
                               row.note if row is not None and row.status == SKIPPED else None))
    order = {WILL_NUDGE: 0, SKIP: 1, PAUSED: 2, SENT: 3, AT_MINIMUM: 4}
    return NudgePreview(tuple(t.name for t in teams), tuple(sorted(rows, key=lambda r: (order[r.status], r.user_id))))


def change_nudge(*, engine: sa.Engine, workspace: Workspace, manager: Person, command: AddNudgeNote | SkipNudge,
                 people: PeopleDirectory, now: datetime) -> PreviewChange:
    """A manager's note on, or skip of, one of their reps' reminder this week (the rep's own week)."""
    teams = _managed(load_teams(engine=engine, workspace=workspace), manager, None)
    if not any(command.rep_user_id in t.reps for t in teams):
        raise CommandError(f"<@{command.rep_user_id}> isn't a rep on a team you manage.", usage=PREVIEW_USAGE)
    rep = people.cached_person(workspace=workspace, user_id=command.rep_user_id)
    week = _week_of(rep, now)
    if isinstance(command, AddNudgeNote):
        run_in_transaction(engine, lambda session: save_nudge_note(
            session=session, workspace=workspace, rep_user_id=rep.user_id, week_start=week.start,
            manager_user_id=manager.user_id, note=command.note, now=now))
        return PreviewChange(rep.user_id, week, "note")
    skipped = add_skipped_delivery(engine=engine, workspace=workspace, kind=REMINDER, recipient=rep.user_id,
                                   period_key=week.start.isoformat(), manager_user_id=manager.user_id,
                                   reason=command.reason, now=now)
    if skipped is None:
        raise CommandError(f"<@{rep.user_id}>'s reminder for the {week.label} has already gone out or been skipped.",
                           usage=PREVIEW_USAGE)
    return PreviewChange(rep.user_id, week, "skip")


def reminder_notes(*, engine: sa.Engine, workspace: Workspace, now: datetime) -> dict[tuple[str, date], str]:
    """For the reminder tick: every note for a week under way somewhere, in one query."""
    monday = period_containing("week", now.date()).start
    with read_scope(engine) as session:
        notes = list_nudge_notes(session=session, workspace=workspace,
                                 week_starts=[monday - timedelta(weeks=1), monday, monday + timedelta(weeks=1)])
        return {(n.rep_user_id, n.week_start): n.note for n in notes}


def touches_in(*, session: Session, workspace: Workspace, rep_user_ids: Sequence[str],
               week_starts: set[date], reps_query: sa.Select | None = None) -> tuple[tuple[date, ManagerTouch], ...]:
    """For the digest: the managers' notes on, and skips of, these reps' reminders in these weeks, each with its
    week's Monday (two queries). ``reps_query``, when given, selects the same reps, for the reads to filter by."""
    if not rep_user_ids:
        return ()
    among = reps_query if reps_query is not None else list(rep_user_ids)
    notes = list_nudge_notes(session=session, workspace=workspace, rep_user_ids=among,
                             week_starts=week_starts)
    skips = list_ledger_rows(session=session, workspace=workspace, kind=REMINDER, recipients=among,
                             period_keys={start.isoformat() for start in week_starts})
    found = [(n.week_start, ManagerTouch(n.rep_user_id, n.manager_user_id, "note", n.note)) for n in notes]
    found += [(date.fromisoformat(row.period_key), ManagerTouch(row.recipient, row.claimed_by or "", "skip", row.note or ""))
              for row in skips if row.status == SKIPPED]
    return tuple(sorted(found, key=lambda pair: (pair[1].rep_user_id, pair[1].what)))