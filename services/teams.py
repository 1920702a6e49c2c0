"""Teams, roles and time off.

Admins (workspace admins and owners, plus ADMIN_USER_IDS) manage teams. Managers
see their own teams. Reps see their own numbers and the leaderboard. A rep who
logs before any team exists is tracked in the workspace's default team.
"""
from __future__ import annotations

import calendar
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from domain.forgetting import FORMER_ROLE
from domain.funnel import Workspace
from domain.parsing import TEAM_USAGE, CommandError
from domain.periods import local_today, period_containing
from domain.schedule import WeeklySlot
from domain.team_commands import (
    ADMIN_ONLY,
    AddManagers,
    AddReps,
    ChannelAccess,
    CreateTeam,
    PauseNudges,
    RemoveMember,
    SetChannel,
    SetFiscalYear,
    SetMinimum,
    SetSlot,
    SetTimezone,
    ShowTeams,
    TeamCommand,
)
from domain.words import count_of
from services.people import Person
from storage.engine import read_scope, run_in_transaction
from storage.models import SalesTeam
from storage.setting_queries import get_fiscal_year_start, set_fiscal_year_start
from storage.team_queries import (
    add_member,
    add_pause,
    add_team,
    end_pauses,
    ensure_default_team,
    get_team,
    has_role,
    list_members,
    list_memberships_of_teams_with,
    list_teams,
    remove_member,
    teams_of,
)

REP, MANAGER = "rep", "manager"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamInfo:
    """A team with its members and cadence, as the replies and the scheduler read it."""

    id: int
    name: str
    is_default: bool
    minimum: int
    channel_id: str | None
    timezone: str | None
    reminder: WeeklySlot
    digest: WeeklySlot
    leaderboard: WeeklySlot | None  # None: no leaderboard
    reps: tuple[str, ...]
    managers: tuple[str, ...]
    # Forgotten reps' pseudonyms: their past numbers stay in the team's totals; nothing is sent to them.
    former: tuple[str, ...] = ()


def team_info(team: SalesTeam, *, reps: Sequence[str], managers: Sequence[str], former: Sequence[str] = ()) -> TeamInfo:
    leaderboard = None
    if team.leaderboard_weekday is not None and team.leaderboard_time is not None:
        leaderboard = WeeklySlot(team.leaderboard_weekday, team.leaderboard_time)
    return TeamInfo(
        id=team.id or 0, name=team.name, is_default=team.is_default, minimum=team.minimum, channel_id=team.channel_id,
        timezone=team.timezone, reminder=WeeklySlot(team.reminder_weekday, team.reminder_time),
        digest=WeeklySlot(team.digest_weekday, team.digest_time), leaderboard=leaderboard,
        reps=tuple(reps), managers=tuple(managers), former=tuple(former),
    )


@dataclass(frozen=True)
class ChannelSet:
    """A team's leaderboard channel was just changed: it is checked (and joined) after the ack."""

    team_id: int
    team_name: str
    channel_id: str
    previous: str | None  # the channel it replaced, to go back to if the new one is archived


@dataclass(frozen=True)
class TeamChanged:
    summary: TeamInfo | None  # None: a workspace-wide setting changed
    what: str  # a short sentence saying what changed
    channel_set: ChannelSet | None = None  # a new leaderboard channel, to check after answering


def teams_with(*, session: Session, workspace: Workspace, user_id: str) -> list[TeamInfo]:
    """The teams this person belongs to, as a rep or a manager, with all their members; no other team."""
    teams: dict[int, SalesTeam] = {}
    members: dict[int, dict[str, list[str]]] = {}
    for team, member in list_memberships_of_teams_with(session=session, workspace=workspace, user_id=user_id):
        teams[team.id or 0] = team
        members.setdefault(team.id or 0, {REP: [], MANAGER: []})[member.role].append(member.user_id)
    return [team_info(team, reps=members[team_id][REP], managers=members[team_id][MANAGER])
            for team_id, team in teams.items()]


def fiscal_year_start(*, engine: sa.Engine, workspace: Workspace) -> int:
    """The month the workspace's fiscal year starts in; 1 (January) means calendar quarters."""
    with read_scope(engine) as session:
        return get_fiscal_year_start(session=session, workspace=workspace)


def summarize(session: Session, team: SalesTeam) -> TeamInfo:
    return team_info(team, reps=list_members(session=session, team=team, role=REP),
                     managers=list_members(session=session, team=team, role=MANAGER))


