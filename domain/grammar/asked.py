"""The grammar of ``/asked``: who was asked, for whom, and when."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from domain.grammar.dates import check_past, split_date
from domain.grammar.people import Person, parse_person
from domain.grammar.text import (
    MAX_ASK_ENTRIES,
    MAX_FOR_WHOM,
    CommandError,
    check_length,
    echo,
    limit_length,
    mask_markup,
    plain_text,
    split_outside_markup,
    strip_controls,
)


@dataclass(frozen=True)
class AskEntry:
    asked: Person
    for_whom: str | None
    occurred_on: date


@dataclass(frozen=True)
class OpenAskModal:
    """``/asked`` with no text: open the form."""


@dataclass(frozen=True)
class AskedHelp:
    pass


@dataclass(frozen=True)
class UndoLastAsk:
    pass


@dataclass(frozen=True)
class LogAsks:
    entries: tuple[AskEntry, ...]


AskedCommand: TypeAlias = OpenAskModal | AskedHelp | UndoLastAsk | LogAsks


# --------------------------------------------------------------------------- /asked

# The one place that describes /asked: the help lists these rows, errors show their usage lines.
ASKED_HELP: tuple[tuple[str, str], ...] = (
    ("/asked Jane Doe", "Log that you asked someone for an introduction"),
    ("/asked @jane for Bob Smith, CFO at Acme", "…and whom you asked to meet (for, or to meet)"),
    ("/asked @jane; @raj yesterday", "Several people at once; a date at the end: yesterday, a weekday, YYYY-MM-DD"),
    ("/asked Maria on 2026-11-20", "A past date, with or without on"),
    ("/asked undo", "Remove your latest ask from the last 24 hours"),
    ("/asked", "No text: open a form"),
)
ASKED_USAGE = "\n".join(usage if usage != "/asked" else "/asked   (no text: opens a form)" for usage, _ in ASKED_HELP)

_HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
_FOR = re.compile(r"\b(?:for|to\s+meet)\b", re.IGNORECASE)


def parse_asked(text: str, *, today: date) -> AskedCommand:
    """``/asked``: ``<person> [for|to meet <for_whom>] [[on] <date>]``, several separated by ``;``.

    A date at the end of an entry applies to that entry. A date at the end of
    the *last* entry also applies to every earlier entry without its own date,
    because ``/asked Jane; Raj yesterday`` reads as "both yesterday". Entries
    without any date are today. Only the first ``for``/``to meet`` splits an
    entry, so the person asked can't contain one but the prospect can.
    """
    check_length(text, ASKED_USAGE)
    cleaned = strip_controls(text).strip()
    if not cleaned:
        return OpenAskModal()
    if cleaned.lower() in _HELP_WORDS:
        return AskedHelp()
    if cleaned.lower() == "undo":
        return UndoLastAsk()

    segments = [s for s in split_outside_markup(cleaned, ";") if s.strip()]
    if not segments:
        raise CommandError("Who did you ask? Give a name or an @mention.", usage=ASKED_USAGE)
    if len(segments) > MAX_ASK_ENTRIES:
        raise CommandError(
            f"That's {len(segments)} people at once; log at most {MAX_ASK_ENTRIES} per command.",
            usage=ASKED_USAGE)

    parsed = [_ask_entry(segment, today=today) for segment in segments]
    shared_day = parsed[-1][2] or today
    entries = []
    for person, for_whom, day in parsed:
        occurred_on = day or shared_day
        check_past(occurred_on, today=today, usage=ASKED_USAGE)
        entries.append(AskEntry(asked=person, for_whom=for_whom, occurred_on=occurred_on))
    return LogAsks(tuple(entries))


def _ask_entry(segment: str, *, today: date) -> tuple[Person, str | None, date | None]:
    rest, day = split_date(segment, today=today, usage=ASKED_USAGE)
    split = _FOR.search(mask_markup(rest))
    who, for_whom = (rest[: split.start()], rest[split.end():]) if split else (rest, None)
    if not who.strip():
        if split:
            raise CommandError("Put the person you asked before “for”, e.g. `/asked Jane for Bob Smith`.",
                               usage=ASKED_USAGE)
        shown = echo(segment)
        raise CommandError(f"“{shown}” reads as a date. Who did you ask? e.g. `/asked Jane {shown}`.",
                           usage=ASKED_USAGE)
    person = parse_person(who, usage=ASKED_USAGE)
    if for_whom is None:
        return person, None, day
    target = plain_text(for_whom)
    if not target:
        raise CommandError("Whom did you ask to meet? Put them after “for”, or leave “for” out.",
                           usage=ASKED_USAGE)
    return person, limit_length(target, MAX_FOR_WHOM, "The “for” part", ASKED_USAGE), day
