"""Teams, memberships and pauses, scoped to one workspace."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.among import People, among, among_ids
from storage.models import Pause, SalesTeam, TeamHabitSetting, TeamMember
from storage.queries import Prebuilt, scoped

DEFAULT_TEAM_NAME = "everyone"


def get_team(*, session: Session, workspace: Workspace, name: str) -> SalesTeam | None:
    return session.exec(
        select(SalesTeam).where(scoped(SalesTeam, workspace), sa.func.lower(SalesTeam.name) == name.lower())
    ).first()


def add_team(*, session: Session, workspace: Workspace, name: str, now: datetime, is_default: bool = False) -> SalesTeam:
    team = SalesTeam(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, name=name,
                     is_default=is_default, created_at=now)
    session.add(team)
    session.flush()
    return team


def ensure_default_team(*, session: Session, workspace: Workspace, now: datetime) -> SalesTeam:
    """The team that tracks reps who log before an admin has set any team up."""
    team = session.exec(select(SalesTeam).where(scoped(SalesTeam, workspace), col(SalesTeam.is_default))).first()
    return team or add_team(session=session, workspace=workspace, name=DEFAULT_TEAM_NAME, now=now, is_default=True)


def list_teams(*, session: Session, workspace: Workspace) -> Sequence[SalesTeam]:
    return session.exec(select(SalesTeam).where(scoped(SalesTeam, workspace)).order_by(col(SalesTeam.name))).all()


def list_workspaces(*, session: Session) -> list[Workspace]:
    rows = session.exec(select(SalesTeam.team_id, SalesTeam.enterprise_id).distinct()).all()
    return [Workspace(team_id, enterprise_id) for team_id, enterprise_id in rows]


def add_member(*, session: Session, team: SalesTeam, user_id: str, role: str) -> bool:
    """True when added, False when the person already had that role on the team."""
    exists = session.exec(select(TeamMember).where(
        TeamMember.sales_team_id == team.id, TeamMember.user_id == user_id, TeamMember.role == role)).first()
    if exists:
        return False
    session.add(TeamMember(sales_team_id=team.id or 0, team_id=team.team_id, enterprise_id=team.enterprise_id,
                           user_id=user_id, role=role))
    session.flush()
    return True


def remove_member(*, session: Session, team: SalesTeam, user_id: str, role: str | None = None) -> int:
    query = sa.delete(TeamMember).where(TeamMember.sales_team_id == team.id, TeamMember.user_id == user_id)
    if role is not None:
        query = query.where(TeamMember.role == role)
    return session.exec(query).rowcount  # type: ignore[call-overload]


def list_members(*, session: Session, team: SalesTeam, role: str) -> list[str]:
    return list(session.exec(select(TeamMember.user_id).where(
        TeamMember.sales_team_id == team.id, TeamMember.role == role).order_by(col(TeamMember.user_id))).all())


_MEMBER = TeamMember.__table__.c
_ROLE_ANYWHERE = Prebuilt(lambda in_workspace: sa.select(_MEMBER.id).where(
    in_workspace(_MEMBER), _MEMBER.user_id == sa.bindparam("user_id"), _MEMBER.role == sa.bindparam("role"),
).limit(1))
_TEAM = SalesTeam.__table__.c


def has_role(*, session: Session, workspace: Workspace, user_id: str, role: str) -> bool:
    """Whether the person has this role on any team of the workspace (ix_team_member_user)."""
    return _ROLE_ANYWHERE.rows(session, workspace, user_id=user_id, role=role).first() is not None


class RepTeam(NamedTuple):
    """A team someone is a rep on, with what logging an ask needs of it."""
    team_id: int
    minimum: int
    connector_threshold: int | None  # None: the team never changed it (services/habit_settings.py has the default)


_HABIT = TeamHabitSetting.__table__.c
_REP_TEAMS = Prebuilt(lambda in_workspace: sa.select(_TEAM.id, _TEAM.minimum, _HABIT.connector_threshold).select_from(
    TeamMember.__table__.join(SalesTeam.__table__, _MEMBER.sales_team_id == _TEAM.id)
    .outerjoin(TeamHabitSetting.__table__, _HABIT.sales_team_id == _TEAM.id)).where(
    in_workspace(_MEMBER), _MEMBER.user_id == sa.bindparam("user_id"), _MEMBER.role == "rep").order_by(_TEAM.id))


def list_rep_teams(*, session: Session, workspace: Workspace, user_id: str) -> list[RepTeam]:
    """The teams this person is a rep on, with their minimum and heads-up threshold: one indexed statement
    (ix_team_member_user) whose rows are the person's own teams, whatever the size of the workspace."""
    return [RepTeam(*row) for row in _REP_TEAMS.rows(session, workspace, user_id=user_id)]


