"""Dates as reps type them: ISO, 11/20 or 20/11, Nov 20, 20 Nov, today, yesterday, tomorrow, weekdays.

The phrase is read by dateparser (imported lazily: it is big, and most commands
carry no date) in the rep's own calendar, because "yesterday" depends on where
the rep is; the caller passes that local ``today``. This module only decides
which shapes count as a date at all (so that a name like "May" or "Jane" is
never read as one) and which way a phrase without a year points:

- Past events (asks, referrals, meetings held, outcomes) take the most recent
  such day, today included: ``friday`` typed on a Sunday is two days ago.
- A meeting being booked takes the next such day, today included: ``tuesday``
  typed on a Sunday is in two days, and ``next tuesday`` means the same.
- ``11/20`` reads month first and ``20/11`` day first, because only one reading
  is a real date. ``05/06`` is ambiguous: the workspace's date order decides it,
  and while that is unset the rep is asked which one they meant.

Every function takes ``today`` explicitly, and tests pin it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = [
    "ACCEPTED_DATES",
    "AmbiguousDate",
    "DATE_ORDERS",
    "DateError",
    "FUTURE",
    "PAST",
    "WEEKDAY_NAMES",
    "check_date_window",
    "check_past_date",
    "parse_date_phrase",
    "parse_iso_date",
    "split_trailing_date",
]

PAST, FUTURE = "past", "future"
DATE_ORDERS = ("MDY", "DMY")  # the workspace's reading of 05/06: May 6 or 5 June
ACCEPTED_DATES = "2026-11-20, 11/20, Nov 20, 20 Nov, today, yesterday, friday, last friday"

WEEKDAY_NAMES: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)

# Full names and three-letter abbreviations, both mapping to date.weekday() numbers.
_WEEKDAYS: dict[str, int] = {
    **{name: index for index, name in enumerate(WEEKDAY_NAMES)},
    **{name[:3]: index for index, name in enumerate(WEEKDAY_NAMES)},
    "tues": 1, "thur": 3, "thurs": 3,
}

# ASCII digits only: \d would also accept other scripts' digits, which no rep means as a date.
_ISO_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?" \
         r"|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"[0-9]{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>[0-9]{4}))?"
_NUMERIC = re.compile(r"(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})(?:/(?P<year>[0-9]{4}|[0-9]{2}))?")
_NAMED = re.compile(rf"(?:{_MONTH}\s+(?:the\s+)?{_DAY}|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}){_YEAR}")
_RELATIVE = re.compile(rf"today|yesterday|tomorrow|(?:(?P<which>last|next|this)\s+)?(?P<weekday>{_WEEKDAY})")
_LONGEST_PHRASE = 5  # words: "the 20th of november 2026"


class DateError(ValueError):
    """A date the rep clearly meant but that we must refuse; ``str(error)`` is a short message for them."""


class AmbiguousDate(DateError):
    """``05/06`` with no workspace date order: both readings are real dates, so ask which one."""

    def __init__(self, text: str, month_first: date, day_first: date):
        super().__init__(
            f"Is {text} {month_first:%a} {month_first.day} {month_first:%b} or {day_first:%a} {day_first.day} "
            f"{day_first:%b}? Write it as {month_first.isoformat()} or {day_first.day} {day_first:%b}; "
            "an admin can set the workspace's date order with `/referral settings dates day-first|month-first`.")
        self.text, self.month_first, self.day_first = text, month_first, day_first


def parse_date_phrase(text: str, *, today: date, direction: str = PAST, date_order: str | None = None) -> date | None:
    """The date that ``text`` names, or None when ``text`` is not a date phrase at all.

    None (rather than an error) lets callers treat a non-date as ordinary text,
    e.g. the last word of a name. A text shaped like a date that names no real
    day (``2026-02-30``, ``13/13``, ``Nov 31``) raises DateError instead: the rep
    plainly meant a date, and silently logging a person called "Jane 2026-02-30"
    would hide the typo. ``direction`` says which way a phrase without a year
    points (PAST or FUTURE); ``date_order`` reads ``05/06`` (see DATE_ORDERS).
    """
    phrase = " ".join(text.split())
    if not phrase.isascii():  # every phrase is ASCII; this also keeps str.lower() predictable
        return None
    phrase = phrase.lower()
    if _ISO_SHAPE.fullmatch(phrase):
        try:
            return date.fromisoformat(phrase)
        except ValueError:
            raise DateError(f"{phrase} isn't a real date; use YYYY-MM-DD, e.g. {today.isoformat()}.") from None
    numeric = _NUMERIC.fullmatch(phrase)
    if numeric:
        return _numeric_date(numeric, phrase, today=today, direction=direction, date_order=date_order)
    named, relative = _NAMED.fullmatch(phrase), _RELATIVE.fullmatch(phrase)
    if not (named or relative):
        return None
    if relative and relative.group("weekday"):
        weekday = _WEEKDAYS[relative.group("weekday")]
        if not relative.group("which") and weekday == today.weekday():
            return today  # dateparser skips today's own weekday; a rep typing "friday" on a Friday means today
        if relative.group("which") == "this":  # the one in this Monday-to-Sunday week, either side of today
            return today + timedelta(days=weekday - today.weekday())
        # dateparser reads "sun" but not "last sun": hand it the full name.
        phrase = f"{relative.group('which') or ''} {WEEKDAY_NAMES[weekday]}".strip()
    found = _dateparser(phrase, today=today, direction=direction)
    if found is None:
        raise DateError(f"“{phrase}” isn't a real date; try {ACCEPTED_DATES}.")
    if named and not named.group("year") and (found.month, found.day) == (today.month, today.day):
        return today  # "Nov 20" typed on Nov 20 is today, in either direction
    return found


def _numeric_date(match: re.Match[str], phrase: str, *, today: date, direction: str, date_order: str | None) -> date:
    a, b = int(match.group("a")), int(match.group("b"))
    year_text = match.group("year")
    year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    readings = {order: _real_date(year, *((a, b) if order == "MDY" else (b, a)), today=today, direction=direction)
                for order in DATE_ORDERS}
    real = {order: day for order, day in readings.items() if day is not None}
    if not real:
        raise DateError(f"{phrase} isn't a real date; try {ACCEPTED_DATES}.")
    if len(real) == 1 or a == b:
        return next(iter(real.values()))
    if date_order in real:
        return real[date_order]
    raise AmbiguousDate(phrase, real["MDY"], real["DMY"])


def _real_date(year: int | None, month: int, day: int, *, today: date, direction: str) -> date | None:
    """That month and day in ``year``, or (no year) in the year that puts it on the ``direction`` side of today."""
    years = [year] if year is not None else (
        [today.year, today.year - 1] if direction == PAST else [today.year, today.year + 1])
    for candidate_year in years:
        try:
            found = date(candidate_year, month, day)
        except ValueError:
            continue
        if year is not None or (found <= today if direction == PAST else found >= today):
            return found
    return None


def _dateparser(phrase: str, *, today: date, direction: str) -> date | None:
    # Lazily: about 8 MB that most commands never need, so an idle server doesn't carry it. The first date in
    # words after a start pays for the import and the language data (0.15 to 0.3 s here), inside the ack's
    # 3 seconds; ISO and numeric dates never load it.
    import dateparser

    found = dateparser.parse(phrase, languages=["en"], settings={
        "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12),
        "PREFER_DATES_FROM": "past" if direction == PAST else "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
    })
    return found.date() if found else None


def parse_iso_date(text: str) -> date | None:
    """``YYYY-MM-DD`` exactly (no times, no week dates), or None when it isn't one or names no real day."""
    if not _ISO_SHAPE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def split_trailing_date(text: str, *, today: date, direction: str = PAST,
                        date_order: str | None = None) -> tuple[str, date | None]:
    """Split a trailing date phrase, optionally preceded by ``on``, off ``text``.

    ``"Jane Doe on yesterday"``, ``"Jane Doe yesterday"`` and ``"Jane Doe on Nov 19"`` give
    ``("Jane Doe", <that day>)``; text without a trailing date comes back unchanged with None.
    The longest phrase wins (up to four words), so "20 Nov" is one date, never "20" plus a name.

    When nothing precedes the date (``"Monday"``, ``"on Monday"``) the result is
    ``("", <that Monday>)``: a date phrase always reads as a date, even if someone is
    really called Monday. Keeping the rule that simple makes the grammar
    predictable; callers reject the empty name with a message that says so.

    Raises DateError for a date-shaped but impossible or ambiguous date (see parse_date_phrase).
    """
    stripped = text.rstrip()
    cuts = _word_starts(stripped)[-_LONGEST_PHRASE:]
    for cut in cuts:  # longest first
        found = parse_date_phrase(stripped[cut:], today=today, direction=direction, date_order=date_order)
        if found is None:
            continue
        rest = stripped[:cut].rstrip()
        before_on = _last_space(rest)
        if rest[before_on:].lower() == "on":
            rest = rest[:before_on]
        return rest.strip(), found
    return text, None


def _word_starts(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", text)]


def check_date_window(d: date, *, today: date, max_days_back: int = 365, max_days_ahead: int = 0) -> None:
    """Refuse a date outside [today - max_days_back, today + max_days_ahead].

    Typos like 2062 for 2026 would otherwise land silently in some far-off week
    and never show up in this week's numbers.
    """
    if d > today and (d - today).days > max_days_ahead:
        if max_days_ahead == 0:
            raise DateError(f"{d.isoformat()} is in the future; log things that already happened.")
        raise DateError(f"{d.isoformat()} is more than {max_days_ahead} days ahead; check the year.")
    if d < today and (today - d).days > max_days_back:
        raise DateError(f"{d.isoformat()} is more than {max_days_back} days ago; log recent activity only.")


def check_past_date(d: date, *, today: date, max_days_back: int = 365) -> None:
    """Refuse a future date, or one older than ``max_days_back`` days: asks and outcomes already happened."""
    check_date_window(d, today=today, max_days_back=max_days_back, max_days_ahead=0)


def _last_space(text: str) -> int:
    """Index just after the last whitespace character of ``text`` (0 when there is none)."""
    for index in range(len(text) - 1, -1, -1):
        if text[index].isspace():
            return index + 1
    return 0
