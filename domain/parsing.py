"""The grammar of ``/asked`` and ``/referral``: slash-command text in, a frozen command out.

Pure standard library, no Slack or SQL: the listeners hand in the raw ``text``
of the command and the rep's local ``today``, and get back either one of the
command dataclasses below or a ``CommandError`` that says what was wrong and
shows the right form. Any other exception would be a bug: every ``str`` input,
however hostile, parses or raises CommandError.

Slack sends command text *escaped* (the app's manifest sets ``should_escape``):
a mention arrives as ``<@U123|jane>``, a typed ``&`` as ``&amp;``, a typed ``<``
as ``&lt;``. So the structure of a command (``;``, ``for``, ``from``, quotes) is
found on a *mask* of the text in which every piece of Slack markup and every
entity is blanked out, and each field is then cut from the original text and
turned into plain text exactly once, by ``plain_text``. That way a ``;`` in
``&amp;`` never splits an entry, a ``for`` in a link label never splits a name,
and no field can ever carry live markup such as ``<!channel>`` into a reply.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from domain.dates import DateError, check_date_window, check_past_date, parse_iso_date, split_trailing_date
from domain.periods import PERIODS
from domain.schedule import parse_slot
from domain.team_commands import (
    AddManagers,
    AddReps,
    CreateTeam,
    PauseNudges,
    RemoveMember,
    ResumeNudges,
    SetChannel,
    SetFiscalYear,
    SetMinimum,
    SetSlot,
    SetTimezone,
    ShowLeaderboard,
    ShowTeams,
    TeamCommand,
)

__all__ = [
    "ASKED_HELP",
    "ASKED_USAGE",
    "MAX_ASK_ENTRIES",
    "MAX_FOR_WHOM",
    "MAX_NAME",
    "MAX_REASON",
    "MAX_TEXT",
    "PERSON_USAGE",
    "REFERRAL_USAGE",
    "REFERRAL_VERBS",
    "REFERRAL_VERBS_HELP",
    "AskEntry",
    "AskedCommand",
    "AskedHelp",
    "CloseLost",
    "CloseNoDecision",
    "CloseWon",
    "CommandError",
    "CommitToAsk",
    "GotReferral",
    "ListReferrals",
    "LogAsks",
    "MeetingHeld",
    "NobodyToIntroduce",
    "OpenAskModal",
    "Person",
    "RefQuery",
    "ReferralCommand",
    "PlanClients",
    "ReferralHelp",
    "ScheduleMeeting",
    "ShowReview",
    "ShowStats",
    "Thanked",
    "UndoLastAsk",
    "Verb",
    "parse_amount",
    "parse_asked",
    "parse_person",
    "parse_ref",
    "parse_referral",
    "plain_text",
    "usage_for",
]

# Limits. Slack caps command text near 4,000 characters; 3,000 leaves room for our replies to quote it.
MAX_TEXT = 3000
MAX_NAME = 150
MAX_FOR_WHOM = 200
MAX_REASON = 300
MAX_ASK_ENTRIES = 20
MAX_AMOUNT = Decimal(10) ** 12
MEETING_DAYS_AHEAD = 365
MEETING_DAYS_BACK = 365


class CommandError(ValueError):
    """Text that doesn't parse: what was wrong, the right form, and maybe the verb they meant.

    ``message`` is one short sentence for the rep; ``usage`` is the form to copy
    (one line, or several joined by newlines); ``suggestion`` is a known verb
    when the rep mistyped one.
    """

    def __init__(self, message: str, *, usage: str, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.suggestion = suggestion


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Person:
    """Someone the rep asked, or who introduced them.

    ``user_id`` is set only for a real Slack mention. ``name`` is plain text; it
    is "" for a bare mention ``<@U123>``, because Slack didn't tell us a name and
    a renderer should show the live mention (``<@U123>``) rather than a stale or
    made-up name. Callers that need some label use ``name or user_id``.
    """

    user_id: str | None
    name: str


@dataclass(frozen=True)
class RefQuery:
    """Which referral a command is about: its short number, or part of the prospect's name.

    Exactly one of the two is set. Resolving the text against the rep's
    referrals (and refusing an ambiguous one) is the service's job.
    """

    number: int | None
    text: str | None


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


@dataclass(frozen=True)
class ShowStats:
    period: str  # one of domain.periods.PERIODS
    user_id: str | None = None  # a manager looking at one of their reps


@dataclass(frozen=True)
class ReferralHelp:
    pass


@dataclass(frozen=True)
class ShowReview:
    period: str  # "month" or "quarter"


@dataclass(frozen=True)
class ExportData:
    """A CSV of the requester's data (their teams' for a manager), sent as a DM."""


@dataclass(frozen=True)
class CommitToAsk:
    people: tuple[Person, ...]


@dataclass(frozen=True)
class PlanClients:
    clients: int
    by: date | None  # None: the end of the current quarter


ReferralCommand: TypeAlias = (
    GotReferral | NobodyToIntroduce | ScheduleMeeting | MeetingHeld | CloseWon | CloseLost | CloseNoDecision
    | Thanked | ListReferrals | ShowStats | ReferralHelp | TeamCommand | PauseNudges | ResumeNudges | ShowLeaderboard
    | PlanClients | CommitToAsk | ShowReview | ExportData
)


# --------------------------------------------------------------------------- plain text

# Control characters are deleted, except the ones that separate words, which become spaces
# ("Jane\nDoe" is "Jane Doe", not "JaneDoe"). Lone surrogates can't be stored as UTF-8, so
# they go too. Format characters (RTL marks, zero-width joiners in emoji) are kept.
_SEPARATING_CONTROLS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85"
_CONTROLS: dict[int, str | None] = {
    **{code: None for code in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000)]},
    **{ord(char): " " for char in _SEPARATING_CONTROLS},
}

# Slack markup: <@U…|label>, <#C…|label>, <!here>, <!subteam^S…|@label>, <scheme:…|label>.
# Anything else in angle brackets (say "<3 >" typed in a modal) is left alone as text.
_MARKUP = re.compile(r"<([@#!][^<>]*|[A-Za-z][A-Za-z0-9+.\-]*:[^<>]*)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_BROADCASTS = frozenset({"channel", "here", "everyone"})
# A run of "<" right before what Slack would read as markup (!, @, #, or a URL scheme). The lookbehind makes
# the match start only at the run's first "<", so a long run of "<" is scanned once, not once per "<".
_LIVE_MARKUP_START = re.compile(r"(?<!<)<+(?=[!@#]|[A-Za-z][A-Za-z0-9+.\-]{0,31}:)")


def _strip_controls(text: str) -> str:
    return text.translate(_CONTROLS)


def _markup_label(match: re.Match[str]) -> str:
    """What a piece of Slack markup reads as, as plain text."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if inner.startswith("@"):  # user mention
        return "@" + (label.lstrip("@") or target[1:])
    if inner.startswith("#"):  # channel
        return "#" + (label.lstrip("#") or target[1:])
    if inner.startswith("!"):  # special: broadcasts, user groups, dates
        kind, _, argument = target[1:].partition("^")
        if kind in _BROADCASTS:
            return "@" + kind
        if kind == "subteam":
            return "@" + (label.lstrip("@") or argument)
        return label or kind
    return label or target  # a link


