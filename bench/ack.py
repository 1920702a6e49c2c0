"""Ack benchmark: ``referral-bot serve`` answering /asked against a bare async Bolt app, in the same run.

    .venv/bin/python -m bench.ack [--requests 1000] [--clients 10] [--rounds 3]

Each server runs as its own process, as it is deployed: the bare app (a Bolt AsyncApp on aiohttp whose
/asked acks with a line of text: the ceiling) and ``referral-bot serve --http`` itself (aiohttp, SQLite,
its scheduler, its outbox), once as one process and once with ``WEB_PROCESSES=--processes``, all talking to
the fake Slack of the tests, which runs here in the bench process beside the clients. Four phases, each with
``--clients`` concurrent clients on keep-alive connections, every request signed and unique (so none is a
replay):

1. bare: the bare app.
2. full: serve, the fake Slack answering at once. The ack carries the stored confirmation ("Logged … N
   asks this week"), so the rep sees it with the ack.
3. full xN: the same against serve with N web processes (bot/web_processes.py).
4. slow Slack: the one-process serve again, with the fake Slack answering every Web API call after 2 s and
   every response_url hanging. The Home refreshes queue on the outbox; the acks must not notice.

Every server first answers ``--warm`` requests per web process (300 by default, the bare app's too), so the
phases measure processes past their start. With 50, the run of 2026-12-02 measured the two-process p99 at
1.97 times the bare app's where four runs with 300 gave 1.15 to 1.44, and the one-process p99 at 1.57
against 1.16 to 1.41; which of a new process's first few hundred requests pay for what was not isolated.

Phases 1 to 3 run ``--rounds`` times (3 by default), one after another in each round, and phase 4 once at
the end. Figures are ratios against the bare app of the same round (throughput, p99, the server's CPU per
ack, its web processes included) and, for phase 4, against the median p99 of phase 2 (p99); the report
gives each round's ratios and their median. Why rounds: on a shared machine the same server's CPU per ack
moved by up to half between two batches of the same 1,000 requests a few seconds apart (1.27 to 1.89 s of
CPU), so one pair of phases could land a ratio anywhere in a wide band; a ratio taken within a round sets
each server against the bare app under the same conditions, and the median of three drops an unlucky one.
Before each round and before phase 4, the Home refreshes that the commands so far caused have come due and
been made, and the servers are idle, so a phase does not pay for the ones before it
(``settle_home_refreshes``).

An earlier version ran both servers as threads of the bench process itself: the clients' and the fake
Slack's Python then competed with the server for one interpreter lock, which weighed on the heavier server
more than on the bare one (README "Benchmarks" keeps those figures).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import signal
import statistics
import subprocess
import sys
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

from bench.memory import ROOT, free_port, wait_until_answering
from domain.funnel import Workspace
from handlers.follow_ups import REFRESH_AFTER_CHANGE_SECONDS
from storage.engine import create_db_engine, session_scope
from storage.migrate import upgrade_schema
from storage.queries import save_profile
from tests.driver import command_body, signed_headers
from tests.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
USERS = [f"U0BENCH{n:02d}" for n in range(10)]
CONFIRMED = "this week"  # in every /asked confirmation: "Logged 1 ask(s). N this week."


@dataclass
class Phase:
    name: str
    latencies: list[float]
    wall: float
    confirmed: int
    cpu: float  # the server process's CPU seconds over the phase

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
                f"{self.confirmed}/{len(self.latencies)}  server CPU {self.cpu / len(self.latencies) * 1000:.2f} ms per ack")


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) that process ``pid`` and its running children have used so far (Linux):
    ``serve --processes N`` runs its other web processes as its children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():  # any thread may have started one
        try:
            children += (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(process_cpu(int(c)) for c in children)


def drive(base: str, fake: FakeSlack, *, requests: int, clients: int, tag: str, server_pid: int | None = None) -> Phase:
    """``requests`` signed /asked over ``clients`` keep-alive connections; each latency is send to full ack.
    The phase's CPU is that of ``server_pid`` (default: this process, for a server running in it)."""
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

    cpu = (lambda: process_cpu(server_pid)) if server_pid else time.process_time
    started, cpu_started = time.perf_counter(), cpu()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return Phase(tag, latencies, time.perf_counter() - started, confirmed, cpu() - cpu_started)


