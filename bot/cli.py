"""``referral-bot``: serve the app, and run the odd operational task."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, load_database_url, load_settings
from bot.logs import configure_logging

log = logging.getLogger("referral_bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="referral-bot", description="Referral Nudge, a Slack bot for referral selling.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP).")
    serve.add_argument("--http", action="store_true", help="Serve HTTP on POST /slack/events even with an app token.")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT, then 3000).")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default: 0.0.0.0).")

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
        return _db(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


def _db(args: argparse.Namespace) -> int:
    from storage.engine import create_db_engine
    from storage.migrate import current_revision, head_revision, upgrade_schema

    engine = create_db_engine(load_database_url())
    if args.db_command == "upgrade":
        upgrade_schema(engine)
    print(f"schema at {current_revision(engine)} (latest {head_revision(engine)})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.server import create_http_server
    from storage.engine import create_db_engine
    from storage.migrate import upgrade_schema

    settings = load_settings(http_mode=args.http)
    configure_logging(settings.log_level, [settings.slack_bot_token, settings.slack_app_token,
                                           settings.slack_signing_secret])
    engine = create_db_engine(settings.database_url)
    upgrade_schema(engine)
    app, _ctx = create_app(settings, engine=engine)

    if settings.slack_app_token and not args.http:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("starting in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()
        return 0

    port = args.port or settings.port
    server = create_http_server(app, engine, host=args.host, port=port)
    signal.signal(signal.SIGTERM, _stop)
    log.info("listening for Slack on http://%s:%d/slack/events (health: /healthz)", args.host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()
        engine.dispose()
    return 0


def _stop(*_: object) -> None:
    """SIGTERM (systemd, Kubernetes) stops the server like Ctrl-C does."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
