"""When a workspace uninstalls the app or revokes its tokens: forget the tokens, stop the sending.

Scheduled jobs only plan for workspaces that still have a bot token (bot.oauth.WorkspaceClients),
so deleting the tokens stops every future message; the ledger's retries still waiting are given
up here, so that nothing owed is sent to a workspace that said no. The workspace's referral data
stays (a reinstall picks up where it left off); `referral-bot forget` deletes a person's.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from domain.funnel import Workspace
from storage.engine import session_scope
from storage.workspace_queries import expire_open_deliveries

log = logging.getLogger(__name__)


def end_installation(*, engine: sa.Engine, store: Any | None, workspace: Workspace, reason: str) -> int:
    """Delete every token of the workspace and give up its pending deliveries; returns how many.

    ``store`` is None in single-workspace mode: the token lives in SLACK_BOT_TOKEN, which only the admin can remove.
    """
    if store is not None:
        store.delete_all(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
    with session_scope(engine) as session:
        stopped = expire_open_deliveries(session=session, workspace=workspace, error=reason)
    if store is None:
        log.warning("workspace %s: %s; %d pending deliveries stopped. SLACK_BOT_TOKEN no longer works: "
                    "reinstall the app and update it, or stop the bot", workspace.team_id, reason, stopped)
    else:
        log.info("workspace %s: %s; tokens deleted, %d pending deliveries stopped", workspace.team_id, reason, stopped)
    return stopped


def revoke_tokens(*, engine: sa.Engine, store: Any | None, workspace: Workspace, bot_revoked: bool,
                  user_ids: Iterable[str]) -> None:
    """``tokens_revoked``: a revoked bot token ends the installation; a user token only goes itself."""
    for user_id in user_ids if store is not None else ():
        store.delete_installation(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id, user_id=user_id)
    if bot_revoked:
        end_installation(engine=engine, store=store, workspace=workspace, reason="bot token revoked")
