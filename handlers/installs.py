"""Events that end an installation: ``app_uninstalled`` and ``tokens_revoked``.

Bolt acks events itself and skips auth.test for these two (the token is already dead). ``store``
is the installation store in multi-workspace mode, None with a single SLACK_BOT_TOKEN.
"""
from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from domain.funnel import Workspace
from services import installs as install_service
from services.context import AppContext


def _workspace(context: BoltContext) -> Workspace:
    return Workspace(context.team_id or "", context.enterprise_id)


def register(app: App, ctx: AppContext, *, store: Any | None) -> None:
    @app.event("app_uninstalled")
    def uninstalled(context: BoltContext) -> None:
        install_service.end_installation(engine=ctx.engine, store=store, workspace=_workspace(context),
                                         reason="app uninstalled")

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], context: BoltContext) -> None:
        tokens = event.get("tokens") or {}
        install_service.revoke_tokens(engine=ctx.engine, store=store, workspace=_workspace(context),
                                      bot_revoked=bool(tokens.get("bot")),
                                      user_ids=[u for u in tokens.get("oauth") or [] if isinstance(u, str)])
