"""Scale benchmark (issue 11): one workspace of many reps, teams and asks, seeded by bulk inserts.

    .venv/bin/python -m bench.scale [--db sqlite|postgresql] [--reps 10000] [--teams 1000] [--asks 2000000]
                                    [--acks 100] [--tick-reps 10000] [--fanout 10000] [--cap 20]

Every figure is a ratio against a baseline measured in the same run:
- /asked ack p50 and p99 at full size against the same on an empty workspace;
- ack p99 while a reminder tick to every rep runs inside the same (single-process) server, against the same
  probe for as long with no tick: at the default pace (``DELIVERY_MESSAGES_PER_SECOND``, 20 a second, so a
  10,000-rep tick sends for minutes) over its first ``--busy-seconds``, due computation included, then stopped
  by the delivery gate's drain; and, as a stress, the whole tick at an artificial 1,000 a second (the probe and
  that server's fake Slack run as processes of their own, so that the interpreter lock of the process measured
  is the server's and its tick's alone, as in a deployed ``serve``: see bench/outside.py);
- the Monday digest tick (dry run, every manager due) against one hand-written SQL aggregate of the same
  per-rep counts (last week, month to date, quarter to date);
- a quiet tick (nobody due) against the same tick on an empty database;
- peak RSS during the digest tick (dry run) against the same process idle (measured in a child process);
- fan-out of DMs against a fake Slack capped workspace-wide (``--cap`` a second) and at 1 a second per
  channel: wall time against what the cap allows, duplicates and losses.
On PostgreSQL a throwaway cluster is started unless ``--database-url`` names one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.fanout import SECRET, ack_latencies, percentile
from bench.outside import OutsideProcess, ResponseUrls
from bot.app import create_app
from bot.config import Settings
from bot.jobs import run_job
from bot.server import create_http_server, stop_http_server
from services.delivery import DEFAULT_DRAIN_SECONDS, GATE, Pace, TickReport
from storage.engine import create_db_engine
from storage.migrate import upgrade_schema
from storage.models import Ask, Delivery, Referral, SalesTeam, TeamMember, UserProfile
from tests.fake_slack import FakeSlack

TEAM = "T0001"
DIGEST_MONDAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago: every digest is due
QUIET_MONDAY = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)  # nothing due for reminders on a Monday
THURSDAY_EVENING = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # reminders due to every rep below their minimum
REP_ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "America/Los_Angeles")
ACKER = "U0ACKER"
STAGES = ("introduced", "meeting_scheduled", "meeting_held", "won", "lost", "no_decision")


def rep_id(n: int) -> str:
    return f"U1{n:07d}"


def manager_id(t: int) -> str:
    return f"U2{t:07d}"


# --- seeding ----------------------------------------------------------------------------------------

def _asks(reps: int, asks: int, rng: random.Random) -> Iterator[tuple]:
    start = DIGEST_MONDAY.date() - timedelta(days=365)
    for n in range(asks):
        rep = rep_id(n % reps)
        day = start + timedelta(days=rng.randrange(366))
        key = hashlib.blake2b(f"{rep}:{n}".encode(), digest_size=16).hexdigest()
        yield (TEAM, None, rep, None, f"Friend {n}", None, day, "pending", None, key, DIGEST_MONDAY)


def _referrals(reps: int, count: int, rng: random.Random) -> Iterator[tuple]:
    start = DIGEST_MONDAY.date() - timedelta(days=365)
    numbers: dict[str, int] = {}
    for n in range(count):
        rep = rep_id(n % reps)
        numbers[rep] = numbers.get(rep, 0) + 1
        stage = STAGES[n % len(STAGES)]
        introduced = start + timedelta(days=rng.randrange(340))
        scheduled = introduced + timedelta(days=3) if stage != "introduced" else None
        held = introduced + timedelta(days=10) if stage in STAGES[2:] else None
        closed = introduced + timedelta(days=20) if stage in STAGES[3:] else None
        yield (TEAM, None, rep, numbers[rep], f"Prospect {n}", None, f"Referrer {n}", None, stage, introduced,
               scheduled, held, held, closed, None, None, None, None, DIGEST_MONDAY, DIGEST_MONDAY)


ASK_COLUMNS = ("team_id", "enterprise_id", "rep_user_id", "asked_user_id", "asked_name", "for_whom", "asked_on",
               "outcome", "outcome_on", "dedupe_key", "created_at")
REFERRAL_COLUMNS = ("team_id", "enterprise_id", "rep_user_id", "number", "prospect_name", "referrer_user_id",
                    "referrer_name", "ask_id", "status", "introduced_on", "meeting_scheduled_on", "meeting_on",
                    "meeting_held_on", "closed_on", "amount", "close_reason", "thanked_on", "prep_notes",
                    "created_at", "updated_at")


def _bulk(engine: sa.Engine, table: sa.Table, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    """COPY on PostgreSQL; executemany in large batches on SQLite."""
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    statement = table.insert()
    batch: list[dict] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) == 50_000:
                connection.execute(statement, batch)
                batch = []
        if batch:
            connection.execute(statement, batch)


def seed(engine: sa.Engine, *, reps: int, teams: int, asks: int) -> float:
    started = time.perf_counter()
    rng = random.Random(11)
    per_team = max(1, reps // teams)
    _bulk(engine, SalesTeam.__table__, ("id", "team_id", "name", "is_default", "minimum", "reminder_weekday",
                                        "reminder_time", "digest_weekday", "digest_time", "leaderboard_weekday",
                                        "leaderboard_time", "created_at", "channel_id"),
          ((t + 1, TEAM, f"team{t:05d}", False, 1, 3, datetime(2000, 1, 1, 14).time(), 0,
            datetime(2000, 1, 1, 8).time(), 0, datetime(2000, 1, 1, 9).time(), DIGEST_MONDAY, f"C{t:07d}")
           for t in range(teams)))
    _bulk(engine, TeamMember.__table__, ("sales_team_id", "team_id", "user_id", "role"),
          [(min(n // per_team, teams - 1) + 1, TEAM, rep_id(n), "rep") for n in range(reps)]
          + [(t + 1, TEAM, manager_id(t), "manager") for t in range(teams)])
    _bulk(engine, UserProfile.__table__, ("team_id", "user_id", "timezone", "is_admin", "fetched_at", "deleted"),
          [(TEAM, rep_id(n), REP_ZONES[n % len(REP_ZONES)], False, DIGEST_MONDAY, False) for n in range(reps)]
          + [(TEAM, manager_id(t), "America/Chicago", False, DIGEST_MONDAY, False) for t in range(teams)])
    _bulk(engine, Ask.__table__, ASK_COLUMNS, _asks(reps, asks, rng))
    _bulk(engine, Referral.__table__, REFERRAL_COLUMNS, _referrals(reps, asks // 10, rng))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("SELECT setval('sales_team_id_seq', (SELECT max(id) FROM sales_team))")
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


# --- figures ----------------------------------------------------------------------------------------

def hand_written_aggregate(engine: sa.Engine) -> float:
    """The same per-rep counts as the digests, in one statement per table: the floor for the digest tick."""
    today = DIGEST_MONDAY.date()
    spans = {"w": (today - timedelta(days=7), today - timedelta(days=1)), "m": (today.replace(day=1), today),
             "q": (date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today)}

    def sums(column: str, prefix: str) -> str:
        return ", ".join(f"SUM(CASE WHEN {column} BETWEEN '{a}' AND '{b}' THEN 1 ELSE 0 END) AS {prefix}{k}"
                         for k, (a, b) in spans.items())

    first = min(a for a, _ in spans.values())
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT rep_user_id, {sums('asked_on', 'a')} FROM ask WHERE team_id = '{TEAM}' "
                                   f"AND asked_on >= '{first}' GROUP BY rep_user_id").fetchall()
        connection.exec_driver_sql(f"SELECT rep_user_id, {sums('introduced_on', 'r')}, {sums('closed_on', 'c')} "
                                   f"FROM referral WHERE team_id = '{TEAM}' GROUP BY rep_user_id").fetchall()
    return time.perf_counter() - started


def timed(work) -> tuple[float, object]:  # noqa: ANN001
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def rss_child(database_url: str) -> dict:
    """Idle and peak RSS of a fresh process that builds the app and runs the digest tick (dry run)."""
    code = f"""
