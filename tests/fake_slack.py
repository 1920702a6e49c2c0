"""A fake Slack Web API on a random loopback port, for tests and benchmarks.

It records every call (method, decoded params, headers), answers like Slack for
the methods the bot uses, serves as the target of ``response_url`` posts and
file uploads, and fails on demand: 429 with Retry-After, 500, Slack error
codes, added latency (for every method or per method), a method or a ``response_url``
that hangs until released, a per-channel posting rate limit and a workspace-wide one.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata")
# A held method answers after this long even if never released, so a test that waits on it fails, not hangs.
HOLD_CAP_SECONDS = 30.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    url_key: str | None = None
    time: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    status: int
    retry_after: float | None
    error: str | None
    body: dict[str, Any] | None


class FakeSlack:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._condition = threading.Condition()
        self._faults: dict[str, deque[_Fault]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._latency = 0.0
        self._method_latency: dict[str, float] = {}
        self._arrivals: list[str] = []  # Web API methods in the order their requests arrived
        self._hang_response_url = threading.Event()  # set: response_url posts block until released
        self._released = threading.Event()
        self._held: dict[str, threading.Event] = {}  # Web API methods that hang until released
        self._channel_rate: float | None = None
        self._last_post: dict[str, float] = {}
        self._workspace_rate: float | None = None
        self._workspace_posts: deque[float] = deque()
        self._ts = itertools.count(1)
        self._history: dict[str, list[dict[str, Any]]] = {}  # channel ID -> messages posted there, oldest first
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._install_codes: dict[str, dict[str, Any]] = {}  # OAuth code -> the workspace it installs
        self._tokens: dict[str, dict[str, Any]] = {}  # bot token -> its workspace
        self._refresh_tokens: dict[str, dict[str, Any]] = {}
        self._token_serial = itertools.count(1)
        self.socket_mode_url: str | None = None  # what apps.connections.open answers
        # What auth.test reports as granted (x-oauth-scopes); by default everything manifest.json asks for.
        self.granted_scopes: list[str] = ["commands", "chat:write", "im:write", "users:read", "users:read.email",
                                          "channels:read", "groups:read", "channels:join", "files:write",
                                          "im:history", "channels:history", "groups:history"]

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        for method in list(self._held):
            self.release(method)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, key: str | None = None) -> str:
        return f"{self.base_url}/response/{key or uuid.uuid4().hex}"

    # --- configuration -------------------------------------------------------------------------

    def knows(self, user_id: str) -> bool:
        with self._condition:
            return user_id in self._users

    def add_user(self, user_id: str, tz: str | None = "America/New_York", is_admin: bool = False,
                 is_owner: bool = False, real_name: str | None = None, email: str | None = None,
                 team_id: str = "T0001") -> None:
        with self._condition:
            self._users[user_id] = {
                "id": user_id, "team_id": team_id, "name": user_id.lower(), "real_name": real_name or user_id,
                "tz": tz, "is_admin": is_admin, "is_owner": is_owner, "deleted": False, "is_bot": False,
                "profile": {"email": email, "real_name": real_name or user_id},
            }

    def add_install(self, code: str, *, team_id: str, team_name: str, bot_user_id: str = "UBOT",
                    installer: str = "U0ADMIN", rotating: bool = False, expires_in: int = 43200) -> None:
        """An OAuth ``code`` that ``oauth.v2.access`` trades for a fresh bot token of ``team_id``
        (with a refresh token and ``expires_in`` when the app has token rotation on)."""
        with self._condition:
            self._install_codes[code] = {"team_id": team_id, "team_name": team_name, "bot_user_id": bot_user_id,
                                         "installer": installer, "rotating": rotating, "expires_in": expires_in}

    def workspace_of_token(self, token: str) -> str | None:
        with self._condition:
            workspace = self._tokens.get(token)
            return workspace["team_id"] if workspace else None

    def revoke_tokens_of(self, team_id: str) -> None:
        """What Slack does on uninstall: the workspace's tokens stop working (invalid_auth)."""
        with self._condition:
            for workspace in self._tokens.values():
                if workspace["team_id"] == team_id:
                    workspace["revoked"] = True

    def _issue_token(self, workspace: dict[str, Any]) -> dict[str, Any]:
        serial = next(self._token_serial)
        prefix = "xoxe.xoxb" if workspace["rotating"] else "xoxb"
        token = f"{prefix}-{workspace['team_id']}-{serial}-{uuid.uuid4().hex}"
        self._tokens[token] = workspace
        answer: dict[str, Any] = {"ok": True, "app_id": "A0001", "token_type": "bot", "access_token": token,
                                  "bot_user_id": workspace["bot_user_id"], "scope": "commands,chat:write",
                                  "team": {"id": workspace["team_id"], "name": workspace["team_name"]},
                                  "enterprise": None, "is_enterprise_install": False,
                                  "authed_user": {"id": workspace["installer"]}}
        if workspace["rotating"]:
            refresh = f"xoxe-1-{workspace['team_id']}-{serial}-{uuid.uuid4().hex}"
            self._refresh_tokens[refresh] = workspace
            answer.update(refresh_token=refresh, expires_in=workspace["expires_in"])
        return answer

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._condition:
            if params.get("grant_type") == "refresh_token":
                workspace = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
            else:
                workspace = self._install_codes.pop(str(params.get("code")), None)
            if workspace is None:
                return {"ok": False, "error": "invalid_code" if params.get("code") else "invalid_refresh_token"}
            return self._issue_token(workspace)

    def _auth_test(self, headers: dict[str, str]) -> dict[str, Any]:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self._condition:
            workspace = self._tokens.get(token)
        if workspace is None:
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "referral-nudge",
                    "team_id": "T0001", "user_id": "UBOT", "bot_id": "B0001", "is_enterprise_install": False}
        if workspace.get("revoked"):
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"https://{workspace['team_id'].lower()}.slack.com/", "team": workspace["team_name"],
                "user": "referral-nudge", "team_id": workspace["team_id"], "user_id": workspace["bot_user_id"],
                "bot_id": "B" + workspace["team_id"], "is_enterprise_install": False}

    def fail_next(self, method: str, status: int = 500, times: int = 1, retry_after: float | None = None,
                  error: str | None = None, body: dict[str, Any] | None = None) -> None:
        with self._condition:
            queue = self._faults.setdefault(method, deque())
            queue.extend(_Fault(status, retry_after, error, body) for _ in range(times))

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Answer every Web API call (or only ``method``, e.g. "users.info") after ``seconds``."""
        if method is None:
            self._latency = seconds
        else:
            self._method_latency[method] = seconds

    def hang_response_url(self, hang: bool = True) -> None:
        """While set, a post to a response_url is read and recorded, then never answered until
        ``hang_response_url(False)`` or ``stop()``: the way a stuck Slack edge looks to the bot."""
        if hang:
            self._released.clear()
            self._hang_response_url.set()
        else:
            self._hang_response_url.clear()
            self._released.set()

    def hold(self, method: str) -> None:
        """Requests for ``method`` arrive (``wait_for_arrival`` sees them) and then get no answer until
        ``release(method)`` or ``stop()``, at most HOLD_CAP_SECONDS: a Web API method that hangs."""
        with self._condition:
            self._held.setdefault(method, threading.Event()).clear()

    def release(self, method: str) -> None:
        with self._condition:
            gate = self._held.pop(method, None)
        if gate is not None:
            gate.set()

    def set_workspace_rate_limit(self, per_second: float | None) -> None:
        """Slack's workspace-wide cap on chat.postMessage (about 20 a second for a burst of DMs):
        posts over the cap in any one-second window get 429 with Retry-After: 1."""
        with self._condition:
            self._workspace_rate = per_second
            self._workspace_posts.clear()

    def set_channel_rate_limit(self, per_second: float | None) -> None:
        with self._condition:
            self._channel_rate = per_second
            self._last_post.clear()

    # --- inspection ----------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._condition:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def uploaded(self, file_id: str) -> bytes:
        """The bytes of a file uploaded through files_upload_v2 (its upload URL ends in the file ID)."""
        [upload] = [c for c in self.calls_to("upload") if c.url_key == file_id]
        return upload.params["content"]

    def clear(self) -> None:
        with self._condition:
            self._calls.clear()

    def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate(calls)`` is truthy and return its value; AssertionError on timeout."""
        with self._condition:
            result = None

            def ready() -> bool:
                nonlocal result
                result = predicate(list(self._calls))
                return bool(result)

            if not self._condition.wait_for(ready, timeout=timeout):
                seen = [c.method for c in self._calls]
                raise AssertionError(f"fake Slack: condition not met within {timeout}s; calls: {seen}")
            return result

    def wait_for_arrival(self, method: str, timeout: float = 5.0) -> None:
        """Block until a request for ``method`` has arrived, even one still held by its latency."""
        with self._condition:
            if not self._condition.wait_for(lambda: method in self._arrivals, timeout=timeout):
                raise AssertionError(f"fake Slack: no {method} arrived within {timeout}s")

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        def enough(calls: list[Call]) -> list[Call] | None:
            hits = [c for c in calls if c.method == method]
            return hits[:count] if len(hits) >= count else None

        return self.wait_for(enough, timeout=timeout)

    # --- serving -------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        if parts.path.startswith("/upload/"):
            self._record(Call("upload", {"bytes": len(raw), "content": raw}, headers,
                              url_key=parts.path.rsplit("/", 1)[1]))
            return self._answer(request, 200, {"ok": True}, text="OK - uploaded")
        params.update(self._decode(raw, headers.get("content-type", "")))
        if parts.path.startswith("/response/"):
            self._record(Call("response_url", params, headers, url_key=parts.path.rsplit("/", 1)[1]))
            if self._hang_response_url.is_set():
                self._released.wait()
            return self._answer(request, 200, {"ok": True}, text="ok")
        method = parts.path.removeprefix("/api/")
        with self._condition:  # arrivals are recorded at once, before any added latency
            self._arrivals.append(method)
            self._condition.notify_all()
        with self._condition:
            gate = self._held.get(method)
        if gate is not None:
            gate.wait(HOLD_CAP_SECONDS)
        delay = self._method_latency.get(method, self._latency)
        if delay:
            time.sleep(delay)
        status, body, extra = self._respond(method, params, headers)
        self._record(Call(method, params, headers, status=status))
        self._answer(request, status, body, extra_headers=extra)

    @staticmethod
    def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        if "application/json" in content_type:
            try:
                value = json.loads(raw)
            except ValueError:
                return {"_raw": raw.decode(errors="replace")}
            return value if isinstance(value, dict) else {"_json": value}
        params: dict[str, Any] = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        for name in _JSON_FIELDS:
            if isinstance(params.get(name), str):
                try:
                    params[name] = json.loads(params[name])
                except ValueError:
                    pass
        return params

    def _record(self, call: Call) -> None:
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any], *, text: str | None = None,
                extra_headers: dict[str, str] | None = None) -> None:
        payload = (text if text is not None else json.dumps(body)).encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain" if text is not None else "application/json")
        request.send_header("Content-Length", str(len(payload)))
        for name, value in (extra_headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def _respond(self, method: str, params: dict[str, Any],
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._condition:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            if fault.status == 429:
                return 429, fault.body or {"ok": False, "error": "ratelimited"}, {
                    "Retry-After": str(int(fault.retry_after) if fault.retry_after is not None else 1)}
            if fault.error is not None and fault.status == 200:
                return 200, fault.body or {"ok": False, "error": fault.error}, {}
            return fault.status, fault.body or {"ok": False, "error": fault.error or "internal_error"}, {}
        if method == "apps.connections.open":  # Socket Mode: where to connect (tests/support/socket_mode.py)
            if self.socket_mode_url is None:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, {"ok": True, "url": self.socket_mode_url}, {}
        if method == "auth.test":  # Slack lists the token's granted scopes in a response header
            return 200, self._ok(method, params), {"x-oauth-scopes": ",".join(self.granted_scopes)}
        if method == "chat.postMessage" and self._workspace_rate:
            now = time.monotonic()
            with self._condition:
                while self._workspace_posts and now - self._workspace_posts[0] >= 1.0:
                    self._workspace_posts.popleft()
                if len(self._workspace_posts) >= self._workspace_rate:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
                self._workspace_posts.append(now)
        if method == "chat.postMessage" and self._channel_rate:
            channel = str(params.get("channel"))
            now = time.monotonic()
            with self._condition:
                last = self._last_post.get(channel)
                if last is not None and now - last < 1 / self._channel_rate:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
                self._last_post[channel] = now
        if method == "oauth.v2.access":
            return 200, self._oauth_access(params), {}
        if method == "auth.test":
            return 200, self._auth_test(headers or {}), {}
        if method == "users.list":
            return 200, self._users_page(params, headers or {}), {}
        return 200, self._ok(method, params), {}

    def _users_page(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """users.list, paginated with next_cursor like Slack's (the cursor is an offset here). With a token
        issued through OAuth, everyone is listed as a member of that token's workspace, as Slack would."""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self._condition:
            workspace = self._tokens.get(token)
            users = [dict(u, team_id=workspace["team_id"]) if workspace else u for u in self._users.values()]
        limit = max(1, min(int(params.get("limit") or 200), 1000))
        offset = int(params.get("cursor") or 0)
        page = users[offset:offset + limit]
        next_cursor = str(offset + limit) if offset + limit < len(users) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> None:
        with self._condition:
            self._users[user_id]["deleted"] = deleted

    @staticmethod
    def _channel_id(channel: str) -> str:
        """A post to a user ID lands in the IM channel that conversations.open names for that user."""
        return "D" + channel if channel[:1] in ("U", "W") else channel

    def history(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted to ``channel`` (a channel or user ID), oldest first."""
        with self._condition:
            return list(self._history.get(self._channel_id(channel), []))

    def _ts_value(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _ok(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "referral-nudge",
                    "team_id": "T0001", "user_id": "UBOT", "bot_id": "B0001", "is_enterprise_install": False}
        if method in ("users.info", "users.lookupByEmail"):
            with self._condition:
                if method == "users.info":
                    user = self._users.get(str(params.get("user")))
                else:
                    user = next((u for u in self._users.values()
                                 if u["profile"].get("email") == params.get("email")), None)
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"
                                                            if method == "users.lookupByEmail" else "user_not_found"}
        if method == "chat.postMessage":
            ts = self._ts_value()
            message = {"text": params.get("text"), "ts": ts}
            if isinstance(params.get("metadata"), dict):
                message["metadata"] = params["metadata"]
            with self._condition:
                self._history.setdefault(self._channel_id(str(params.get("channel"))), []).append(message)
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "conversations.history":  # newest first; metadata only when asked for, as Slack does
            with self._condition:
                messages = list(reversed(self._history.get(str(params.get("channel")), [])))
            limit = int(params.get("limit") or 100)
            if str(params.get("include_all_metadata")).lower() not in ("1", "true"):
                messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
            return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._ts_value()}
        if method in ("chat.update", "chat.delete"):
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = params.get("view") if isinstance(params.get("view"), dict) else {}
            return {"ok": True, "view": {**view, "id": "V" + uuid.uuid4().hex[:10].upper()}}
        if method == "conversations.open":
            users = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": self._channel_id(users)}}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": params.get("channel"), "is_member": True}}
        if method == "files.getUploadURLExternal":
            file_id = "F" + uuid.uuid4().hex[:10].upper()
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files") if isinstance(params.get("files"), list) else []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "team.info":
            return {"ok": True, "team": {"id": "T0001", "name": "Acme", "domain": "acme"}}
        return {"ok": True}
