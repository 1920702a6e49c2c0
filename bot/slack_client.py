"""The Slack Web API client every part of the bot uses (the app, doctor, the OAuth flow), built in one place."""
from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings


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
