"""Slash commands: /asked and /referral. The ack path.

Each listener runs on the request thread (the app is built with
``process_before_response=True``): it parses, does its database work in one
transaction, and puts the rep's answer in the acknowledgement itself, so the rep
sees it at once whatever Slack's Web API is doing. It never calls Slack: the Home
refresh, DMs, forms and uploads go to the outbox (handlers/follow_ups.py).

A failure is told plainly in the ack: before anything was stored, that nothing
was stored; after, what was stored (so nobody types it again).
"""
from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from domain.grammar.forget import ForgetPerson
from domain.grammar.funnel import encode_close_won
from domain.habit_commands import HABIT_VERBS_HELP, HabitVerb, parse_habit_command
from domain.parsing import (
    ASKED_HELP,
    REFERRAL_VERBS_HELP,
    AskedHelp,
    ChangeConvention,
    ChooseAmount,
    CloseLost,
    CloseNoDecision,
    CloseWon,
    CommandError,
    CommitToAsk,
    ExportData,
    GotReferral,
    ListReferrals,
    LogAsks,
    MeetingHeld,
    NobodyToIntroduce,
    OpenAskModal,
    PlanClients,
    ReferralHelp,
    ScheduleMeeting,
    ShowReview,
    ShowSettings,
    ShowStats,
    Thanked,
    UndoLastAsk,
    parse_asked,
    parse_referral,
)
from domain.periods import local_today
from domain.team_commands import PauseNudges, ResumeNudges
from handlers import follow_ups, habits
from handlers.payloads import acting
from services import asks as ask_service
from services import commitments as commitment_service
from services import conventions as convention_service
from services import forget as forget_service
from services import health as health_service
from services import plans as plan_service
from services import referrals as referral_service
from services import reviews as review_service
from services import spreadsheets as spreadsheet_service
from services import teams as team_service
from services.context import AppContext, Replayed
from views import forget as forget_views
from views import modals, replies
from views import spreadsheets as spreadsheet_views
from views import teams as team_views

# /referral commands after which the Home tab shows something new (when they succeed).
CHANGES_NUMBERS = (GotReferral, NobodyToIntroduce, ScheduleMeeting, MeetingHeld, CloseWon, CloseLost, CloseNoDecision,
                   Thanked, CommitToAsk, PauseNudges, ResumeNudges)


log = logging.getLogger(__name__)

# /referral commands that store something (when they succeed): a failure after them says it was stored.
STORES = CHANGES_NUMBERS + (CommitToAsk,)
# Changes to the rep's own records, stored in the listener's own write transaction and taken once.
OWN_STEPS = (GotReferral, NobodyToIntroduce, ScheduleMeeting, MeetingHeld, CloseWon, CloseLost, CloseNoDecision,
             Thanked, PauseNudges, ResumeNudges, CommitToAsk)


def _nothing_saved(command: str, error: Exception) -> dict[str, Any]:
    """The reply to a command that failed before storing anything: a sick database is said plainly (and logged in
    one line, it is expected on a bad day); anything else is our bug, logged with its traceback."""
    reason = health_service.database_down(error)
    if reason:
        log.error("%s failed: the database refused it, nothing was stored: %s", command, reason)
        return replies.database_unavailable()
    log.exception("%s failed before anything was stored", command)
    return replies.internal_error()