import json
from bench.scale import child_digest
print(json.dumps(child_digest({database_url!r})))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    return json.loads(out.strip().splitlines()[-1])


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child_digest(database_url: str) -> dict:
    engine = create_db_engine(database_url)
    settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url="http://127.0.0.1:9/",
                        database_url=database_url, default_timezone="America/Chicago")
    app, ctx = create_app(settings, engine=engine, clock=lambda: DIGEST_MONDAY)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    idle = _vm("VmRSS")
    report = run_job("digest", ctx=ctx, client=app.client, now=DIGEST_MONDAY, dry_run=True)
    return {"idle_kb": idle, "peak_kb": _vm("VmHWM"), "due": report.due}


class Server:
    def __init__(self, database_url: str, api_url: str, now: datetime):
        engine = create_db_engine(database_url)
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret=SECRET, slack_api_url=api_url,
                            database_url=database_url, default_timezone="America/Chicago")
        self.app, self.ctx = create_app(settings, engine=engine, clock=lambda: now)
        self.server = create_http_server(self.app, engine, host="127.0.0.1", port=0)
        threading.Thread(target=self.server.run, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.engine = engine

    def stop(self) -> None:
        stop_http_server(self.server)
        self.ctx.outbox.shutdown(timeout=10)  # its Home and profile refreshes, before the database goes
        self.engine.dispose()


FAILED_ACKS: list[str] = []


def timed_acks(base: str, fake: FakeSlack | ResponseUrls, count: int, stop: threading.Event | None = None) -> list[float]:
    """Like bench.fanout's, but a command the app fails on is counted, not fatal: the run goes on."""
    results = []
    for _ in range(count):
        if stop is not None and stop.is_set():
            break
        try:
            results.extend(ack_latencies(base, fake, 1))
        except OSError as error:
            FAILED_ACKS.append(type(error).__name__)
    return results


def acks(server: Server, fake: FakeSlack, count: int) -> list[float]:
    timed_acks(server.base, fake, 5)
    return timed_acks(server.base, fake, count)


def line(name: str, measured: str, baseline: str, ratio: float) -> str:
    return f"| {name} | {measured} | {baseline} | {ratio:.2f} |"


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=1_000)
    parser.add_argument("--asks", type=int, default=2_000_000)
    parser.add_argument("--acks", type=int, default=100)
    parser.add_argument("--fanout", type=int, default=10_000, help="DMs in the capped fan-out (0 skips it)")
    parser.add_argument("--cap", type=float, default=20.0, help="the fake Slack's workspace-wide cap per second")
    parser.add_argument("--skip-busy", action="store_true", help="skip the acks measured during a tick to every rep")
    parser.add_argument("--busy-seconds", type=float, default=30.0,
                        help="how long the acks are probed idle and during the default-pace tick")
    args = parser.parse_args()

    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        postgres = None
        urls = {}
        if args.db == "sqlite":
            urls = {name: f"sqlite:///{Path(tmp) / f'{name}.db'}" for name in ("full", "empty", "fanout")}
        elif args.database_url:
            raise SystemExit("give --database-url for one database only with --db sqlite; PostgreSQL uses its own")
        else:
            from tests.support.postgres import ThrowawayPostgres

            postgres = ThrowawayPostgres()
            postgres.start()
            urls = {name: postgres.create_database(f"scale_{name}") for name in ("full", "empty", "fanout")}
        try:
            engines = {}
            for name, url in urls.items():
                engines[name] = create_db_engine(url)
                upgrade_schema(engines[name])
            seed(engines["empty"], reps=1, teams=1, asks=0)  # an installed workspace with one team and one rep
            seconds = seed(engines["full"], reps=args.reps, teams=args.teams, asks=args.asks)
            print(f"seeded {args.reps} reps, {args.teams} teams, {args.asks} asks, {args.asks // 10} referrals "
                  f"in {seconds:.1f} s ({args.db})", flush=True)
            fake.add_user(ACKER, tz="America/New_York")

            # Quiet tick, against an empty database.
            quiet, proving = {}, {}
            for name in ("full", "empty"):
                server_app, ctx = create_app(Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url,
                                                      database_url=urls[name], default_timezone="America/Chicago"),
                                             engine=engines[name], clock=lambda: QUIET_MONDAY)
                # The first tick sends what the seeded data owes (its ledger writes block, so they void no proof);
                # the second reads everyone, finds nobody due and records its proof; the next ones read the proof.
                run_job("reminder", ctx=ctx, client=server_app.client, now=QUIET_MONDAY)  # warm
                proving[name] = timed(lambda c=ctx, a=server_app: run_job(
                    "reminder", ctx=c, client=a.client, now=QUIET_MONDAY))[0]
                quiet[name] = min(timed(lambda c=ctx, a=server_app: run_job(
                    "reminder", ctx=c, client=a.client, now=QUIET_MONDAY))[0] for _ in range(3))
            rows.append(line(f"Quiet reminder tick (nobody due; the one that proves it, as the first after any change: "
                             f"{proving['full'] * 1000:.0f} ms, {proving['empty'] * 1000:.1f} ms empty)",
                             f"{quiet['full'] * 1000:.1f} ms",
                             f"{quiet['empty'] * 1000:.1f} ms on an empty workspace (1 team, 1 rep)",
                             quiet["full"] / quiet["empty"]))
            print(rows[-1], flush=True)

            # Digest tick, dry run, every manager due, against one hand-written aggregate.
            server_app, ctx = create_app(Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url,
                                                  database_url=urls["full"], default_timezone="America/Chicago"),
                                         engine=engines["full"], clock=lambda: DIGEST_MONDAY)
            hand_written_aggregate(engines["full"])  # warm
            floor = min(hand_written_aggregate(engines["full"]) for _ in range(3))
            # Measured like the aggregate: a dry run changes nothing, so the first (cold: statements compiled,
            # pages read from disk) is printed apart and the figure is the best of the three after it.
            cold, report = timed(lambda: run_job("digest", ctx=ctx, client=server_app.client, now=DIGEST_MONDAY,
                                                 dry_run=True))
            digest_seconds = min(timed(lambda: run_job("digest", ctx=ctx, client=server_app.client,
                                                       now=DIGEST_MONDAY, dry_run=True))[0] for _ in range(3))
            rows.append(line(f"Digest tick, dry run, {report.due} managers due (best of 3; first, cold: "
                             f"{cold:.2f} s)", f"{digest_seconds:.2f} s",
                             f"{floor:.2f} s for one hand-written SQL aggregate", digest_seconds / floor))
            print(rows[-1], flush=True)

            memory = rss_child(urls["full"])
            rows.append(line("Peak RSS during the digest tick (dry run)", f"{memory['peak_kb'] / 1024:.0f} MB",
                             f"{memory['idle_kb'] / 1024:.0f} MB idle, same process",
                             memory["peak_kb"] / memory["idle_kb"]))
            print(rows[-1], flush=True)

            # /asked acks at full size against an empty workspace, both servers running side by side.
            servers = {name: Server(urls[name], fake.api_url, THURSDAY_EVENING)
                       for name in ("full", "empty")}
            latencies = {name: acks(server, fake, args.acks) for name, server in servers.items()}
            for q, label in ((0.5, "p50"), (0.99, "p99")):
                full, empty = percentile(latencies["full"], q), percentile(latencies["empty"], q)
                rows.append(line(f"/asked ack {label}, {args.reps} reps", f"{full * 1000:.1f} ms",
                                 f"{empty * 1000:.1f} ms on an empty workspace", full / empty))
                print(rows[-1], flush=True)

            # Ack p99 while a reminder tick to every rep runs in the same process, against the same probe idle.
            if not args.skip_busy:
                with OutsideProcess("fake-slack", ACKER) as outside_slack:
                    busy_server = Server(urls["full"], outside_slack.answer + "/api/", THURSDAY_EVENING)
                    rows.extend(busy_rows(busy_server, engines["full"], outside_slack.answer, args.busy_seconds))
                    busy_server.stop()

            if args.fanout:
                rows.append(fanout(urls["fanout"], engines["fanout"], fake, args.fanout, args.cap))
                print(rows[-1], flush=True)
            for server in servers.values():
                server.stop()
        finally:
            for engine in engines.values():
                engine.dispose()
            if postgres is not None:
                postgres.stop()
    print(f"\n| Figure ({args.db}) | Measured | Baseline (same run) | Ratio |\n| --- | --- | --- | --- |")
    print("\n".join(rows))
    if FAILED_ACKS:
        print(f"({len(FAILED_ACKS)} commands failed in the app and are left out of the ack figures)")


