"""Prometheus metrics: what an operator watches, collected through a few hooks rather than in every listener.

- A Bolt global middleware times each request's ack (Slack's 3-second deadline), tags the request with an id
  for the logs, and, with a listener-completion hook, counts slash commands by kind and outcome.
- The scheduler reports each job run's duration and what it sent or failed (``observe_job``).
- An engine hook counts database errors; the delivery ledger's pending rows are read at scrape time.

``/metrics`` is served by the web server (bot.server) and, for a process without one (Socket Mode, the
worker), by ``start_ops_server`` on a small port of its own, with ``/healthz`` beside it.
prometheus_client is imported on first use (the first request, job run or scrape), not when the bot starts.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

import sqlalchemy as sa

from bot.logs import REQUEST_ID

log = logging.getLogger(__name__)
METRICS_PATH = "/metrics"
HEALTH_PATH = "/healthz"

# Label values come from these sets only: anything a user types beyond them is "other", so that arbitrary
# text can never create a new time series.
REFERRAL_KINDS = frozenset({"got", "nobody", "meeting", "met", "won", "lost", "nodecision", "thanked", "list", "stats",
                            "commit", "review", "export", "plan", "help", "team", "pause", "resume", "leaderboard",
                            "forget"})
ASKED_KINDS = frozenset({"undo", "help"})
_OUTCOME = "referral_metrics_outcome"  # request-context key: the command's outcome so far

_lock = threading.Lock()
_metrics: dict[str, Any] = {}
_ledger_engine: list[sa.Engine] = []  # the engine whose delivery ledger a scrape reads (the latest instrumented)


def metrics() -> dict[str, Any]:
    """The metric objects, created once per process on the default registry."""
    with _lock:
        if _metrics:
            return _metrics
        from prometheus_client import REGISTRY, Counter, Histogram

        _metrics.update(
            ack=Histogram("referral_ack_seconds", "Time from a Slack request reaching the bot to its ack",
                          ["surface"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5)),
            commands=Counter("referral_commands", "Slash commands handled, by command, kind and outcome",
                             ["command", "kind", "outcome"]),
            deliveries=Counter("referral_deliveries", "Scheduled messages sent or failed", ["kind", "result"]),
            jobs=Histogram("referral_job_duration_seconds", "Duration of one scheduled job run", ["job"],
                           buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)),
            db_errors=Counter("referral_database_errors", "Errors raised by the database driver", ["error"]),
        )
        REGISTRY.register(_LedgerCollector())
        return _metrics


class _LedgerCollector:
    """The delivery ledger by status, and its backlog (claimed, or failed and waiting for a retry), read at scrape."""

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily

        if not _ledger_engine:
            return
        by_status = GaugeMetricFamily("referral_delivery_ledger", "Delivery ledger rows by status", labels=["status"])
        backlog = GaugeMetricFamily("referral_delivery_pending",
                                    "Deliveries not yet done: claimed, or failed and waiting for a retry")
        try:
            with _ledger_engine[-1].connect() as connection:
                rows = connection.execute(sa.text("SELECT status, COUNT(*) FROM delivery GROUP BY status")).all()
        except sa.exc.SQLAlchemyError as error:
            log.warning("metrics: couldn't read the delivery ledger: %s", type(error).__name__)
            return
        counts = {status: n for status, n in rows}
        for status in ("claimed", "sent", "failed", "expired"):
            by_status.add_metric([status], counts.get(status, 0))
        backlog.add_metric([], counts.get("claimed", 0) + counts.get("failed", 0))
        yield by_status
        yield backlog

    def describe(self) -> Iterable[Any]:
        return []  # collected on demand; describing would query the database at registration


# --- hooks ----------------------------------------------------------------------------------------------


def instrument_engine(engine: sa.Engine) -> None:
    """Count the driver's errors, and read this engine's delivery ledger at scrape time."""
    @sa.event.listens_for(engine, "handle_error")
    def _count(context: Any) -> None:
        # SQLAlchemy's class (OperationalError, IntegrityError…): the same few labels on every driver.
        metrics()["db_errors"].labels(type(context.sqlalchemy_exception or context.original_exception).__name__).inc()

    with _lock:
        _ledger_engine[:] = [engine]


def instrument_app(app: Any) -> None:
    """A global middleware (ack latency, request id, command outcome) and a listener-completion hook (command count)."""
    from slack_bolt.context.ack import Ack
    from slack_bolt.context.respond import Respond

    class TimedAck(Ack):
        """Times the ack; a command answered in the ack itself gets its outcome from that answer."""

        def __init__(self, started: float, surface: str, outcome: dict[str, Any] | None):
            super().__init__()
            self._started, self._surface, self._outcome = started, surface, outcome

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if self.response is None:
                metrics()["ack"].labels(self._surface).observe(time.perf_counter() - self._started)
                said = _reply_outcome(args, kwargs) if self._outcome is not None else None
                if said is not None:
                    self._outcome["outcome"] = said
            return super().__call__(*args, **kwargs)

    class OutcomeRespond(Respond):
        """A command's first reply tells its outcome: the house style starts a rejection with :warning:."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            outcome = self._outcome  # type: ignore[attr-defined]
            said = _reply_outcome(args, kwargs)
            if outcome["outcome"] == "ok" and said is not None:
                outcome["outcome"] = said
            return super().__call__(*args, **kwargs)

    @app.middleware
    def observe_request(req: Any, resp: Any, next: Callable[[], Any]) -> Any:  # noqa: A002 - Bolt's argument name
        started = time.perf_counter()
        body = req.body if isinstance(req.body, dict) else {}
        REQUEST_ID.set(str(body.get("event_id") or uuid.uuid4().hex[:12]))
        outcome = None
        if body.get("command"):
            outcome = req.context[_OUTCOME] = {"command": body["command"], "kind": command_kind(body), "outcome": "ok"}
        req.context["ack"] = TimedAck(started, _surface(body), outcome)
        if outcome is not None:
            respond = req.context.respond
            if respond is not None:
                wrapped = OutcomeRespond(response_url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
                wrapped._outcome = req.context[_OUTCOME]  # type: ignore[attr-defined]
                req.context["respond"] = wrapped
        return next()

    runner = getattr(app, "_listener_runner", None)
    if runner is None or not hasattr(runner, "listener_completion_handler"):
        log.warning("metrics: this Bolt version has no listener-completion hook; commands are not counted")
        return
    runner.listener_completion_handler = _CountCommands(runner.listener_completion_handler)


class _CountCommands:
    """Bolt calls its completion handler after every listener, whether it returned or raised."""

    def __init__(self, previous: Any):
        self._previous = previous

    def handle(self, request: Any, response: Any) -> None:
        outcome = request.context.get(_OUTCOME)
        if outcome is not None:
            metrics()["commands"].labels(outcome["command"], outcome["kind"],
                                 "error" if outcome.get("error") else outcome["outcome"]).inc()
        self._previous.handle(request=request, response=response)
        REQUEST_ID.set(None)  # this thread's next log line belongs to no request unless the next one says so


def mark_error(context: Any) -> None:
    """Called by the app's error handler: the command failed on our side."""
    outcome = context.get(_OUTCOME) if context is not None else None
    if outcome is not None:
        outcome["error"] = True


def observe_job(job: str, *, seconds: float) -> None:
    metrics()["jobs"].labels(job).observe(seconds)


def observe_job_deliveries(job: str, *, sent: int, failed: int) -> None:
    registry = metrics()
    if sent:
        registry["deliveries"].labels(job, "sent").inc(sent)
    if failed:
        registry["deliveries"].labels(job, "failed").inc(failed)


def command_kind(body: dict[str, Any]) -> str:
    words = str(body.get("text") or "").split()
    first = words[0].lower() if words else ""
    if body.get("command") == "/referral":
        return first if first in REFERRAL_KINDS else "other"
    if not first:
        return "form"
    return first if first in ASKED_KINDS else "log"


def _surface(body: dict[str, Any]) -> str:
    if body.get("command"):
        return "command"
    kind = body.get("type")
    return {"block_actions": "action", "view_submission": "view", "view_closed": "view", "event_callback": "event",
            "block_suggestion": "options"}.get(str(kind), "other")


def _reply_outcome(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """What a reply says of its command: "rejected" for bad input in the house style (the first block starts
    with :warning:), "error" for our own failure answered in the ack ("on our side", or stored but unanswered),
    None for an ordinary answer."""
    whole = args[0] if args and isinstance(args[0], dict) else {}  # ack(dict) / respond(dict) carry the message
    blocks = kwargs.get("blocks") or whole.get("blocks") or []
    first = blocks[0] if blocks and isinstance(blocks[0], dict) else {}
    text = (first.get("text") or {}).get("text", "") if isinstance(first.get("text"), dict) else ""
    if "on our side" in text or "Something went wrong showing" in text or "database is unavailable" in text:
        return "error"
    return "rejected" if re.match(r":warning:", text) else None


# --- serving ---------------------------------------------------------------------------------------------


def exposition() -> tuple[bytes, str]:
    """The current metrics in Prometheus' text format, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    metrics()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def metrics_route() -> tuple[int, str, bytes]:
    """``/metrics`` as a route of a tiny server answering (status, content type, body), such as the worker's."""
    body, content_type = exposition()
    return 200, content_type, body


def metrics_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body, content_type = exposition()
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def create_ops_wsgi_app(engine: sa.Engine) -> Callable[..., Iterable[bytes]]:
    """``/metrics`` and ``/healthz`` (the database answers) for a process that serves nothing else."""
    from storage.engine import ping

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == METRICS_PATH:
            return metrics_wsgi(environ, start_response)
        if path == HEALTH_PATH:
            healthy = ping(engine)
            body = json.dumps({"status": "ok" if healthy else "unavailable",
                               "database": "reachable" if healthy else "unreachable"}).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]

    return wsgi


def start_ops_server(engine: sa.Engine, *, host: str = "0.0.0.0", port: int = 9464) -> Any:  # noqa: ANN401
    """Serve ``/metrics`` and ``/healthz`` on a daemon thread; returns the server (``.shutdown()`` stops it,
    ``.server_port`` is the bound port, useful with port 0)."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:  # a scrape every 15 s is not news
            pass

    server = make_server(host, port, create_ops_wsgi_app(engine), handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="ops-server", daemon=True).start()
    return server


class ContextExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, carrying the request's context (its id, for the logs) into the listener thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return super().submit(copy_context().run, fn, *args, **kwargs)
