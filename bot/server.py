"""HTTP mode: Bolt's WSGI handler on ``POST /slack/events``, readiness on ``GET /healthz`` and
liveness on ``GET /livez``, served by waitress, a multi-threaded production WSGI server.

Bolt's built-in development server handles one request at a time; under ten
concurrent slash commands its p99 came close to Slack's 3-second deadline.
Every request to Slack's path goes through bot/request_guard.py first: size, then
signature, then shape, each failure a 4xx with a one-line reason and no traceback.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.config import default_web_threads
from bot.metrics import METRICS_PATH, metrics_wsgi
from bot.request_guard import MAX_BODY_BYTES, RequestRejected, body_length, check_shape, check_signature, read_body

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
LIVENESS_PATH = "/livez"


class Gate:
    """Open while the process takes new work; closed when it starts draining (SIGTERM). Counts the
    requests in flight so that the drain can wait for them."""

    def __init__(self) -> None:
        self._closed = threading.Event()
        self._idle = threading.Condition()
        self._active = 0

    def close(self) -> None:
        self._closed.set()

    @property
    def open(self) -> bool:
        return not self._closed.is_set()

    def enter(self) -> None:
        with self._idle:
            self._active += 1

    def leave(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)


def _respond(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def create_wsgi_app(app: App, engine: sa.Engine, *, signing_secret: str | None = None,
                    readiness: Callable[[], Any] | None = None, gate: Gate | None = None,
                    max_body: int = MAX_BODY_BYTES) -> Callable[..., Iterable[bytes]]:
    """``readiness`` returns a storage.health.Health; by default a write probe of ``engine``."""
    bolt = SlackRequestHandler(app, path=SLACK_EVENTS_PATH)
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", None) or ""
    gate = gate or Gate()
    if readiness is None:
        from storage.health import guard_commits

        readiness = guard_commits(engine).check

    flow = getattr(app, "oauth_flow", None)
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow is not None else set()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return metrics_wsgi(environ, start_response)
        if path == LIVENESS_PATH and method in ("GET", "HEAD"):
            return _respond(start_response, "200 OK", {"status": "alive"})
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            if not gate.open:
                return _respond(start_response, "503 Service Unavailable", {"status": "stopping"})
            health = readiness()
            return _respond(start_response, "200 OK" if health.ok else "503 Service Unavailable",
                            {"status": "ok" if health.ok else "unavailable",
                             "database": "writable" if health.ok else "unavailable", "reason": health.reason})
        if path in oauth_paths and method == "GET":
            # The OAuth install page and redirect (multi-workspace installs): Bolt's OAuth flow answers them.
            return bolt(environ, start_response)
        if path != SLACK_EVENTS_PATH:
            return _respond(start_response, "404 Not Found", {"error": "not found"})
        if method != "POST":
            return _respond(start_response, "405 Method Not Allowed", {"error": "POST only"})
        if not gate.open:
            return _respond(start_response, "503 Service Unavailable", {"error": "stopping"})
        try:
            length = body_length(environ.get("CONTENT_LENGTH"), limit=max_body)
            body = read_body(environ["wsgi.input"], length)
            check_signature(secret=secret, body=body, timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                            signature=environ.get("HTTP_X_SLACK_SIGNATURE"))
            check_shape(body, environ.get("CONTENT_TYPE"))
        except RequestRejected as rejected:
            log.info("rejected a request: %s (%s)", rejected.rejection.status, rejected.rejection.reason)
            return _respond(start_response, rejected.rejection.status, {"error": rejected.rejection.reason})
        environ = {**environ, "wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        gate.enter()
        try:
            return bolt(environ, start_response)
        except Exception as error:  # noqa: BLE001 - a request must never turn into a traceback for the caller
            log.error("request failed in Bolt: %s", type(error).__name__)
            return _respond(start_response, "400 Bad Request", {"error": "the request could not be handled"})
        finally:
            gate.leave()

    return wsgi


def listening_socket(host: str, port: int) -> socket.socket:
    """The HTTP port, bound and listening (OSError if it can't be): made before the server, so that a port in
    use is one clear line, and inheritable, so that ``serve --processes`` can share it with its other web
    processes (each accepts from the same queue of connections; the kernel hands each to one of them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # "::" binds IPv6 (and IPv4, where the OS maps it)
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def create_http_server(app: App, engine: sa.Engine, *, host: str = "127.0.0.1", port: int = 0,
                       sock: socket.socket | None = None, threads: int | None = None, gate: Gate | None = None,
                       readiness: Callable[[], Any] | None = None):  # noqa: ANN201
    """A waitress server, not yet running: call ``.run()`` (blocking) and ``.close()``. It listens on ``sock``
    when given (see ``listening_socket``), else it binds ``host`` and ``port`` itself. ``threads``: request
    threads, by default as ``WEB_THREADS`` defaults for this engine's database (bot/config.py)."""
    from waitress.server import create_server

    where = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    threads = threads or default_web_threads(engine.url.drivername)
    # waitress itself refuses a larger body (413) before buffering it; the guard checks again per request.
    return create_server(create_wsgi_app(app, engine, gate=gate, readiness=readiness), threads=threads,
                         ident="referral-nudge", clear_untrusted_proxy_headers=True,
                         max_request_body_size=MAX_BODY_BYTES, **where)


def stop_http_server(server) -> None:  # noqa: ANN001
    """Stop a server running in another thread: closing happens on the server's own loop thread,
    which then finds nothing left to serve and returns from ``run()``."""
    from waitress import wasyncore

    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except OSError:
        # The trigger's pipe is already closed (its descriptor was reused and closed elsewhere in the
        # process): close the sockets from here; the loop sees an empty map within its 1 s poll and returns.
        wasyncore.close_all(server._map, ignore_all=True)
    server.task_dispatcher.shutdown()
