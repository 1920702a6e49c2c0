"""Events: the App Home tab is published when a person opens it."""
from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers import follow_ups
from handlers.payloads import acting
from services.context import AppContext


def register(app: App, ctx: AppContext) -> None:
    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":  # the Messages tab needs nothing from us
            return
        who, person, now = acting(ctx, client, body)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=person, now=now)
