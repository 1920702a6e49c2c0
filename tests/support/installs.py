"""Multi-workspace helpers: settings with OAuth, a running server, and the Add to Slack flow as a browser does it."""
from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.fernet import Fernet

from bot.config import Settings
from bot.server import create_http_server, stop_http_server
from tests.conftest import SIGNING_SECRET
from tests.driver import signed_headers

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-0123456789abcdef"
STATE_SECRET = "state-secret-0123456789abcdef"
KEY = Fernet.generate_key().decode()


def oauth_settings(api_url: str, database_url: str, keys: tuple[str, ...] = (KEY,)) -> Settings:
    return Settings(slack_bot_token="", slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url,
                    database_url=database_url, default_timezone="America/Chicago", slack_client_id=CLIENT_ID,
                    slack_client_secret=CLIENT_SECRET, slack_state_secret=STATE_SECRET, token_encryption_keys=keys)


class Browser:
    """The bot's HTTP server in a thread, and GETs that keep the state cookie the way a browser would."""

    def __init__(self, app, engine):  # noqa: ANN001
        self.server = create_http_server(app, engine, host="127.0.0.1", port=0, threads=4)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def get(self, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def install(self, code: str) -> tuple[int, str]:
        """Open /slack/install, follow its Add to Slack link's state back to /slack/oauth_redirect with ``code``."""
        status, headers, page = self.get("/slack/install")
        assert status == 200, page
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        link = html.unescape(re.search(r'<a href="([^"]+)"', page).group(1))
        query = parse_qs(urlsplit(link).query)
        assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0]
        status, _, page = self.get("/slack/oauth_redirect?" + urlencode({"code": code, "state": query["state"][0]}),
                                   cookie=cookie)
        return status, page

    def event(self, team_id: str, event: dict) -> int:
        body = json.dumps({"token": "legacy", "team_id": team_id, "api_app_id": "A0001", "type": "event_callback",
                           "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()), "event": event})
        request = urllib.request.Request(self.base + "/slack/events", data=body.encode(), method="POST",
                                         headers=signed_headers(SIGNING_SECRET, body, content_type="application/json"))
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def stop(self) -> None:
        stop_http_server(self.server)
        self.thread.join(timeout=10)
