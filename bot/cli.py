"""``referral-bot``: serve the app, and run the odd operational task."""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
from collections.abc import Sequence
from datetime import date, datetime

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, load_database_url, load_settings, require_existing_database
from bot.logs import configure_logging, job_context
from domain.words import count_of

log = logging.getLogger("referral_bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="referral-bot", description="Referral Nudge, a Slack bot for referral selling.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP).")
    serve.add_argument("--http", action="store_true", help="Serve HTTP on POST /slack/events even with an app token.")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT, then 3000).")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default: 0.0.0.0).")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="Don't send scheduled nudges from this process (extra web replicas, tests).")

    worker = sub.add_parser("worker", help="Run the scheduler and deliveries alone, beside `serve --no-scheduler`.")
    worker.add_argument("--port", type=int, default=None, help="Health port (default: WORKER_PORT, then 8081).")
    worker.add_argument("--host", default="0.0.0.0", help="Health bind address (default: 0.0.0.0).")
    worker.add_argument("--drain-seconds", type=float, default=None,
                        help="On SIGTERM, how long in-flight sends may take to finish (default: DRAIN_SECONDS, then 10).")
    worker.add_argument("--tick-seconds", type=float, default=None, help="Tick interval (default: 5 minutes).")
    worker.add_argument("--first-tick-seconds", type=float, default=None, help="Delay of the first tick (default 20).")
    doctor = sub.add_parser("doctor", help="Check the token, its scopes, the database and the settings.")
    doctor.add_argument("--http", action="store_true", help="Check for HTTP mode (the signing secret is required).")

    job = sub.add_parser("run-job", help="Run one tick of a scheduled job, as if the clock read --at.")
    job.add_argument("job", choices=sorted(JOB_KINDS), help="Which messages.")
    job.add_argument("--at", type=_aware_datetime, default=None,
                     help="ISO-8601 instant with a UTC offset, e.g. 2026-11-19T19:00:00+00:00 (default: now).")
    job.add_argument("--dry-run", action="store_true", help="Print what would be sent, to whom; send and record nothing.")

    team = sub.add_parser("team", help="Manage teams from setup scripts (same as /referral team …).")
    team.add_argument("words", nargs="+", help="e.g. create east | add east U123 U456 | channel east C789 | "
                                                "set east minimum 2 | show")
    team.add_argument("--workspace", required=True, help="The Slack team ID, T….")

    imp = sub.add_parser("import", help="Load a team's asks spreadsheet (CSV: rep,date,asked,for_whom,outcome).")
    imp.add_argument("file", help="The CSV file; - reads standard input.")
    imp.add_argument("--workspace", required=True, help="The Slack team ID, T….")

    exp = sub.add_parser("export", help="Write the workspace's asks (or referrals) as CSV.")
    exp.add_argument("--workspace", required=True, help="The Slack team ID, T….")
    exp.add_argument("--from", dest="start", type=date.fromisoformat, default=None, help="First day, YYYY-MM-DD.")
    exp.add_argument("--to", dest="end", type=date.fromisoformat, default=None, help="Last day, YYYY-MM-DD.")
    exp.add_argument("--referrals", action="store_true", help="Export referrals instead of asks.")
    exp.add_argument("--output", "-o", default="-", help="File to write (default: standard output).")

    demo = sub.add_parser("demo", help="Show what the bot says, with a sample team and no Slack.")
    demo.add_argument("--chart", default=None, help="Where to write the chart PNG (default: a temporary file).")

    forget = sub.add_parser("forget", help="Delete a departed rep's personal data; their numbers stay, anonymous.")
    forget.add_argument("user", help="The person's Slack user ID, U….")
    forget.add_argument("--workspace", required=True, help="The Slack team ID, T….")
    forget.add_argument("--yes", action="store_true", help="Don't ask for confirmation (scripts).")

    sub.add_parser("keygen", help="Print a new token encryption key and OAuth state secret (multi-workspace installs).")
    sub.add_parser("rotate-keys", help="Re-encrypt every stored Slack token with the first TOKEN_ENCRYPTION_KEYS key.")

    db = sub.add_parser("db", help="Database schema.")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="Bring the schema up to the latest migration.")
    db_sub.add_parser("current", help="Print the schema's migration revision.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # .env is read from the working directory; real environment variables win.
    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "doctor":
            from bot.doctor import run_doctor

            return run_doctor(http_mode=args.http)
        if args.command == "run-job":
            return _run_job(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "team":
            return _team(args)
        if args.command == "import":
            return _import(args)
        if args.command == "export":
            return _export(args)
        if args.command == "forget":
            return _forget(args)
        if args.command == "keygen":
            return _keygen()
        if args.command == "rotate-keys":
            return _rotate_keys()
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(chart_path=args.chart)
        return _db(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


def _db(args: argparse.Namespace) -> int:
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


def _upgrade_in_child() -> int:
    """``db upgrade`` in a short-lived child process: alembic and its templates (about 11 MB, more while
    migrating) are never loaded into the long-running server, which keeps its idle memory low."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL).returncode


def _serve(args: argparse.Namespace) -> int:
    from bot.lifecycle import StopSignal

    settings = load_settings(http_mode=args.http)
    configure_logging(settings.log_level, [settings.slack_bot_token, settings.slack_app_token,
                                           settings.slack_signing_secret, settings.slack_client_secret,
                                           settings.slack_state_secret, *settings.token_encryption_keys],
                      settings.log_format)
    stop = StopSignal()
    stop.install()  # before anything slow, so that a SIGTERM during start-up is honoured too
    try:
        return _run_until_stopped(args, settings, stop)
    finally:
        stop.uninstall()


def _run_until_stopped(args: argparse.Namespace, settings, stop) -> int:  # noqa: ANN001
    from bot.app import create_app
    from bot.doctor import CheckFailed, check_database, fetch_identity, manifest_bot_scopes, scope_problem
    from bot.lifecycle import bolt_listener_executor, drain, drain_hooks, executor_step, scheduler_step
    from bot.server import Gate, create_http_server, stop_http_server
    from bot.slack_client import create_web_client
    from services.delivery import GATE as DELIVERY_GATE

    # The same checks as `doctor`, each failure one clear line and a non-zero exit, never a traceback.
    engine, database = check_database(settings.database_url, require_migrated=False)
    if engine is None:
        return _cannot_start(database[0])
    # Migrations run in a short-lived child, so the migration tooling never stays in the server's memory.
    if _upgrade_in_child() != 0:
        return _cannot_start("database: the schema could not be brought up to date (the reason is printed above)")
    identity = None
    if not settings.multi_workspace:  # many workspaces: each installation is checked when it installs
        try:
            identity = fetch_identity(create_web_client(settings))
        except CheckFailed as failed:
            return _cannot_start(f"token: {failed.line}")
        scopes = scope_problem(identity, manifest_bot_scopes())
        if scopes:
            log.warning("token: %s", scopes)
    app, ctx = create_app(settings, engine=engine, identity=identity)
    # Off the start-up path, so readiness isn't delayed: the first typed date needn't load dateparser in an ack.
    from domain.dates import warm_up_date_reader

    threading.Thread(target=warm_up_date_reader, name="warm-up", daemon=True).start()
    socket_mode = bool(settings.slack_app_token) and not args.http
    gate, server, server_thread, handler = Gate(), None, None, None
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        try:
            handler.connect()
        except Exception as error:  # noqa: BLE001
            return _cannot_start(f"Socket Mode: could not connect ({type(error).__name__}); check SLACK_APP_TOKEN "
                                 "(xapp-… with connections:write) and that Socket Mode is on in the app settings")
        from bot.metrics import start_ops_server

        start_ops_server(engine, host=args.host, port=settings.metrics_port)
        log.info("connected in Socket Mode (metrics and health: http://%s:%d/metrics, /healthz)", args.host,
                 settings.metrics_port)
    else:
        port = args.port or settings.port
        # Probed with a plain socket first: a waitress server that fails to bind leaves half-built objects
        # whose file descriptors get closed again later, under whoever reuses the numbers.
        problem = _port_problem(args.host, port)
        if problem:
            return _cannot_start(f"port {port} on {args.host} can't be used ({problem}): stop what is using it, "
                                 "or choose another with --port or PORT")
        server = create_http_server(app, engine, host=args.host, port=port, gate=gate)
        server_thread = threading.Thread(target=server.run, name="http", daemon=True)
        server_thread.start()
        log.info("listening for Slack on http://%s:%d/slack/events (readiness: /healthz, liveness: /livez)",
                 args.host, port)
    scheduler = None
    if not args.no_scheduler:
        from bot.oauth import workspace_clients
        from bot.scheduler import create_scheduler

        scheduler = create_scheduler(ctx=ctx, client=workspace_clients(app))
        scheduler.start()
        log.info("scheduler started: reminders, digests and leaderboards tick every few minutes")

    stop.wait()
    log.info("%s: taking no new work; draining for at most %g s", stop.signal_name, settings.shutdown_drain_seconds)
    gate.close()  # HTTP: new requests get 503 while the ones in flight finish
    DELIVERY_GATE.close()  # a fan-out under way claims no more; the tick then ends, its claimed sends finish
    if handler is not None:
        handler.close()  # Socket Mode: no new envelopes
    overran = drain([
        ("requests", lambda left: gate.wait_idle(left)),
        ("listeners", executor_step(bolt_listener_executor(app))),
        ("scheduler", scheduler_step(scheduler)),
        ("deliveries", lambda left: DELIVERY_GATE.drain(left)),
        *drain_hooks(ctx),
    ], budget=settings.shutdown_drain_seconds)
    if server is not None:
        stop_http_server(server)
        server_thread.join(2)
    engine.dispose()
    if overran:
        # Bolt's and the scheduler's worker threads are not daemons: the interpreter would wait for the
        # abandoned work at exit, unbounded. The drain is the bound, so leave now.
        log.warning("stopped after the %g s drain; abandoned: %s", settings.shutdown_drain_seconds, ", ".join(overran))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    log.info("stopped")
    return 0


def _port_problem(host: str, port: int) -> str | None:
    import socket

    try:
        probe = socket.create_server((host, port), reuse_port=False)
    except OSError as error:
        return error.strerror or str(error)
    probe.close()
    return None


def _cannot_start(line: str) -> int:
    print(f"Referral Nudge cannot start: {line}", file=sys.stderr)
    return 2


JOB_KINDS = {"commitments": "commitment", "reminders": "reminder", "digests": "digest", "leaderboards": "leaderboard",
             "prep": "prep", "client-followups": "client_followup"}


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-11-19T14:00:00-05:00 or …Z")
    return value


def _run_job(args: argparse.Namespace) -> int:
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
        report = run_job(JOB_KINDS[args.job], ctx=ctx, client=workspace_clients(app), now=now, dry_run=args.dry_run)
    for line in report.planned:
        print(line)
    print(f"{args.job} at {now.isoformat()}: {report.due} due, {report.sent} sent, {report.skipped} already sent, "
          f"{report.failed} failed" + (" (dry run: nothing sent or recorded)" if args.dry_run else ""))
    engine.dispose()
    return 1 if report.failed else 0


def _worker(args: argparse.Namespace) -> int:
    import os

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


def _team(args: argparse.Namespace) -> int:
    """The CLI speaks the chat grammar: bare IDs become the mentions Slack would have sent."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from domain.funnel import Workspace
    from domain.parsing import CommandError, parse_referral
    from services.people import Person
    from services.teams import manage_team
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    words = [f"<@{w}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", w) else
             f"<#{w}>" if re.fullmatch(r"[CG][A-Z0-9]{2,}", w) else w for w in args.words]
    now = datetime.now(UTC)
    try:
        command = parse_referral("team " + " ".join(words), today=now.date())
        url = load_database_url()
        require_existing_database(url)
        engine = create_db_engine(url)
        upgrade_schema(engine)
        admin = Person(user_id="CLI", timezone=ZoneInfo("UTC"), is_admin=True)
        result = manage_team(engine=engine, workspace=Workspace(args.workspace), actor=admin, command=command,
                             now=now)
    except CommandError as error:
        print(f"{error.message}\nusage: {error.usage.replace('/referral ', 'referral-bot ')}", file=sys.stderr)
        return 2
    summaries = result if isinstance(result, tuple) else (result.summary,) if result.summary else ()
    if not isinstance(result, tuple):
        print(result.what)
    for summary in summaries:
        print(f"{summary.name}: reps {' '.join(summary.reps) or '-'}; managers {' '.join(summary.managers) or '-'}; "
              f"minimum {summary.minimum}; reminder {summary.reminder}; digest {summary.digest}; "
              f"leaderboard {summary.leaderboard or 'off'} in {summary.channel_id or '-'}")
    engine.dispose()
    return 0


def _import(args: argparse.Namespace) -> int:
    """Rows are checked one by one: bad rows are listed by line and skipped, good rows are stored once."""
    from datetime import UTC

    from domain.funnel import Workspace
    from domain.spreadsheet import EMAIL
    from services.spreadsheets import import_asks, slack_email_lookup
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    try:
        text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8-sig").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as error:
        print(f"can't read {args.file}: {error}", file=sys.stderr)
        return 2
    url = load_database_url()
    require_existing_database(url)
    lookup = None
    if EMAIL.search(text):  # e-mails need Slack to find the user; IDs don't
        from bot.oauth import client_for_workspace

        client = client_for_workspace(load_settings(serving=False), Workspace(args.workspace))
        if client is None:
            print(f"workspace {args.workspace} has not installed the app; install it, or use user IDs", file=sys.stderr)
            return 2
        lookup = slack_email_lookup(client)
    engine = create_db_engine(url)
    upgrade_schema(engine)
    now = datetime.now(UTC)
    report = import_asks(engine=engine, workspace=Workspace(args.workspace), text=text, today=now.date(), now=now,
                         lookup_email=lookup, progress=_progress_bar)
    for error in report.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    print(f"{count_of(report.rows, 'row')}: {report.added} added, {report.already} already imported, "
          f"{len(report.errors)} with errors (not stored)")
    engine.dispose()
    return 1 if report.errors else 0


def _progress_bar(done: int, total: int) -> None:
    """A bar redrawn in place on a terminal; a line per batch when stderr goes to a log."""
    if total == 0:
        return
    if not sys.stderr.isatty():
        print(f"importing {done}/{total}", file=sys.stderr, flush=True)
        return
    width = 30
    filled = width * done // total
    end = "\n" if done >= total else ""
    print(f"\rimporting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def _export(args: argparse.Namespace) -> int:
    from domain.funnel import Workspace
    from services.spreadsheets import ALL_TIME, export_data
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    url = load_database_url()
    require_existing_database(url)
    engine = create_db_engine(url)
    upgrade_schema(engine)
    export = export_data(engine=engine, workspace=Workspace(args.workspace), rep_user_ids=None,
                         start=args.start or ALL_TIME[0], end=args.end or ALL_TIME[1])
    text = export.referrals_csv if args.referrals else export.asks_csv
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        print(f"wrote {count_of(export.referrals if args.referrals else export.asks, 'row')} to {args.output}", file=sys.stderr)
    engine.dispose()
    return 0


def _forget(args: argparse.Namespace) -> int:
    """The same forgetting as /referral forget, by an operator: preview, confirm, forget, audit."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from domain.funnel import Workspace
    from domain.grammar.forget import MENTION_ID
    from domain.parsing import CommandError
    from services.forget import forget_person, preview_forget
    from services.people import Person
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    if not MENTION_ID.fullmatch(args.user):
        print(f"{args.user!r} is not a Slack user ID (U… or W…)", file=sys.stderr)
        return 2
    engine = create_db_engine(load_database_url())
    upgrade_schema(engine)
    workspace, operator = Workspace(args.workspace), Person(user_id="CLI", timezone=ZoneInfo("UTC"), is_admin=True)
    try:
        preview = preview_forget(engine=engine, workspace=workspace, actor=operator, user_id=args.user)
        print(f"{args.user}: {count_of(preview.asks, 'ask')} and {count_of(preview.referrals, 'referral')} will be anonymized; "
              "names, IDs, typed text, plans, time off and settings deleted. This cannot be undone.")
        if not args.yes and input("Type yes to forget them: ").strip().lower() != "yes":
            print("cancelled: nothing was deleted")
            return 1
        done = forget_person(engine=engine, workspace=workspace, actor=operator, user_id=args.user,
                             now=datetime.now(UTC))
    except CommandError as error:
        print(error.message.replace(f"<@{args.user}>", args.user), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"done: {count_of(done.asks, 'ask')} and {count_of(done.referrals, 'referral')} now count for {done.label}; "
          "recorded in the audit log")
    return 0


def _keygen() -> int:
    import secrets

    from cryptography.fernet import Fernet

    print(f"TOKEN_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
    print(f"SLACK_STATE_SECRET={secrets.token_urlsafe(32)}")
    return 0


def _rotate_keys() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
