"""Protecting the connectors: the few people everybody asks.

A person is matched by Slack user when we have one, else by normalised name
(case and spacing ignored), the same way a referral finds the ask it answers.
The heads-up never changes how an ask counts: it only tells the rep who else
asked the same person lately, so they can coordinate instead of piling on.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

LOOKBACK = timedelta(days=90)
TOP_SOURCES = 15
HOME_CONNECTORS = 3


def person_key(user_id: str | None, name: str) -> str:
    """One key per person: the Slack user, or the name without case or extra spaces."""
    return f"user:{user_id}" if user_id else "name:" + " ".join(name.lower().split())


@dataclass(frozen=True)
class EarlierAsk:
    rep_user_id: str
    asked_on: date


@dataclass(frozen=True)
class HeadsUp:
    person_user_id: str | None
    person_name: str
    earlier: tuple[EarlierAsk, ...]  # newest first, within LOOKBACK, the rep's own included
    threshold: int


def heads_up(*, person_user_id: str | None, person_name: str, earlier: Iterable[EarlierAsk],
             threshold: int) -> HeadsUp | None:
    """A heads-up when the team already asked this person ``threshold`` times or more."""
    found = tuple(earlier)
    if len(found) < threshold:
        return None
    return HeadsUp(person_user_id, person_name, found, threshold)


@dataclass
class Source:
    """A referral source as seen from one team (or one rep): what came from them, and how they were treated."""

    user_id: str | None
    name: str
    introductions: int = 0
    meetings: int = 0
    wins: int = 0
    asked_recently: int = 0  # asks of them within LOOKBACK
    last_thanked: date | None = None
    last_update: date | None = None  # the latest change on any referral they made

    def flagged(self, threshold: int) -> bool:
        """Asked often and never thanked: the kind of connector a team wears out."""
        return self.asked_recently >= threshold and self.last_thanked is None


def rank_sources(sources: Iterable[Source], *, threshold: int, limit: int = TOP_SOURCES) -> tuple[Source, ...]:
    """Wins, then meetings, then introductions; people who made none appear only when flagged."""
    shown = [s for s in sources if s.introductions or s.flagged(threshold)]
    return tuple(sorted(shown, key=lambda s: (-s.wins, -s.meetings, -s.introductions, -s.asked_recently,
                                              s.name.lower()))[:limit])
