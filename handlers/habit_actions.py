"""Buttons of the referral-habit messages (ask the new client, snooze the follow-up two weeks), and the
connector heads-up shown in the ask form as soon as someone is picked."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from domain.periods import local_today
from handlers import follow_ups
from handlers.payloads import acting
from services import client_followups as followup_service
from services import connectors as connector_service
from services.context import AppContext
from views import client_followups as followup_views
from views import connectors as connector_views
from views import ids


def _win_id(action: dict[str, Any]) -> int | None:
    """Button values are ours, but a forged one must not crash us."""
    value = action.get("value", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def register(app: App, ctx: AppContext) -> None:
    @app.action(ids.OPEN_CLIENT_ASK)
    def ask_the_client(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                       respond: Respond) -> None:
        ack()
        who, rep, now = acting(ctx, client, body)
        win_id = _win_id(action)
        win = followup_service.get_win(engine=ctx.engine, workspace=who.workspace, rep=rep,
                                       win_id=win_id) if win_id is not None else None
        if win is None:
            follow_ups.respond_later(ctx, respond, response_type="ephemeral", replace_original=False,
                                     **followup_views.gone())
            return
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=followup_views.prefilled_ask_modal(
            today=local_today(now, rep.timezone), person_name=win.client_name))

    @app.action(ids.SNOOZE_CLIENT_FOLLOWUP)
    def snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        who, rep, now = acting(ctx, client, body)
        win_id = _win_id(action)
        win = followup_service.snooze_followup(engine=ctx.engine, workspace=who.workspace, rep=rep, win_id=win_id,
                                               now=now) if win_id is not None else None
        reply = followup_views.snoozed(win, local_today(now, rep.timezone)) if win else followup_views.gone()
        follow_ups.respond_later(ctx, respond, replace_original=win is not None, **reply)

    @app.action(ids.ASK_USER_ACTION)
    def person_picked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Someone picked in the ask form: say now if the team keeps asking them; nothing is logged yet."""
        ack()
        view = body.get("view") if isinstance(body.get("view"), dict) else None
        if view is None or not view.get("id"):
            return
        who, rep, now = acting(ctx, client, body)
        selected = action.get("selected_user")
        warnings = connector_service.heads_up_before_asking(
            engine=ctx.engine, workspace=who.workspace, rep=rep, person_user_id=selected, person_name="",
            now=now) if isinstance(selected, str) and selected else ()
        follow_ups.update_view(ctx, client, view_id=view["id"], view_hash=view.get("hash"),
                               view=connector_views.ask_form_with_heads_up(view, warnings, me=rep.user_id,
                                                                           today=local_today(now, rep.timezone)))
