"""Dates inside commands: the grammar's side of domain.dates (errors become CommandErrors with the verb's usage)."""
from __future__ import annotations

from datetime import date

from domain.conventions import Conventions
from domain.dates import PAST, DateError, check_date_window, check_past_date, split_trailing_date
from domain.grammar.text import CommandError

MEETING_DAYS_AHEAD = 365
MEETING_DAYS_BACK = 365


def split_date(text: str, *, today: date, usage: str, conventions: Conventions | None = None,
               direction: str = PAST) -> tuple[str, date | None]:
    try:
        return split_trailing_date(text, today=today, direction=direction,
                                   date_order=conventions.date_order if conventions else None)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None


def check_past(day: date, *, today: date, usage: str) -> None:
    try:
        check_past_date(day, today=today)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None


def check_meeting_date(day: date, *, today: date, usage: str) -> None:
    """A meeting may be booked for next month or logged late, so its date may lie on either side of today."""
    try:
        check_date_window(day, today=today, max_days_back=MEETING_DAYS_BACK, max_days_ahead=MEETING_DAYS_AHEAD)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None
