"""The date reader against dateparser, which read these phrases before: the same day for every phrase
shape the grammar lets through, for every weekday as today, around year ends and leap days, both ways.

The bot no longer loads dateparser (about 8 MB of idle memory, and a second or more to load, which the
first typed date after a restart would have waited for inside Slack's 3-second ack deadline); it stays a
dev dependency for this comparison only. One deliberate difference: a day of 00 or 32 to 99 (``Nov 45``)
is refused as no real date, where dateparser read the number as a two-digit year (``Nov 45`` = 1 Nov 1945).
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import dateparser
import pytest

from domain.dates import FUTURE, PAST, WEEKDAY_NAMES, DateError, parse_date_phrase

# One today for every weekday, plus year ends, leap days and a century year that is not a leap year.
TODAYS = [date(2026, 11, 30) + timedelta(days=n) for n in range(7)] + [
    date(2026, 1, 1), date(2026, 12, 31), date(2028, 2, 29), date(2027, 3, 1), date(2024, 2, 28), date(2100, 3, 1)]
MONTHS = ["jan", "january", "feb.", "february", "mar", "apr", "may", "jun", "june.", "jul", "july", "aug",
          "sep", "sept", "sept.", "september", "sepember", "oct", "nov", "november", "dec", "dec."]
DAYS = ["1", "1st", "2nd", "09", "28", "29th", "30", "31st", "0"]


def old_reading(phrase: str, *, today: date, direction: str) -> date | None | str:
    """What the bot answered when dateparser read the phrase (the pre-checks it ran first included)."""
    words = phrase.split()
    if words[-1] in WEEKDAY_NAMES and words[0] != "this":
        if len(words) == 1 and WEEKDAY_NAMES.index(words[0]) == today.weekday():
            return today
    found = dateparser.parse(phrase, languages=["en"], settings={
        "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12),
        "PREFER_DATES_FROM": "past" if direction == PAST else "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
    })
    if found is None:
        return "refused"
    found = found.date()
    if not any(w.isdigit() and len(w) == 4 for w in words) and words[-1] not in WEEKDAY_NAMES \
            and phrase not in ("today", "yesterday", "tomorrow") and (found.month, found.day) == (today.month, today.day):
        return today
    return found


def new_reading(phrase: str, *, today: date, direction: str) -> date | None | str:
    try:
        return parse_date_phrase(phrase, today=today, direction=direction)
    except DateError:
        return "refused"


def phrases() -> list[str]:
    relative = ["today", "yesterday", "tomorrow"] + [f"{which} {day}".strip() for which in ("", "last", "next")
                                                      for day in WEEKDAY_NAMES]
    named = [form.format(month=month, day=day) for month, day in itertools.product(MONTHS, DAYS)
             for form in ("{month} {day}", "{day} {month}")]
    with_year = [form.format(month=month, day=day, year=year)
                 for month, day, year in itertools.product(("feb", "november", "sept."), ("29", "31st", "1"),
                                                          ("2028", "2027", "0001", "0000"))
                 for form in ("{month} {day}, {year}", "the {day} of {month} {year}", "{month} the {day} {year}")]
    return relative + named + with_year


@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_every_phrase_reads_as_dateparser_read_it(today):
    differences = [(phrase, direction, old, new) for phrase in phrases() for direction in (PAST, FUTURE)
                   if (old := old_reading(phrase, today=today, direction=direction))
                   != (new := new_reading(phrase, today=today, direction=direction))]
    assert differences == []


@pytest.mark.parametrize("phrase", ["nov 00", "nov 32", "45 november", "dec 99, 2026"])
def test_a_day_that_no_month_has_is_refused_not_read_as_a_year(phrase):
    with pytest.raises(DateError, match="isn't a real date"):
        parse_date_phrase(phrase, today=date(2026, 12, 1), direction=PAST)
