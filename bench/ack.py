"""Ack benchmark: /asked through the full stack against a bare async Bolt app, in the same run.

    .venv/bin/python -m bench.ack [--requests 600] [--clients 10]

Three phases, each with ``--clients`` concurrent clients on keep-alive connections, every request
signed and unique (so none is a replay):

1. bare: a Bolt AsyncApp on aiohttp whose /asked acks with a line of text: the ceiling.
2. full: referral-bot's real app behind waitress, SQLite, the fake Slack answering at once. The ack
   carries the stored confirmation ("Logged 1 ask … this week"), so the rep sees it with the ack.
3. slow Slack: the same, with the fake Slack answering every Web API call after 2 s and every
   response_url hanging. The Home refreshes queue on the outbox; the acks must not notice.

Figures are ratios against the same run's bare app (throughput, p99, CPU per ack) and against phase 2
(p99). CPU per ack is this process's CPU time over a phase divided by its acks (server, clients and the
fake Slack share the process, in every phase alike).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.app import create_app
from bot.config import Settings
from bot.server import create_http_server, stop_http_server
from domain.funnel import Workspace
from storage.checkpoints import start_checkpoints
from storage.engine import create_db_engine, session_scope
from storage.migrate import upgrade_schema
from storage.queries import save_profile
from tests.driver import command_body, signed_headers
from tests.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
USERS = [f"U0BENCH{n:02d}" for n in range(10)]
NO_CHECKPOINTER = bool(os.environ.get("BENCH_COMMIT_CHECKPOINTS"))  # compare: checkpoints inside commits
CONFIRMED = "this week"  # in every /asked confirmation: "Logged 1 ask(s). N this week."


@dataclass
class Phase:
    name: str
    latencies: list[float]
    wall: float
    confirmed: int
    cpu: float  # this process's CPU seconds over the phase: server, clients and fake Slack together

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    def line(self) -> str:
        return (f"{self.name:<12} {self.throughput:7.0f} acks/s  p50 {self.quantile(0.5) * 1000:6.1f} ms  "
                f"p99 {self.quantile(0.99) * 1000:6.1f} ms  max {max(self.latencies) * 1000:6.0f} ms  "
                f"over 3 s: {sum(lat > 3 for lat in self.latencies)}  confirmed in the ack: "
                f"{self.confirmed}/{len(self.latencies)}  CPU {self.cpu / len(self.latencies) * 1000:.2f} ms per ack")


def drive(base: str, fake: FakeSlack, *, requests: int, clients: int, tag: str) -> Phase:
    """``requests`` signed /asked over ``clients`` keep-alive connections; each latency is send to full ack."""
    parts = urlsplit(base)
    counter = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    confirmed = 0

    def client() -> None:
        nonlocal confirmed
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = command_body("/asked", f"Prospect {tag} {n}", user_id=USERS[n % len(USERS)],
                                response_url=fake.response_url())
            started = time.perf_counter()
            connection.request("POST", "/slack/events", body=body.encode(), headers=signed_headers(SECRET, body))
            response = connection.getresponse()
            text = response.read().decode()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                confirmed += response.status == 200 and CONFIRMED in text
        connection.close()

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return Phase(tag, latencies, time.perf_counter() - started, confirmed, time.process_time() - cpu_started)


def start_async_bolt(fake: FakeSlack, register: Callable[[Any], None]) -> tuple[str, Callable[[], None]]:
    """A Bolt AsyncApp on aiohttp in a thread of its own, verifying signatures; ``register`` adds its listeners
    (called on the app's event loop). Returns its base URL and a stop function."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.web.async_client import AsyncWebClient

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    address: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=fake.api_url))
        register(bolt)

        async def handle(request: web.Request) -> web.Response:
            body = await request.text()
            response = await bolt.async_dispatch(AsyncBoltRequest(body=body, headers=dict(request.headers)))
            return web.Response(status=response.status, body=response.body,
                                headers={k: v[0] for k, v in response.headers.items() if v})

        webapp = web.Application()
        webapp.router.add_post("/slack/events", handle)
        runner = web.AppRunner(webapp, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        address.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # noqa: SLF001
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    return address[0], stop


def start_bare_app(fake: FakeSlack) -> tuple[str, Callable[[], None]]:
    """The ceiling: a bare Bolt AsyncApp on aiohttp that acks /asked with a line of text."""
    def register(bolt: Any) -> None:
        @bolt.command("/asked")
        async def asked(ack) -> None:  # noqa: ANN001
            await ack("Logged 1 ask(s). 1 this week.")

    return start_async_bolt(fake, register)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()

    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        for user in USERS:
            fake.add_user(user, tz="America/New_York")
        bare_base, stop_bare = start_bare_app(fake)

        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade_schema(engine)
        now = datetime.now(UTC)
        with session_scope(engine) as session:  # profiles cached, as after the bulk profile sync
            for user in USERS:
                save_profile(session=session, workspace=Workspace("T0001"), user_id=user,
                             timezone="America/New_York", is_admin=False, real_name=None, fetched_at=now)
        checkpoints = None if NO_CHECKPOINTER else start_checkpoints(engine)  # as serve does
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                            database_url=url, default_timezone="America/New_York")
        app, ctx = create_app(settings, engine=engine)
        server = create_http_server(app, engine, host="127.0.0.1", port=0)
        threading.Thread(target=server.run, daemon=True).start()
        full_base = f"http://127.0.0.1:{server.effective_port}"

        for base in (bare_base, full_base):  # warm both up (connections, Bolt's first auth.test)
            drive(base, fake, requests=50, clients=args.clients, tag="warm")
        ctx.outbox.drain(timeout=60)

        bare = drive(bare_base, fake, requests=args.requests, clients=args.clients, tag="bare")
        full = drive(full_base, fake, requests=args.requests, clients=args.clients, tag="full")
        ctx.outbox.drain(timeout=120)
        fake.set_latency(2)
        fake.hang_response_url()
        slow = drive(full_base, fake, requests=args.requests, clients=args.clients, tag="slow Slack")
        backlog = ctx.outbox.pending
        fake.set_latency(0)
        fake.hang_response_url(False)
        ctx.outbox.shutdown(timeout=120)
        stop_http_server(server)
        stop_bare()
        if checkpoints is not None:
            checkpoints.stop()
        engine.dispose()

    for phase in (bare, full, slow):
        print(phase.line())
    print(f"full / bare: throughput {full.throughput / bare.throughput:.2f}× (target ≥ {1 / 1.3:.2f}), "
          f"p99 {full.quantile(0.99) / bare.quantile(0.99):.2f}× (target ≤ 1.5)")
    print(f"CPU per ack, full / bare: {full.cpu / bare.cpu:.2f}× (moves less with other load on the machine than "
          f"the wall-clock ratios)")
    print(f"confirmed acks / bare acks: {full.confirmed / full.wall / bare.throughput:.2f}× (target ≥ 0.5)")
    print(f"slow Slack / full: p99 {slow.quantile(0.99) / full.quantile(0.99):.2f}× (target ≤ 1.5), "
          f"acks over 3 s: {sum(lat > 3 for lat in slow.latencies)} (target 0); "
          f"outbox backlog at the end: {backlog} jobs (refreshes collapse per person)")


if __name__ == "__main__":
    main()
