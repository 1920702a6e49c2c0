"""What a listener does after it has acknowledged: every Slack call, run on the outbox.

Listeners (the ack path) never call Slack themselves; they hand these jobs to
``ctx.outbox`` (bot/outbox.py, the worker path), which runs them after the ack is
on its way. Each is best effort, because what was logged is already saved and
must not look failed. Opening a form goes on the outbox's urgent lane: its
trigger_id expires 3 seconds after the click.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from domain.funnel import Workspace
from domain.periods import local_today, period_containing, previous_period
from domain.records import ReferralRecord
from services import charts as chart_service
from services import connectors as connector_service
from services import home as home_service
from services import prep as prep_service
from services import teams as team_service
from services.context import AppContext
from services.delivery import deliver
from services.direct_messages import dm_channel
from services.people import Person
from services.referrals import ReferralUpdated
from services.spreadsheets import Export
from services.teams import ChannelSet
from views import chart, coaching, home, spreadsheets
from views import connectors as connector_views
from views import teams as team_views

log = logging.getLogger(__name__)


def open_view(ctx: AppContext, client: Any, *, trigger_id: str | None, view: dict[str, Any]) -> None:
    """Open a modal right after the ack, ahead of the queue (the trigger_id is good for 3 seconds)."""
    if trigger_id:
        ctx.outbox.submit(partial(_open_view, client, trigger_id, view), urgent=True)


def _open_view(client: Any, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        log.info("couldn't open a form (%s)", error.response.get("error"))


def update_view(ctx: AppContext, client: Any, *, view_id: str, view_hash: str | None, view: dict[str, Any]) -> None:
    """Redraw an open modal (a heads-up while the form is being filled), on the urgent lane: the person is
    looking at it. A stale ``view_hash`` (they changed it meanwhile) is refused by Slack and left alone."""
    ctx.outbox.submit(partial(_update_view, client, view_id, view_hash, view), urgent=True)


def _update_view(client: Any, view_id: str, view_hash: str | None, view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as error:
        log.info("couldn't update a form (%s)", error.response.get("error"))


def respond_later(ctx: AppContext, respond: Any, **reply: Any) -> None:
    """A reply through a button's response_url, off the request path (a response_url may hang)."""
    ctx.outbox.submit(partial(respond, **reply))


def tell(ctx: AppContext, client: Any, *, channel_id: str | None, user_id: str, reply: dict[str, Any]) -> None:
    """Confirm privately where the user was; a DM when we can't post there (e.g. the bot isn't in the channel)."""
    ctx.outbox.submit(partial(_tell, client, channel_id=channel_id, user_id=user_id, reply=reply))


def _tell(client: Any, *, channel_id: str | None, user_id: str, reply: dict[str, Any]) -> None:
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **reply)
            return
        except SlackApiError as error:
            log.info("ephemeral confirmation failed (%s); sending a DM", error.response.get("error"))
    client.chat_postMessage(channel=user_id, **reply)


def coach_after_step(ctx: AppContext, client: Any, *, workspace: Workspace, rep: Person, updated: ReferralUpdated,
                     trigger_id: str | None, now: datetime) -> None:
    """What follows a funnel step, wherever it was taken (command, Home menu, form): a scheduled meeting
    gets its checklist when due, a close without a reason asks for one."""
    if updated.already:
        return
    if updated.change == "meeting":
        ctx.outbox.submit(partial(send_prep_if_due, ctx, client, workspace=workspace, rep=rep,
                                  referral=updated.referral, now=now))
    elif updated.change in ("lost", "no_decision") and not updated.referral.close_reason:
        ctx.outbox.submit(partial(ask_close_reason, client, trigger_id=trigger_id, referral=updated.referral),
                          urgent=True)


def send_prep_if_due(ctx: AppContext, client: Any, *, workspace: Workspace, rep: Person, referral: ReferralRecord,
                     now: datetime) -> None:
    """A meeting tomorrow or today gets its checklist now, through the ledger, so the tick won't repeat it."""
    due = prep_service.checklist_now(workspace=workspace, rep_user_id=rep.user_id, zone=rep.timezone,
                                     referral=referral, now=now)
    if due is None:
        return
    deliver([prep_service.prep_outgoing(due, coaching.prep_checklist_message)], engine=ctx.engine, client=client,
            now=now, workers=1)


def ask_close_reason(client: Any, *, trigger_id: str | None, referral: ReferralRecord) -> None:
    """Lost or no decision without a reason: open the one-line form while the rep is still here.
    If Slack refuses (an expired trigger), the reply's "Add the reason" button still works."""
    if not trigger_id:
        return
    try:
        client.views_open(trigger_id=trigger_id, view=coaching.close_reason_modal(referral))
    except SlackApiError as error:
        log.info("couldn't open the reason form (%s); the reply's button remains", error.response.get("error"))


def check_team_channel(ctx: AppContext, client: Any, respond: Any, *, workspace: Workspace,
                       change: ChannelSet) -> None:
    """A team's new leaderboard channel, saved and confirmed in the ack: now see that the bot can post there
    (join a public one), and tell the admin through the command's response_url when there is something to do."""
    ctx.outbox.submit(partial(_check_team_channel, ctx, client, respond, workspace=workspace, change=change))


