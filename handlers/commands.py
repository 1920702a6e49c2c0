"""Slash commands: /asked and /referral.

Each listener acks at once (Slack's 3-second deadline), parses, makes one
service call and replies ephemerally through the command's response_url.
"""
from __future__ import annotations

import json
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
from domain.team_commands import PauseNudges, ResumeNudges, ShowLeaderboard
from handlers import follow_ups, habits
from handlers.payloads import acting
from services import asks as ask_service
from services import commitments as commitment_service
from services import conventions as convention_service
from services import forget as forget_service
from services import leaderboards as board_service
from services import plans as plan_service
from services import referrals as referral_service
from services import reviews as review_service
from services import spreadsheets as spreadsheet_service
from services import teams as team_service
from services.context import AppContext
from views import forget as forget_views
from views import modals, replies
from views import nudges as nudge_views
from views import spreadsheets as spreadsheet_views
from views import teams as team_views

# /referral commands after which the Home tab shows something new (when they succeed).
CHANGES_NUMBERS = (GotReferral, NobodyToIntroduce, ScheduleMeeting, MeetingHeld, CloseWon, CloseLost, CloseNoDecision,
                   Thanked, CommitToAsk, PauseNudges, ResumeNudges)


def register(app: App, ctx: AppContext) -> None:
    @app.command("/asked")
    def asked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        who, rep, now = acting(ctx, client, body)
        today = local_today(now, rep.timezone)
        try:
            conventions = convention_service.workspace_conventions(engine=ctx.engine, workspace=who.workspace)
            command = parse_asked(body.get("text") or "", today=today, conventions=conventions)
        except CommandError as error:
            respond(response_type="ephemeral", **replies.command_error(problem=error.message, usage=error.usage))
            return
        match command:
            case OpenAskModal():
                meta = json.dumps({"channel_id": body.get("channel_id")})
                client.views_open(trigger_id=body["trigger_id"], view=modals.ask_modal(today=today,
                                                                                      private_metadata=meta))
            case AskedHelp():
                respond(response_type="ephemeral", **replies.usage_message("Logging asks", ASKED_HELP))
            case UndoLastAsk():
                result = ask_service.remove_ask(engine=ctx.engine, workspace=who.workspace, rep=rep, now=now)
                respond(response_type="ephemeral", **replies.ask_removed(
                    removed=[result.removed] if result.removed else [], reason=result.reason,
                    progress=result.progress, today=today))
            case LogAsks(entries=entries):
                result = ask_service.log_asks(engine=ctx.engine, workspace=who.workspace, rep=rep, entries=entries,
                                              now=now)
                respond(response_type="ephemeral", **habits.with_connector_heads_up(ctx, replies.asks_logged(
                    logged=result.logged, duplicates=result.duplicates, progress=result.progress, today=today),
                    workspace=who.workspace, rep=rep, logged=result.logged, now=now))
        if isinstance(command, LogAsks | UndoLastAsk):
            follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

    @app.command("/referral")
    def referral(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        who, rep, now = acting(ctx, client, body)
        today = local_today(now, rep.timezone)
        services = dict(engine=ctx.engine, workspace=who.workspace, rep=rep)
        follow_up, command = None, None
        try:
            conventions = convention_service.workspace_conventions(engine=ctx.engine, workspace=who.workspace)
            command = parse_habit_command(body.get("text") or "", today=today) or \
                parse_referral(body.get("text") or "", today=today, conventions=conventions)
            match command:
                case HabitVerb():
                    reply = habits.answer(ctx, client, workspace=who.workspace, rep=rep, command=command, now=now)
                case ReferralHelp():
                    reply = replies.usage_message("Logging the rest of the funnel",
                                                  [*REFERRAL_VERBS_HELP, *HABIT_VERBS_HELP])
                case GotReferral():
                    logged = referral_service.log_referral(**services, command=command, now=now)
                    reply = replies.referral_logged(referral=logged.referral, linked_ask=logged.linked_ask,
                                                    today=today)
                case NobodyToIntroduce():
                    nobody = referral_service.log_nobody(**services, command=command, now=now)
                    reply = replies.nobody_logged(ask=nobody.ask, referrer_user_id=nobody.referrer_user_id,
                                                  referrer_name=nobody.referrer_name, on=nobody.occurred_on,
                                                  today=today)
                case ScheduleMeeting() | MeetingHeld() | CloseWon() | CloseLost() | CloseNoDecision() | Thanked():
                    updated = referral_service.advance_referral(**services, command=command, now=now)
                    reply = replies.referral_updated(referral=updated.referral, change=updated.change,
                                                     already=updated.already, today=today)
                    follow_up = partial(follow_ups.coach_after_step, ctx, client, workspace=who.workspace, rep=rep,
                                        updated=updated, trigger_id=body.get("trigger_id"), now=now)
                case ListReferrals():
                    listed = referral_service.open_referrals(**services, command=command)
                    reply = replies.referral_list(referrals=listed.referrals, total_open=listed.total_open,
                                                  today=today)
                case ShowStats():
                    reply = replies.stats_report(referral_service.stats(**services, command=command, now=now,
                                                                        people=ctx.people))
                case ShowSettings():
                    reply = replies.settings_reply(conventions, changed=False)
                case ChangeConvention():
                    reply = replies.settings_reply(convention_service.change_convention(
                        engine=ctx.engine, workspace=who.workspace, actor=rep, command=command, now=now), changed=True)
                case PauseNudges():
                    reply = team_views.paused(team_service.pause_nudges(**services, command=command, now=now))
                case ResumeNudges():
                    reply = team_views.resumed(team_service.resume_nudges(**services, now=now))
                case CommitToAsk():
                    week = commitment_service.commit_to_ask(**services, command=command, now=now)
                    reply = replies.commitments_reply(open_people=week.open, kept=week.kept)
                case ShowReview():
                    reply = replies.review_reply(review_service.review_outcomes(**services, command=command, now=now))
                case PlanClients():
                    reply = replies.plan_reply(*plan_service.plan_clients(**services, command=command, now=now))
                case ExportData():
                    export = spreadsheet_service.export_for(engine=ctx.engine, workspace=who.workspace, requester=rep)
                    reply = spreadsheet_views.export_on_its_way(export.scope, asks=export.asks, referrals=export.referrals)
                    follow_up = partial(follow_ups.send_export, client, user_id=rep.user_id, export=export)
                case ForgetPerson(user_id=user_id):
                    preview = forget_service.preview_forget(engine=ctx.engine, workspace=who.workspace, actor=rep,
                                                            user_id=user_id)
                    reply = forget_views.confirm_forget(user_id=preview.user_id, asks=preview.asks,
                                                        referrals=preview.referrals)
                case ShowLeaderboard():
                    reply = nudge_views.leaderboard_message(
                        board_service.leaderboard_for(**services, command=command, now=now, people=ctx.people))
                case _:  # the team commands
                    changed = team_service.manage_team(engine=ctx.engine, workspace=who.workspace, actor=rep,
                                                       command=command, now=now, client=client)
                    reply = team_views.team_list(changed) if isinstance(changed, tuple) else \
                        team_views.team_changed(summary=changed.summary, what=changed.what)
        except ChooseAmount as choice:  # nothing is stored until the rep picks a reading
            reply, command = replies.choose_amount(problem=choice.message, choices=[
                (replies.money(c.amount, c.currency), encode_close_won(c)) for c in choice.choices if c.amount]), None
        except CommandError as error:
            reply, command = replies.command_error(problem=error.message, usage=error.usage,
                                                   suggestion=error.suggestion), None
        respond(response_type="ephemeral", **reply)
        if follow_up is not None:
            follow_up()
        if isinstance(command, CHANGES_NUMBERS):
            follow_ups.refresh_home(ctx, client, workspace=who.workspace, user=rep, now=now)

