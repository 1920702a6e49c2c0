"""``referral-bot worker``: the scheduler and the deliveries alone, beside ``serve --no-scheduler``.

It serves ``/healthz`` and ``/metrics`` on a small port of its own. SIGTERM or SIGINT stops the
scheduler taking new ticks, drains the fan-out (in-flight sends finish within
``--drain-seconds``, default 10; what cannot finish is handed back to the
ledger, so nothing stays claimed) and exits 0.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)
DEFAULT_WORKER_PORT = 8081
# A route answers (HTTP status, content type, body).
Route = Callable[[], tuple[int, str, bytes]]


class SideServer:
    """A tiny threaded HTTP server for a process's health (and metrics) endpoints; GET only."""

    def __init__(self, host: str, port: int):
        self._routes: dict[str, Route] = {}
        routes = self._routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                route = routes.get(self.path.split("?", 1)[0])
                status, content_type, body = route() if route else (404, "text/plain", b"not found\n")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # health probes every few seconds: not worth a line each
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="side-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def add_route(self, path: str, route: Route) -> None:
        self._routes[path] = route

    def start(self) -> SideServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def health_route(engine: Any, scheduler: Any) -> Route:
    from storage.engine import ping

    def route() -> tuple[int, str, bytes]:
        database = ping(engine)
        running = bool(getattr(scheduler, "running", False))
        healthy = database and running
        body = json.dumps({"status": "ok" if healthy else "unavailable",
                           "database": "reachable" if database else "unreachable",
                           "scheduler": "running" if running else "stopped"}).encode()
        return (200 if healthy else 503), "application/json", body

    return route


def run_worker(settings: Any, *, host: str, port: int, drain_seconds: float, tick_seconds: float | None = None,
               first_tick_seconds: float | None = None) -> int:
    from bot.app import create_app
    from bot.gc_pauses import freeze_start_up_objects
    from bot.metrics import METRICS_PATH, metrics_route
    from bot.scheduler import create_scheduler
    from services.delivery import GATE
    from storage.checkpoints import start_checkpoints
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    checkpoints = start_checkpoints(engine)  # SQLite: off the commits of deliveries, on a thread of their own
    app, ctx = create_app(settings, engine=engine)
    scheduler = create_scheduler(ctx=ctx, client=app.client, tick_seconds=tick_seconds,
                                 first_tick_seconds=first_tick_seconds)
    freeze_start_up_objects()  # see bot/gc_pauses.py: a tick's full collections skip start-up's objects
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = SideServer(host, port)
    server.add_route("/healthz", health_route(engine, scheduler))
    server.add_route(METRICS_PATH, metrics_route)  # the ticks' durations, sends and failures, the ledger's backlog
    scheduler.start()
    server.start()
    log.info("worker running: scheduler and deliveries; health on http://%s:%d/healthz", host, server.port)
    stop.wait()
    log.info("stopping: no new ticks; draining deliveries for up to %.0f s", drain_seconds)
    scheduler.shutdown(wait=False)
    drained = GATE.drain(drain_seconds)
    server.stop()
    if checkpoints is not None:
        checkpoints.stop()
    engine.dispose()
    log.info("worker stopped%s", "" if drained else " (unfinished deliveries handed back to the ledger)")
    if not drained:
        # Sends still blocked on Slack would keep the interpreter alive; their claims are released already.
        logging.shutdown()
        os._exit(0)
    return 0
