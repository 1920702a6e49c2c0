"""Fan-out benchmark: reminders to 1,000 reps against a fake Slack with 20 ms latency and a
one-message-per-second-per-channel limit, and slash-command ack latency while it runs.

    .venv/bin/python -m bench.fanout [--reps 1000] [--pace 20]

Figures are ratios against baselines measured in the same run: the fan-out's wall time
against the lowest time the rate limits allow, and the ack latency during the fan-out
against the ack latency with the bot idle.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bot.app import create_app
from bot.config import Settings
from bot.jobs import run_job
from bot.server import create_http_server, stop_http_server
from domain.funnel import Workspace
from services.delivery import Pace
from storage.engine import create_db_engine, session_scope
from storage.migrate import upgrade_schema
from storage.queries import save_profile
from storage.team_queries import add_member, add_team
from tests.driver import command_body, signed_headers
from tests.fake_slack import FakeSlack

SECRET = "bench-signing-secret"
THURSDAY_EVENING = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)  # after 14:00 in New York


def seed(engine, reps: int) -> None:  # noqa: ANN001
    workspace = Workspace("T0001")
    with session_scope(engine) as session:
        team = add_team(session=session, workspace=workspace, name="bench", now=THURSDAY_EVENING)
        for n in range(reps):
            user = f"U{n:06d}"
            add_member(session=session, team=team, user_id=user, role="rep")
            # Profiles are cached, as they are after the bot's first day: the benchmark measures sending.
            save_profile(session=session, workspace=workspace, user_id=user, timezone="America/New_York",
                         is_admin=False, real_name=None, fetched_at=THURSDAY_EVENING)


def ack_latencies(base: str, fake: FakeSlack, count: int, stop: threading.Event | None = None) -> list[float]:
    results = []
    for n in range(count):
        if stop is not None and stop.is_set():
            break
        body = command_body("/asked", f"Bench {n}", user_id="UBENCHACK", response_url=fake.response_url())
        request = urllib.request.Request(base + "/slack/events", data=body.encode(),
                                         headers=signed_headers(SECRET, body), method="POST")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        results.append(time.perf_counter() - started)
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--pace", type=float, default=20.0, help="workspace-wide messages per second")
    parser.add_argument("--latency", type=float, default=0.020)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        fake.add_user("UBENCHACK", tz="America/New_York")
        fake.set_latency(args.latency)
        fake.set_channel_rate_limit(1.0)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade_schema(engine)
        seed(engine, args.reps)
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url=fake.api_url,
                            database_url=url)
        app, ctx = create_app(settings, engine=engine, clock=lambda: THURSDAY_EVENING)
        server = create_http_server(app, engine, host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.effective_port}"

        ack_latencies(base, fake, 5)  # warm-up
        idle = ack_latencies(base, fake, 100)

        busy: list[float] = []
        done = threading.Event()

        def measure_busy() -> None:
            while not done.is_set():
                busy.extend(ack_latencies(base, fake, 10, stop=done))

        prober = threading.Thread(target=measure_busy)
        started = time.perf_counter()
        prober.start()
        report = run_job("reminder", ctx=ctx, client=app.client, now=THURSDAY_EVENING, pace=Pace(args.pace))
        wall = time.perf_counter() - started
        done.set()
        prober.join()
        # Let the acked commands finish their replies before the fake Slack goes away.
        sent_commands = 5 + len(idle) + len(busy)
        fake.wait_for(lambda calls: sum(c.method == "response_url" for c in calls) >= sent_commands, timeout=120)
        stop_http_server(server)

        floor = args.reps / args.pace  # each DM is its own channel: the workspace pace is the binding limit
        print(f"reps {args.reps}, sent {report.sent}, failed {report.failed}")
        print(f"fan-out wall {wall:.1f} s; lowest the limits allow {floor:.1f} s; ratio {wall / floor:.2f}")
        print(f"ack idle    p50 {percentile(idle, .5) * 1000:.1f} ms  p99 {percentile(idle, .99) * 1000:.1f} ms "
              f"(n={len(idle)})")
        print(f"ack fan-out p50 {percentile(busy, .5) * 1000:.1f} ms  p99 {percentile(busy, .99) * 1000:.1f} ms "
              f"(n={len(busy)})")
        print(f"ratio busy/idle: p50 {percentile(busy, .5) / percentile(idle, .5):.2f}, "
              f"p99 {percentile(busy, .99) / percentile(idle, .99):.2f}; mean idle {statistics.mean(idle) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
