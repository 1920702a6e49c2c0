"""Settings from the environment (and ``.env``), validated once at start.

Every problem is collected and reported together, each with its fix, so that an
admin setting the bot up fixes everything in one round. Secret values are never
part of a repr, a log line or an error message.
"""
from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
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


# Requests at once per web process (``WEB_THREADS``), by database: with 1 each runs on the HTTP server's event
# loop, with more on a pool of that many threads (bot/server.py). Compared behind the earlier waitress server,
# with request threads: a request never waits on Slack (the outbox
# does), so on SQLite its work is CPU under one interpreter lock and one write lock: a second thread only
# takes turns at both in the middle of the first one's transaction and stretches it. In bench/ack.py on two
# cores (2026-12-02, two runs each), one process with 1 thread answered 0.74-0.75 of the bare app's acks per
# second with a p99 1.24-1.28 times the bare app's; with 2 threads 0.65-0.68 and 1.57-1.63; with 4 threads
# 0.64-0.70 and 1.78-1.98 (16 were worse again); 4 threads taking turns in arrival order (a hand-over lock
# around Bolt) 0.68-0.69 and 1.40-1.62, the hand-overs costing what the turns saved. The price of one thread:
# /healthz and /livez wait for the Slack request in hand, which is short unless another process holds the
# write lock (then at most the busy timeout). On PostgreSQL each statement waits on the network and writers
# do not queue on one lock, so threads overlap those waits. More processes (``WEB_PROCESSES``), not more
# threads, use more cores.
DEFAULT_WEB_THREADS_SQLITE = 1
DEFAULT_WEB_THREADS_SERVER = 4


def default_web_threads(database_url: str) -> int:
    """For a database URL, or its driver name alone (``sqlite``, ``postgresql+psycopg``)."""
    return DEFAULT_WEB_THREADS_SQLITE if database_url.startswith("sqlite") else DEFAULT_WEB_THREADS_SERVER


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
    # Multi-workspace installs (OAuth): all four set together, or none.
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_state_secret: str | None = field(default=None, repr=False)
    token_encryption_keys: tuple[str, ...] = field(default=(), repr=False)  # first encrypts, all decrypt
    slack_redirect_uri: str | None = None
    log_format: str = "text"  # or "json"
    metrics_port: int = 9464  # /metrics and /healthz of a process without the web server (Socket Mode, worker)
    shutdown_drain_seconds: float = 10.0
    web_processes: int = 1  # HTTP mode: processes sharing the port (bot/web_processes.py)
    web_threads: int = DEFAULT_WEB_THREADS_SQLITE  # HTTP mode: requests at once per web process (bot/server.py)

    @property
    def socket_mode_available(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def multi_workspace(self) -> bool:
        """OAuth installs: tokens come from the installation store, not from SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret)


def load_settings(environ: Mapping[str, str] | None = None, *, http_mode: bool = False,
                  serving: bool = True) -> Settings:
    """Read and validate settings. ``http_mode`` makes the signing secret required; commands that only
    call Slack (``serving=False``: run-job, import) never need it, since no request comes in to verify."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    problems: list[str] = []
    oauth = _oauth_settings(get, problems)
    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token is None and oauth.get("slack_client_id"):
        pass  # each workspace's token comes from its installation
    elif bot_token is None:
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
    needs_http = http_mode or app_token is None or bool(oauth.get("slack_client_id"))
    if oauth.get("slack_client_id") and app_token is not None and not http_mode:
        problems.append(
            "OAuth installs (SLACK_CLIENT_ID) need HTTP mode: unset SLACK_APP_TOKEN or run serve --http. "
            "Socket Mode stays single-workspace."
        )
    if serving and needs_http and signing_secret is None:
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

    port = _port(get("PORT"), "PORT", 3000, problems)
    metrics_port = _port(get("METRICS_PORT"), "METRICS_PORT", 9464, problems)
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in ("text", "json"):
        problems.append("LOG_FORMAT must be text or json.")

    drain = 10.0
    raw_drain = get("SHUTDOWN_DRAIN_SECONDS")
    if raw_drain is not None:
        try:
            drain = float(raw_drain)
        except ValueError:
            drain = -1.0
        if not 0 <= drain <= 600:
            problems.append("SHUTDOWN_DRAIN_SECONDS must be a number of seconds from 0 to 600 (default 10).")

    web_processes = 1
    raw_processes = get("WEB_PROCESSES")
    if raw_processes is not None:
        web_processes = int(raw_processes) if raw_processes.isdigit() else 0
        if not 1 <= web_processes <= 64:
            problems.append("WEB_PROCESSES must be a whole number from 1 to 64 (default 1; about one per core).")

    web_threads = default_web_threads(database_url)
    raw_threads = get("WEB_THREADS")
    if raw_threads is not None:
        web_threads = int(raw_threads) if raw_threads.isdigit() else 0
        if not 1 <= web_threads <= 64:
            problems.append(f"WEB_THREADS must be a whole number from 1 to 64 (default {DEFAULT_WEB_THREADS_SQLITE} on "
                            f"SQLite, {DEFAULT_WEB_THREADS_SERVER} on PostgreSQL).")

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
        log_format=log_format,
        metrics_port=metrics_port,
        shutdown_drain_seconds=drain,
        web_processes=web_processes,
        web_threads=web_threads,
        **oauth,
    )


