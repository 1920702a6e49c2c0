"""Commands for teams, time off and the leaderboard, as parsed from ``/referral`` and the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.schedule import WeeklySlot

TEAM_SETTINGS = ("minimum", "reminder", "digest", "leaderboard", "timezone")


@dataclass(frozen=True)
class CreateTeam:
    name: str


@dataclass(frozen=True)
class AddReps:
    team: str
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class RemoveMember:
    team: str
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class AddManagers:
    team: str
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class SetChannel:
    team: str
    channel_id: str


class ChannelAccess(StrEnum):
    """What the bot found when it checked a team's new leaderboard channel, after answering the admin."""

    MEMBER = "member"  # already in it: nothing to say
    JOINED = "joined"  # a public channel, joined
    PRIVATE = "private"  # private: someone in it has to /invite the bot
    NOT_FOUND = "not_found"  # private and the bot is not in it (Slack hides those), or gone
    ARCHIVED = "archived"  # can take no posts
    JOIN_FAILED = "join_failed"
    UNCHECKED = "unchecked"  # Slack refused the check


@dataclass(frozen=True)
class SetMinimum:
    team: str
    minimum: int


@dataclass(frozen=True)
class SetSlot:
    team: str
    kind: str  # "reminder", "digest" or "leaderboard"
    slot: WeeklySlot | None  # None: leaderboard off


@dataclass(frozen=True)
class SetTimezone:
    team: str
    timezone: str


@dataclass(frozen=True)
class SetFiscalYear:
    """Workspace-wide: the month the fiscal year starts in; quarters follow it."""

    start_month: int  # 1 to 12


@dataclass(frozen=True)
class ShowTeams:
    team: str | None


@dataclass(frozen=True)
class PauseNudges:
    until: date  # inclusive


@dataclass(frozen=True)
class ResumeNudges:
    pass


TeamCommand = CreateTeam | AddReps | RemoveMember | AddManagers | SetChannel | SetMinimum | SetSlot | SetTimezone \
    | SetFiscalYear | ShowTeams
ADMIN_ONLY = (CreateTeam, AddReps, RemoveMember, AddManagers, SetChannel, SetMinimum, SetSlot, SetTimezone, SetFiscalYear)
