"""The funnel verbs of ``/referral``: got, nobody, meeting, met, won, lost, nodecision, thanked, list."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.conventions import NO_CONVENTIONS, Conventions
from domain.dates import FUTURE
from domain.grammar.amounts import AmbiguousAmount, parse_amount
from domain.grammar.dates import check_meeting_date, check_past, split_date
from domain.grammar.people import Person, parse_person
from domain.grammar.text import (
    MAX_NAME,
    MAX_REASON,
    CommandError,
    echo,
    first_token,
    limit_length,
    mask_markup,
    plain_text,
    strip_controls,
    unquote,
)


@dataclass(frozen=True)
class RefQuery:
    """Which referral a command is about: its short number, or part of the prospect's name.

    Exactly one of the two is set. Resolving the text against the rep's
    referrals (and refusing an ambiguous one) is the service's job.
    """

    number: int | None
    text: str | None


@dataclass(frozen=True)
class GotReferral:
    prospect: str
    referrer: Person
    occurred_on: date


@dataclass(frozen=True)
class NobodyToIntroduce:
    referrer: Person
    occurred_on: date


@dataclass(frozen=True)
class ScheduleMeeting:
    ref: RefQuery
    meeting_on: date | None
    booked_on: date | None = None  # when it was booked, if not today (a rep catching up)


@dataclass(frozen=True)
class MeetingHeld:
    ref: RefQuery
    occurred_on: date


@dataclass(frozen=True)
class CloseWon:
    ref: RefQuery
    amount: Decimal | None
    currency: str | None = None  # ISO 4217, when the rep or the workspace named one
    occurred_on: date | None = None  # when it closed; None: today


@dataclass(frozen=True)
class CloseLost:
    ref: RefQuery
    reason: str | None
    occurred_on: date | None = None  # when it closed; None: today


@dataclass(frozen=True)
class CloseNoDecision:
    ref: RefQuery
    reason: str | None
    occurred_on: date | None = None  # when it closed; None: today


class ChooseAmount(CommandError):
    """A won deal whose amount only the rep can settle (``€12.000``): the reply offers each reading."""

    def __init__(self, ambiguity: AmbiguousAmount, choices: tuple[CloseWon, ...]):
        super().__init__(ambiguity.message, usage=ambiguity.usage)
        self.choices = choices


def encode_close_won(command: CloseWon) -> str:
    """A won command as a button value, so that a click can finish what the rep typed."""
    return json.dumps({"n": command.ref.number, "t": command.ref.text, "a": str(command.amount),
                       "c": command.currency, "on": command.occurred_on.isoformat() if command.occurred_on else None})


def decode_close_won(value: str) -> CloseWon | None:
    """The command encode_close_won wrote, or None for a value that isn't one (a stale or forged button)."""
    try:
        data = json.loads(value)
        ref = RefQuery(int(data["n"]) if data["n"] is not None else None,
                       str(data["t"])[:MAX_NAME] if data["t"] is not None else None)
        amount = Decimal(data["a"]) if data["a"] not in (None, "None") else None
        return CloseWon(ref, amount, str(data["c"])[:3] if data["c"] else None,
                        date.fromisoformat(data["on"]) if data["on"] else None)
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return None


@dataclass(frozen=True)
class Thanked:
    ref: RefQuery


@dataclass(frozen=True)
class ListReferrals:
    pass


_WHICH_REFERRAL = "Which referral? Give its number (#3) or part of the prospect's name."
_NUMBER_REF = re.compile(r"#?([0-9]+)")


def parse_ref(text: str, *, usage: str) -> RefQuery:
    """``#12`` or ``12`` -> number 12; anything else -> the text to look the prospect up by."""
    raw = unquote(strip_controls(text))
    number = _NUMBER_REF.fullmatch(raw)
    if number:
        if len(number.group(1)) > 9:  # also keeps int() far from Python's digit limit
            raise CommandError(f"There's no referral {echo(raw, 15)}; numbers are short, like #3.",
                               usage=usage)
        return RefQuery(number=int(number.group(1)), text=None)
    fragment = plain_text(raw)
    if not fragment:
        raise CommandError(_WHICH_REFERRAL, usage=usage)
    return RefQuery(number=None, text=limit_length(fragment, MAX_NAME, "That name", usage))