def _unescape(text: str) -> str:
    # &amp; last, so that a typed "&lt;" (sent as "&amp;lt;") stays the text "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(text: str) -> str:
    """``text`` as a person reads it, safe to store and to show anywhere.

    Slack markup becomes its visible label (``<@U1|jane>`` -> ``@jane``,
    ``<!channel>`` -> ``@channel``, ``<#C1|general>`` -> ``#general``,
    ``<http://x|label>`` -> ``label``, ``<http://x>`` -> ``http://x``); Slack's
    entities are unescaped; control characters are dropped; runs of whitespace
    become one space; emoji and right-to-left text are kept as they are.

    Markup is neutralised a second time after unescaping, because a rep who
    literally types ``<!channel>`` sends ``&lt;!channel&gt;``; any ``<`` left
    right before ``!``, ``@``, ``#`` or a URL scheme is dropped (nested input like
    ``&lt;&lt;!h&gt;ttps://evil|click&gt;`` would otherwise come out as a link). So
    the result never contains ``<!``, ``<@`` or ``<http``, and a renderer that
    forgets to escape a field still can't ping a channel or show a live link.

    Call it once per field: unescaping twice would turn a typed ``&lt;`` into ``<``.
    """
    cleaned = _MARKUP.sub(_markup_label, _strip_controls(text))
    cleaned = _MARKUP.sub(_markup_label, _unescape(cleaned))
    cleaned = _LIVE_MARKUP_START.sub("", cleaned)
    return " ".join(cleaned.split())