def probed(server: Server, slack_base: str, work) -> tuple[list[float], float, object]:  # noqa: ANN001
    """Ack latencies taken back to back by one client (a process of its own, bench/outside.py) while ``work``
    runs, its wall time and its result."""
    with OutsideProcess("probe", server.base, slack_base) as prober:
        seconds, result = timed(work)
        report = json.loads(prober.finish())
    FAILED_ACKS.extend(["probe"] * report["failed"])
    return report["latencies"], seconds, result


def busy_rows(server: Server, engine: sa.Engine, slack_base: str, window: float) -> list[str]:
    """Acks during a reminder tick to every rep, at the default pace for ``window`` seconds and at 1,000 a second
    to the end, each against the same probe run for ``window`` seconds with no tick (as many samples)."""
    at = THURSDAY_EVENING
    timed_acks(server.base, ResponseUrls(slack_base), 20)  # warm: connections, Bolt's first auth.test
    with engine.begin() as connection:
        connection.execute(sa.update(SalesTeam.__table__).values(minimum=50))
    idle, _, _ = probed(server, slack_base, lambda: time.sleep(window))
    idle_p99 = percentile(idle, .99)
    baseline = f"{idle_p99 * 1000:.1f} ms idle (n={len(idle)}, {window:.0f} s)"
    rows = []

    def tick(pace: Pace | None) -> TickReport:
        return run_job("reminder", ctx=server.ctx, client=server.app.client, now=at, pace=pace)

    # The default pace: the tick as `serve` runs it, stopped after the window by the drain SIGTERM uses.
    stopper = threading.Timer(window, lambda: GATE.drain(DEFAULT_DRAIN_SECONDS))
    stopper.start()
    try:
        busy, seconds, report = probed(server, slack_base, lambda: tick(None))
    finally:
        stopper.cancel()
        GATE.reopen()
    rows.append(line(f"Ack p99 during the first {seconds:.0f} s of a tick to every rep at the default pace "
                     f"({report.sent} DMs sent, then drained)", f"{percentile(busy, .99) * 1000:.1f} ms (n={len(busy)})",
                     baseline, percentile(busy, .99) / idle_p99))
    print(rows[-1], flush=True)

    # The stress: every rep at an artificial 1,000 a second, from a ledger emptied again.
    with engine.begin() as connection:
        connection.execute(sa.delete(Delivery.__table__))
    busy, seconds, report = probed(server, slack_base, lambda: tick(Pace(1000)))
    rows.append(line(f"Ack p99 while a {report.sent}-DM tick runs at 1,000/s ({seconds:.0f} s)",
                     f"{percentile(busy, .99) * 1000:.1f} ms (n={len(busy)})", baseline,
                     percentile(busy, .99) / idle_p99))
    print(rows[-1], flush=True)
    return rows