def _oauth_settings(get: Callable[[str], str | None], problems: list[str]) -> dict[str, Any]:
    """SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET and TOKEN_ENCRYPTION_KEYS come as a set."""
    names = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "TOKEN_ENCRYPTION_KEYS")
    values = {name: get(name) for name in names}
    given = [name for name in names if values[name]]
    if not given:
        return {}
    missing = [name for name in names if not values[name]]
    if missing:
        problems.append(
            f"Installing in many workspaces needs {', '.join(names)} together; missing: {', '.join(missing)}. "
            "Copy the client ID and secret from Basic Information; make the state secret and the keys with "
            "referral-bot keygen."
        )
        return {}
    state_secret = values["SLACK_STATE_SECRET"] or ""
    if len(state_secret) < 16:
        problems.append("SLACK_STATE_SECRET must be at least 16 characters (referral-bot keygen makes one).")
    keys = tuple(k for k in re.split(r"[\s,]+", values["TOKEN_ENCRYPTION_KEYS"] or "") if k)
    if not keys or not all(_is_fernet_key(k) for k in keys):
        problems.append(
            "TOKEN_ENCRYPTION_KEYS must be Fernet keys (44 characters of URL-safe base64), comma-separated, "
            "newest first; referral-bot keygen makes one (the values are not shown)."
        )
    redirect_uri = get("SLACK_REDIRECT_URI")
    if redirect_uri is not None and not redirect_uri.startswith("https://") and "127.0.0.1" not in redirect_uri \
            and "localhost" not in redirect_uri:
        problems.append("SLACK_REDIRECT_URI must be an https:// URL ending in /slack/oauth_redirect, or unset.")
    return {"slack_client_id": values["SLACK_CLIENT_ID"], "slack_client_secret": values["SLACK_CLIENT_SECRET"],
            "slack_state_secret": state_secret, "token_encryption_keys": keys, "slack_redirect_uri": redirect_uri}


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def _port(raw: str | None, name: str, default: int, problems: list[str]) -> int:
    if raw is None:
        return default
    if raw.isdigit() and 0 < int(raw) < 65536:
        return int(raw)
    problems.append(f"{name} must be a number between 1 and 65535.")
    return default


def load_database_url(environ: Mapping[str, str] | None = None) -> str:
    """Just the database URL, for commands that never talk to Slack (``db upgrade``, ``run-job --dry-run``)."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    url = _database_url(env.get("DATABASE_URL", "").strip() or None, problems)
    if problems:
        raise ConfigError(problems)
    return url


def require_existing_database(url: str) -> None:
    """A command that reads or changes data must not create an empty SQLite file when pointed at the wrong place."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not os.path.exists(parsed.database):
        raise ConfigError([f"There is no database at {os.path.abspath(parsed.database)}: point DATABASE_URL at the "
                           "bot's database, or create it with `referral-bot db upgrade` (serve creates it too)."])


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