def _mask(text: str) -> str:
    """``text`` with markup and entities blanked out (same length), for finding structure.

    NUL is the blank: _strip_controls removed every real NUL, and NUL is neither
    a word character nor whitespace, so ``<@U1|x>for`` still has ``for`` as a word.
    """
    def blank(match: re.Match[str]) -> str:
        return "\0" * len(match.group())

    return _ENTITY.sub(blank, _MARKUP.sub(blank, text))


def _echo(text: str, limit: int = 40) -> str:
    """User input quoted inside an error message: plain, short, and unable to break out of `code`."""
    shown = plain_text(text).replace("`", "'")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _check_length(text: str, usage: str) -> None:
    if len(text) > MAX_TEXT:
        raise CommandError(f"That's too long ({len(text):,} characters); keep it under {MAX_TEXT:,}.",
                           usage=usage)


def _limit(value: str, limit: int, what: str, usage: str) -> str:
    if len(value) > limit:
        raise CommandError(f"{what} is too long ({len(value)} characters); keep it under {limit}.",
                           usage=usage)
    return value


# --------------------------------------------------------------------------- people

PERSON_USAGE = "Jane Doe, or @jane"

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>", re.ASCII)


def parse_person(text: str, *, usage: str = PERSON_USAGE) -> Person:
    """A person reference: a Slack mention, an unresolved ``@handle``, or a plain name.

    ``<@U123|jane>`` -> Person("U123", "jane"); ``<@U123>`` -> Person("U123", "")
    (see Person); ``@jane`` -> Person(None, "jane"), since Slack left it
    unresolved and we must not guess whose handle it is; anything else ->
    Person(None, plain_text(text)). ``usage`` is what errors show as the right form.
    """
    raw = _strip_controls(text).strip()
    mention = _MENTION.fullmatch(raw)
    if mention:
        name = plain_text(mention.group(2) or "").lstrip("@")
        return Person(mention.group(1), _limit(name, MAX_NAME, "That name", usage))
    name = plain_text(raw[1:] if raw.startswith("@") else raw)
    if not name:
        raise CommandError("Who? Give a name or an @mention.", usage=usage)
    return Person(None, _limit(name, MAX_NAME, "That name", usage))


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
    _check_length(text, ASKED_USAGE)
    cleaned = _strip_controls(text).strip()
    if not cleaned:
        return OpenAskModal()
    if cleaned.lower() in _HELP_WORDS:
        return AskedHelp()
    if cleaned.lower() == "undo":
        return UndoLastAsk()

    segments = [s for s in _split_outside_markup(cleaned, ";") if s.strip()]
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
        _check_past(occurred_on, today=today, usage=ASKED_USAGE)
        entries.append(AskEntry(asked=person, for_whom=for_whom, occurred_on=occurred_on))
    return LogAsks(tuple(entries))


def _ask_entry(segment: str, *, today: date) -> tuple[Person, str | None, date | None]:
    rest, day = _split_date(segment, today=today, usage=ASKED_USAGE)
    split = _FOR.search(_mask(rest))
    who, for_whom = (rest[: split.start()], rest[split.end():]) if split else (rest, None)
    if not who.strip():
        if split:
            raise CommandError("Put the person you asked before “for”, e.g. `/asked Jane for Bob Smith`.",
                               usage=ASKED_USAGE)
        shown = _echo(segment)
        raise CommandError(f"“{shown}” reads as a date. Who did you ask? e.g. `/asked Jane {shown}`.",
                           usage=ASKED_USAGE)
    person = parse_person(who, usage=ASKED_USAGE)
    if for_whom is None:
        return person, None, day
    target = plain_text(for_whom)
    if not target:
        raise CommandError("Whom did you ask to meet? Put them after “for”, or leave “for” out.",
                           usage=ASKED_USAGE)
    return person, _limit(target, MAX_FOR_WHOM, "The “for” part", ASKED_USAGE), day


def _split_outside_markup(text: str, separator: str) -> list[str]:
    """Split on a one-character separator, except inside markup and entities (``&amp;`` has a ``;``)."""
    mask = _mask(text)
    parts, start = [], 0
    for index, char in enumerate(mask):
        if char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _split_date(text: str, *, today: date, usage: str) -> tuple[str, date | None]:
    try:
        return split_trailing_date(text, today=today)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None