def register(app: App, ctx: AppContext) -> None:
    @app.command("/asked")
    def asked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        text = body.get("text") or ""

        def work(session: Any) -> tuple[Any, ...]:
            """One write transaction: who is asking, what they typed, and the asks stored."""
            who, rep, now = acting(ctx, client, body, session=session)
            today = local_today(now, rep.timezone)
            try:
                conventions = convention_service.conventions_of(session=session, workspace=who.workspace)
                command = parse_asked(text, today=today, conventions=conventions)
            except CommandError as error:
                return who, rep, now, today, error, None
            match command:
                case UndoLastAsk():
                    result = ask_service.remove_ask(session=session, workspace=who.workspace, rep=rep, now=now)
                case LogAsks(entries=entries):
                    result = ask_service.log_asks(session=session, workspace=who.workspace, rep=rep, entries=entries,
                                                  now=now)
                case _:
                    result = None
            return who, rep, now, today, command, result

        try:
            who, rep, now, today, command, result = ctx.writing(work)
        except Replayed:
            ack(response_type="ephemeral", **replies.already_received())
            return
        except Exception as error:
            ack(response_type="ephemeral", **_nothing_saved("/asked", error))
            return
        try:
            match command:
                case CommandError() as error:
                    reply = replies.command_error(problem=error.message, usage=error.usage)
                case OpenAskModal():
                    meta = json.dumps({"channel_id": body.get("channel_id")})
                    follow_ups.open_view(ctx, client, trigger_id=body.get("trigger_id"),
                                         view=modals.ask_modal(today=today, private_metadata=meta))
                    reply = None
                case AskedHelp():
                    reply = replies.usage_message("Logging asks", ASKED_HELP)
                case UndoLastAsk():
                    reply = replies.ask_removed(removed=[result.removed] if result.removed else [],
                                                reason=result.reason, progress=result.progress, today=today)
                case LogAsks():
                    reply = habits.with_connector_heads_up(replies.asks_logged(
                        logged=result.logged, duplicates=result.duplicates, progress=result.progress, today=today,
                        again_today=result.again_today), result.heads_ups, rep=rep, now=now)
        except Exception:
            log.exception("/asked stored its change but could not build the reply")
            reply = replies.stored_but_unanswered(f"/asked {text}") if isinstance(command, LogAsks | UndoLastAsk) \
                else replies.internal_error()
        if reply is None:
            ack()
        else:
            ack(response_type="ephemeral", **reply)
        if isinstance(command, LogAsks | UndoLastAsk):
            follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.command("/referral")
    def referral(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = body.get("text") or ""
        command, stored, follow_up = None, False, None
        try:
            # Who is asking, what they typed, and any answer that only reads: one read-only transaction.
            with ctx.reading() as session:
                who, rep, now = acting(ctx, client, body, session=session)
                today = local_today(now, rep.timezone)
                conventions = convention_service.conventions_of(session=session, workspace=who.workspace)
                command = parse_habit_command(text, today=today) or \
                    parse_referral(text, today=today, conventions=conventions)
                reply = _read_reply(session, command, who, rep, now, today, conventions)
            if reply is None:
                # A step of the funnel: one short write transaction, then the reply built from what it stored.
                result = _store(command, who, rep, now) if isinstance(command, OWN_STEPS) else None
                stored = result is not None
                reply, follow_up, stored = _referral_reply(client, respond, body, command, who, rep, now, today,
                                                           result)
        except ChooseAmount as choice:  # nothing is stored until the rep picks a reading
            reply, command = replies.choose_amount(problem=choice.message, choices=[
                (replies.money(c.amount, c.currency), encode_close_won(c)) for c in choice.choices if c.amount]), None
        except CommandError as error:
            reply, command = replies.command_error(problem=error.message, usage=error.usage,
                                                   suggestion=error.suggestion), None
        except Replayed:
            reply, command = replies.already_received(), None
        except Exception as error:
            if stored:
                log.exception("/referral stored its change but could not build the reply")
            ack(response_type="ephemeral", **(replies.stored_but_unanswered(f"/referral {text}") if stored
                                               else _nothing_saved("/referral", error)))
            return
        ack(response_type="ephemeral", **reply)
        if follow_up is not None:
            follow_up()
        if isinstance(command, CHANGES_NUMBERS):
            follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    def _read_reply(session: Any, command: Any, who: Any, rep: Any, now: Any, today: Any,
                    conventions: Any) -> dict[str, Any] | None:
        """The answer to a command that only reads, from the caller's read-only transaction; None for the rest."""
        services = dict(session=session, workspace=who.workspace, rep=rep)
        match command:
            case ReferralHelp():
                return replies.usage_message("Logging the rest of the funnel", [*REFERRAL_VERBS_HELP, *HABIT_VERBS_HELP])
            case ListReferrals():
                listed = referral_service.open_referrals(**services, command=command)
                return replies.referral_list(referrals=listed.referrals, total_open=listed.total_open, today=today)
            case ShowStats():
                return replies.stats_report(referral_service.stats(**services, command=command, now=now,
                                                                   people=ctx.people))
            case ShowSettings():
                return replies.settings_reply(conventions, changed=False)
        return None

    def _store(command: Any, who: Any, rep: Any, now: Any) -> Any:
        """A change to the rep's own records in one write transaction (no Slack call inside: it may be
        retried)."""
        services = dict(workspace=who.workspace, rep=rep, command=command, now=now)
        match command:
            case GotReferral():
                step = referral_service.log_referral
            case NobodyToIntroduce():
                step = referral_service.log_nobody
            case PauseNudges():
                step = team_service.pause_nudges
            case ResumeNudges():
                step, services = team_service.resume_nudges, dict(workspace=who.workspace, rep=rep, now=now)
            case CommitToAsk():
                step = commitment_service.commit_to_ask
            case _:
                step = referral_service.advance_referral
        return ctx.writing(lambda session: step(session=session, **services))

    def _referral_reply(client: WebClient, respond: Respond, body: dict[str, Any], command: Any, who: Any, rep: Any,
                        now: Any, today: Any, stored: Any) -> tuple[dict[str, Any], Any, bool]:
        """The reply to one /referral command that changes something (``stored``: a funnel step already stored),
        what to hand the outbox after the ack, and whether something was stored."""
        services = dict(engine=ctx.engine, workspace=who.workspace, rep=rep)
        follow_up = None
        match command:
            case GotReferral():
                reply = replies.referral_logged(referral=stored.referral, linked_ask=stored.linked_ask, today=today)
            case NobodyToIntroduce():
                reply = replies.nobody_logged(ask=stored.ask, referrer_user_id=stored.referrer_user_id,
                                              referrer_name=stored.referrer_name, on=stored.occurred_on, today=today)
            case ScheduleMeeting() | MeetingHeld() | CloseWon() | CloseLost() | CloseNoDecision() | Thanked():
                reply = replies.referral_updated(referral=stored.referral, change=stored.change,
                                                 already=stored.already, today=today)
                follow_up = partial(follow_ups.coach_after_step, ctx, client, workspace=who.workspace, rep=rep,
                                    updated=stored, trigger_id=body.get("trigger_id"), now=now)
            case PauseNudges():
                reply = team_views.paused(stored)
            case ResumeNudges():
                reply = team_views.resumed(stored)
            case CommitToAsk():
                reply = replies.commitments_reply(open_people=stored.open, kept=stored.kept)
            case ShowReview():
                reply = replies.review_reply(review_service.review_outcomes(**services, command=command, now=now))
            case PlanClients():
                reply = replies.plan_reply(*plan_service.plan_clients(**services, command=command, now=now))
            case ExportData():
                export = spreadsheet_service.export_for(engine=ctx.engine, workspace=who.workspace, requester=rep)
                reply = spreadsheet_views.export_on_its_way(export.scope, asks=export.asks, referrals=export.referrals)
                follow_up = partial(follow_ups.send_export, ctx, client, user_id=rep.user_id, export=export)
            case HabitVerb():
                reply = habits.answer(ctx, client, workspace=who.workspace, rep=rep, command=command, now=now)
            case ChangeConvention():
                reply = replies.settings_reply(convention_service.change_convention(
                    engine=ctx.engine, workspace=who.workspace, actor=rep, command=command, now=now), changed=True)
            case ForgetPerson(user_id=user_id):
                preview = forget_service.preview_forget(engine=ctx.engine, workspace=who.workspace, actor=rep,
                                                        user_id=user_id)
                reply = forget_views.confirm_forget(user_id=preview.user_id, asks=preview.asks,
                                                    referrals=preview.referrals)
            case _:  # the team commands
                changed = team_service.manage_team(engine=ctx.engine, workspace=who.workspace, actor=rep,
                                                   command=command, now=now)
                if isinstance(changed, tuple):
                    reply = team_views.team_list(changed)
                else:
                    reply = team_views.team_changed(summary=changed.summary, what=changed.what,
                                                    checking_channel=changed.channel_set is not None)
                if not isinstance(changed, tuple) and changed.channel_set is not None:
                    # Saved and answered now; whether the bot can post there is Slack's to say, after the ack.
                    follow_up = partial(follow_ups.check_team_channel, ctx, client, respond, workspace=who.workspace,
                                        change=changed.channel_set)
        return reply, follow_up, isinstance(command, STORES)
