"""HTTP mode: Bolt's WSGI handler on ``POST /slack/events``, readiness on ``GET /healthz`` and
liveness on ``GET /livez``, served by aiohttp (``HttpServer``, see there for why).

Bolt's built-in development server handles one request at a time; under ten
concurrent slash commands its p99 came close to Slack's 3-second deadline.
Every request to Slack's path goes through bot/request_guard.py first: size, then
signature, then shape, each failure a 4xx with a one-line reason and no traceback.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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


class HttpServer:
    """The HTTP front: aiohttp on an event loop of its own thread, answering every request with the WSGI
    callable of ``create_wsgi_app``, so that the routes, the request guard and the drain gate stay in one place.

    Why aiohttp and not a threaded WSGI server: waitress parsed each request in Python on its I/O thread and
    handed it to a request thread and the answer back, and each hand-over took turns at the interpreter lock
    with the request threads. aiohttp parses in C on the thread that then runs the request. With the same app,
    in six alternating rounds of ten clients, ``/asked`` cost 1.04 to 1.63 ms of CPU behind aiohttp and 1.55 to
    2.22 ms behind waitress (README "Benchmarks"). The price is about 10 MB of idle memory (aiohttp's modules).

    ``threads`` requests at once: with one (SQLite's default, bot/config.py), each request runs inline on the
    loop, as the one request thread did, and the next waits in the socket's buffer; with more (PostgreSQL),
    they run on a pool of that many threads while the loop goes on reading. A body is read only when its
    Content-Length is within ``max_body``; over it, the guard answers 413 from the header alone and the
    connection is closed without reading the body.
    """

    # How often the loop also checks whether it was closed, should its wake-up from ``close`` be lost.
    CLOSE_POLL_SECONDS = 1.0

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], *, sock: socket.socket, threads: int,
                 max_body: int) -> None:
        self._wsgi, self._sock, self._max_body = wsgi, sock, max_body
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="http-request") if threads > 1 else None
        self._closed = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._response: Any = None  # aiohttp's web.Response, imported when the server runs, not per request
        host, port = sock.getsockname()[:2]
        self.effective_host, self.effective_port = host, port

    def run(self) -> None:
        """Serve until ``close`` (blocking; run it on a thread of its own)."""
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop accepting and end ``run`` (from any thread). Requests in flight are the drain's to wait for."""
        self._closed.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has already ended
                pass

    async def _serve(self) -> None:
        from aiohttp import web

        self._wake = asyncio.Event()
        self._response = web.Response
        application = web.Application(client_max_size=self._max_body)
        application.router.add_route("*", "/{path:.*}", self._handle)
        runner = web.AppRunner(application, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, self._sock).start()
        try:
            while not self._closed.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.CLOSE_POLL_SECONDS)
        finally:
            await runner.cleanup()

    async def _handle(self, request: Any) -> Any:
        declared = request.content_length
        over = declared is not None and declared > self._max_body
        # Over the cap: not a byte is read, and the guard refuses it from CONTENT_LENGTH (413).
        body = b"" if over else await request.read()
        environ = self._environ(request, body, declared)
        if self._pool is None:
            status, headers, answer = _call_wsgi(self._wsgi, environ)
        else:
            status, headers, answer = await asyncio.get_running_loop().run_in_executor(
                self._pool, _call_wsgi, self._wsgi, environ)
        code, _, reason = status.partition(" ")
        response = self._response(status=int(code), reason=reason or None, body=answer,
                                headers=[(_canonical(k), v) for k, v in headers if k.lower() != "content-length"])
        response.headers["Server"] = SERVER_HEADER
        if over:
            response.force_close()  # the unread body must not be taken for the next request
        return response

    def _environ(self, request: Any, body: bytes, declared: int | None) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method, "PATH_INFO": request.path, "QUERY_STRING": request.query_string,
            "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
            "SERVER_NAME": str(self.effective_host), "SERVER_PORT": str(self.effective_port),
            "REMOTE_ADDR": request.remote or "", "wsgi.url_scheme": request.scheme, "wsgi.input": BytesIO(body),
            # A chunked body has no Content-Length: the guard gets the length that arrived (within the cap).
            "CONTENT_LENGTH": str(declared) if declared is not None else str(len(body)) if body else "",
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_LENGTH":  # set above, from what was declared or read
                continue
            if key == "CONTENT_TYPE":
                environ[key] = value
                continue
            key = f"HTTP_{key}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value  # repeated headers, as WSGI joins them
        return environ


SERVER_HEADER = "referral-nudge"  # the Server header: no library or version named to the world


def _canonical(name: str) -> str:
    """A header name as servers conventionally write it (``set-cookie`` -> ``Set-Cookie``): Bolt hands some
    in lower case, and a client that reads headers into a plain dict looks them up this way."""
    return "-".join(part.capitalize() for part in name.split("-"))


def _call_wsgi(wsgi: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[tuple[str, list[tuple[str, str]]]] = []
    result = wsgi(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started[-1]
    return status, headers, body


def create_http_server(app: App, engine: sa.Engine, *, host: str = "127.0.0.1", port: int = 0,
                       sock: socket.socket | None = None, threads: int | None = None, gate: Gate | None = None,
                       readiness: Callable[[], Any] | None = None) -> HttpServer:
    """The HTTP server, bound but not yet running: call ``.run()`` (blocking) and ``stop_http_server``. It
    listens on ``sock`` when given (see ``listening_socket``), else it binds ``host`` and ``port`` itself.
    ``threads``: requests at once, by default as ``WEB_THREADS`` defaults for this engine's database
    (bot/config.py)."""
    sock = sock if sock is not None else listening_socket(host, port)
    threads = threads or default_web_threads(engine.url.drivername)
    return HttpServer(create_wsgi_app(app, engine, gate=gate, readiness=readiness), sock=sock, threads=threads,
                      max_body=MAX_BODY_BYTES)


def stop_http_server(server: HttpServer) -> None:
    """Stop a server running in another thread; its ``run()`` returns once its loop has closed the socket."""
    server.close()
