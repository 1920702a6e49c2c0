"""Connectors: the heads-up after an ask of someone the team keeps asking, the managers' report of
referral sources, and a rep's own top connectors for the Home tab.

The heads-up runs on the request path, so it reads only the asker's teammates' recent asks of the
very person asked, through the (workspace, rep, date) index: its cost does not grow with the workspace.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from domain.connectors import (
    HOME_CONNECTORS,
    LOOKBACK,
    EarlierAsk,
    HeadsUp,
    Source,
    heads_up,
    person_key,
    rank_sources,
)
from domain.funnel import ReferralStatus, Workspace
from domain.habit_commands import CONNECTORS_USAGE
from domain.habit_records import ConnectorReport
from domain.parsing import CommandError
from domain.periods import local_today
from domain.records import AskRecord
from services.habit_settings import TeamHabits, habits_of_teams, strictest
from services.people import Person
from storage.engine import read_scope
from storage.habit_queries import list_asks_of_person, list_asks_since, list_referrals_of_reps
from storage.models import Ask, Referral
from storage.team_queries import RepTeam, list_rep_teams


def heads_up_for(*, session: Session, workspace: Workspace, rep: Person, teams: Sequence[RepTeam],
                 logged: Sequence[AskRecord], now: datetime) -> tuple[HeadsUp, ...]:
    """For each person just asked: who on the rep's teams asked them in the last 90 days, when that
    reaches the team's threshold. In the caller's transaction (the one that logged the asks, which read
    the rep's ``teams``); the asks just logged are not counted as earlier ones."""
    people = {person_key(a.asked_user_id, a.asked_name): (a.asked_user_id, a.asked_name) for a in logged}
    return _heads_ups(session=session, workspace=workspace, rep=rep, teams=teams, people=list(people.values()),
                      skip_ask_ids={ask.id for ask in logged}, now=now)


def heads_up_before_asking(*, engine: sa.Engine, workspace: Workspace, rep: Person, person_user_id: str | None,
                           person_name: str, now: datetime) -> tuple[HeadsUp, ...]:
    """While the rep fills in the ask form: the same heads-up, before anything is logged (read-only)."""
    with read_scope(engine) as session:
        teams = list_rep_teams(session=session, workspace=workspace, user_id=rep.user_id)
        return _heads_ups(session=session, workspace=workspace, rep=rep, teams=teams,
                          people=[(person_user_id, person_name)], skip_ask_ids=set(), now=now)


def _heads_ups(*, session: Session, workspace: Workspace, rep: Person, teams: Sequence[RepTeam],
               people: list[tuple[str | None, str]], skip_ask_ids: set[int], now: datetime) -> tuple[HeadsUp, ...]:
    if not people:
        return ()
    since = local_today(now, rep.timezone) - LOOKBACK
    # A team that never set its threshold (no settings row: None) keeps the default.
    threshold = strictest(TeamHabits() if team.connector_threshold is None
                          else TeamHabits(connector_threshold=team.connector_threshold) for team in teams
                          ).connector_threshold
    found = []
    for user_id, name in people:
        earlier = [EarlierAsk(row.rep_user_id, row.asked_on) for row in list_asks_of_person(
            session=session, workspace=workspace, rep_user_id=rep.user_id, team_ids=[team.team_id for team in teams],
            person_user_id=user_id, person_name=name, since=since) if row.id not in skip_ask_ids]
        warning = heads_up(person_user_id=user_id, person_name=name, earlier=earlier, threshold=threshold)
        if warning is not None:
            found.append(warning)
    return tuple(found)


def connector_report(*, engine: sa.Engine, workspace: Workspace, manager: Person, now: datetime) -> ConnectorReport:
    """/referral connectors: the top referral sources of the teams this person manages."""
    from storage.team_queries import list_members, teams_of

    since = local_today(now, manager.timezone) - LOOKBACK
    with read_scope(engine) as session:
        teams = teams_of(session=session, workspace=workspace, user_id=manager.user_id, role="manager")
        if not teams:
            raise CommandError("`connectors` is for managers: it shows the referral sources of the teams you manage.",
                               usage=CONNECTORS_USAGE)
        reps = {uid for team in teams for uid in list_members(session=session, team=team, role="rep")}
        threshold = strictest(habits_of_teams(session=session, workspace=workspace,
                                              team_ids=[t.id or 0 for t in teams]).values()).connector_threshold
        sources = _sources(session, workspace, reps, since)
        names = tuple(sorted(t.name for t in teams))  # read before the read-only transaction ends
    return ConnectorReport(names, rank_sources(sources, threshold=threshold), threshold)


def top_connectors_of(*, engine: sa.Engine, workspace: Workspace, rep: Person, now: datetime) -> tuple[Source, ...]:
    """The Home tab: the people who introduced this rep the most (with what came of it)."""
    since = local_today(now, rep.timezone) - LOOKBACK
    with read_scope(engine) as session:
        sources = _sources(session, workspace, {rep.user_id}, since)
    return tuple(s for s in rank_sources(sources, threshold=10**6) if s.introductions)[:HOME_CONNECTORS]


def _sources(session: Session, workspace: Workspace, reps: Iterable[str], since) -> list[Source]:  # noqa: ANN001
    reps = list(reps)
    if not reps:
        return []
    by_key: dict[str, Source] = {}

    def source(user_id: str | None, name: str) -> Source:
        key = person_key(user_id, name)
        if key not in by_key:
            by_key[key] = Source(user_id, name or user_id or "")
        elif by_key[key].name.islower() and not name.islower():
            by_key[key].name = name  # "Maria Lopez" reads better than "maria lopez"
        return by_key[key]

    referral: Referral
    for referral in list_referrals_of_reps(session=session, workspace=workspace, rep_user_ids=reps):
        found = source(referral.referrer_user_id, referral.referrer_name)
        found.introductions += 1
        found.meetings += referral.meeting_scheduled_on is not None or referral.meeting_held_on is not None
        found.wins += referral.status == ReferralStatus.WON
        if referral.thanked_on and (found.last_thanked is None or referral.thanked_on > found.last_thanked):
            found.last_thanked = referral.thanked_on
        updated = referral.updated_at.date()
        if found.last_update is None or updated > found.last_update:
            found.last_update = updated
    ask: Ask
    for ask in list_asks_since(session=session, workspace=workspace, rep_user_ids=reps, since=since):
        source(ask.asked_user_id, ask.asked_name).asked_recently += 1
    return list(by_key.values())
