"""Queries that act on a whole workspace at once: what an uninstall stops."""
from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from domain.funnel import Workspace
from storage.delivery_queries import CLAIMED, EXPIRED, FAILED
from storage.models import Delivery
from storage.queries import scoped


def expire_open_deliveries(*, session: Session, workspace: Workspace, error: str) -> int:
    """Give up every delivery of the workspace still waiting for a retry: the bot can no longer send there."""
    result = session.execute(
        sa.update(Delivery)
        .where(scoped(Delivery, workspace), col(Delivery.status).in_((CLAIMED, FAILED)))
        .values(status=EXPIRED, next_attempt_at=None, last_error=error[:300])
    )
    return result.rowcount or 0