def _check_past(day: date, *, today: date, usage: str) -> None:
    try:
        check_past_date(day, today=today)
    except DateError as error:
        raise CommandError(str(error), usage=usage) from None


# --------------------------------------------------------------------------- /referral: pieces

_WHICH_REFERRAL = "Which referral? Give its number (#3) or part of the prospect's name."
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“"}
_NUMBER_REF = re.compile(r"#?([0-9]+)")


def _unquote(text: str) -> str:
    """``"Bob Smith"`` -> ``Bob Smith``; anything not wrapped in one pair of quotes is returned stripped."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] in _QUOTES and stripped[-1] == _QUOTES[stripped[0]]:
        return stripped[1:-1].strip()
    return stripped


def parse_ref(text: str, *, usage: str) -> RefQuery:
    """``#12`` or ``12`` -> number 12; anything else -> the text to look the prospect up by."""
    raw = _unquote(_strip_controls(text))
    number = _NUMBER_REF.fullmatch(raw)
    if number:
        if len(number.group(1)) > 9:  # also keeps int() far from Python's digit limit
            raise CommandError(f"There's no referral {_echo(raw, 15)}; numbers are short, like #3.",
                               usage=usage)
        return RefQuery(number=int(number.group(1)), text=None)
    fragment = plain_text(raw)
    if not fragment:
        raise CommandError(_WHICH_REFERRAL, usage=usage)
    return RefQuery(number=None, text=_limit(fragment, MAX_NAME, "That name", usage))


# Money: an optional currency symbol before or after, digits with optional thousands commas,
# optional decimals, optional k (thousand) or m (million). ASCII only, case-sensitive by design.
_MONEY = re.compile(
    r"(?P<sign>[-−]?)[$€£¥]?(?P<sign2>[-−]?)"
    r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<scale>[kKmM]?)[$€£¥]?"
)
_SCALES = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_amount(token: str, *, usage: str) -> Decimal | None:
    """A deal amount (``12000``, ``12,000``, ``$12,000.50``, ``€9.5k``, ``1.2m``), or None if it isn't one.

    The currency symbol is ignored: reps sell in one currency, and a conversion
    would be guesswork. Negative or absurd amounts (over 10^12) raise
    CommandError, because they are typos that would wreck every total.
    """
    money = _MONEY.fullmatch(token)
    if not money:
        return None
    if money.group("sign") or money.group("sign2"):
        raise CommandError(f"{_echo(token, 20)} is negative; give the deal's value, e.g. 12,000.",
                           usage=usage)
    digits = money.group("number").replace(",", "")
    if len(digits) > 13:
        raise CommandError(f"{_echo(token, 20)} is more than we can believe; check the amount.", usage=usage)
    try:
        amount = Decimal(f"{digits}.{money.group('fraction') or '0'}") * _SCALES[money.group("scale").lower()]
        if amount > MAX_AMOUNT:
            raise CommandError(f"{_echo(token, 20)} is more than we can believe; check the amount.",
                               usage=usage)
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CommandError(f"{_echo(token, 20)} isn't an amount I can read.", usage=usage) from None


def _first_token(text: str) -> tuple[str, str]:
    """(first token, rest): a double-quoted string is one token, and markup is never cut in two."""
    stripped = text.strip()
    if stripped[:1] in _QUOTES:
        close = stripped.find(_QUOTES[stripped[0]], 1)
        if close == -1:
            raise ValueError("unclosed quote")
        return stripped[: close + 1], stripped[close + 1:]
    mask = _mask(stripped)
    for index, char in enumerate(mask):
        if char.isspace():
            return stripped[:index], stripped[index:]
    return stripped, ""


# --------------------------------------------------------------------------- /referral: verbs

# Each parser gets the text after the verb, the rep's today, and its own usage line (from the
# table below), so that every error carries the form of the verb the rep was typing.
VerbParser: TypeAlias = Callable[..., ReferralCommand]


def _got(rest: str, *, today: date, usage: str) -> GotReferral:
    """``<prospect> from <referrer>``: the LAST ``from`` splits.

    A prospect's description ("Ann from Finance at Acme") contains "from" far
    more often than a referrer's name does.
    """
    body, day = _split_date(rest, today=today, usage=usage)
    splits = list(re.finditer(r"\bfrom\b", _mask(body), re.IGNORECASE))
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
    _check_past(occurred_on, today=today, usage=usage)
    return GotReferral(prospect=_limit(prospect, MAX_NAME, "The prospect's name", usage), referrer=referrer,
                       occurred_on=occurred_on)


