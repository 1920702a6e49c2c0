"""Modal submissions: the /asked form, "what happened" for an ask, commitments, prep, reasons, meeting dates.

Validation runs before ``ack`` here, because Slack shows inline errors only
through the ack itself (``response_action: errors``).
"""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from domain.forms import (
    FormErrors,
    ask_from_form,
    commitments_from_form,
    meeting_date_from_form,
    prep_from_form,
    prospect_from_form,
    reason_from_form,
    record_id,
)
from domain.forms import channel_id as valid_channel_id
from domain.parsing import CommandError, CommitToAsk, GotReferral, RefQuery, ScheduleMeeting, usage_for
from domain.parsing import Person as NamedPerson
from domain.periods import local_today
from domain.prep import PREP_QUESTIONS
from handlers import follow_ups, habits
from handlers.payloads import acting, metadata, requester
from services import asks as ask_service
from services import commitments as commitment_service
from services import referrals as referral_service
from services.context import AppContext
from views import coaching, ids, replies

log = logging.getLogger(__name__)

ASK_FIELD_BLOCKS = {"name": ids.ASK_NAME_BLOCK, "date": ids.ASK_DATE_BLOCK, "for_whom": ids.ASK_FOR_BLOCK}
OUTCOME_FIELD_BLOCKS = {"outcome": ids.OUTCOME_BLOCK, "prospect": ids.PROSPECT_BLOCK}
COMMIT_FIELD_BLOCKS = {"names": ids.COMMIT_NAMES_BLOCK}
REASON_FIELD_BLOCKS = {"reason": ids.CLOSE_REASON_BLOCK}
PREP_FIELD_BLOCKS = {key: ids.PREP_BLOCK_PREFIX + key for key, _ in PREP_QUESTIONS}
MEETING_FIELD_BLOCKS = {"date": ids.MEETING_DATE_BLOCK}


def _reject(ack: Ack, invalid: FormErrors, blocks: dict[str, str]) -> None:
    """Slack shows a form's errors inline only through the ack: each field's message under its block."""
    ack(response_action="errors", errors={blocks[field]: message for field, message in invalid.errors.items()})


def _referral_number(view: dict[str, Any], usage: str) -> int:
    """The referral a form of ours is about, from its private_metadata."""
    number = record_id(metadata(view).get("number"))
    if number is None:
        raise CommandError("That form no longer points at a referral; nothing was saved.", usage=usage)
    return number


def _value(values: dict[str, Any], block: str, action: str, key: str) -> Any:
    return ((values.get(block) or {}).get(action) or {}).get(key)


