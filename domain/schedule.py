"""When a weekly message is due, in the recipient's own time zone.

A weekly message has a slot (weekday and local time). In any given local week
it is due from the slot's instant until that week ends (Sunday 24:00 local):
the scheduler ticks every few minutes and sends whatever is due and not yet in
the delivery ledger. That single rule gives:

- exactly one delivery per week: the ledger key is (kind, recipient, week start);
- catch-up: a Monday digest missed while the bot was down goes out on Tuesday;
- expiry: a Thursday reminder is dropped once the rep's week has ended;
- DST safety: the slot is compared as an instant, so a skipped local hour
  (spring forward) delays it by at most the gap and a repeated hour (fall back)
  cannot fire it twice; the week key stays the same either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.periods import Period, period_containing

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int  # 0 = Monday
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday].capitalize()} {self.at:%H:%M}"


@dataclass(frozen=True)
class Due:
    week: Period  # the recipient's local week in which the slot falls
    slot_at: datetime  # aware

    @property
    def key(self) -> str:
        return self.week.start.isoformat()


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a local wall-clock time happens; in a DST gap, the instant just after it."""
    # fold=0: an ambiguous time (fall back) is its first occurrence; a time inside a spring-forward gap
    # takes the offset from before the gap, which lands just after it (02:30 becomes 03:30 daylight time).
    # Returned in UTC because an aware time inside a repeated hour never compares equal across zones (PEP 495).
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def earliest_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first instant a local wall clock may read ``day at``, for "nothing comes before": around a DST
    change the earlier of the two readings (a time in a spring-forward gap is passed at the jump, which the
    reading with the later offset lands before; a repeated time is first read at its first occurrence)."""
    return min(datetime.combine(day, at, tzinfo=tz).replace(fold=fold).astimezone(UTC) for fold in (0, 1))


def week_end(week: Period, tz: ZoneInfo) -> datetime:
    return local_instant(week.end + timedelta(days=1), time(0, 0), tz)


def due_now(slot: WeeklySlot, *, now: datetime, tz: ZoneInfo) -> Due | None:
    """The week whose slot has passed and whose end has not, or None when nothing is due."""
    week = period_containing("week", now.astimezone(tz).date())
    slot_at = local_instant(week.start + timedelta(days=slot.weekday), slot.at, tz)
    if slot_at <= now < week_end(week, tz):
        return Due(week=week, slot_at=slot_at)
    return None


def parse_slot(weekday: str, hhmm: str) -> WeeklySlot:
    """``thursday`` (or ``thu``) and ``14:00``; raises ValueError with a message a user can act on."""
    name = weekday.strip().lower()
    matches = [i for i, day in enumerate(WEEKDAYS) if day == name or (len(name) >= 3 and day.startswith(name))]
    if len(matches) != 1:
        raise ValueError(f"“{weekday}” is not a weekday; use monday … sunday.")
    try:
        hours, minutes = hhmm.strip().split(":")
        at = time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"“{hhmm}” is not a time; use 24-hour HH:MM such as 14:00.") from None
    return WeeklySlot(matches[0], at)
