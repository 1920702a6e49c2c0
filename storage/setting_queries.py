"""Workspace-wide settings, one row per workspace, created on first change."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from domain.funnel import Workspace
from storage.models import WorkspaceSetting
from storage.queries import scoped


def get_fiscal_year_start(*, session: Session, workspace: Workspace) -> int:
    row = session.exec(select(WorkspaceSetting).where(scoped(WorkspaceSetting, workspace))).first()
    return row.fiscal_year_start_month if row else 1


def set_fiscal_year_start(*, session: Session, workspace: Workspace, month: int, now: datetime) -> None:
    row = session.exec(select(WorkspaceSetting).where(scoped(WorkspaceSetting, workspace))).first()
    if row is None:
        row = WorkspaceSetting(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, updated_at=now)
    row.fiscal_year_start_month, row.updated_at = month, now
    session.add(row)
    session.flush()