def start_async_bolt(api_url: str, register: Callable[[Any], None], *, port: int = 0) -> tuple[str, Callable[[], None]]:
    """A Bolt AsyncApp on aiohttp in a thread of its own, verifying signatures, its Web API at ``api_url``;
    ``register`` adds its listeners (called on the app's event loop). Returns its base URL and a stop function."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.web.async_client import AsyncWebClient

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    address: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url))
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
        site = web.TCPSite(runner, "127.0.0.1", port)
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


def start_bare_app(api_url: str, *, port: int = 0) -> tuple[str, Callable[[], None]]:
    """The ceiling: a bare Bolt AsyncApp on aiohttp that acks /asked with a line of text."""
    def register(bolt: Any) -> None:
        @bolt.command("/asked")
        async def asked(ack) -> None:  # noqa: ANN001
            await ack("Logged 1 ask(s). 1 this week.")

    return start_async_bolt(api_url, register, port=port)


def serve_bare_app(api_url: str, port: int) -> None:
    """The bare app as a process of its own (``--bare-server``), until SIGTERM."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    _base, stop = start_bare_app(api_url, port=port)
    stopping.wait()
    stop()


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log: Path

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(command: list[str], env: dict[str, str], workdir: Path, name: str, *, ready_only: bool) -> Server:
    port = free_port()
    log = workdir / f"{name}.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, env={**env, "PORT": str(port)}, cwd=workdir, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(port, process, ready_only=ready_only)
    except RuntimeError:
        process.kill()
        sys.exit(f"{name} did not start:\n{log.read_text()[-3000:]}")
    return Server(process, f"http://127.0.0.1:{port}", log)


