"""Dates inside commands: the grammar's side of domain.dates (errors become CommandErrors with the verb's usage)."""
from __future__ import annotations

from datetime import date

from domain.dates import DateError, check_past_date, split_trailing_date
from domain.grammar.text import CommandError

MEETING_DAYS_AHEAD = 365
MEETING_DAYS_BACK = 365


def split_date(text: str, *, today: date, usage: str) -> tuple[str, date | None]:
    try:
        return split_trailing_date(text, today=today)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None


def check_past(day: date, *, today: date, usage: str) -> None:
    try:
        check_past_date(day, today=today)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None
