"""The message shortcut "Log as referral received" and the form it opens.

The message itself is read only to pre-fill the form; it is neither stored nor logged.
"""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from domain.forms import FormErrors
from domain.forms import channel_id as valid_channel_id
from domain.intros import intro_from_form
from domain.periods import local_today
from handlers import follow_ups
from handlers.payloads import acting, metadata
from services import intros as intro_service
from services.context import AppContext
from views import ids, replies
from views import intros as intro_views

log = logging.getLogger(__name__)
FIELD_BLOCKS = {"prospect": ids.INTRO_PROSPECT_BLOCK, "company": ids.INTRO_COMPANY_BLOCK,
                "referrer_name": ids.INTRO_REFERRER_NAME_BLOCK, "date": ids.INTRO_DATE_BLOCK}


def _value(values: dict[str, Any], block: str, action: str, key: str) -> Any:
    return ((values.get(block) or {}).get(action) or {}).get(key)


def register(app: App, ctx: AppContext) -> None:
    @app.shortcut(ids.LOG_INTRO_SHORTCUT)
    def log_intro_from_message(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        who, rep, now = acting(ctx, client, body)
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        form = intro_service.intro_form(engine=ctx.engine, workspace=who.workspace, rep=rep, text=text[:40_000],
                                        author_user_id=message.get("user"), message_ts=message.get("ts"), now=now)
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=intro_views.intro_modal(
            form, channel_id=(body.get("channel") or {}).get("id")))

    @app.view(ids.INTRO_MODAL)
    def submit_intro(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        who, rep, now = acting(ctx, client, body)
        today = local_today(now, rep.timezone)
        values = view.get("state", {}).get("values", {})
        try:
            prospect, referrer, occurred_on = intro_from_form(
                prospect=_value(values, ids.INTRO_PROSPECT_BLOCK, ids.INTRO_PROSPECT_ACTION, "value"),
                company=_value(values, ids.INTRO_COMPANY_BLOCK, ids.INTRO_COMPANY_ACTION, "value"),
                referrer_user=_value(values, ids.INTRO_REFERRER_USER_BLOCK, ids.INTRO_REFERRER_USER_ACTION,
                                     "selected_user"),
                referrer_name=_value(values, ids.INTRO_REFERRER_NAME_BLOCK, ids.INTRO_REFERRER_NAME_ACTION, "value"),
                occurred_on=_value(values, ids.INTRO_DATE_BLOCK, ids.INTRO_DATE_ACTION, "selected_date"), today=today)
        except FormErrors as invalid:
            ack(response_action="errors", errors={FIELD_BLOCKS[f]: m for f, m in invalid.errors.items()})
            return
        ack()
        linked = _value(values, ids.INTRO_LINK_BLOCK, ids.INTRO_LINK_ACTION, "selected_options") or []
        link_id = next((int(o["value"]) for o in linked if str(o.get("value", "")).isdigit()), None)
        logged = intro_service.log_intro(engine=ctx.engine, workspace=who.workspace, rep=rep, prospect=prospect,
                                         referrer=referrer, occurred_on=occurred_on, link_ask_id=link_id, now=now)
        reply = replies.referral_logged(referral=logged.referral, linked_ask=logged.linked_ask, today=today)
        follow_ups.tell(ctx, client, channel_id=valid_channel_id(metadata(view).get("channel_id")),
                        user_id=who.user_id, reply=reply)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)
