"""Drives the real Bolt app the way Slack does: signed requests, real payload shapes.

The app answers in the ack (the HTTP response body) and does its Slack calls on the
outbox afterwards; the driver returns the reply from the ack body or, for buttons, the
response_url post, after draining the outbox so the follow-ups have happened.
The people the fake Slack knows are in the profile cache before they act, as the bulk
profile sync would have put them there (``sync_profiles=False`` to act as a newcomer).
"""
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from domain.funnel import Workspace
from services.context import AppContext
from tests.fake_slack import FakeSlack

TEAM_ID = "T0001"


def signed_headers(signing_secret: str, body: str, *, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": signature}


def command_body(command: str, text: str, *, user_id: str, response_url: str, team_id: str = TEAM_ID,
                 channel_id: str = "C0GENERAL", trigger_id: str = "111.222.abc") -> str:
    return urlencode({
        "token": "legacy-verification-token", "team_id": team_id, "team_domain": "acme",
        "channel_id": channel_id, "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(),
        "command": command, "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    })


class SlackDriver:
    """Sends signed slash commands, button clicks and modal submissions through ``app.dispatch``."""

    def __init__(self, app: App, fake: FakeSlack, signing_secret: str, ctx: AppContext | None = None, *,
                 sync_profiles: bool = True):
        self.app, self.fake, self.signing_secret, self.ctx = app, fake, signing_secret, ctx
        self.sync_profiles = sync_profiles
        self._synced: set[tuple[str, str]] = set()

    def dispatch(self, body: str, content_type: str = "application/x-www-form-urlencoded", *,
                 user: str | None = None, team: str = TEAM_ID) -> BoltResponse:
        if user is not None:
            self._sync_profile(user, team)
        headers = signed_headers(self.signing_secret, body, content_type=content_type)
        self.last_signed = (body, headers)
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        self.settle()
        return response

    def replay(self, app: App | None = None) -> BoltResponse:
        """Deliver the last signed request again, byte for byte and with the same signature (a retry,
        a duplicating proxy, an attacker), to this app or to another replica's."""
        body, headers = self.last_signed
        response = (app or self.app).dispatch(BoltRequest(body=body, headers=headers))
        self.settle()
        return response

    def settle(self) -> None:
        """Wait for the follow-ups the last request handed to the outbox (no sleeps: a drain)."""
        if self.ctx is not None:
            assert self.ctx.outbox.drain(timeout=30), "the outbox did not drain"

    def _sync_profile(self, user: str, team: str) -> None:
        if not self.sync_profiles or self.ctx is None or (team, user) in self._synced or not self.fake.knows(user):
            return
        self._synced.add((team, user))
        client = self.app.client
        if getattr(self.app, "oauth_flow", None) is not None:  # many workspaces: each with its own token
            from bot.oauth import workspace_clients

            client = workspace_clients(self.app).client_for(Workspace(team_id=team)) or client
        self.ctx.people.refresh(client=client, workspace=Workspace(team_id=team), user_id=user, now=self.ctx.clock())

    @staticmethod
    def ack_reply(response: BoltResponse) -> dict[str, Any]:
        """The reply the app put in its acknowledgement, if any."""
        if not response.body:
            return {}
        try:
            reply = json.loads(response.body)
        except ValueError:
            return {"text": response.body}
        return reply if isinstance(reply, dict) else {}

    def command(self, command: str, text: str, *, user: str = "U0REP1", team: str = TEAM_ID,
                channel: str = "C0GENERAL") -> dict[str, Any]:
        """Run a slash command; return its reply: the ack's body, else what the app posted to its response_url."""
        key = self.fake.response_url().rsplit("/", 1)[1]
        url = self.fake.response_url(key)
        response = self.dispatch(command_body(command, text, user_id=user, response_url=url, team_id=team,
                                              channel_id=channel), user=user, team=team)
        assert response.status == 200, (response.status, response.body)
        self.last_ack = self.ack_reply(response)
        replies = [c for c in self.fake.calls_to("response_url") if c.url_key == key]
        return replies[-1].params if replies else self.last_ack

    def asked(self, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.command("/asked", text, **kwargs)

    def referral(self, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.command("/referral", text, **kwargs)

    def click(self, action_id: str, value: str, *, user: str = "U0REP1", team: str = TEAM_ID) -> dict[str, Any]:
        key = self.fake.response_url().rsplit("/", 1)[1]
        payload = {
            "type": "block_actions", "team": {"id": team, "domain": "acme"}, "user": {"id": user},
            "api_app_id": "A0001", "token": "legacy", "trigger_id": "333.444.def",
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0GENERAL", "is_ephemeral": True},
            "channel": {"id": "C0GENERAL", "name": "general"},
            "response_url": self.fake.response_url(key),
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                         "action_ts": "1.3"}],
        }
        response = self.dispatch(urlencode({"payload": json.dumps(payload)}), user=user, team=team)
        assert response.status == 200, (response.status, response.body)
        replies = [c for c in self.fake.calls_to("response_url") if c.url_key == key]
        return replies[-1].params if replies else self.ack_reply(response)

    def open_home(self, *, user: str = "U0REP1", team: str = TEAM_ID) -> dict[str, Any]:
        """The person opens the app's Home tab; returns the view the app published for them."""
        body = json.dumps({
            "token": "legacy", "team_id": team, "api_app_id": "A0001", "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
                      "event_ts": f"{time.time():.6f}"},
        })
        response = self.dispatch(body, content_type="application/json", user=user, team=team)
        assert response.status == 200, (response.status, response.body)
        return self.home_of(user)

    def home_of(self, user: str) -> dict[str, Any]:
        published = [c for c in self.fake.calls_to("views.publish") if c.params.get("user_id") == user]
        assert published, f"no Home tab published for {user}"
        return published[-1].params["view"]

    def pick(self, action_id: str, value: str, *, user: str = "U0REP1", team: str = TEAM_ID) -> None:
        """Choose an option of an overflow menu on the Home tab (no response_url there)."""
        payload = {
            "type": "block_actions", "team": {"id": team, "domain": "acme"}, "user": {"id": user},
            "api_app_id": "A0001", "token": "legacy", "trigger_id": "777.888.jkl",
            "container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME", "type": "home"},
            "actions": [{"type": "overflow", "action_id": action_id, "block_id": "b1",
                         "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
                         "action_ts": "1.3"}],
        }
        response = self.dispatch(urlencode({"payload": json.dumps(payload)}), user=user, team=team)
        assert response.status == 200, (response.status, response.body)

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], *, user: str = "U0REP1",
               team: str = TEAM_ID) -> BoltResponse:
        """Submit a modal we opened earlier, with the given state values."""
        payload = {
            "type": "view_submission", "team": {"id": team, "domain": "acme"}, "user": {"id": user},
            "api_app_id": "A0001", "token": "legacy", "trigger_id": "555.666.ghi",
            "view": {**view, "id": "V0001", "state": {"values": values}},
        }
        return self.dispatch(urlencode({"payload": json.dumps(payload)}), user=user, team=team)
