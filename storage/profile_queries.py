"""Profiles in bulk: a page of ``users.list`` stored in a few statements, whatever its size."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.funnel import Workspace
from storage.models import TeamMember, UserProfile
from storage.queries import scoped


class Facts(Protocol):
    user_id: str
    timezone: str | None
    is_admin: bool
    real_name: str | None
    deleted: bool


def save_profiles(*, session: Session, workspace: Workspace, facts: Sequence[Facts], now: datetime) -> None:
    """Insert or update these people's profiles: one read, one batched insert, one batched update."""
    if not facts:
        return
    known = {p.user_id: p for p in session.exec(select(UserProfile).where(
        scoped(UserProfile, workspace), col(UserProfile.user_id).in_([f.user_id for f in facts]))).all()}
    for fact in facts:
        profile = known.get(fact.user_id) or UserProfile(
            team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, user_id=fact.user_id, fetched_at=now)
        profile.timezone = fact.timezone
        profile.is_admin = fact.is_admin
        profile.real_name = fact.real_name[:200] if fact.real_name else None
        profile.deleted = fact.deleted
        profile.fetched_at = now
        session.add(profile)
        known[fact.user_id] = profile
    session.flush()


def _members_without_profile(workspace: Workspace) -> sa.Select:
    has_profile = sa.exists().where(UserProfile.team_id == TeamMember.team_id, UserProfile.user_id == TeamMember.user_id)
    return select(TeamMember.user_id).where(scoped(TeamMember, workspace), ~has_profile).distinct()


def count_members_without_profile(*, session: Session, workspace: Workspace) -> int:
    return session.exec(select(sa.func.count()).select_from(_members_without_profile(workspace).subquery())).one()


def save_unknown_members(*, session: Session, workspace: Workspace, now: datetime) -> int:
    """Members Slack did not list get an empty profile (default zone), so no tick syncs again for them."""
    missing = list(session.exec(_members_without_profile(workspace)).all())
    session.add_all([UserProfile(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, user_id=uid,
                                 fetched_at=now) for uid in missing])
    session.flush()
    return len(missing)
