"""Events: the App Home tab is published when a person opens it; a changed profile is stored at once."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from domain.funnel import Workspace
from handlers import follow_ups
from handlers.payloads import acting
from services.context import AppContext
from services.profiles import apply_user_change


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":  # the Messages tab needs nothing from us
            return
        who, person, now = acting(ctx, client, body)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=person, now=now, looking=True)

    @app.event("user_change")
    def user_changed(body: dict[str, Any], event: dict[str, Any]) -> None:
        """Zone, admin flag or deactivation: a deactivated person leaves nudges, digests and leaderboards."""
        user = event.get("user") or {}
        team_id = body.get("team_id") or user.get("team_id")
        if not user.get("id") or not team_id:
            return
        apply_user_change(engine=ctx.engine, workspace=Workspace(team_id, body.get("enterprise_id")), user=user,
                          now=ctx.clock())