def _check_team_channel(ctx: AppContext, client: Any, respond: Any, *, workspace: Workspace,
                        change: ChannelSet) -> None:
    checked = team_service.settle_channel(client=client, engine=ctx.engine, workspace=workspace, change=change)
    reply = team_views.channel_checked(checked)
    if reply is not None:
        respond(response_type="ephemeral", replace_original=False, **reply)


# After something logged away from the Home tab (a command, a form, a shortcut), the tab is republished
# within this many seconds: the person is looking elsewhere, and opening the tab republishes it at once
# (app_home_opened). Everything they log meanwhile collapses into one refresh, which keeps the refreshes'
# CPU away from the acks and a busy workspace's views.publish calls well inside Slack's rate tier.
REFRESH_AFTER_CHANGE_SECONDS = 10.0


def refresh_home(ctx: AppContext, client: Any, *, workspace: Workspace, user: Person, now: datetime,
                 looking: bool = False) -> None:
    """Publish the person's Home tab, on the outbox, so it is never stale when they look at it.

    ``looking``: they opened the tab or clicked a button on it, so it goes out now (after the outbox's
    short collapse window) and brings forward a refresh already waiting. Otherwise it waits
    ``REFRESH_AFTER_CHANGE_SECONDS`` for more changes. Refreshes for one person that pile up run once."""
    ctx.outbox.submit(partial(publish_home, ctx, client, workspace=workspace, user=user, now=now),
                      key=("home", workspace, user.user_id), delay=None if looking else REFRESH_AFTER_CHANGE_SECONDS)


def publish_home(ctx: AppContext, client: Any, *, workspace: Workspace, user: Person, now: datetime) -> None:
    """Read the tab in one read-only transaction, then (no transaction open) upload its chart and publish it."""
    with ctx.reading() as session:
        content = home_service.home_content(session=session, workspace=workspace, person=user, people=ctx.people,
                                            now=now)
    today = local_today(now, user.timezone)
    # A manager's chart is their teams' combined; a rep's is their own.
    chart_reps = sorted({r.user_id for team in content.teams for r in team.reps}) or [user.user_id]
    points = chart_service.weekly_trend(engine=ctx.engine, workspace=workspace, rep_user_ids=chart_reps,
                                        last_week_start=previous_period(period_containing("week", today)).start)
    title = "Asks and referrals, last 12 weeks"

    def draw(weeks: tuple) -> bytes:  # only when this week's chart is not in Slack yet
        lines = chart_service.home_chart_lines(
            engine=ctx.engine, workspace=workspace, user_id=user.user_id, minimum=content.progress.minimum,
            managed_teams=[(t.minimum, len(t.reps)) for t in content.teams], last_week_start=weeks[-1].week_start)
        return chart.lines_chart_png(weeks, lines, title=title)

    chart_id = chart_service.upload_chart(client=client, engine=ctx.engine, workspace=workspace, owner=user.user_id,
                                          points=points, draw=draw, now=now, title=title)
    try:
        connectors = connector_service.top_connectors_of(engine=ctx.engine, workspace=workspace, rep=user, now=now)
        client.views_publish(user_id=user.user_id, view=connector_views.with_home_connectors(
            home.home_view(replace(content, chart_file_id=chart_id), today), connectors))
    except SlackApiError as error:
        if chart_id is None or error.response.get("error") != "invalid_blocks":
            log.warning("couldn't publish the Home tab: %s", error.response.get("error"))
            return
        # Slack sometimes refuses a privately uploaded image (not yet processed, or not visible to the viewer):
        # the tab is published without it rather than not at all.
        log.info("Home tab image refused (invalid_blocks); publishing it without the chart")
        try:
            client.views_publish(user_id=user.user_id, view=home.home_view(content, today))
        except SlackApiError as retry_error:
            log.warning("couldn't publish the Home tab: %s", retry_error.response.get("error"))


def send_export(ctx: AppContext, client: Any, *, user_id: str, export: Export) -> None:
    ctx.outbox.submit(partial(_send_export, client, user_id=user_id, export=export))


def _send_export(client: Any, *, user_id: str, export: Export) -> None:
    """Two CSV files in one upload to the requester's DM with the bot."""
    try:
        channel = dm_channel(client, user_id)
        client.files_upload_v2(channel=channel, initial_comment=spreadsheets.export_comment(
            export.scope, asks=export.asks, referrals=export.referrals), file_uploads=[
            {"content": export.asks_csv, "filename": "referral-asks.csv", "title": "Asks"},
            {"content": export.referrals_csv, "filename": "referral-referrals.csv", "title": "Referrals"},
        ])
    except SlackClientError as error:
        log.warning("export upload failed: %s", type(error).__name__)
        client.chat_postMessage(channel=user_id, text="The export couldn't be uploaded just now; "
                                                      "try `/referral export` again in a minute.")
