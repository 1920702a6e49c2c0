"""Settings from the environment (and ``.env``), validated once at start.

Every problem is collected and reported together, each with its fix, so that an
admin setting the bot up fixes everything in one round. Secret values are never
part of a repr, a log line or an error message.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite:///referral_nudge.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """All configuration problems at once, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "Referral Nudge cannot start; fix these settings (environment or .env):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    default_timezone: str = "UTC"
    admin_user_ids: frozenset[str] = frozenset()
    log_level: str = "INFO"
    port: int = 3000
    shutdown_drain_seconds: float = 10.0

    @property
    def socket_mode_available(self) -> bool:
        return bool(self.slack_app_token)


def load_settings(environ: Mapping[str, str] | None = None, *, http_mode: bool = False) -> Settings:
    """Read and validate settings. ``http_mode`` makes the signing secret required."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    problems: list[str] = []
    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token is None:
        problems.append("SLACK_BOT_TOKEN is missing: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions.")
    elif not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token, not a user or app token).")

    app_token = get("SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN must start with xapp-: create an app-level token with connections:write "
            "under Basic Information, or leave it unset to run in HTTP mode."
        )
    signing_secret = get("SLACK_SIGNING_SECRET")
    needs_http = http_mode or app_token is None
    if needs_http and signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is required in HTTP mode: copy the Signing Secret from Basic Information "
            "(or set SLACK_APP_TOKEN to use Socket Mode)."
        )

    api_url = get("SLACK_API_URL")
    if api_url is not None:
        parsed = urlparse(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, or unset.")
        elif not api_url.endswith("/"):
            api_url += "/"

    database_url = _database_url(get("DATABASE_URL"), problems)

    timezone = get("DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"DEFAULT_TIMEZONE {timezone!r} is not an IANA time zone; use a name like America/New_York.")

    admins = frozenset(a for a in re.split(r"[\s,]+", get("ADMIN_USER_IDS") or "") if a)
    bad_admins = sorted(a for a in admins if not _USER_ID.match(a))
    if bad_admins:
        problems.append(
            f"ADMIN_USER_IDS has values that are not Slack user IDs: {', '.join(bad_admins)} "
            "(use IDs like U012ABCDEF, comma-separated; find one under a profile's ⋮ > Copy member ID)."
        )

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}.")

    port = 3000
    raw_port = get("PORT")
    if raw_port is not None:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append("PORT must be a number between 1 and 65535.")

    drain = 10.0
    raw_drain = get("SHUTDOWN_DRAIN_SECONDS")
    if raw_drain is not None:
        try:
            drain = float(raw_drain)
        except ValueError:
            drain = -1.0
        if not 0 <= drain <= 600:
            problems.append("SHUTDOWN_DRAIN_SECONDS must be a number of seconds from 0 to 600 (default 10).")

    if problems:
        raise ConfigError(problems)
    return Settings(
        slack_bot_token=bot_token or "",
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        default_timezone=timezone,
        admin_user_ids=admins,
        log_level=log_level,
        port=port,
        shutdown_drain_seconds=drain,
    )


def load_database_url(environ: Mapping[str, str] | None = None) -> str:
    """Just the database URL, for commands that never talk to Slack (``db upgrade``, ``run-job --dry-run``)."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    url = _database_url(env.get("DATABASE_URL", "").strip() or None, problems)
    if problems:
        raise ConfigError(problems)
    return url


def _database_url(raw: str | None, problems: list[str]) -> str:
    url = raw or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", url):
        problems.append(
            "DATABASE_URL must be sqlite:///path.db or postgresql://user:pass@host/db "
            "(the value is not shown because it may contain a password)."
        )
    elif url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we install; SQLAlchemy would otherwise look for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
