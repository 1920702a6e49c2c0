"""Trend charts already uploaded to Slack."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.funnel import Workspace
from storage.models import ChartUpload
from storage.queries import scoped


def get_chart_upload(*, session: Session, workspace: Workspace, owner: str, period_key: str) -> str | None:
    row = session.exec(select(ChartUpload).where(scoped(ChartUpload, workspace), ChartUpload.owner == owner,
                                                 ChartUpload.period_key == period_key)).first()
    return row.file_id if row else None


def add_chart_upload(*, session: Session, workspace: Workspace, owner: str, period_key: str, file_id: str,
                     now: datetime) -> None:
    """Two processes may upload the same chart at once; the first one recorded wins, the other is harmless."""
    try:
        with session.begin_nested():
            session.add(ChartUpload(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, owner=owner,
                                    period_key=period_key, file_id=file_id, created_at=now))
    except sa.exc.IntegrityError:
        pass
