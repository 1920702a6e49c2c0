"""The planning verbs of ``/referral``: commit, plan, pause, resume."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.conventions import NO_CONVENTIONS, Conventions
from domain.dates import ACCEPTED_DATES, FUTURE, DateError, parse_date_phrase, parse_iso_date
from domain.grammar.people import Person, parse_person
from domain.grammar.text import MAX_ASK_ENTRIES, CommandError, split_outside_markup, strip_controls
from domain.team_commands import PauseNudges, ResumeNudges


@dataclass(frozen=True)
class CommitToAsk:
    people: tuple[Person, ...]


@dataclass(frozen=True)
class PlanClients:
    clients: int
    by: date | None  # None: the end of the current quarter


_DURATION = re.compile(r"([0-9]{1,3})\s*(d|day|days|w|wk|week|weeks)", re.IGNORECASE)
MAX_PAUSE_DAYS = 366


def parse_pause(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> PauseNudges:
    """``pause until 2026-12-05`` or ``pause 2w`` / ``pause 10d``: no nudges up to and including that day."""
    text = strip_controls(rest).strip()
    duration = _DURATION.fullmatch(text)
    if duration:
        days = int(duration.group(1)) * (7 if duration.group(2).lower().startswith("w") else 1)
        if not 1 <= days <= MAX_PAUSE_DAYS:
            raise CommandError("Pause for 1 day up to a year.", usage=usage)
        return PauseNudges(until=today + timedelta(days=days - 1))
    # Only the first word decides: splitting all of a long text made one string per word (a 1 MB text cost 23x a
    # 100 KB one); parse_date_phrase normalizes the phrase's spacing itself.
    words = text.split(maxsplit=1)
    if len(words) == 2 and words[0].lower() == "until":
        try:  # a day off lies ahead: "friday" is the coming one
            until = parse_date_phrase(words[1], today=today, direction=FUTURE,
                                      date_order=conventions.date_order)
        except DateError as error:
            raise CommandError(str(error), usage=usage) from None
        if until is None:
            raise CommandError(f"Give the last day off as a date: {ACCEPTED_DATES}.", usage=usage)
        if until < today:
            raise CommandError(f"{until.isoformat()} has passed; give your last day off, today or later.",
                               usage=usage)
        if (until - today).days >= MAX_PAUSE_DAYS:
            raise CommandError("Pause for 1 day up to a year.", usage=usage)
        return PauseNudges(until=until)
    raise CommandError("Say how long: pause until 2026-12-05, or pause 2w.", usage=usage)


def parse_commit(rest: str, *, today: date, usage: str) -> CommitToAsk:
    """``commit Jane; @raj; Maria Lopez``: the people the rep will ask this week."""
    segments = [seg for seg in split_outside_markup(rest, ";") if seg.strip()]
    if not segments:
        raise CommandError("Who will you ask this week? Names or @mentions, separated by ;", usage=usage)
    if len(segments) > MAX_ASK_ENTRIES:
        raise CommandError(f"Name at most {MAX_ASK_ENTRIES} people at once.", usage=usage)
    return CommitToAsk(tuple(parse_person(seg, usage=usage) for seg in segments))


def parse_plan(rest: str, *, today: date, usage: str) -> PlanClients:
    """``plan <clients> [by <YYYY-MM-DD>]``."""
    words = strip_controls(rest).split(maxsplit=3)  # a fourth word is already wrong: no need to split them all
    # Leading zeros are dropped before the length check, so 000001… with any number of digits can't overflow.
    count = words[0].lstrip("0") if words and words[0].isascii() and words[0].isdigit() else ""
    if len(count) > 5 or not 1 <= int(count or "0") <= 10_000:
        raise CommandError("How many new clients do you need? A whole number up to 10,000, e.g. plan 10.", usage=usage)
    by = None
    if len(words) == 3 and words[1].lower() == "by" and parse_iso_date(words[2]) is not None:
        by = parse_iso_date(words[2])
        if by is None or by <= today or (by - today).days > 3 * 366:
            raise CommandError("Give a date after today and within three years, as YYYY-MM-DD.", usage=usage)
    elif len(words) != 1:
        raise CommandError("Say it as: plan 10, or plan 10 by 2027-03-31.", usage=usage)
    return PlanClients(int(count), by)


def parse_resume(rest: str, *, today: date, usage: str) -> ResumeNudges:
    return ResumeNudges()