def _nobody(rest: str, *, today: date, usage: str) -> NobodyToIntroduce:
    body, day = _split_date(rest, today=today, usage=usage)
    if not body.strip():
        raise CommandError("Who couldn't think of anyone? Give their name or @mention.", usage=usage)
    referrer = parse_person(body, usage=usage)
    occurred_on = day or today
    _check_past(occurred_on, today=today, usage=usage)
    return NobodyToIntroduce(referrer=referrer, occurred_on=occurred_on)


def _meeting(rest: str, *, today: date, usage: str) -> ScheduleMeeting:
    """A meeting may be booked for next month or logged late, so its date may lie on either side of today."""
    body, day = _split_date(rest, today=today, usage=usage)
    if day is not None:
        try:
            check_date_window(day, today=today, max_days_back=MEETING_DAYS_BACK,
                              max_days_ahead=MEETING_DAYS_AHEAD)
        except DateError as error:
            raise CommandError(str(error), usage=usage) from None
    return ScheduleMeeting(ref=parse_ref(body, usage=usage), meeting_on=day)


def _met(rest: str, *, today: date, usage: str) -> MeetingHeld:
    body, day = _split_date(rest, today=today, usage=usage)
    occurred_on = day or today
    _check_past(occurred_on, today=today, usage=usage)
    return MeetingHeld(ref=parse_ref(body, usage=usage), occurred_on=occurred_on)


def _won(rest: str, *, today: date, usage: str) -> CloseWon:
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
        ref, reason = _first_token(rest)
    except ValueError:
        raise CommandError("Close the quote around the prospect's name.", usage=usage) from None
    cleaned = plain_text(reason)
    reason_text = _limit(cleaned, MAX_REASON, "The reason", usage) if cleaned else None
    return parse_ref(ref, usage=usage), reason_text


def _lost(rest: str, *, today: date, usage: str) -> CloseLost:
    ref, reason = _ref_and_reason(rest, usage=usage)
    return CloseLost(ref=ref, reason=reason)


def _nodecision(rest: str, *, today: date, usage: str) -> CloseNoDecision:
    ref, reason = _ref_and_reason(rest, usage=usage)
    return CloseNoDecision(ref=ref, reason=reason)


def _thanked(rest: str, *, today: date, usage: str) -> Thanked:
    return Thanked(ref=parse_ref(rest, usage=usage))


def _list(rest: str, *, today: date, usage: str) -> ListReferrals:
    if rest.strip():
        raise CommandError(f"`list` takes nothing after it (got “{_echo(rest)}”).", usage=usage)
    return ListReferrals()


def _stats(rest: str, *, today: date, usage: str) -> ShowStats:
    """``stats [period] [@rep]``: the period and the person may come in either order."""
    words = rest.split()
    mentions = [m.group(1) for w in words if (m := _MENTION.fullmatch(w))]
    others = [w for w in words if not _MENTION.fullmatch(w)]
    period = others[0].lower() if len(others) == 1 else "week" if not others else ""
    if period not in PERIODS or len(mentions) > 1:
        raise CommandError(f"I can count by {', '.join(PERIODS[:-1])} or {PERIODS[-1]}, for you or one @rep, "
                           f"not “{_echo(rest)}”.", usage=usage)
    return ShowStats(period=period, user_id=mentions[0] if mentions else None)


def _help(rest: str, *, today: date, usage: str) -> ReferralHelp:
    return ReferralHelp()


# --------------------------------------------------------------------------- /referral: teams, time off

_TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^<>]*)?>", re.ASCII)
_DURATION = re.compile(r"([0-9]{1,3})\s*(d|day|days|w|wk|week|weeks)", re.IGNORECASE)
MAX_PAUSE_DAYS = 366
TEAM_USAGES = {
    "create": "/referral team create <name>",
    "add": "/referral team add <name> @rep …",
    "remove": "/referral team remove <name> @person …",
    "manager": "/referral team manager <name> @manager …",
    "channel": "/referral team channel <name> #channel",
    "set": "/referral team set <name> minimum <n> | reminder <weekday> <HH:MM> | digest <weekday> <HH:MM> | "
           "leaderboard <weekday> <HH:MM>|off | timezone <IANA zone>",
    "show": "/referral team show [<name>]",
    "fiscal-year": "/referral team fiscal-year <month>  (workspace-wide; january means calendar quarters)",
}
TEAM_USAGE = "\n".join(TEAM_USAGES.values())


