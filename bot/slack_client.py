"""The Slack Web API client every part of the bot uses (the app, doctor, the OAuth flow), built in one place."""
from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from services import delivery

POST_MESSAGE_PATH = "/chat.postMessage"
# slack-sdk's handler sleeps Retry-After plus up to this much jitter before it posts again. The fan-out pauses
# for all of it: resuming at Retry-After alone, the other threads filled the second again just before the
# jittered retry, which then met another 429 (1 of 10,000 DMs in a run still failed that way).
RETRY_JITTER_SECONDS = 1.0


class PausingRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 as slack-sdk's handler does; on ``chat.postMessage`` it first pauses the fan-out to that
    workspace (its bot token) until after the retry (services/delivery.py ``SlowDown``), so the message retried
    finds room under the cap."""

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:  # noqa: ANN001
        if response is not None and request.url.split("?", 1)[0].endswith(POST_MESSAGE_PATH):
            # slack-sdk's HttpResponse keeps each header as a list of values.
            retry_after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
            try:
                seconds = float(retry_after[0])
            except ValueError:
                seconds = 1.0
            delivery.SLOW_DOWN.hold(_bearer_token(request.headers), seconds + RETRY_JITTER_SECONDS)
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)


def _bearer_token(headers: dict) -> str | None:
    """The bot token a request was sent with (slack-sdk puts it in the Authorization header, as a list)."""
    values = next((v for k, v in headers.items() if k.lower() == "authorization"), None) or [""]
    value = values[0] if isinstance(values, list) else values
    return value.removeprefix("Bearer ") or None


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client that waits out 429s (honouring Retry-After) and retries 5xx and dropped connections."""
    # Multi-workspace mode has no token of its own (a leftover SLACK_BOT_TOKEN is ignored): each request
    # and job gets its workspace's.
    token = None if settings.multi_workspace else settings.slack_bot_token or None
    client = WebClient(token=token, base_url=settings.slack_api_url or WebClient.BASE_URL)
    client.retry_handlers.extend([
        PausingRateLimitRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])
    # The default client already retries one connection error; keep it and allow one more.
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    return client
