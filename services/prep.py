"""Pre-meeting checklists: which are due, for the scheduler tick and right after a meeting is logged.

Both paths hand the same ``Outgoing`` to the delivery engine, so the ledger
sends each checklist once, whichever path gets there first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from domain.funnel import Workspace
from domain.prep import PREP, checklist_due, period_key, send_at_once
from domain.records import ReferralRecord
from services.delivery import Outgoing
from services.referrals import referral_record
from storage.due_queries import list_zones_of
from storage.engine import read_scope
from storage.report_queries import list_meetings_between

# An undated meeting's checklist stays worth retrying for a week.
UNDATED_EXPIRY = timedelta(days=7)


@dataclass(frozen=True)
class PrepDue:
    workspace: Workspace
    rep_user_id: str
    referral: ReferralRecord
    period_key: str
    expires_at: datetime  # the end of the meeting day, in the rep's zone
    today: date  # the rep's own date when it fell due, for "tomorrow" and "today" in the message


def _expiry(referral: ReferralRecord, zone: ZoneInfo, now: datetime) -> datetime:
    if referral.meeting_on is None:
        return now + UNDATED_EXPIRY
    return datetime.combine(referral.meeting_on + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def checklist_now(*, workspace: Workspace, rep_user_id: str, zone: ZoneInfo, referral: ReferralRecord,
                  now: datetime) -> PrepDue | None:
    """Right after a meeting is logged: due at once when the day before it has already begun."""
    today = now.astimezone(zone).date()
    if not send_at_once(meeting_on=referral.meeting_on, today=today):
        return None
    return PrepDue(workspace, rep_user_id, referral, period_key(referral.id, referral.meeting_on),
                   _expiry(referral, zone, now), today)


def due_checklists(*, engine: sa.Engine, workspace: Workspace, default_zone: ZoneInfo,
                   now: datetime) -> list[PrepDue]:
    """For the tick: meetings whose checklist time has come in the rep's own zone (from the stored profiles)."""
    utc_today = now.astimezone(UTC).date()
    # Every zone's "today" lies within a day of UTC's, and the checklist runs from the day before the meeting.
    with read_scope(engine) as session:
        rows = list_meetings_between(session=session, workspace=workspace, start=utc_today - timedelta(days=1),
                                     end=utc_today + timedelta(days=2))
        referrals = [(row.rep_user_id, referral_record(row)) for row in rows]
        zones = list_zones_of(session=session, workspace=workspace, user_ids={uid for uid, _ in referrals})
    due = []
    for rep_user_id, referral in referrals:
        zone = _zone(zones.get(rep_user_id), default_zone)
        local_now = now.astimezone(zone)
        assert referral.meeting_on is not None
        if checklist_due(meeting_on=referral.meeting_on, local_now=local_now):
            due.append(PrepDue(workspace, rep_user_id, referral, period_key(referral.id, referral.meeting_on),
                               _expiry(referral, zone, now), local_now.date()))
    return due


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def prep_outgoing(due: PrepDue, render: Callable[[ReferralRecord, date], dict[str, Any]]) -> Outgoing:
    """``render`` draws the checklist message from the referral and the rep's day."""
    return Outgoing(workspace=due.workspace, kind=PREP, recipient=due.rep_user_id, channel=due.rep_user_id,
                    period_key=due.period_key, expires_at=due.expires_at,
                    render=lambda: [render(due.referral, due.today)])
