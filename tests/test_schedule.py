"""Due times in people's own zones, across daylight-saving changes."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.schedule import WeeklySlot, due_now, earliest_instant, local_instant, parse_slot

NEW_YORK = ZoneInfo("America/New_York")


def deliveries(slot: WeeklySlot, tz: ZoneInfo, start: datetime, days: int) -> list[tuple[str, datetime]]:
    """Simulate a tick every 5 minutes with a ledger: each week's first due tick delivers once."""
    sent: dict[str, datetime] = {}
    at = start
    while at < start + timedelta(days=days):
        due = due_now(slot, now=at, tz=tz)
        if due is not None and due.key not in sent:
            sent[due.key] = at
        at += timedelta(minutes=5)
    return sorted(sent.items())


@pytest.mark.parametrize("slot, first_day", [
    (WeeklySlot(6, time(2, 30)), date(2026, 3, 8)),  # 02:30 doesn't exist on spring-forward Sunday
    (WeeklySlot(6, time(1, 30)), date(2026, 11, 1)),  # 01:30 happens twice on fall-back Sunday
])
def test_dst_changes_neither_skip_nor_double(slot, first_day):
    start = datetime.combine(first_day - timedelta(days=14), time(0), tzinfo=UTC)
    sent = deliveries(slot, NEW_YORK, start, days=28)
    assert len(sent) == 4  # one per week, the DST week included
    transition = [at for key, at in sent if key == (first_day - timedelta(days=6)).isoformat()]
    assert len(transition) == 1


def test_a_skipped_local_time_fires_just_after_the_gap():
    assert local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    # An ambiguous time fires at its first occurrence (still daylight time, UTC-4).
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_due_until_the_local_week_ends():
    thursday = WeeklySlot(3, time(14, 0))
    assert due_now(thursday, now=datetime(2026, 11, 5, 18, 59, tzinfo=UTC), tz=NEW_YORK) is None
    assert due_now(thursday, now=datetime(2026, 11, 5, 19, 0, tzinfo=UTC), tz=NEW_YORK).key == "2026-11-02"
    # Sunday 23:59 in New York is Monday 04:59 UTC: still due; a minute later it's a new week.
    assert due_now(thursday, now=datetime(2026, 11, 9, 4, 59, tzinfo=UTC), tz=NEW_YORK) is not None
    assert due_now(thursday, now=datetime(2026, 11, 9, 5, 0, tzinfo=UTC), tz=NEW_YORK) is None


def test_parse_slot():
    assert parse_slot("Thu", "09:05") == WeeklySlot(3, time(9, 5))
    for weekday, hhmm in (("th", "09:00"), ("funday", "09:00"), ("monday", "9am"), ("monday", "24:00")):
        with pytest.raises(ValueError):
            parse_slot(weekday, hhmm)


def test_nothing_local_comes_before_its_earliest_instant_across_dst_changes():
    """A quiet tick's proof lasts until the earliest instant; it must never be later than the wall clock."""
    ny = ZoneInfo("America/New_York")
    # 02:30 does not exist on 8 March 2026: the clock jumps from 02:00 to 03:00 at 07:00 UTC.
    gap = earliest_instant(date(2026, 3, 8), time(2, 30), ny)
    assert gap <= datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert (gap - timedelta(seconds=1)).astimezone(ny).time() < time(2, 30)
    # 01:30 happens twice on 1 November 2026: first at 05:30 UTC (daylight time).
    assert earliest_instant(date(2026, 11, 1), time(1, 30), ny) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert earliest_instant(date(2026, 11, 5), time(14, 0), ny) == datetime(2026, 11, 5, 19, 0, tzinfo=UTC)
