"""The confirmation buttons of ``/referral forget`` (the command itself is in handlers.commands)."""
from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from domain.grammar.forget import MENTION_ID
from domain.parsing import CommandError
from handlers import follow_ups
from handlers.payloads import acting
from services import forget as forget_service
from services.context import AppContext
from views import forget as forget_views
from views import ids, replies


def register(app: App, ctx: AppContext) -> None:
    @app.action(ids.FORGET_CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        who, actor, now = acting(ctx, client, body)
        user_id = action.get("value") or ""
        try:
            if not MENTION_ID.fullmatch(user_id):  # button values are ours, but a forged one must not crash us
                raise CommandError("That button no longer names a person.", usage="/referral forget @person")
            done = forget_service.forget_person(engine=ctx.engine, workspace=who.workspace, actor=actor,
                                                user_id=user_id, now=now)
            reply = forget_views.forgotten(label=done.label, asks=done.asks, referrals=done.referrals)
        except CommandError as error:
            reply = replies.command_error(problem=error.message, usage=error.usage)
        follow_ups.respond_later(ctx, respond, replace_original=True, response_type="ephemeral", **reply)

    @app.action(ids.FORGET_CANCEL)
    def cancel(ack: Ack, respond: Respond) -> None:
        ack()
        follow_ups.respond_later(ctx, respond, replace_original=True, response_type="ephemeral",
                                 **forget_views.forget_cancelled())
