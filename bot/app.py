"""The app factory: builds the Bolt app and everything its listeners need.

Nothing happens at import time; ``create_app`` is called by the CLI and by tests.

How a request is answered: the app runs with ``process_before_response=True``, so each
listener runs on the request thread, does its database work and answers in the ack
(handlers/). Every Slack call goes to the outbox (bot/outbox.py), drained on shutdown.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import metrics
from bot.config import Settings
from bot.outbox import Outbox
from handlers import actions, commands, events, forget, habit_actions, installs, shortcuts, view_submissions
from services.context import AppContext
from services.people import PeopleDirectory
from storage.engine import create_db_engine
from views import replies

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client that waits out 429s (honouring Retry-After) and retries 5xx and dropped connections."""
    # Multi-workspace mode has no token of its own (a leftover SLACK_BOT_TOKEN is ignored): each request
    # and job gets its workspace's.
    token = None if settings.multi_workspace else settings.slack_bot_token or None
    client = WebClient(token=token, base_url=settings.slack_api_url or WebClient.BASE_URL)
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
    outbox: Outbox | None = None,
    process_before_response: bool = True,
) -> tuple[App, AppContext]:
    """The app and its context; ``ctx.outbox`` runs the Slack calls (``ctx.outbox.shutdown`` on exit)."""
    engine = engine or create_db_engine(settings.database_url)
    client = create_web_client(settings)
    ctx = AppContext(
        engine=engine,
        people=PeopleDirectory(engine=engine, default_timezone=settings.default_timezone,
                               admin_user_ids=settings.admin_user_ids),
        clock=clock,
        outbox=outbox or Outbox(),
        client=client,
    )
    oauth = None
    if settings.multi_workspace:
        from bot.oauth import installation_store, oauth_settings

        oauth = oauth_settings(settings, engine, installation_store(settings, engine), client)
    app = App(
        client=client,
        oauth_settings=oauth,
        signing_secret=settings.slack_signing_secret or "",
        # In Socket Mode Slack authenticates the socket; no signature to check.
        request_verification_enabled=bool(settings.slack_signing_secret),
        # The listener runs on the request thread and its answer goes back in the ack (see handlers/);
        # nothing a listener does waits for Slack, which the outbox calls after. (With False, Bolt
        # runs the listener on its pool and still waits for ``ack`` to answer: the same replies.)
        process_before_response=process_before_response,
        # auth.test runs lazily on the first request rather than inside the factory.
        token_verification_enabled=False,
        # Bolt's own pool size, carrying each request's id into its listener thread for the logs.
        listener_executor=metrics.ContextExecutor(max_workers=5),
    )
    metrics.instrument_app(app)
    metrics.instrument_engine(engine)
    commands.register(app, ctx)
    actions.register(app, ctx)
    view_submissions.register(app, ctx)
    events.register(app, ctx)
    forget.register(app, ctx)
    installs.register(app, ctx, store=oauth.installation_store if oauth is not None else None)
    habit_actions.register(app, ctx)
    shortcuts.register(app, ctx)

    @app.error
    def _on_error(error: Exception, body: dict[str, Any], respond: Any, logger: logging.Logger,
                  response: BoltResponse | None = None, context: Any = None) -> None:
        metrics.mark_error(context)
        _reply_on_error(ctx.outbox, error, body, respond, logger, response)

    return app, ctx


def _reply_on_error(outbox: Outbox, error: Exception, body: dict[str, Any], respond: Any,
                    logger: logging.Logger, response: BoltResponse | None) -> None:
    """Any unexpected failure: log it (secrets are masked by the log filter) and tell the user plainly.
    A command is told in its ack (a 200, not Slack's "failed with the error"); anything else through
    its response_url, on the outbox (never a Slack call on the request path)."""
    logger.exception("listener failed: %s", type(error).__name__)
    is_command = isinstance(body, dict) and bool(body.get("command"))
    if response is not None:
        response.status = 200
        response.body = json.dumps({"response_type": "ephemeral", **replies.internal_error()}) if is_command else ""
        response.headers["content-type"] = ["application/json;charset=utf-8" if is_command else "text/plain"]
    if not is_command and respond is not None and isinstance(body, dict) and body.get("response_url"):
        outbox.submit(partial(_tell_failure, respond, logger))


def _tell_failure(respond: Any, logger: logging.Logger) -> None:
    try:
        respond(response_type="ephemeral", replace_original=False, **replies.internal_error())
    except Exception:  # noqa: BLE001 - the user can't be told; the log line above already says why
        logger.warning("could not tell the user about the failure")
