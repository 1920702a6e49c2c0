"""The referral-habit job: "who do they know?" to each rep whose new client's follow-up has come."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from domain.funnel import Workspace
from services.client_followups import due_followups, followup_outgoing
from services.context import AppContext
from services.delivery import Outgoing
from views.client_followups import followup_message


def plan_client_followups(*, ctx: AppContext, client: Any, workspace: Workspace, now: datetime) -> Iterator[Outgoing]:
    def zone_of(user_id: str) -> Any:
        return ctx.people.person(client=client, workspace=workspace, user_id=user_id, now=now).timezone

    for due in due_followups(engine=ctx.engine, workspace=workspace, zone_of=zone_of, now=now):
        yield followup_outgoing(due, followup_message)