def register(app: App, ctx: AppContext) -> None:
    @app.view(ids.ASK_MODAL)
    def submit_ask(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        who, rep, now = acting(ctx, client, body)
        today = local_today(now, rep.timezone)
        values = view.get("state", {}).get("values", {})
        try:
            entry = ask_from_form(
                selected_user=_value(values, ids.ASK_USER_BLOCK, ids.ASK_USER_ACTION, "selected_user"),
                typed_name=_value(values, ids.ASK_NAME_BLOCK, ids.ASK_NAME_ACTION, "value"),
                for_whom=_value(values, ids.ASK_FOR_BLOCK, ids.ASK_FOR_ACTION, "value"),
                occurred_on=_value(values, ids.ASK_DATE_BLOCK, ids.ASK_DATE_ACTION, "selected_date"),
                today=today,
            )
        except FormErrors as invalid:
            _reject(ack, invalid, ASK_FIELD_BLOCKS)
            return
        ack()
        result = ctx.writing(lambda session: ask_service.log_asks(session=session, workspace=who.workspace,
                                                                  rep=rep, entries=(entry,), now=now))
        follow_ups.tell(ctx, client, channel_id=valid_channel_id(metadata(view).get("channel_id")), user_id=who.user_id,
                        reply=habits.with_connector_heads_up(replies.asks_logged(
                            logged=result.logged, duplicates=result.duplicates, progress=result.progress, today=today,
                            again_today=result.again_today), result.heads_ups, rep=rep, now=now))
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.view(ids.ASK_OUTCOME_MODAL)
    def submit_outcome(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        who = requester(body)
        values = view.get("state", {}).get("values", {})
        try:
            outcome, prospect = prospect_from_form(
                outcome=(_value(values, ids.OUTCOME_BLOCK, ids.OUTCOME_ACTION, "selected_option") or {}).get("value"),
                prospect=_value(values, ids.PROSPECT_BLOCK, ids.PROSPECT_ACTION, "value"),
            )
        except FormErrors as invalid:
            _reject(ack, invalid, OUTCOME_FIELD_BLOCKS)
            return
        ack()
        meta = metadata(view)
        ask_id = record_id(meta.get("ask_id")) or -1
        with ctx.reading() as session:
            who, rep, now = acting(ctx, client, body, session=session)
            ask = ask_service.get_ask_record(session=session, workspace=who.workspace, rep=rep, ask_id=ask_id)
        today = local_today(now, rep.timezone)
        if ask is None:
            reply = replies.command_error(problem="That ask was removed, so nothing was saved.", usage="/asked <name>")
        elif outcome == "nobody":
            ctx.writing(lambda session: ask_service.mark_ask_nobody(session=session, workspace=who.workspace, rep=rep,
                                                                    ask_id=ask.id, now=now))
            reply = replies.nobody_logged(ask=ask, referrer_user_id=ask.asked_user_id, referrer_name=ask.asked_name)
        else:
            command = GotReferral(prospect=prospect or "", occurred_on=today,
                                  referrer=NamedPerson(ask.asked_user_id, ask.asked_name))
            logged = ctx.writing(lambda session: referral_service.log_referral(
                session=session, workspace=who.workspace, rep=rep, command=command, now=now, ask_id=ask.id))
            reply = replies.referral_logged(referral=logged.referral, linked_ask=logged.linked_ask, today=today)
        follow_ups.tell(ctx, client, channel_id=valid_channel_id(meta.get("channel_id")), user_id=who.user_id, reply=reply)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.view(ids.COMMIT_MODAL)
    def submit_commitments(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view.get("state", {}).get("values", {})
        try:
            people = commitments_from_form(
                selected_users=_value(values, ids.COMMIT_USERS_BLOCK, ids.COMMIT_USERS_ACTION, "selected_users"),
                typed_names=_value(values, ids.COMMIT_NAMES_BLOCK, ids.COMMIT_NAMES_ACTION, "value"),
            )
        except FormErrors as invalid:
            _reject(ack, invalid, COMMIT_FIELD_BLOCKS)
            return
        ack()
        who, rep, now = acting(ctx, client, body)
        week = ctx.writing(lambda session: commitment_service.commit_to_ask(
            session=session, workspace=who.workspace, rep=rep, command=CommitToAsk(people), now=now))
        follow_ups.tell(ctx, client, channel_id=None, user_id=who.user_id,
                        reply=replies.commitments_reply(open_people=week.open, kept=week.kept))
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.view(ids.CLOSE_REASON_MODAL)
    def submit_close_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view.get("state", {}).get("values", {})
        try:
            reason = reason_from_form(reason=_value(values, ids.CLOSE_REASON_BLOCK, ids.CLOSE_REASON_ACTION, "value"))
        except FormErrors as invalid:
            _reject(ack, invalid, REASON_FIELD_BLOCKS)
            return
        ack()
        who, rep, now = acting(ctx, client, body)
        try:
            number = _referral_number(view, usage="/referral lost <ref> <reason>")
            reply = coaching.reason_saved(referral_service.set_close_reason(
                engine=ctx.engine, workspace=who.workspace, rep=rep, number=number, reason=reason, now=now))
        except CommandError as error:
            reply = replies.command_error(problem=error.message, usage=error.usage)
        follow_ups.tell(ctx, client, channel_id=None, user_id=who.user_id, reply=reply)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.view(ids.PREP_MODAL)
    def submit_prep(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view.get("state", {}).get("values", {})
        try:
            answers = prep_from_form(answers={
                key: _value(values, ids.PREP_BLOCK_PREFIX + key, ids.PREP_ACTION, "value") for key, _ in PREP_QUESTIONS})
        except FormErrors as invalid:
            _reject(ack, invalid, PREP_FIELD_BLOCKS)
            return
        ack()
        who, rep, now = acting(ctx, client, body)
        try:
            number = _referral_number(view, usage="/referral list")
            reply = coaching.prep_saved(referral_service.save_prep(
                engine=ctx.engine, workspace=who.workspace, rep=rep, number=number, answers=answers, now=now))
        except CommandError as error:
            reply = replies.command_error(problem=error.message, usage=error.usage)
        follow_ups.tell(ctx, client, channel_id=None, user_id=who.user_id, reply=reply)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.view(ids.MEETING_MODAL)
    def submit_meeting(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        who, rep, now = acting(ctx, client, body)
        values = view.get("state", {}).get("values", {})
        try:
            meeting_on = meeting_date_from_form(
                selected_date=_value(values, ids.MEETING_DATE_BLOCK, ids.MEETING_DATE_ACTION, "selected_date"),
                today=local_today(now, rep.timezone))
        except FormErrors as invalid:
            _reject(ack, invalid, MEETING_FIELD_BLOCKS)
            return
        ack()
        updated = None
        try:
            number = _referral_number(view, usage=usage_for(ScheduleMeeting))
            updated = ctx.writing(lambda session: referral_service.advance_referral(
                session=session, workspace=who.workspace, rep=rep,
                command=ScheduleMeeting(RefQuery(number, None), meeting_on), now=now))
            reply = replies.referral_updated(referral=updated.referral, change=updated.change,
                                             already=updated.already, today=local_today(now, rep.timezone))
        except CommandError as error:
            reply = replies.command_error(problem=error.message, usage=error.usage)
        follow_ups.tell(ctx, client, channel_id=None, user_id=who.user_id, reply=reply)
        if updated is not None:
            follow_ups.coach_after_step(ctx, client, workspace=who.workspace, rep=rep, updated=updated,
                                        trigger_id=None, now=now)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)
