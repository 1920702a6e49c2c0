"""Pulling the few fields listeners need out of Slack payloads, in one place."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session

from domain.funnel import Workspace
from services.context import AppContext
from services.people import Person


@dataclass(frozen=True)
class Requester:
    workspace: Workspace
    user_id: str


def requester(body: dict[str, Any]) -> Requester:
    """Works for slash commands (flat fields), interactive payloads (nested ``team``/``user``) and
    events (the person is the event's ``user``)."""
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    user = body.get("user")
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id") or event.get("user")
    enterprise = body.get("enterprise")
    enterprise_id = enterprise.get("id") if isinstance(enterprise, dict) else body.get("enterprise_id")
    return Requester(Workspace(team_id=str(team_id or ""), enterprise_id=enterprise_id or None), str(user_id or ""))


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata, written by us as JSON; anything else reads as empty."""
    try:
        value = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def acting(ctx: AppContext, client: Any, body: dict[str, Any], *,
           session: Session | None = None) -> tuple[Requester, Person, datetime]:
    """Who is acting, as we know them (zone, admin flag), and the moment they acted.

    Read from the profile cache, in the action's own transaction when given one; no Slack call on
    the request path. A profile never fetched, or a day old, is fetched on the outbox for next time.
    """
    who = requester(body)
    now = ctx.clock()
    if session is None:
        with ctx.reading() as own:
            person, stale = ctx.people.known(session=own, workspace=who.workspace, user_id=who.user_id, now=now)
    else:
        person, stale = ctx.people.known(session=session, workspace=who.workspace, user_id=who.user_id, now=now)
    if stale and who.user_id:
        ctx.outbox.submit(partial(ctx.people.refresh, client=client, workspace=who.workspace, user_id=who.user_id,
                                  now=now), key=("profile", who.workspace, who.user_id))
    return who, person, now


def request_key(request: Any) -> str | None:
    """What makes a request unique, for taking it once (storage/replays.py).

    Over HTTP: its timestamp and signature. In Socket Mode nothing is signed (Slack authenticates the
    socket) and delivery is at least once (an envelope can come again around a reconnect), so the key is
    the id Slack gives the person's action itself: the ``trigger_id`` of a command, click, shortcut or form,
    the ``event_id`` of an event. None when there is neither."""
    headers = getattr(request, "headers", None) or {}

    def header(name: str) -> str:
        values = headers.get(name) or []
        return (values[0] if isinstance(values, list | tuple) and values else str(values or ""))[:80]

    signature, timestamp = header("x-slack-signature"), header("x-slack-request-timestamp")
    if signature:
        return f"{timestamp}:{signature}"
    if getattr(request, "mode", None) == "socket_mode":
        body = getattr(request, "body", None) or {}
        action = body.get("trigger_id") or body.get("event_id")
        if isinstance(action, str) and action:
            return f"socket:{action[:72]}"
    return None