def fanout(url: str, engine: sa.Engine, fake: FakeSlack, reps: int, cap: float) -> str:
    """DMs to ``reps`` reps through the real job against the workspace-wide cap and 1/s per channel."""
    seed(engine, reps=reps, teams=max(1, reps // 10), asks=0)
    with engine.begin() as connection:
        connection.execute(sa.update(SalesTeam.__table__).values(minimum=1))
    fake.clear()
    fake.set_workspace_rate_limit(cap)
    fake.set_channel_rate_limit(1.0)
    at = THURSDAY_EVENING
    app, ctx = create_app(Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.api_url, database_url=url,
                                   default_timezone="America/Chicago"), engine=engine, clock=lambda: at)
    # Just under the cap: a pace exactly at it meets 429s whenever two sends bunch up in one second.
    wall, report = timed(lambda: run_job("reminder", ctx=ctx, client=app.client, now=at, pace=Pace(cap * 0.95)))
    fake.set_workspace_rate_limit(None)
    posted = [c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.status == 200]
    limited = sum(c.status == 429 for c in fake.calls_to("chat.postMessage"))
    duplicates = len(posted) - len(set(posted))
    losses = reps - len(set(posted))
    allowed = reps / cap
    return line(f"Fan-out of {reps} DMs, cap {cap:.0f}/s and 1/s per channel "
                f"({duplicates} duplicates, {losses} losses, {report.failed} failed; {limited} answered 429)",
                f"{wall:.1f} s", f"{allowed:.1f} s, what the cap allows", wall / allowed)


if __name__ == "__main__":
    main()
