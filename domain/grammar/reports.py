"""The reporting verbs of ``/referral``: stats, review, export, help (the leaderboard is a habit verb)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.grammar.people import MENTION
from domain.grammar.text import CommandError, echo, plain_text
from domain.periods import PERIOD_FORMS, period_name


@dataclass(frozen=True)
class ShowStats:
    period: str  # a canonical period name, see domain.periods.period_name
    user_id: str | None = None  # a manager looking at one of their reps


@dataclass(frozen=True)
class ReferralHelp:
    pass


@dataclass(frozen=True)
class ShowReview:
    period: str  # a canonical period name, see domain.periods.period_name


@dataclass(frozen=True)
class ExportData:
    """A CSV of the requester's data (their teams' for a manager), sent as a DM."""



def _period(text: str, *, default: str, usage: str) -> str:
    name = period_name(text) if text.strip() else default
    if name is None:
        raise CommandError(f"I can count by {PERIOD_FORMS.replace('|', ', ')}; not “{echo(text)}”.", usage=usage)
    return name


def parse_stats(rest: str, *, today: date, usage: str) -> ShowStats:
    """``stats [period] [@rep]``: the period and the person may come in either order."""
    words = rest.split()
    mentions = [m.group(1) for w in words if (m := MENTION.fullmatch(w))]
    if len(mentions) > 1:
        raise CommandError("Stats are for you or one @rep at a time.", usage=usage)
    others = " ".join(w for w in words if not MENTION.fullmatch(w))
    return ShowStats(period=_period(plain_text(others), default="week", usage=usage),
                     user_id=mentions[0] if mentions else None)


def parse_help(rest: str, *, today: date, usage: str) -> ReferralHelp:
    return ReferralHelp()


def parse_review(rest: str, *, today: date, usage: str) -> ShowReview:
    return ShowReview(_period(plain_text(rest), default="month", usage=usage))


def parse_export(rest: str, *, today: date, usage: str) -> ExportData:
    if rest.strip():
        raise CommandError(f"`export` takes nothing after it (got “{echo(rest)}”).", usage=usage)
    return ExportData()
