"""Home tab and import benchmarks.

    .venv/bin/python -m bench.coaching [--reps 60] [--rows 5000]

Figures are ratios against baselines measured in the same run:
- publishing a manager's Home tab (their own numbers plus a team of ``--reps``) against publishing a
  lone rep's tab: what the team section costs;
- importing ``--rows`` asks from CSV (parse, validate, key, store in batches) against inserting the same
  rows with one bulk ``add_all``: what the checks and idempotency cost; and a second, idempotent import
  of the same file against the first.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.app import create_app
from bot.config import Settings
from domain.funnel import Workspace
from handlers.follow_ups import publish_home
from services.spreadsheets import import_asks
from storage.engine import create_db_engine, run_in_transaction, session_scope
from storage.migrate import upgrade_schema
from storage.models import Ask
from storage.queries import add_ask, save_profile
from storage.team_queries import add_member, add_team
from tests.fake_slack import FakeSlack

NOW = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
WORKSPACE = Workspace("T0001")


def seed_team(engine, reps: int) -> None:  # noqa: ANN001
    rng = random.Random(1)
    with session_scope(engine) as session:
        team = add_team(session=session, workspace=WORKSPACE, name="bench", now=NOW)
        add_member(session=session, team=team, user_id="UMGR", role="manager")
        for user in ["UMGR", "ULONE"] + [f"U{n:05d}" for n in range(reps)]:
            save_profile(session=session, workspace=WORKSPACE, user_id=user, timezone="America/New_York",
                         is_admin=False, real_name=None, fetched_at=NOW)
        for n in range(reps):
            user = f"U{n:05d}"
            add_member(session=session, team=team, user_id=user, role="rep")
            for week in range(12):
                for _ in range(rng.randrange(3)):
                    add_ask(session=session, workspace=WORKSPACE, rep_user_id=user, asked_user_id=None,
                            asked_name=f"Contact {rng.randrange(1000)}", for_whom=None,
                            asked_on=NOW.date() - timedelta(weeks=week, days=rng.randrange(7)), now=NOW)


def time_home(ctx, client, user: str, repeats: int) -> float:  # noqa: ANN001
    person = ctx.people.cached_person(workspace=WORKSPACE, user_id=user)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        publish_home(ctx, client, workspace=WORKSPACE, user=person, now=NOW)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def sheet(rows: int) -> str:
    rng = random.Random(2)
    lines = ["rep,date,asked,for_whom,outcome"]
    for _ in range(rows):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        lines.append(f"U{rng.randrange(50):05d},{day.isoformat()},Contact {rng.randrange(5000)},,"
                     f"{rng.choice(['pending', 'introduced', 'nobody'])}")
    return "\n".join(lines) + "\n"


def time_bulk_insert(engine, text: str) -> float:  # noqa: ANN001
    rows = [line.split(",") for line in text.splitlines()[1:]]
    started = time.perf_counter()
    run_in_transaction(engine, lambda session: session.add_all(
        Ask(team_id="TBASE", rep_user_id=r[0], asked_name=r[2], asked_on=date.fromisoformat(r[1]), outcome=r[4],
            dedupe_key=f"bulk{n}", created_at=NOW) for n, r in enumerate(rows)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade_schema(engine)
        seed_team(engine, args.reps)
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret="bench", slack_api_url=fake.api_url,
                            database_url=url, default_timezone="America/New_York")
        app, ctx = create_app(settings, engine=engine, clock=lambda: NOW)
        time_home(ctx, app.client, "UMGR", 1)  # warm up: the week's chart upload is cached after this
        time_home(ctx, app.client, "ULONE", 1)
        manager, lone = time_home(ctx, app.client, "UMGR", args.repeats), time_home(ctx, app.client, "ULONE",
                                                                                   args.repeats)
        blocks = len(fake.calls_to("views.publish")[-2 * args.repeats].params["view"]["blocks"])
        print(f"Home tab, manager of {args.reps} reps: {manager * 1000:.1f} ms median ({blocks} blocks); "
              f"lone rep: {lone * 1000:.1f} ms; ratio {manager / lone:.2f}")

        text = sheet(args.rows)
        baseline = time_bulk_insert(engine, text)
        started = time.perf_counter()
        first = import_asks(engine=engine, workspace=WORKSPACE, text=text, today=NOW.date(), now=NOW,
                            lookup_email=None)
        imported = time.perf_counter() - started
        started = time.perf_counter()
        again = import_asks(engine=engine, workspace=WORKSPACE, text=text, today=NOW.date(), now=NOW,
                            lookup_email=None)
        reimported = time.perf_counter() - started
        assert first.added == args.rows and again.added == 0, (first, again)
        print(f"Import of {args.rows} rows: {imported:.2f} s ({args.rows / imported:.0f} rows/s); bulk insert of the "
              f"same rows: {baseline:.2f} s; ratio {imported / baseline:.2f}")
        print(f"Second import of the same file (adds nothing): {reimported:.2f} s; ratio to the first "
              f"{reimported / imported:.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
