"""What a listener does after it has replied: the coaching that follows a logged step.

These run after the reply so the rep sees the confirmation first; each is best
effort, because the logged step is already saved and must not look failed.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from domain.funnel import Workspace
from domain.records import ReferralRecord
from services import prep as prep_service
from services.context import AppContext
from services.delivery import deliver
from services.people import Person
from views import coaching

log = logging.getLogger(__name__)


def send_prep_if_due(ctx: AppContext, client: Any, *, workspace: Workspace, rep: Person, referral: ReferralRecord,
                     now: datetime) -> None:
    """A meeting tomorrow or today gets its checklist now, through the ledger, so the tick won't repeat it."""
    due = prep_service.checklist_now(workspace=workspace, rep_user_id=rep.user_id, zone=rep.timezone,
                                     referral=referral, now=now)
    if due is None:
        return
    today = now.astimezone(rep.timezone).date()
    deliver([prep_service.prep_outgoing(due, lambda r: [coaching.prep_checklist_message(r, today)])],
            engine=ctx.engine, client=client, now=now, workers=1)


def ask_close_reason(client: Any, *, trigger_id: str | None, referral: ReferralRecord) -> None:
    """Lost or no decision without a reason: open the one-line form while the rep is still here.
    If Slack refuses (an expired trigger), the reply's "Add the reason" button still works."""
    if not trigger_id:
        return
    try:
        client.views_open(trigger_id=trigger_id, view=coaching.close_reason_modal(referral))
    except SlackApiError as error:
        log.info("couldn't open the reason form (%s); the reply's button remains", error.response.get("error"))
