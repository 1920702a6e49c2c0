"""The operator's commands around the server: ``db``, ``run-job``, ``worker``, ``keygen``, ``rotate-keys``.
Each imports what it needs when it runs, so ``serve`` never loads this module."""
from __future__ import annotations

import argparse
import os
import sys

from bot.config import load_database_url, load_settings, require_existing_database
from bot.logs import configure_logging, job_context
from domain.words import count_of


def run_db(args: argparse.Namespace) -> int:
    from storage.engine import create_db_engine
    from storage.migrate import current_revision, head_revision, upgrade_schema

    url = load_database_url()
    if args.db_command != "upgrade":
        require_existing_database(url)
    engine = create_db_engine(url)
    if args.db_command == "upgrade":
        upgrade_schema(engine)
    print(f"schema at {current_revision(engine)} (latest {head_revision(engine)})")
    return 0


def run_job_command(args: argparse.Namespace, *, kind: str) -> int:
    from bot.app import create_app, system_clock
    from bot.jobs import run_job
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    settings = load_settings(serving=False)
    configure_logging(settings.log_level, [settings.slack_bot_token, settings.slack_app_token,
                                           settings.slack_signing_secret], settings.log_format)
    require_existing_database(settings.database_url)
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    now = args.at or system_clock()
    app, ctx = create_app(settings, engine=engine, clock=lambda: now)
    from bot.oauth import workspace_clients

    with job_context(f"{args.job}-cli"):
        report = run_job(kind, ctx=ctx, client=workspace_clients(app), now=now, dry_run=args.dry_run)
    for line in report.planned:
        print(line)
    print(f"{args.job} at {now.isoformat()}: {report.due} due, {report.sent} sent, {report.skipped} already sent, "
          f"{report.failed} failed" + (" (dry run: nothing sent or recorded)" if args.dry_run else ""))
    engine.dispose()
    return 1 if report.failed else 0


def run_worker_command(args: argparse.Namespace) -> int:
    from bot.worker import DEFAULT_WORKER_PORT, run_worker
    from services.delivery import DEFAULT_DRAIN_SECONDS

    # The worker answers no Slack requests, so it needs no signing secret; the app factory wants one set.
    environ = dict(os.environ)
    environ.setdefault("SLACK_SIGNING_SECRET", "unused-by-the-worker")
    settings = load_settings(environ)
    configure_logging(settings.log_level, [settings.slack_bot_token, settings.slack_app_token])
    port = args.port if args.port is not None else int(os.environ.get("WORKER_PORT") or DEFAULT_WORKER_PORT)
    drain = args.drain_seconds if args.drain_seconds is not None else float(
        os.environ.get("DRAIN_SECONDS") or DEFAULT_DRAIN_SECONDS)
    return run_worker(settings, host=args.host, port=port, drain_seconds=drain, tick_seconds=args.tick_seconds,
                      first_tick_seconds=args.first_tick_seconds)


def keygen() -> int:
    import secrets

    from cryptography.fernet import Fernet

    print(f"TOKEN_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
    print(f"SLACK_STATE_SECRET={secrets.token_urlsafe(32)}")
    return 0


def rotate_keys() -> int:
    """After putting a new key first in TOKEN_ENCRYPTION_KEYS: seal every token with it, so old keys can go."""
    from bot.oauth import installation_store
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    settings = load_settings()
    if not settings.multi_workspace:
        print("rotate-keys is for multi-workspace installs: set SLACK_CLIENT_ID and the other OAuth settings.",
              file=sys.stderr)
        return 2
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    rows = installation_store(settings, engine).reseal_all()
    print(f"re-encrypted the tokens of {count_of(rows, 'row')} with the first key; the other keys can now be removed")
    engine.dispose()
    return 0
