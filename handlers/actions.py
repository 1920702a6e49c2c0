"""Buttons on our messages: Undo, and "Log what happened" for an ask.

The ack path: each listener acks at once, does its database work on the request
thread, and hands every Slack call (the response_url reply, forms, the Home
refresh) to the outbox through handlers/follow_ups.py.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from domain.forms import channel_id as valid_channel_id
from domain.forms import record_id, record_ids
from domain.funnel import Workspace
from domain.grammar.funnel import decode_close_won
from domain.home import QUICK_STEP_LABELS
from domain.parsing import CloseLost, CloseNoDecision, CloseWon, CommandError, MeetingHeld, RefQuery, Thanked, usage_for
from domain.periods import local_today, period_containing
from domain.records import ReferralRecord
from domain.team_commands import PauseNudges
from handlers import follow_ups
from handlers.payloads import acting
from services import asks as ask_service
from services import referrals as referral_service
from services import teams as team_service
from services.context import AppContext
from services.people import Person
from services.referrals import LIST_USAGE
from views import coaching, ids, modals, replies
from views import teams as team_views


def _ask_ids(value: str) -> list[int]:
    """Button values are ours, but a forged payload must not crash us: ignore what isn't an id."""
    return record_ids(value)


def register(app: App, ctx: AppContext) -> None:
    @app.action(ids.UNDO_ASK)
    def undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

        def work(session: Any) -> tuple[Any, ...]:
            who, rep, now = acting(ctx, client, body, session=session)
            results = [ask_service.remove_ask(session=session, workspace=who.workspace, rep=rep, now=now,
                                              ask_id=ask_id) for ask_id in _ask_ids(action.get("value", ""))]
            progress = results[-1].progress if results else ask_service.week_progress(
                session=session, workspace=who.workspace, rep=rep, now=now)
            return who, rep, now, results, progress

        who, rep, now, results, progress = ctx.writing(work)
        removed = [r.removed for r in results if r.removed]
        reasons = [r.reason for r in results if r.reason]
        follow_ups.respond_later(ctx, respond, replace_original=True, response_type="ephemeral", **replies.ask_removed(
            removed=removed, reason="; ".join(reasons) or None, progress=progress,
            today=local_today(now, rep.timezone)))
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now, looking=True)

    @app.action(ids.OPEN_ASK_MODAL)
    def open_ask_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """"Log an ask" on a reminder: the same form as a bare /asked; the confirmation comes as a DM."""
        ack()
        who, rep, now = acting(ctx, client, body)
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=modals.ask_modal(
            today=local_today(now, rep.timezone), private_metadata=json.dumps({"channel_id": None})))

    @app.action(ids.MARK_THANKED)
    def mark_thanked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     respond: Respond) -> None:
        """"Done: I thanked them": the same as /referral thanked <number>."""
        ack()
        number = record_id(action.get("value", ""))
        _step_from_button(body, client, respond, Thanked(RefQuery(number, None)) if number is not None else None,
                          stale=CommandError("That button no longer points at a referral.", usage=usage_for(Thanked)),
                          replace_original=False)

    @app.action(ids.CHOOSE_AMOUNT)
    def choose_amount(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                      respond: Respond) -> None:
        """The rep picked a reading of an ambiguous amount ("€12.000"): only now is the deal closed as won."""
        ack()
        _step_from_button(body, client, respond, decode_close_won(action.get("value", "")),
                          stale=CommandError("That button no longer holds an amount; type the won command again.",
                                             usage=usage_for(CloseWon)),
                          replace_original=True)

    def _step_from_button(body: dict[str, Any], client: WebClient, respond: Respond, command: Any, *,
                          stale: CommandError, replace_original: bool) -> None:
        """A button that takes one funnel step: stored in one write transaction, answered through its
        response_url on the outbox, then the Home tab refreshed. ``command`` is None when the button's
        value no longer reads as one; ``stale`` then says so."""
        who, rep, now = acting(ctx, client, body)
        try:
            if command is None:
                raise stale
            updated = ctx.writing(lambda session: referral_service.advance_referral(
                session=session, workspace=who.workspace, rep=rep, command=command, now=now))
            reply = replies.referral_updated(referral=updated.referral, change=updated.change, already=updated.already,
                                             today=local_today(now, rep.timezone))
        except CommandError as error:
            reply = replies.command_error(problem=error.message, usage=error.usage)
        follow_ups.respond_later(ctx, respond, replace_original=replace_original, response_type="ephemeral", **reply)
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now, looking=True)

    @app.action(ids.ADD_CLOSE_REASON)
    def open_close_reason(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                          respond: Respond) -> None:
        ack()
        _open_referral_form(body, action, client, respond, coaching.close_reason_modal)

    @app.action(ids.OPEN_PREP_MODAL)
    def open_prep(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """"Save my prep" on the checklist: the five questions, with whatever was saved before."""
        ack()
        _open_referral_form(body, action, client, respond, coaching.prep_modal)

    def _find_referral(workspace: Workspace, rep: Person, number: str) -> ReferralRecord | None:
        """A referral number from one of our buttons or menus; a forged or stale one finds nothing."""
        valid = record_id(number)
        if valid is None:
            return None
        with ctx.reading() as session:
            return referral_service.get_referral(session=session, workspace=workspace, rep=rep, number=valid)

    def _open_referral_form(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                            build: Callable[[ReferralRecord], dict[str, Any]]) -> None:
        who, rep, now = acting(ctx, client, body)
        referral = _find_referral(who.workspace, rep, action.get("value", ""))
        if referral is None:
            follow_ups.respond_later(ctx, respond, response_type="ephemeral", replace_original=False,
                                     **replies.command_error(problem="That button no longer points at one of your "
                                                                     "referrals.", usage=LIST_USAGE))
            return
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=build(referral))

    @app.action(ids.REFERRAL_MENU)
    def referral_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """A next step picked on the Home tab. There is no response_url there: the refreshed tab is the
        confirmation, and a problem comes as a DM."""
        ack()
        who, rep, now = acting(ctx, client, body)
        step, _, number = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        today = local_today(now, rep.timezone)
        try:
            if step not in QUICK_STEP_LABELS or record_id(number) is None:
                raise CommandError("That menu no longer points at one of your referrals.", usage=LIST_USAGE)
            ref = RefQuery(record_id(number), None)
            if step in ("prep", "meeting"):
                referral = _find_referral(who.workspace, rep, number)
                if referral is None:
                    raise CommandError("That referral is gone.", usage=LIST_USAGE)
                form = coaching.prep_modal(referral) if step == "prep" else coaching.meeting_modal(referral, today)
                follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=form)
                return
            command = {"thanked": Thanked(ref), "met": MeetingHeld(ref, today), "won": CloseWon(ref, None),
                       "lost": CloseLost(ref, None), "no_decision": CloseNoDecision(ref, None)}[step]
            updated = ctx.writing(lambda session: referral_service.advance_referral(
                session=session, workspace=who.workspace, rep=rep, command=command, now=now))
            follow_ups.coach_after_step(ctx, client, workspace=who.workspace, rep=rep, updated=updated,
                                        trigger_id=body.get("trigger_id"), now=now)
        except CommandError as error:
            follow_ups.tell(ctx, client, channel_id=None, user_id=who.user_id,
                            reply=replies.command_error(problem=error.message, usage=error.usage))
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now, looking=True)

    @app.action(ids.OPEN_COMMIT_MODAL)
    def open_commit_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"), view=modals.commit_modal())

    @app.action(ids.SNOOZE_WEEK)
    def snooze_week(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Time off for the rest of this week: no more nudges, and the week shows as paused."""
        ack()

        def work(session: Any) -> tuple[Any, ...]:
            who, rep, now = acting(ctx, client, body, session=session)
            week = period_containing("week", local_today(now, rep.timezone))
            return who, rep, now, team_service.pause_nudges(session=session, workspace=who.workspace, rep=rep,
                                                            command=PauseNudges(until=week.end), now=now)

        who, rep, now, until = ctx.writing(work)
        follow_ups.respond_later(ctx, respond, replace_original=True, **team_views.paused(until))
        follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now, looking=True)

    @app.action(ids.LOG_ASK_OUTCOME)
    def log_outcome(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    respond: Respond) -> None:
        ack()
        ask_ids = _ask_ids(action.get("value", ""))
        with ctx.reading() as session:
            who, rep, now = acting(ctx, client, body, session=session)
            ask = ask_service.get_ask_record(session=session, workspace=who.workspace, rep=rep,
                                             ask_id=ask_ids[0]) if ask_ids else None
        if ask is None:
            follow_ups.respond_later(ctx, respond, response_type="ephemeral", replace_original=False,
                                     **replies.command_error(problem="That ask was removed.", usage="/asked <name>"))
            return
        channel = valid_channel_id((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id"))
        meta = json.dumps({"ask_id": ask.id, "channel_id": channel})
        follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"),
                             view=modals.ask_outcome_modal(ask=ask, private_metadata=meta))