def _team_name(word: str, usage: str) -> str:
    if not _TEAM_NAME.fullmatch(word or ""):
        raise CommandError("Team names are one word of letters, digits, - or _ (up to 40), e.g. east-coast.",
                           usage=usage)
    return word


def _mentions(text: str, usage: str) -> tuple[str, ...]:
    tokens = text.split()
    if not tokens:
        raise CommandError("Mention at least one person with @.", usage=usage)
    ids = []
    for token in tokens:
        mention = _MENTION.fullmatch(token)
        if not mention:
            raise CommandError(f"{_echo(plain_text(token), 30)} isn't an @mention; pick people with @.",
                               usage=usage)
        ids.append(mention.group(1))
    return tuple(dict.fromkeys(ids))


def _team(rest: str, *, today: date, usage: str) -> TeamCommand:
    """``team <sub> <name> …``: every team subcommand names its team as one word first."""
    words = _strip_controls(rest).split()
    if not words or words[0].lower() not in TEAM_USAGES:
        raise CommandError("Which team command? " + ", ".join(TEAM_USAGES) + ".", usage=TEAM_USAGE)
    sub, args = words[0].lower(), words[1:]
    usage = TEAM_USAGES[sub]
    if sub == "show":
        return ShowTeams(_team_name(args[0], usage) if args else None)
    if sub == "fiscal-year":
        return SetFiscalYear(_month(args, usage))
    if not args:
        raise CommandError("Name the team.", usage=usage)
    name, more = _team_name(args[0], usage), args[1:]
    if sub == "create":
        if more:
            raise CommandError("Team names are one word.", usage=usage)
        return CreateTeam(name)
    if sub in ("add", "remove", "manager"):
        ids = _mentions(" ".join(more), usage)
        return {"add": AddReps, "remove": RemoveMember, "manager": AddManagers}[sub](name, ids)
    if sub == "channel":
        channel = _CHANNEL.fullmatch(more[0]) if len(more) == 1 else None
        if channel is None:
            raise CommandError("Pick the channel with #.", usage=usage)
        return SetChannel(name, channel.group(1))
    # set
    if not more:
        raise CommandError("Which setting? minimum, reminder, digest, leaderboard or timezone.", usage=usage)
    setting, values = more[0].lower(), more[1:]
    if setting == "minimum":
        if len(values) != 1 or not values[0].isascii() or not values[0].isdigit() or not 1 <= int(values[0]) <= 50:
            raise CommandError("The minimum is a whole number of asks a week, from 1 to 50.", usage=usage)
        return SetMinimum(name, int(values[0]))
    if setting == "timezone":
        if len(values) != 1:
            raise CommandError("Give one IANA time zone, e.g. Europe/Berlin.", usage=usage)
        return SetTimezone(name, values[0])
    if setting in ("reminder", "digest", "leaderboard"):
        if setting == "leaderboard" and [v.lower() for v in values] == ["off"]:
            return SetSlot(name, setting, None)
        if len(values) != 2:
            raise CommandError(f"Give a weekday and a 24-hour time, e.g. {setting} thursday 14:00.", usage=usage)
        try:
            return SetSlot(name, setting, parse_slot(values[0], values[1]))
        except ValueError as error:
            raise CommandError(str(error), usage=usage) from None
    raise CommandError(f"I can't set {_echo(setting, 20)}; use minimum, reminder, digest, leaderboard or timezone.",
                       usage=usage)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _month(words: list[str], usage: str) -> int:
    """A month by name (``april``, ``apr``) or number (``4``)."""
    word = words[0].lower() if len(words) == 1 else ""
    if word.isascii() and word.isdigit() and 1 <= int(word) <= 12:
        return int(word)
    matches = [i for i, name in enumerate(_MONTHS, 1) if len(word) >= 3 and name.startswith(word)]
    if len(matches) != 1:
        raise CommandError("Name the month the fiscal year starts in, e.g. april (or 4).", usage=usage)
    return matches[0]