@dataclass(frozen=True)
class ChannelChecked:
    change: ChannelSet
    access: ChannelAccess
    error: str | None = None  # Slack's error code, when a call failed
    restored: bool = False  # archived: the team went back to ``change.previous``


def settle_channel(*, client: Any, engine: sa.Engine, workspace: Workspace, change: ChannelSet) -> ChannelChecked:
    """After the ack, on the outbox: make sure the bot can post the leaderboard in the new channel.

    A public channel the bot is not in is joined (channels:join). A private one can only be entered by
    invitation, and Slack hides private channels the bot is not in (channel_not_found), so both get the
    /invite instruction. An archived channel can take no posts: the team goes back to the channel it had,
    unless someone has changed it again since.
    """
    try:
        channel = client.conversations_info(channel=change.channel_id)["channel"]
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "channel_not_found":
            return ChannelChecked(change, ChannelAccess.NOT_FOUND)
        log.warning("couldn't check the leaderboard channel: %s", code)
        return ChannelChecked(change, ChannelAccess.UNCHECKED, error=code)
    if channel.get("is_archived"):
        return ChannelChecked(change, ChannelAccess.ARCHIVED, restored=_restore_channel(engine, workspace, change))
    if channel.get("is_member"):
        return ChannelChecked(change, ChannelAccess.MEMBER)
    if channel.get("is_private"):
        return ChannelChecked(change, ChannelAccess.PRIVATE)
    try:
        client.conversations_join(channel=change.channel_id)
    except SlackApiError as error:
        log.warning("couldn't join the leaderboard channel: %s", error.response.get("error"))
        return ChannelChecked(change, ChannelAccess.JOIN_FAILED, error=error.response.get("error"))
    return ChannelChecked(change, ChannelAccess.JOINED)


def _restore_channel(engine: sa.Engine, workspace: Workspace, change: ChannelSet) -> bool:
    """The team's channel back to what it was, if it still is the archived one (a later change wins)."""
    def work(session: Session) -> bool:
        team = get_team(session=session, workspace=workspace, name=change.team_name)
        if team is None or team.id != change.team_id or team.channel_id != change.channel_id:
            return False
        team.channel_id = change.previous
        session.add(team)
        return True

    return run_in_transaction(engine, work)


def manage_team(
    *, engine: sa.Engine, workspace: Workspace, actor: Person, command: TeamCommand, now: datetime,
) -> TeamChanged | tuple[TeamInfo, ...]:
    """One short transaction, no Slack call: a new leaderboard channel is saved at once and comes back
    as ``TeamChanged.channel_set``, for the caller to check with ``settle_channel`` after answering."""
    if isinstance(command, ADMIN_ONLY) and not actor.is_admin:
        raise CommandError("Only workspace admins (and the bot's configured admins) can change teams.",
                           usage=TEAM_USAGE)

    def work(session: Session) -> TeamChanged | tuple[TeamInfo, ...]:
        if isinstance(command, ShowTeams):
            return _show(session, workspace, actor, command)
        if isinstance(command, SetFiscalYear):
            set_fiscal_year_start(session=session, workspace=workspace, month=command.start_month, now=now)
            quarter = period_containing("quarter", now.date(), fiscal_start_month=command.start_month)
            month = calendar.month_name[command.start_month]
            return TeamChanged(None, f"Quarters now follow a fiscal year that starts in {month}; this quarter is "
                                     f"{quarter.label}, {quarter.start:%b} {quarter.start.day} to {quarter.end:%b} "
                                     f"{quarter.end.day}.")
        if isinstance(command, CreateTeam):
            if get_team(session=session, workspace=workspace, name=command.name):
                raise CommandError(f"There is already a team called {command.name}.", usage=TEAM_USAGE)
            team = add_team(session=session, workspace=workspace, name=command.name, now=now)
            return TeamChanged(summarize(session, team), f"Created team {command.name}.")
        team = get_team(session=session, workspace=workspace, name=command.team)
        if team is None:
            raise CommandError(f"There is no team called {command.team}. `/referral team show` lists them.",
                               usage=TEAM_USAGE)
        previous_channel = team.channel_id if team.channel_id != getattr(command, "channel_id", None) else None
        what = _change(session, team, command)
        session.add(team)
        session.flush()
        channel_set = ChannelSet(team.id or 0, team.name, command.channel_id, previous_channel) \
            if isinstance(command, SetChannel) else None
        return TeamChanged(summarize(session, team), what, channel_set)

    return run_in_transaction(engine, work)