def seeded_database(directory: Path) -> str:
    """A new SQLite database, migrated, with the clients' profiles cached (as after the bulk profile sync)."""
    directory.mkdir()
    url = f"sqlite:///{directory / 'bench.db'}"
    engine = create_db_engine(url)
    upgrade_schema(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for user in USERS:
            save_profile(session=session, workspace=Workspace("T0001"), user_id=user,
                         timezone="America/New_York", is_admin=False, real_name=None, fetched_at=now)
    engine.dispose()
    return url


def settle_home_refreshes(fake: FakeSlack, servers: list[Server]) -> None:
    """Wait until the Home refreshes that the phases so far caused have all been made (each waits
    ``REFRESH_AFTER_CHANGE_SECONDS`` for more changes, in the server that took the command), and then until
    the servers are idle, so that the next phase does not pay for the earlier ones' follow-ups. Seeing every
    client's refresh once is not enough: the refreshes of a phase run just before on another server came
    during the slow-Slack phase (its p99 1.8 to 2.2 times the first phase's where the same server alone
    stayed at 1.1), and a refresh reaches the fake Slack before its worker has finished (the next phase's
    first eight acks took about 50 ms)."""
    fake.clear()
    fake.wait_for(lambda calls: {c.params.get("user_id") for c in calls if c.method == "views.publish"} >= set(USERS),
                  timeout=120)
    time.sleep(REFRESH_AFTER_CHANGE_SECONDS)  # the later servers' refreshes come due meanwhile
    for server in servers:
        wait_until_idle(server.process.pid)


def wait_until_idle(pid: int, *, window: float = 0.2, busy: float = 0.005, timeout: float = 10.0) -> None:
    """Until process ``pid`` (and its web processes) uses less than ``busy`` CPU seconds in ``window``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = process_cpu(pid)
        time.sleep(window)
        if process_cpu(pid) - before < busy:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2, help="WEB_PROCESSES of the second serve (default 2)")
    parser.add_argument("--warm", type=int, default=300,
                        help="warm-up requests per web process before the phases (default 300; see the docstring)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the bare, full and full xN phases, each settled first (default 3)")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)  # the bare app's process
    parser.add_argument("--api-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare_app(args.api_url, int(os.environ["PORT"]))
        return

    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for user in USERS:
            fake.add_user(user, tz="America/New_York")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
        env["PYTHONPATH"] = str(ROOT)
        bare_server = start_server([sys.executable, "-m", "bench.ack", "--bare-server", "--api-url", fake.api_url],
                                   env, workdir, "bare", ready_only=False)
        serve_env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
                     "DEFAULT_TIMEZONE": "America/New_York"}
        command = [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1"]
        serve = start_server(command, {**serve_env, "DATABASE_URL": seeded_database(workdir / "one")}, workdir,
                             "serve", ready_only=True)
        many = start_server(command, {**serve_env, "DATABASE_URL": seeded_database(workdir / "many"),
                                      "WEB_PROCESSES": str(args.processes)}, workdir, "serve-many", ready_only=True)
        rounds: list[tuple[Phase, Phase, Phase]] = []
        try:
            for server in (bare_server, serve, many):  # warm up (connections, Bolt's first auth.test)
                drive(server.base, fake, requests=args.warm * args.processes, clients=args.clients, tag="warm")
            for _ in range(args.rounds):
                settle_home_refreshes(fake, [bare_server, serve, many])
                rounds.append((
                    drive(bare_server.base, fake, requests=args.requests, clients=args.clients, tag="bare",
                          server_pid=bare_server.process.pid),
                    drive(serve.base, fake, requests=args.requests, clients=args.clients, tag="full",
                          server_pid=serve.process.pid),
                    drive(many.base, fake, requests=args.requests, clients=args.clients,
                          tag=f"full x{args.processes}", server_pid=many.process.pid)))
            settle_home_refreshes(fake, [serve, many])
            fake.set_latency(2)
            fake.hang_response_url()
            slow = drive(serve.base, fake, requests=args.requests, clients=args.clients, tag="slow Slack",
                         server_pid=serve.process.pid)
            fake.set_latency(0)
            fake.hang_response_url(False)
        finally:
            for server in (many, serve, bare_server):
                server.stop()
    report(rounds, slow)


def report(rounds: list[tuple[Phase, Phase, Phase]], slow: Phase) -> None:
    """Each round's phases and ratios, then the median of each ratio over the rounds (each ratio is taken
    within its round, against the bare app measured just before)."""
    ratios: dict[str, list[float]] = {}
    for number, (bare, full, multi) in enumerate(rounds, 1):
        print(f"round {number}")
        for phase in (bare, full, multi):
            print("  " + phase.line())
        for phase in (full, multi):
            figures = {"throughput": phase.throughput / bare.throughput,
                       "p99": phase.quantile(0.99) / bare.quantile(0.99),
                       "server CPU per ack": phase.cpu / bare.cpu,
                       "confirmed acks / bare acks": phase.confirmed / phase.wall / bare.throughput}
            for figure, value in figures.items():
                ratios.setdefault(f"{phase.name} / bare: {figure}", []).append(value)
            print(f"  {phase.name} / bare: " + ", ".join(f"{figure} {value:.2f}×" for figure, value in figures.items()))
    print("  " + slow.line())
    full_p99 = statistics.median(full.quantile(0.99) for _bare, full, _multi in rounds)
    targets = {"throughput": f"≥ {1 / 1.3:.2f}", "p99": "≤ 1.5", "confirmed acks / bare acks": "≥ 0.5"}
    print(f"median of {len(rounds)} rounds:")
    for name, values in ratios.items():
        target = next((f" (target {t})" for figure, t in targets.items() if name.endswith(figure)), "")
        print(f"  {name} {statistics.median(values):.2f}×{target}  [{', '.join(f'{v:.2f}' for v in values)}]")
    print(f"  slow Slack / full (median p99 of the rounds): p99 {slow.quantile(0.99) / full_p99:.2f}× (target ≤ 1.5), "
          f"acks over 3 s: {sum(lat > 3 for lat in slow.latencies)} (target 0)")


if __name__ == "__main__":
    main()
