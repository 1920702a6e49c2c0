"""Who a Slack user is to us: time zone and admin flag, from ``users.info``, cached.

A person's week is Monday to Sunday in their own zone, so every "this week"
needs their zone. Slack is asked at most once a day per person; when Slack
cannot answer, a stale cached zone is better than none, and ``DEFAULT_TIMEZONE``
is the last resort. The Slack call happens outside any transaction.

Listeners never ask Slack (the request path answers from the database alone):
they use ``known``, which reads the cache in the caller's transaction and says
whether the profile should be refreshed; ``refresh`` then runs on the outbox.
Someone not yet known gets the workspace's default zone until then.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from domain.funnel import Workspace
from storage.engine import read_scope, run_in_transaction
from storage.queries import get_profile, get_profile_facts, list_profiles, save_profile

log = logging.getLogger(__name__)
PROFILE_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Person:
    user_id: str
    timezone: ZoneInfo
    is_admin: bool


class PeopleDirectory:
    def __init__(self, *, engine: sa.Engine, default_timezone: str, admin_user_ids: frozenset[str]):
        self._engine = engine
        self._default_zone = ZoneInfo(default_timezone)
        self._admin_user_ids = admin_user_ids

    @property
    def default_zone(self) -> ZoneInfo:
        return self._default_zone

    def person(self, *, client: Any, workspace: Workspace, user_id: str, now: datetime) -> Person:
        with read_scope(self._engine) as session:
            cached = get_profile(session=session, workspace=workspace, user_id=user_id)
            cached_zone, cached_admin, fetched_at = (
                (cached.timezone, cached.is_admin, cached.fetched_at) if cached else (None, False, None)
            )
        if fetched_at is not None and now - fetched_at < PROFILE_TTL:
            return self._person(user_id, cached_zone, cached_admin)

        fetched = self._fetch(client, user_id)
        if fetched is None:
            return self._person(user_id, cached_zone, cached_admin)
        zone, is_admin, real_name = fetched
        run_in_transaction(self._engine, lambda session: save_profile(
            session=session, workspace=workspace, user_id=user_id, timezone=zone, is_admin=is_admin,
            real_name=real_name, fetched_at=now,
        ))
        return self._person(user_id, zone, is_admin)

    def known(self, *, session: Session, workspace: Workspace, user_id: str, now: datetime) -> tuple[Person, bool]:
        """The person as cached, read in the caller's transaction, and whether Slack should be asked again
        (never asked, or asked more than a day ago). No Slack call."""
        cached = get_profile_facts(session=session, workspace=workspace, user_id=user_id)
        if cached is None:
            return self._person(user_id, None, False), True
        return self._person(user_id, cached.timezone, cached.is_admin), now - cached.fetched_at >= PROFILE_TTL

    def refresh(self, *, client: Any, workspace: Workspace, user_id: str, now: datetime) -> None:
        """Ask Slack for the person's profile and cache it; off the request path (the outbox runs it)."""
        fetched = self._fetch(client, user_id)
        if fetched is None:
            return
        zone, is_admin, real_name = fetched
        run_in_transaction(self._engine, lambda session: save_profile(
            session=session, workspace=workspace, user_id=user_id, timezone=zone, is_admin=is_admin,
            real_name=real_name, fetched_at=now,
        ))

    def cached_people(self, *, session: Session, workspace: Workspace, user_ids: list[str]) -> dict[str, Person]:
        """Many people as cached, in one query, in the caller's transaction (a manager's teams)."""
        found = {p.user_id: p for p in list_profiles(session=session, workspace=workspace, user_ids=user_ids)}
        return {uid: self._person(uid, found[uid].timezone if uid in found else None,
                                  found[uid].is_admin if uid in found else False) for uid in user_ids}

    def cached_person(self, *, workspace: Workspace, user_id: str) -> Person:
        """What we know without asking Slack: for bulk reads such as a leaderboard's streaks."""
        with read_scope(self._engine) as session:
            cached = get_profile(session=session, workspace=workspace, user_id=user_id)
            return self._person(user_id, cached.timezone if cached else None, cached.is_admin if cached else False)

    def _person(self, user_id: str, zone_name: str | None, is_admin: bool) -> Person:
        return Person(user_id=user_id, timezone=self._zone(zone_name),
                      is_admin=is_admin or user_id in self._admin_user_ids)

    def _zone(self, name: str | None) -> ZoneInfo:
        if not name:
            return self._default_zone
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return self._default_zone

    @staticmethod
    def _fetch(client: Any, user_id: str) -> tuple[str | None, bool, str | None] | None:
        """(zone, is_admin, name); None when Slack could not answer now (try again next time).

        A user Slack says doesn't exist is remembered like any other answer (no zone, not an
        admin), so that every command from them doesn't ask Slack again.
        """
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "user_not_visible"):
                return None, False, None
            log.warning("users.info failed for %s (%s); using the cached or default time zone",
                        user_id, error.response.get("error"))
            return None
        except Exception as error:  # noqa: BLE001 - Slack unreachable: fall back, ask again later
            log.warning("users.info failed for %s (%s); using the cached or default time zone",
                        user_id, type(error).__name__)
            return None
        return user.get("tz"), bool(user.get("is_admin") or user.get("is_owner")), user.get("real_name")
