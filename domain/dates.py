"""Dates as reps type them: ``today``, ``yesterday``, a weekday, or ``YYYY-MM-DD``.

Reps log activity after the fact, usually within a few days, so a weekday name
means the most recent such day (today included), never the next one. Every
function takes ``today`` explicitly: "today" is the rep's local date, which only
the caller knows (it depends on the rep's time zone), and tests pin it.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = [
    "DateError",
    "WEEKDAY_NAMES",
    "check_date_window",
    "check_past_date",
    "parse_date_phrase",
    "split_trailing_date",
]

WEEKDAY_NAMES: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)

# Full names and three-letter abbreviations, both mapping to date.weekday() numbers.
_WEEKDAYS: dict[str, int] = {
    **{name: index for index, name in enumerate(WEEKDAY_NAMES)},
    **{name[:3]: index for index, name in enumerate(WEEKDAY_NAMES)},
}

# ASCII digits only: \d would also accept other scripts' digits, which no rep means as a date.
_ISO_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DateError(ValueError):
    """A date the rep clearly meant but that we must refuse; ``str(error)`` is a short message for them."""


def parse_date_phrase(text: str, *, today: date) -> date | None:
    """The date that ``text`` names, or None when ``text`` is not a date phrase at all.

    None (rather than an error) lets callers treat a non-date as ordinary text,
    e.g. the last word of a name. An ISO-shaped text that is not a real date
    (``2026-02-30``) raises DateError instead: the rep plainly meant a date, and
    silently logging a person called "Jane 2026-02-30" would hide the typo.
    """
    word = text.strip()
    if not word.isascii():  # every phrase is ASCII; this also keeps str.lower() predictable
        return None
    word = word.lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    if word in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[word]) % 7)
    if _ISO_SHAPE.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            raise DateError(f"{word} isn't a real date; use YYYY-MM-DD, e.g. {today.isoformat()}.") from None
    return None


def parse_iso_date(text: str) -> date | None:
    """``YYYY-MM-DD`` exactly (no times, no week dates), or None when it isn't one or names no real day."""
    if not _ISO_SHAPE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def split_trailing_date(text: str, *, today: date) -> tuple[str, date | None]:
    """Split a trailing date phrase, optionally preceded by ``on``, off ``text``.

    ``"Jane Doe on yesterday"`` and ``"Jane Doe yesterday"`` give ``("Jane Doe", <yesterday>)``;
    text without a trailing date comes back unchanged with None.

    When nothing precedes the date (``"Monday"``, ``"on Monday"``) the result is
    ``("", <that Monday>)``: a date word always reads as a date, even if someone is
    really called Monday. Keeping the rule that simple makes the grammar
    predictable; callers reject the empty name with a message that says so.

    Raises DateError for an ISO-shaped but impossible date (see parse_date_phrase).
    """
    stripped = text.rstrip()
    cut = _last_space(stripped)
    found = parse_date_phrase(stripped[cut:], today=today)
    if found is None:
        return text, None
    rest = stripped[:cut].rstrip()
    before_on = _last_space(rest)
    if rest[before_on:].lower() == "on":
        rest = rest[:before_on]
    return rest.strip(), found


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
