"""Everyone's time zone, admin flag and deactivation, from Slack in bulk.

Ticks never ask Slack about people one by one: ``sync_profiles`` reads
``users.list`` page by page (Tier 2: about 20 calls a minute, so it waits
between pages) on its own schedule, and a ``user_change`` event updates one
person as it happens. A tick only syncs first when some team member has no
profile at all (a fresh install, a rep just added), and members Slack does not
list get an empty profile so that the next tick does not sync again for them.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from slack_sdk.errors import SlackApiError

from domain.funnel import Workspace
from storage.engine import read_scope, session_scope
from storage.profile_queries import count_members_without_profile, save_profiles, save_unknown_members
from storage.quiet_queries import read_quiet_state, save_quiet_proof

# The proof's job name: "every member had a profile at this generation" (a new member or a deleted profile
# bumps the generation, see storage/quiet_queries.py).
PROFILES_COMPLETE = "profiles"

log = logging.getLogger(__name__)
USERS_LIST_PAGE = 200
# Tier 2 allows 20+ calls a minute; one page every 3 seconds stays inside it.
TIER2_PAGE_INTERVAL = 3.0


@dataclass(frozen=True)
class ProfileFacts:
    user_id: str
    timezone: str | None
    is_admin: bool
    real_name: str | None
    deleted: bool


@dataclass
class SyncReport:
    pages: int = 0
    people: int = 0
    deactivated: int = 0


def profile_facts(user: dict[str, Any]) -> ProfileFacts:
    """What we keep of a Slack user object (``users.list`` member or ``user_change`` event)."""
    return ProfileFacts(user_id=str(user.get("id", "")), timezone=user.get("tz"),
                        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
                        real_name=user.get("real_name"), deleted=bool(user.get("deleted")))


def _pages(client: Any, page_size: int, interval: float, sleep: Callable[[float], None]) -> Iterator[list[dict]]:
    cursor = ""
    while True:
        response = client.users_list(limit=page_size, cursor=cursor or None)
        yield list(response.get("members") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return
        sleep(interval)


def sync_profiles(
    *, engine: sa.Engine, client: Any, workspace: Workspace, now: datetime, page_size: int = USERS_LIST_PAGE,
    interval: float = TIER2_PAGE_INTERVAL, sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Store every listed person's profile, one short write per page; no transaction spans a Slack call."""
    report = SyncReport()
    for members in _pages(client, page_size, interval, sleep):
        facts = [profile_facts(m) for m in members
                 if m.get("id") and not m.get("is_bot") and m.get("team_id", workspace.team_id) == workspace.team_id]
        with session_scope(engine) as session:
            save_profiles(session=session, workspace=workspace, facts=facts, now=now)
        report.pages += 1
        report.people += len(facts)
        report.deactivated += sum(f.deleted for f in facts)
    with session_scope(engine) as session:
        save_unknown_members(session=session, workspace=workspace, now=now)
    return report


def ensure_profiles(*, engine: sa.Engine, client: Any, workspace: Workspace, now: datetime) -> SyncReport | None:
    """Before a tick: a bulk sync only when some member has no profile yet. While the workspace's generation
    has not moved since every member was found with a profile, that is one read by primary key; otherwise a
    read-only count (neither queues for SQLite's write lock nor makes an ack wait behind it)."""
    with read_scope(engine) as session:
        state = read_quiet_state(session=session, workspace=workspace, job=PROFILES_COMPLETE)
        if state.proof is not None and state.proof.generation == state.generation:
            return None
        missing = count_members_without_profile(session=session, workspace=workspace)
    if not missing:
        with session_scope(engine) as session:
            save_quiet_proof(session=session, workspace=workspace, job=PROFILES_COMPLETE,
                             generation=state.generation, proven_at=now, valid_until=None, default_zone="")
        return None
    try:
        return sync_profiles(engine=engine, client=client, workspace=workspace, now=now)
    except SlackApiError as error:
        log.warning("users.list failed (%s); unknown people get the default time zone this tick",
                    error.response.get("error"))
    except Exception as error:  # noqa: BLE001 - Slack unreachable: the tick goes on with what it knows
        log.warning("users.list failed (%s); unknown people get the default time zone this tick",
                    type(error).__name__)
    return None


def apply_user_change(*, engine: sa.Engine, workspace: Workspace, user: dict[str, Any], now: datetime) -> ProfileFacts:
    """A ``user_change`` event: one person's zone, admin flag or deactivation, stored at once."""
    facts = profile_facts(user)
    with session_scope(engine) as session:
        save_profiles(session=session, workspace=workspace, facts=[facts], now=now)
    return facts