def _pause(rest: str, *, today: date, usage: str) -> PauseNudges:
    """``pause until 2026-12-05`` or ``pause 2w`` / ``pause 10d``: no nudges up to and including that day."""
    text = _strip_controls(rest).strip()
    duration = _DURATION.fullmatch(text)
    if duration:
        days = int(duration.group(1)) * (7 if duration.group(2).lower().startswith("w") else 1)
        if not 1 <= days <= MAX_PAUSE_DAYS:
            raise CommandError("Pause for 1 day up to a year.", usage=usage)
        return PauseNudges(until=today + timedelta(days=days - 1))
    words = text.split()
    if len(words) == 2 and words[0].lower() == "until":
        until = parse_iso_date(words[1])
        if until is None:
            raise CommandError("Give the last day off as YYYY-MM-DD.", usage=usage)
        if until < today:
            raise CommandError(f"{until.isoformat()} has passed; give your last day off, today or later.",
                               usage=usage)
        if (until - today).days >= MAX_PAUSE_DAYS:
            raise CommandError("Pause for 1 day up to a year.", usage=usage)
        return PauseNudges(until=until)
    raise CommandError("Say how long: pause until 2026-12-05, or pause 2w.", usage=usage)


def _commit(rest: str, *, today: date, usage: str) -> CommitToAsk:
    """``commit Jane; @raj; Maria Lopez``: the people the rep will ask this week."""
    segments = [seg for seg in _split_outside_markup(rest, ";") if seg.strip()]
    if not segments:
        raise CommandError("Who will you ask this week? Names or @mentions, separated by ;", usage=usage)
    if len(segments) > MAX_ASK_ENTRIES:
        raise CommandError(f"Name at most {MAX_ASK_ENTRIES} people at once.", usage=usage)
    return CommitToAsk(tuple(parse_person(seg, usage=usage) for seg in segments))


def _review(rest: str, *, today: date, usage: str) -> ShowReview:
    period = plain_text(rest).lower() or "month"
    if period not in ("month", "quarter"):
        raise CommandError("Review a month or a quarter.", usage=usage)
    return ShowReview(period)


def _plan(rest: str, *, today: date, usage: str) -> PlanClients:
    """``plan <clients> [by <YYYY-MM-DD>]``."""
    words = _strip_controls(rest).split()
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


def _export(rest: str, *, today: date, usage: str) -> ExportData:
    if rest.strip():
        raise CommandError(f"`export` takes nothing after it (got “{_echo(rest)}”).", usage=usage)
    return ExportData()


def _resume(rest: str, *, today: date, usage: str) -> ResumeNudges:
    return ResumeNudges()


def _leaderboard(rest: str, *, today: date, usage: str) -> ShowLeaderboard:
    period = plain_text(rest).lower() or "week"
    if period not in PERIODS:
        raise CommandError(f"Choose one of {', '.join(PERIODS)}.", usage=usage)
    return ShowLeaderboard(period)




@dataclass(frozen=True)
class Verb:
    """One row of the /referral verb table: how to parse it and how to explain it.

    ``produces`` maps a parsed command back to its usage (see ``usage_for``), so
    that errors raised later, by the services, still show the right form.
    """

    parse: VerbParser
    usage: str
    description: str
    produces: tuple[type, ...] = ()
    aliases: tuple[str, ...] = ()