_TEAMS_OF = Prebuilt(lambda in_workspace: select(SalesTeam).join(TeamMember, col(TeamMember.sales_team_id) == SalesTeam.id)
                     .where(in_workspace(SalesTeam), TeamMember.user_id == sa.bindparam("user_id"),
                            TeamMember.role == sa.bindparam("role")).order_by(col(SalesTeam.name)))


def teams_of(*, session: Session, workspace: Workspace, user_id: str, role: str) -> Sequence[SalesTeam]:
    """The teams this person has this role on (often on the request path: built once, see ``Prebuilt``)."""
    return _TEAMS_OF.run(session, workspace, user_id=user_id, role=role).all()


def add_pause(*, session: Session, workspace: Workspace, user_id: str, starts_on: date, until_on: date,
              now: datetime) -> Pause:
    pause = Pause(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, user_id=user_id,
                  starts_on=starts_on, until_on=until_on, created_at=now)
    session.add(pause)
    session.flush()
    return pause


def end_pauses(*, session: Session, workspace: Workspace, user_id: str, today: date) -> int:
    """Resume: pauses still running end yesterday; future ones are dropped."""
    pauses = session.exec(select(Pause).where(scoped(Pause, workspace), Pause.user_id == user_id,
                                              Pause.until_on >= today)).all()
    for pause in pauses:
        if pause.starts_on >= today:
            session.delete(pause)
        else:
            pause.until_on = today - timedelta(days=1)
            session.add(pause)
    session.flush()
    return len(pauses)


def list_pauses(*, session: Session, workspace: Workspace, user_ids: People, start: date, end: date) -> Sequence[Pause]:
    """Pauses of these people that overlap [start, end]."""
    return session.exec(select(Pause).where(
        scoped(Pause, workspace), among(Pause.user_id, user_ids), Pause.starts_on <= end, Pause.until_on >= start,
    )).all()


def list_reps_of_teams(*, session: Session, workspace: Workspace, team_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each of these teams' reps (deactivated or not), by team, in one query; a team without reps maps to an
    empty list and a team that does not exist is missing."""
    rows = session.connection().execute(
        select(SalesTeam.id, TeamMember.user_id).select_from(SalesTeam)
        .outerjoin(TeamMember, sa.and_(col(TeamMember.sales_team_id) == SalesTeam.id, TeamMember.role == "rep"))
        .where(scoped(SalesTeam, workspace), among_ids(SalesTeam.id, team_ids))
        .order_by(col(SalesTeam.id), col(TeamMember.user_id))).all()
    reps: dict[int, list[str]] = {}
    for team_id, user_id in rows:
        reps.setdefault(team_id, [])
        if user_id is not None:
            reps[team_id].append(user_id)
    return reps


def reps_of_teams(team_ids: Sequence[int]) -> sa.Select:
    """The same reps as ``list_reps_of_teams``, as a subquery for grouped reads to filter by."""
    return select(TeamMember.user_id).where(among_ids(TeamMember.sales_team_id, team_ids),
                                            TeamMember.role == "rep")


def list_memberships(*, session: Session, workspace: Workspace) -> Sequence[tuple[SalesTeam, TeamMember]]:
    """Every (team, member) pair in the workspace, for the scheduler's fan-out."""
    return session.exec(
        select(SalesTeam, TeamMember).join(TeamMember, col(TeamMember.sales_team_id) == SalesTeam.id)
        .where(scoped(SalesTeam, workspace)).order_by(col(SalesTeam.id), col(TeamMember.user_id))
    ).all()


def list_memberships_of_teams_with(
    *, session: Session, workspace: Workspace, user_id: str,
) -> Sequence[tuple[SalesTeam, TeamMember]]:
    """Every (team, member) pair of the teams this person belongs to (as a rep or a manager), and no
    other team: what one person's Home tab needs, whatever the workspace's size (ix_team_member_user)."""
    mine = select(TeamMember.sales_team_id).where(TeamMember.team_id == workspace.team_id,
                                                  TeamMember.user_id == user_id)
    return session.exec(
        select(SalesTeam, TeamMember).join(TeamMember, col(TeamMember.sales_team_id) == SalesTeam.id)
        .where(scoped(SalesTeam, workspace), col(SalesTeam.id).in_(mine))
        .order_by(col(SalesTeam.id), col(TeamMember.user_id))
    ).all()
