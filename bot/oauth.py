"""Installing in many workspaces: Bolt's OAuth flow, the stores behind it, and a client per workspace.

With ``SLACK_CLIENT_ID`` and friends set, ``serve`` answers ``GET /slack/install`` (the Add to
Slack page) and ``GET /slack/oauth_redirect`` (Slack's callback, which trades the code for tokens
through ``oauth.v2.access``), and every request is authorized with its own workspace's bot token
from the installation store, rotated by Bolt when Slack's token rotation is on. Scheduled jobs
get the same tokens through ``WorkspaceClients``. Without those settings nothing here is loaded
and the bot runs on ``SLACK_BOT_TOKEN`` alone, as before. Socket Mode stays single-workspace.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from slack_sdk import WebClient

from bot.config import Settings
from domain.funnel import Workspace

if TYPE_CHECKING:
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    from storage.installation_store import EncryptedInstallationStore

log = logging.getLogger(__name__)

# What the Add to Slack button asks for; keep in step with manifest.json (a test checks).
BOT_SCOPES = ("commands", "chat:write", "im:write", "users:read", "users:read.email", "channels:read", "groups:read",
              "channels:join", "files:write", "im:history", "channels:history", "groups:history")
# Bolt refreshes a rotating token this long before it expires.
TOKEN_ROTATION_MINUTES = 120


def installation_store(settings: Settings, engine: sa.Engine) -> EncryptedInstallationStore:
    from storage.installation_store import EncryptedInstallationStore, token_cipher

    return EncryptedInstallationStore(client_id=settings.slack_client_id or "", engine=engine,
                                      cipher=token_cipher(settings.token_encryption_keys))


def oauth_settings(settings: Settings, engine: sa.Engine, store: EncryptedInstallationStore,
                   client: WebClient) -> OAuthSettings:
    from slack_bolt.authorization.authorize import InstallationStoreAuthorize
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    from storage.installation_store import SignedOAuthStateStore

    result = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        installation_store=store,
        # Our listeners need only the bot token; find_bot also finds the token Bolt rotated last.
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        state_store=SignedOAuthStateStore(engine=engine, secret=settings.slack_state_secret or ""),
    )
    # The same authorization, but refreshing tokens through our client (its base URL and retries),
    # not a default client of its own.
    result.authorize = InstallationStoreAuthorize(
        client_id=result.client_id, client_secret=result.client_secret, installation_store=store, bot_only=True,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES, client=client, logger=log)
    return result


def workspace_clients(app: Any) -> WorkspaceClients:
    """The client factory for scheduled jobs, matching how ``app`` authorizes its requests."""
    flow = app.oauth_flow
    if flow is None:
        return WorkspaceClients(app.client)
    return WorkspaceClients(app.client, store=flow.settings.installation_store,
                            client_secret=flow.settings.client_secret)


def client_for_workspace(settings: Settings, workspace: Workspace) -> WebClient | None:
    """For CLI commands that call Slack for one workspace (``import`` looking up e-mails): its bot token."""
    from bot.slack_client import create_web_client

    client = create_web_client(settings)
    if not settings.multi_workspace:
        return client
    from storage.engine import create_db_engine

    engine = create_db_engine(settings.database_url)
    try:
        return WorkspaceClients(client, store=installation_store(settings, engine),
                                client_secret=settings.slack_client_secret).client_for(workspace)
    finally:
        engine.dispose()


class WorkspaceClients:
    """The Web API client to use for one workspace, for work that no request carries (scheduled jobs).

    Single-workspace mode: always the app's client. Multi-workspace mode: a client with that
    workspace's bot token from the installation store, refreshed first when Slack's token
    rotation says it is about to expire; ``None`` when the workspace has no installation
    (never installed, uninstalled or revoked), so that nothing is sent there.
    """

    def __init__(self, base: WebClient, store: EncryptedInstallationStore | None = None,
                 client_secret: str | None = None):
        self._base = base
        self._store = store
        self._rotator: Any = None
        if store is not None:
            from slack_sdk.oauth.token_rotation import TokenRotator

            self._rotator = TokenRotator(client_id=store.client_id, client_secret=client_secret or "", client=base)

    @property
    def multi_workspace(self) -> bool:
        return self._store is not None

    def client_for(self, workspace: Workspace) -> WebClient | None:
        if self._store is None:
            return self._base
        bot = self._store.find_bot(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_refresh_token:
            refreshed = self._rotator.perform_bot_token_rotation(bot=bot,
                                                                 minutes_before_expiration=TOKEN_ROTATION_MINUTES)
            if refreshed is not None:
                self._store.save_bot(refreshed)
                bot = refreshed
        base = self._base
        return WebClient(token=bot.bot_token, base_url=base.base_url, timeout=base.timeout, proxy=base.proxy,
                         headers=dict(base.headers or {}), team_id=workspace.team_id, logger=base.logger,
                         retry_handlers=list(base.retry_handlers or []))