# The one place that defines /referral. Add a verb by adding a row (and its parser); the help,
# the closest-verb suggestion and usage_for follow. Row order is the order of the help.
REFERRAL_VERBS: dict[str, Verb] = {
    "got": Verb(_got, "/referral got <prospect> from <referrer>",
                "An introduction you received (add a date at the end if it wasn't today)", (GotReferral,)),
    "nobody": Verb(_nobody, "/referral nobody <referrer>",
                   "They wanted to help but couldn't think of anyone; the ask still counts",
                   (NobodyToIntroduce,)),
    "meeting": Verb(_meeting, "/referral meeting <ref> [date]",
                    "A meeting booked with the prospect; <ref> is its #number or part of the name",
                    (ScheduleMeeting,)),
    "met": Verb(_met, "/referral met <ref> [date]", "The meeting took place", (MeetingHeld,)),
    "won": Verb(_won, "/referral won <ref> [amount]", "Closed as won, e.g. won #3 $12,000", (CloseWon,)),
    "lost": Verb(_lost, "/referral lost <ref> [reason]",
                 "Closed as lost, e.g. lost \"Bob Smith\" went elsewhere", (CloseLost,)),
    "nodecision": Verb(_nodecision, "/referral nodecision <ref> [reason]", "Closed without a decision",
                       (CloseNoDecision,), aliases=("no-decision", "no_decision", "nd")),
    "thanked": Verb(_thanked, "/referral thanked <ref>", "You thanked the referrer and told them how it went",
                    (Thanked,)),
    "list": Verb(_list, "/referral list", "Your open referrals and their next steps", (ListReferrals,)),
    "stats": Verb(_stats, f"/referral stats [{'|'.join(PERIODS)}]",
                  "Your numbers, compared with the period before", (ShowStats,)),
    "leaderboard": Verb(_leaderboard, f"/referral leaderboard [{'|'.join(PERIODS)}]",
                        "Your team's ranking, just for you", (ShowLeaderboard,), aliases=("board",)),
    "pause": Verb(_pause, "/referral pause until <YYYY-MM-DD> | pause 2w",
                  "Time off: no nudges, and the weeks show as paused, not missed", (PauseNudges,)),
    "commit": Verb(_commit, "/referral commit <name>; @person; …",
                   "The people you will ask this week; each is kept when you log the ask", (CommitToAsk,)),
    "plan": Verb(_plan, "/referral plan <clients> [by <YYYY-MM-DD>]",
                 "Work back from the clients you need to the asks a week it takes", (PlanClients,)),
    "review": Verb(_review, "/referral review [month|quarter]",
                   "Managers: won, lost and no-decision with the reasons, for your teams", (ShowReview,)),
    "export": Verb(_export, "/referral export",
                   "Your data as CSV files in a DM (managers: their teams'; admins: everyone's)", (ExportData,)),
    "resume": Verb(_resume, "/referral resume", "Back from time off", (ResumeNudges,)),
    "team": Verb(_team, "/referral team create|add|remove|manager|channel|set|show|fiscal-year …",
                 "Set up teams (admins); see your teams", (CreateTeam, AddReps, RemoveMember, AddManagers, SetChannel,
                                                           SetMinimum, SetSlot, SetTimezone, SetFiscalYear, ShowTeams)),
    "help": Verb(_help, "/referral help", "This list", (ReferralHelp,), aliases=("?", "-h", "--help")),
}

REFERRAL_VERBS_HELP: list[tuple[str, str]] = [
    (verb.usage, verb.description) for verb in REFERRAL_VERBS.values()
]
REFERRAL_USAGE = "\n".join(verb.usage for verb in REFERRAL_VERBS.values())

_VERB_NAMES: dict[str, str] = {
    **{alias: name for name, verb in REFERRAL_VERBS.items() for alias in verb.aliases},
    **{name: name for name in REFERRAL_VERBS},
}


def parse_referral(text: str, *, today: date) -> ReferralCommand:
    """``/referral <verb> …``: the first word picks a row of REFERRAL_VERBS, which parses the rest."""
    _check_length(text, REFERRAL_USAGE)
    cleaned = _strip_controls(text).strip()
    if not cleaned:
        return ReferralHelp()
    word, rest = (cleaned.split(None, 1) + [""])[:2]
    name = _VERB_NAMES.get(word.lower())
    if name is None:
        raise _unknown_verb(word)
    verb = REFERRAL_VERBS[name]
    return verb.parse(rest, today=today, usage=verb.usage)


def _unknown_verb(word: str) -> CommandError:
    close = difflib.get_close_matches(word.lower(), list(_VERB_NAMES), n=1, cutoff=0.6)
    shown = _echo(word, 20)
    if close:
        suggestion = _VERB_NAMES[close[0]]
        return CommandError(f"I don't know `{shown}`. Did you mean `{suggestion}`?", usage=REFERRAL_USAGE,
                            suggestion=suggestion)
    return CommandError(f"I don't know `{shown}`. Try one of: {', '.join(REFERRAL_VERBS)}.",
                        usage=REFERRAL_USAGE)


def usage_for(command: object) -> str:
    """The usage line for a parsed command (or its class), so later errors about it show the right form."""
    kind = command if isinstance(command, type) else type(command)
    for verb in REFERRAL_VERBS.values():
        if kind in verb.produces:
            return verb.usage
    if kind in (OpenAskModal, AskedHelp, UndoLastAsk, LogAsks, AskEntry):
        return ASKED_USAGE
    return REFERRAL_USAGE
