"""The app factory: builds the Bolt app and everything its listeners need.

Nothing happens at import time; ``create_app`` is called by the CLI and by tests.

How a request is answered: the app runs with ``process_before_response=True``, so each
listener runs on the request thread, does its database work and answers in the ack
(handlers/). Every Slack call goes to the outbox (bot/outbox.py), drained on shutdown.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot import metrics
from bot.config import Settings
from bot.outbox import Outbox
from bot.slack_client import create_web_client
from handlers import actions, commands, events, forget, habit_actions, installs, shortcuts, view_submissions
from handlers.payloads import request_key
from services.context import AppContext, Replayed
from services.delivery import FOREGROUND
from services.people import PeopleDirectory
from storage.engine import create_db_engine
from storage.health import guard_commits, is_database_failure
from storage.replays import handling_signed_request
from views import replies

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


class BotIdentity:
    """Bolt's authorize, answered from memory: the request path never calls auth.test.

    Bolt's default SingleTeamAuthorization calls auth.test lazily on the first request and turns a Slack
    5xx there into "your installation is no longer available, please reinstall". Here the identity comes
    from auth.test at start (``serve`` fetches it with retries, bot/doctor.py) and is refreshed on a
    background thread; without one, requests are authorized with the token alone.
    """

    REFRESH_SECONDS = 6 * 3600

    def __init__(self, client: WebClient, identity: Any = None):
        self._client, self._identity = client, identity
        self._stop = threading.Event()

    @property
    def identity(self) -> Any:
        return self._identity

    @property
    def authorize(self) -> Callable[..., AuthorizeResult]:
        """A plain function: Bolt passes arguments by their names, and would trip over a method's ``self``."""
        def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
            known = self._identity
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or (known.team_id if known else None),
                                   user_id=user_id, bot_token=self._client.token,
                                   bot_user_id=known.bot_user_id if known else None,
                                   bot_id=known.bot_id if known else None)

        return authorize

    def refresh_in_background(self) -> None:
        def loop() -> None:
            from bot.doctor import CheckFailed, fetch_identity

            wait = self.REFRESH_SECONDS
            while not self._stop.wait(wait):
                try:
                    self._identity = fetch_identity(self._client)
                    wait = self.REFRESH_SECONDS
                except CheckFailed as failed:
                    log.warning("auth.test: %s", failed.line)
                    wait = 60.0
                except Exception:  # noqa: BLE001 - a refresh must never take the bot down
                    log.warning("auth.test refresh failed; trying again in a minute")
                    wait = 60.0

        threading.Thread(target=loop, name="bot-identity", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


class SignedOnceApp(App):
    """Bolt's App that names the signed request each listener handles, so that whatever the listener
    stores takes effect once however often the request arrives (storage/replays.py): the request's
    first write transaction takes its key, and a replay's raises ``Replayed``, answered by the app's
    error handler as "Already received"."""

    clock: Callable[[], datetime] = staticmethod(system_clock)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with FOREGROUND.answering(), handling_signed_request(request_key(req), now=self.clock()):
            return super().dispatch(req)


def create_app(
    settings: Settings,
    *,
    engine: sa.Engine | None = None,
    clock: Callable[[], datetime] = system_clock,
    outbox: Outbox | None = None,
    process_before_response: bool = True,
    identity: Any = None,
) -> tuple[App, AppContext]:
    """The app and its context; ``ctx.outbox`` runs the Slack calls (``ctx.outbox.shutdown`` on exit)."""
    engine = engine or create_db_engine(settings.database_url)
    # From here on, a commit to a SQLite file that was deleted, replaced or made read-only is refused,
    # so no command is confirmed into a file that is gone (storage/health.py).
    guard_commits(engine)
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
    bot_identity = BotIdentity(client, identity)
    # One workspace: its identity, fetched at start, authorizes every request (no auth.test on a request).
    # Many: each workspace's installation does, through Bolt's OAuth flow.
    authorization = dict(oauth_settings=oauth) if oauth is not None else dict(authorize=bot_identity.authorize)
    app = SignedOnceApp(
        client=client,
        **authorization,
        signing_secret=settings.slack_signing_secret or "",
        # In Socket Mode Slack authenticates the socket; no signature to check.
        request_verification_enabled=bool(settings.slack_signing_secret),
        # The listener runs on the request thread and its answer goes back in the ack (see handlers/);
        # nothing a listener does waits for Slack, which the outbox calls after. (With False, Bolt
        # runs the listener on its pool and still waits for ``ack`` to answer: the same replies.)
        process_before_response=process_before_response,
        # No auth.test inside the factory, nor on any request: see BotIdentity.
        token_verification_enabled=False,
        # Bolt's own pool size, carrying each request's id into its listener thread for the logs.
        listener_executor=metrics.ContextExecutor(max_workers=5),
    )
    app.clock = clock
    metrics.instrument_app(app)
    metrics.instrument_engine(engine)
    if identity is not None and oauth is None:  # serve: keep it fresh; tests and run-job carry the token alone
        bot_identity.refresh_in_background()
    app.bot_identity = bot_identity  # type: ignore[attr-defined]
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
        if isinstance(error, Replayed):
            _answer_replay(body, logger, response)
            return
        metrics.mark_error(context)
        _reply_on_error(ctx.outbox, error, body, respond, logger, response)

    return app, ctx


def _answer_replay(body: dict[str, Any], logger: logging.Logger, response: BoltResponse | None) -> None:
    """A replayed signed request stored nothing: a command says so in its ack ("Already received"),
    anything else gets the plain ack the first delivery already answered, and nothing more is sent."""
    logger.info("a replayed request was already taken; it took effect once")
    if response is None:
        return
    is_command = isinstance(body, dict) and bool(body.get("command"))
    response.status = 200
    response.body = json.dumps({"response_type": "ephemeral", **replies.already_received()}) if is_command else ""
    response.headers["content-type"] = ["application/json;charset=utf-8" if is_command else "text/plain"]


def _reply_on_error(outbox: Outbox, error: Exception, body: dict[str, Any], respond: Any,
                    logger: logging.Logger, response: BoltResponse | None) -> None:
    """Any unexpected failure: log it (secrets are masked by the log filter) and tell the user plainly.
    A command is told in its ack (a 200, not Slack's "failed with the error"); anything else through
    its response_url, on the outbox (never a Slack call on the request path). A sick database is
    expected on a bad day: one line, no traceback, and a reply that says so."""
    database_down = is_database_failure(error)
    if database_down:
        logger.error("the database refused a command: %s", database_down)
    else:
        logger.exception("listener failed: %s", type(error).__name__)
    reply = replies.database_unavailable() if database_down else replies.internal_error()
    is_command = isinstance(body, dict) and bool(body.get("command"))
    if response is not None:
        response.status = 200
        response.body = json.dumps({"response_type": "ephemeral", **reply}) if is_command else ""
        response.headers["content-type"] = ["application/json;charset=utf-8" if is_command else "text/plain"]
    if not is_command and respond is not None and isinstance(body, dict) and body.get("response_url"):
        outbox.submit(partial(_tell_failure, respond, logger, reply))


def _tell_failure(respond: Any, logger: logging.Logger, reply: dict[str, Any]) -> None:
    try:
        respond(response_type="ephemeral", replace_original=False, **reply)
    except Exception:  # noqa: BLE001 - the user can't be told; the log line above already says why
        logger.warning("could not tell the user about the failure")
