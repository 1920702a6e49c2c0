"""The data commands for setup scripts and operators: ``team``, ``import``, ``export`` and ``forget``, the
same use cases as the chat commands. Imported only when one of them runs."""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime

from bot.config import load_database_url, load_settings, require_existing_database
from domain.words import count_of


def run_team(args: argparse.Namespace) -> int:
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


def run_import(args: argparse.Namespace) -> int:
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


def run_export(args: argparse.Namespace) -> int:
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


def run_forget(args: argparse.Namespace) -> int:
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
