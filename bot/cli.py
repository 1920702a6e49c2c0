"""``referral-bot``: the command line. Each subcommand lives in its own module (``bot/serve.py``,
``bot/ops_commands.py``, ``bot/data_commands.py``, ``bot/doctor.py``, ``bot/demo.py``), imported only when
that subcommand runs, so the long-running ``serve`` carries none of the others' code."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="referral-bot", description="Referral Nudge, a Slack bot for referral selling.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP).")
    serve.add_argument("--http", action="store_true", help="Serve HTTP on POST /slack/events even with an app token.")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT, then 3000).")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default: 0.0.0.0).")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="Don't send scheduled nudges from this process (extra web replicas, tests).")
    serve.add_argument("--first-tick-seconds", type=float, default=None,
                       help="Delay of the scheduler's first tick (default 20).")
    serve.add_argument("--processes", type=int, default=None,
                       help="HTTP mode: web processes sharing the port (default: WEB_PROCESSES, then 1).")
    # A web process started by another (bot/web_processes.py): the inherited socket, and the pipe whose end says
    # that the first process is gone.
    serve.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--parent-fd", type=int, default=None, help=argparse.SUPPRESS)

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
        return _dispatch(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from bot.serve import serve

        return serve(args)
    if args.command == "doctor":
        from bot.doctor import run_doctor

        return run_doctor(http_mode=args.http)
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(chart_path=args.chart)
    if args.command in ("team", "import", "export", "forget"):
        from bot import data_commands

        return {"team": data_commands.run_team, "import": data_commands.run_import, "export": data_commands.run_export,
                "forget": data_commands.run_forget}[args.command](args)
    from bot import ops_commands

    if args.command == "run-job":
        return ops_commands.run_job_command(args, kind=JOB_KINDS[args.job])
    if args.command == "worker":
        return ops_commands.run_worker_command(args)
    if args.command == "keygen":
        return ops_commands.keygen()
    if args.command == "rotate-keys":
        return ops_commands.rotate_keys()
    return ops_commands.run_db(args)


JOB_KINDS = {"commitments": "commitment", "reminders": "reminder", "digests": "digest", "leaderboards": "leaderboard",
             "prep": "prep", "client-followups": "client_followup"}


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-11-19T14:00:00-05:00 or …Z")
    return value


if __name__ == "__main__":
    sys.exit(main())
