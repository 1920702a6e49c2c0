"""The reporting verbs of ``/referral``: stats, leaderboard, review, export, help."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.grammar.people import MENTION
from domain.grammar.text import CommandError, echo, plain_text
from domain.periods import PERIODS
from domain.team_commands import ShowLeaderboard


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



def parse_stats(rest: str, *, today: date, usage: str) -> ShowStats:
    """``stats [period] [@rep]``: the period and the person may come in either order."""
    words = rest.split()
    mentions = [m.group(1) for w in words if (m := MENTION.fullmatch(w))]
    others = [w for w in words if not MENTION.fullmatch(w)]
    period = others[0].lower() if len(others) == 1 else "week" if not others else ""
    if period not in PERIODS or len(mentions) > 1:
        raise CommandError(f"I can count by {', '.join(PERIODS[:-1])} or {PERIODS[-1]}, for you or one @rep, "
                           f"not “{echo(rest)}”.", usage=usage)
    return ShowStats(period=period, user_id=mentions[0] if mentions else None)


def parse_help(rest: str, *, today: date, usage: str) -> ReferralHelp:
    return ReferralHelp()


def parse_review(rest: str, *, today: date, usage: str) -> ShowReview:
    period = plain_text(rest).lower() or "month"
    if period not in ("month", "quarter"):
        raise CommandError("Review a month or a quarter.", usage=usage)
    return ShowReview(period)


def parse_export(rest: str, *, today: date, usage: str) -> ExportData:
    if rest.strip():
        raise CommandError(f"`export` takes nothing after it (got “{echo(rest)}”).", usage=usage)
    return ExportData()


def parse_leaderboard(rest: str, *, today: date, usage: str) -> ShowLeaderboard:
    period = plain_text(rest).lower() or "week"
    if period not in PERIODS:
        raise CommandError(f"Choose one of {', '.join(PERIODS)}.", usage=usage)
    return ShowLeaderboard(period)