def parse_got(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> GotReferral:
    """``<prospect> from <referrer> [date]``: the LAST ``from`` splits.

    A prospect's description ("Ann from Finance at Acme") contains "from" far
    more often than a referrer's name does.
    """
    body, day = split_date(rest, today=today, usage=usage, conventions=conventions)
    splits = list(re.finditer(r"\bfrom\b", mask_markup(body), re.IGNORECASE))
    if not splits:
        raise CommandError("Say who introduced you: “… from <referrer>”.", usage=usage)
    last = splits[-1]
    prospect = plain_text(body[: last.start()])
    if not prospect:
        raise CommandError("Who were you introduced to? Put the prospect before “from”.", usage=usage)
    if not body[last.end():].strip():
        raise CommandError("Who introduced you? Put their name or @mention after “from”.", usage=usage)
    referrer = parse_person(body[last.end():], usage=usage)
    occurred_on = day or today
    check_past(occurred_on, today=today, usage=usage)
    return GotReferral(prospect=limit_length(prospect, MAX_NAME, "The prospect's name", usage), referrer=referrer,
                       occurred_on=occurred_on)


def parse_nobody(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> NobodyToIntroduce:
    body, day = split_date(rest, today=today, usage=usage, conventions=conventions)
    if not body.strip():
        raise CommandError("Who couldn't think of anyone? Give their name or @mention.", usage=usage)
    referrer = parse_person(body, usage=usage)
    occurred_on = day or today
    check_past(occurred_on, today=today, usage=usage)
    return NobodyToIntroduce(referrer=referrer, occurred_on=occurred_on)


_BOOKED = re.compile(r"\bbooked\b", re.IGNORECASE)


def parse_meeting(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> ScheduleMeeting:
    """``<ref> [meeting date] [booked [on] <date>]``.

    The meeting's own date points forward (``tuesday`` typed on a Sunday is in two
    days) but may also be logged late, so it may lie on either side of today. The
    day it was booked is a past event like any other, and is what the "meetings
    scheduled" count uses.
    """
    booked_on = None
    split = list(_BOOKED.finditer(mask_markup(rest)))
    if split:
        cut = split[-1]
        tail, booked_on = split_date(rest[cut.end():], today=today, usage=usage, conventions=conventions)
        if booked_on is None or tail.strip():
            raise CommandError("Say when it was booked: “booked yesterday”, “booked on Nov 20”.", usage=usage)
        check_past(booked_on, today=today, usage=usage)
        rest = rest[: cut.start()]
    body, day = split_date(rest, today=today, usage=usage, conventions=conventions, direction=FUTURE)
    if day is not None:
        check_meeting_date(day, today=today, usage=usage)
    return ScheduleMeeting(ref=parse_ref(body, usage=usage), meeting_on=day, booked_on=booked_on)


def parse_met(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> MeetingHeld:
    body, day = split_date(rest, today=today, usage=usage, conventions=conventions)
    occurred_on = day or today
    check_past(occurred_on, today=today, usage=usage)
    return MeetingHeld(ref=parse_ref(body, usage=usage), occurred_on=occurred_on)


def _closing_date(rest: str, *, today: date, usage: str, conventions: Conventions) -> tuple[str, date | None]:
    """Split the optional date a deal closed on off the end; a date is never kept as a reason or a name."""
    body, day = split_date(rest, today=today, usage=usage, conventions=conventions)
    if day is not None:
        check_past(day, today=today, usage=usage)
    return body, day


def parse_won(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> CloseWon:
    """``<ref> [amount] [date]``. The amount is the last one or two tokens (``EUR 12,000``), if something
    is left for the ref: ``won 12`` is referral #12."""
    body, day = _closing_date(rest, today=today, usage=usage, conventions=conventions)
    body = body.strip()
    words = body.split()
    amount = None
    for size in (2, 1):
        if len(words) <= size:
            continue
        try:
            amount = parse_amount("".join(words[-size:]), usage=usage, conventions=conventions)
        except AmbiguousAmount as ambiguity:
            ref = parse_ref(" ".join(words[:-size]), usage=usage)
            raise ChooseAmount(ambiguity, tuple(CloseWon(ref, m.amount, m.currency, day)
                                                for m in ambiguity.readings)) from None
        if amount is not None:
            body = " ".join(words[:-size])
            break
    if amount is None:
        return CloseWon(ref=parse_ref(body, usage=usage), amount=None, occurred_on=day)
    return CloseWon(ref=parse_ref(body, usage=usage), amount=amount.amount, currency=amount.currency,
                    occurred_on=day)


def _ref_and_reason(rest: str, *, usage: str) -> tuple[RefQuery, str | None]:
    """``<ref> [reason]``: the ref is one token or a quoted string, the reason is everything after it."""
    if not rest.strip():
        raise CommandError(_WHICH_REFERRAL, usage=usage)
    try:
        ref, reason = first_token(rest)
    except ValueError:
        raise CommandError("Close the quote around the prospect's name.", usage=usage) from None
    cleaned = plain_text(reason)
    reason_text = limit_length(cleaned, MAX_REASON, "The reason", usage) if cleaned else None
    return parse_ref(ref, usage=usage), reason_text


def parse_lost(rest: str, *, today: date, usage: str, conventions: Conventions = NO_CONVENTIONS) -> CloseLost:
    body, day = _closing_date(rest, today=today, usage=usage, conventions=conventions)
    ref, reason = _ref_and_reason(body, usage=usage)
    return CloseLost(ref=ref, reason=reason, occurred_on=day)


def parse_nodecision(rest: str, *, today: date, usage: str,
                     conventions: Conventions = NO_CONVENTIONS) -> CloseNoDecision:
    body, day = _closing_date(rest, today=today, usage=usage, conventions=conventions)
    ref, reason = _ref_and_reason(body, usage=usage)
    return CloseNoDecision(ref=ref, reason=reason, occurred_on=day)


def parse_thanked(rest: str, *, today: date, usage: str) -> Thanked:
    return Thanked(ref=parse_ref(rest, usage=usage))


def parse_list(rest: str, *, today: date, usage: str) -> ListReferrals:
    if rest.strip():
        raise CommandError(f"`list` takes nothing after it (got “{echo(rest)}”).", usage=usage)
    return ListReferrals()
