"""HTTP mode: Bolt's WSGI handler on ``POST /slack/events`` plus ``GET /healthz``,
served by waitress, a multi-threaded production WSGI server.

Bolt's built-in development server handles one request at a time; under ten
concurrent slash commands its p99 came close to Slack's 3-second deadline.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.metrics import METRICS_PATH, metrics_wsgi
from storage.engine import ping

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SERVER_THREADS = 16


def create_wsgi_app(app: App, engine: sa.Engine) -> Callable[..., Iterable[bytes]]:
    bolt = SlackRequestHandler(app, path=SLACK_EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return metrics_wsgi(environ, start_response)
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = ping(engine)
            body = json.dumps({"status": "ok" if healthy else "unavailable",
                               "database": "reachable" if healthy else "unreachable"}).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return bolt(environ, start_response)

    return wsgi


def create_http_server(app: App, engine: sa.Engine, *, host: str, port: int, threads: int = SERVER_THREADS):  # noqa: ANN201
    """A waitress server, not yet running: call ``.run()`` (blocking) and ``.close()``."""
    from waitress.server import create_server

    return create_server(create_wsgi_app(app, engine), host=host, port=port, threads=threads,
                         ident="referral-nudge", clear_untrusted_proxy_headers=True)


def stop_http_server(server) -> None:  # noqa: ANN001
    """Stop a server running in another thread: closing happens on the server's own loop thread,
    which then finds nothing left to serve and returns from ``run()``."""
    from waitress import wasyncore

    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    server.task_dispatcher.shutdown()
