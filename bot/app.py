"""The app factory: builds the Bolt app and everything its listeners need.

Nothing happens at import time; ``create_app`` is called by the CLI and by tests.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from handlers import actions, commands, events, view_submissions
from services.context import AppContext
from services.people import PeopleDirectory
from storage.engine import create_db_engine
from storage.health import guard_commits, is_database_failure
from views import replies

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client that waits out 429s (honouring Retry-After) and retries 5xx and dropped connections."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url or WebClient.BASE_URL)
    client.retry_handlers.extend([
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])
    # The default client already retries one connection error; keep it and allow one more.
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    return client


def create_app(
    settings: Settings,
    *,
    engine: sa.Engine | None = None,
    clock: Callable[[], datetime] = system_clock,
    process_before_response: bool = False,
) -> tuple[App, AppContext]:
    engine = engine or create_db_engine(settings.database_url)
    # From here on, a commit to a SQLite file that was deleted, replaced or made read-only is refused,
    # so no command is confirmed into a file that is gone (storage/health.py).
    guard_commits(engine)
    ctx = AppContext(
        engine=engine,
        people=PeopleDirectory(engine=engine, default_timezone=settings.default_timezone,
                               admin_user_ids=settings.admin_user_ids),
        clock=clock,
    )
    app = App(
        client=create_web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        # In Socket Mode Slack authenticates the socket; no signature to check.
        request_verification_enabled=bool(settings.slack_signing_secret),
        process_before_response=process_before_response,
        # auth.test runs lazily on the first request rather than inside the factory.
        token_verification_enabled=False,
    )
    commands.register(app, ctx)
    actions.register(app, ctx)
    view_submissions.register(app, ctx)
    events.register(app, ctx)
    app.error(_reply_on_error)
    return app, ctx


def _reply_on_error(error: Exception, body: dict[str, Any], respond: Any, logger: logging.Logger) -> None:
    """Any unexpected failure: log it (secrets are masked by the log filter) and tell the user plainly."""
    database_down = is_database_failure(error)
    if database_down:  # expected on a bad day: one line, no traceback
        logger.error("the database refused a command: %s", database_down)
    else:
        logger.exception("listener failed: %s", type(error).__name__)
    if respond is not None and isinstance(body, dict) and body.get("response_url"):
        reply = replies.database_unavailable() if database_down else replies.internal_error()
        try:
            respond(response_type="ephemeral", replace_original=False, **reply)
        except Exception:  # noqa: BLE001 - the user can't be told; the log line above already says why
            logger.warning("could not tell the user about the failure")