def _change(session: Session, team: SalesTeam, command: TeamCommand) -> str:
    match command:
        case AddReps(user_ids=user_ids):
            added = [u for u in user_ids if add_member(session=session, team=team, user_id=u, role=REP)]
            return f"Added {count_of(len(added), 'rep')} to {team.name}."
        case AddManagers(user_ids=user_ids):
            added = [u for u in user_ids if add_member(session=session, team=team, user_id=u, role=MANAGER)]
            return f"Added {count_of(len(added), 'manager')} to {team.name}."
        case RemoveMember(user_ids=user_ids):
            removed = sum(remove_member(session=session, team=team, user_id=u) for u in user_ids)
            return f"Removed {count_of(removed, 'membership')} from {team.name}."
        case SetChannel(channel_id=channel_id):
            team.channel_id = channel_id
            return f"The {team.name} leaderboard goes to <#{channel_id}>."
        case SetMinimum(minimum=minimum):
            team.minimum = minimum
            return f"{team.name}'s minimum is {count_of(minimum, 'ask')} a week."
        case SetSlot(kind=kind, slot=slot):
            if kind == "leaderboard" and slot is None:
                team.leaderboard_weekday, team.leaderboard_time = None, None
                return f"No leaderboard for {team.name}."
            assert slot is not None
            setattr(team, f"{kind}_weekday", slot.weekday)
            setattr(team, f"{kind}_time", slot.at)
            return f"{team.name}'s {kind} goes out on {slot}."
        case SetTimezone(timezone=timezone):
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise CommandError(f"{timezone} is not a time zone; use an IANA name like Europe/Berlin.",
                                   usage=TEAM_USAGE) from None
            team.timezone = timezone
            return f"{team.name}'s leaderboard runs on {timezone} time."
    raise AssertionError(f"unhandled {command!r}")


def _show(session: Session, workspace: Workspace, actor: Person, command: ShowTeams) -> tuple[TeamInfo, ...]:
    if actor.is_admin:
        teams = list(list_teams(session=session, workspace=workspace))
    else:
        mine = {t.id: t for role in (MANAGER, REP)
                for t in teams_of(session=session, workspace=workspace, user_id=actor.user_id, role=role)}
        teams = sorted(mine.values(), key=lambda t: t.name)
    if command.team is not None:
        teams = [t for t in teams if t.name.lower() == command.team.lower()]
        if not teams:
            raise CommandError(f"You have no team called {command.team} to look at.", usage=TEAM_USAGE)
    return tuple(summarize(session, t) for t in teams)


def track_rep(*, session: Session, workspace: Workspace, user_id: str, now: datetime) -> None:
    """Anyone who logs activity is tracked: in their teams, or else in the default team."""
    if not has_role(session=session, workspace=workspace, user_id=user_id, role=REP):
        add_member(session=session, team=ensure_default_team(session=session, workspace=workspace, now=now),
                   user_id=user_id, role=REP)


def pause_nudges(*, session: Session, workspace: Workspace, rep: Person, command: PauseNudges, now: datetime) -> date:
    """Time off through ``command.until``, in the caller's write transaction."""
    today = local_today(now, rep.timezone)
    if command.until < today:
        raise CommandError("That date has passed; give a date from today on.", usage="/referral pause until <date>")
    add_pause(session=session, workspace=workspace, user_id=rep.user_id, starts_on=today, until_on=command.until,
              now=now)
    return command.until


def resume_nudges(*, session: Session, workspace: Workspace, rep: Person, now: datetime) -> int:
    return end_pauses(session=session, workspace=workspace, user_id=rep.user_id, today=local_today(now, rep.timezone))


def managed_reps(*, engine: sa.Engine, workspace: Workspace, manager_user_id: str) -> set[str]:
    """Every rep on the teams this person manages."""
    with read_scope(engine) as session:
        return reps_managed_by(session=session, workspace=workspace, manager_user_id=manager_user_id)


def reps_managed_by(*, session: Session, workspace: Workspace, manager_user_id: str) -> set[str]:
    """Every rep on the teams this person manages, in the caller's transaction."""
    teams = teams_of(session=session, workspace=workspace, user_id=manager_user_id, role=MANAGER)
    return {rep for team in teams for role in (REP, FORMER_ROLE)
            for rep in list_members(session=session, team=team, role=role)}
