"""The funnel verbs of ``/referral``: got, nobody, meeting, met, won, lost, nodecision, thanked, list."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.dates import DateError, check_date_window
from domain.grammar.amounts import parse_amount
from domain.grammar.dates import MEETING_DAYS_AHEAD, MEETING_DAYS_BACK, check_past, split_date
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


@dataclass(frozen=True)
class MeetingHeld:
    ref: RefQuery
    occurred_on: date


@dataclass(frozen=True)
class CloseWon:
    ref: RefQuery
    amount: Decimal | None


@dataclass(frozen=True)
class CloseLost:
    ref: RefQuery
    reason: str | None


@dataclass(frozen=True)
class CloseNoDecision:
    ref: RefQuery
    reason: str | None


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


def parse_got(rest: str, *, today: date, usage: str) -> GotReferral:
    """``<prospect> from <referrer>``: the LAST ``from`` splits.

    A prospect's description ("Ann from Finance at Acme") contains "from" far
    more often than a referrer's name does.
    """
    body, day = split_date(rest, today=today, usage=usage)
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


def parse_nobody(rest: str, *, today: date, usage: str) -> NobodyToIntroduce:
    body, day = split_date(rest, today=today, usage=usage)
    if not body.strip():
        raise CommandError("Who couldn't think of anyone? Give their name or @mention.", usage=usage)
    referrer = parse_person(body, usage=usage)
    occurred_on = day or today
    check_past(occurred_on, today=today, usage=usage)
    return NobodyToIntroduce(referrer=referrer, occurred_on=occurred_on)


def parse_meeting(rest: str, *, today: date, usage: str) -> ScheduleMeeting:
    """A meeting may be booked for next month or logged late, so its date may lie on either side of today."""
    body, day = split_date(rest, today=today, usage=usage)
    if day is not None:
        try:
            check_date_window(day, today=today, max_days_back=MEETING_DAYS_BACK,
                              max_days_ahead=MEETING_DAYS_AHEAD)
        except DateError as error:
            raise CommandError(str(error), usage=usage) from None
    return ScheduleMeeting(ref=parse_ref(body, usage=usage), meeting_on=day)


def parse_met(rest: str, *, today: date, usage: str) -> MeetingHeld:
    body, day = split_date(rest, today=today, usage=usage)
    occurred_on = day or today
    check_past(occurred_on, today=today, usage=usage)
    return MeetingHeld(ref=parse_ref(body, usage=usage), occurred_on=occurred_on)


def parse_won(rest: str, *, today: date, usage: str) -> CloseWon:
    """The amount is the last token, if something is left for the ref: ``won 12`` is referral #12."""
    body = rest.strip()
    cut = next((i for i in range(len(body) - 1, -1, -1) if body[i].isspace()), -1)
    amount = None
    if cut > 0:
        amount = parse_amount(body[cut + 1:], usage=usage)
        if amount is not None:
            body = body[:cut]
    return CloseWon(ref=parse_ref(body, usage=usage), amount=amount)


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


def parse_lost(rest: str, *, today: date, usage: str) -> CloseLost:
    ref, reason = _ref_and_reason(rest, usage=usage)
    return CloseLost(ref=ref, reason=reason)


def parse_nodecision(rest: str, *, today: date, usage: str) -> CloseNoDecision:
    ref, reason = _ref_and_reason(rest, usage=usage)
    return CloseNoDecision(ref=ref, reason=reason)


def parse_thanked(rest: str, *, today: date, usage: str) -> Thanked:
    return Thanked(ref=parse_ref(rest, usage=usage))


def parse_list(rest: str, *, today: date, usage: str) -> ListReferrals:
    if rest.strip():
        raise CommandError(f"`list` takes nothing after it (got “{echo(rest)}”).", usage=usage)
    return ListReferrals()
