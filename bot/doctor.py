"""Start-up checks that explain themselves: ``referral-bot doctor`` runs them all and prints one line per
problem with what to do; ``serve`` runs the same ones and stops at the first with one clear line.

- Settings: every problem at once (bot/config.py).
- Token: ``auth.test``, retried on 5xx and dropped connections (a Slack hiccup is not "reinstall"), and the
  granted scopes (its ``x-oauth-scopes`` header) against the bot scopes manifest.json asks for.
- Database: the driver is installed, the server answers, the schema is migrated, a write goes through.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.words import plural

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.json"
AUTH_TEST_ATTEMPTS = 4
_REVOKED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
            "missing_scope", "team_access_not_granted", "ekm_access_denied"}


@dataclass(frozen=True)
class Identity:
    """Who the bot is, from auth.test at start: what the request path needs instead of calling Slack."""

    team_id: str
    bot_user_id: str
    bot_id: str | None
    enterprise_id: str | None
    scopes: frozenset[str] | None  # None when Slack sent no header


class CheckFailed(Exception):
    """One problem, as a line an operator can act on."""

    def __init__(self, line: str):
        super().__init__(line)
        self.line = line


def manifest_bot_scopes(path: Path = MANIFEST) -> frozenset[str]:
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def fetch_identity(client: Any, *, attempts: int = AUTH_TEST_ATTEMPTS, pause: float = 1.0) -> Identity:
    """auth.test with retries for what is transient (5xx, 429, no connection); CheckFailed for the rest."""
    from slack_sdk.errors import SlackApiError

    last = ""
    for attempt in range(1, attempts + 1):
        try:
            response = client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            status = error.response.status_code
            if code in _REVOKED:
                raise CheckFailed(f"Slack refused SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token (xoxb-…) "
                                  "again from OAuth & Permissions; if the app was uninstalled or the token revoked, "
                                  "reinstall the app to the workspace.") from None
            if status < 500 and status != 429:
                raise CheckFailed(f"Slack's auth.test answered {code or status}; check SLACK_BOT_TOKEN and "
                                  "SLACK_API_URL.") from None
            last = f"HTTP {status}"
        except (OSError, ValueError) as error:
            last = type(error).__name__
        else:
            headers = {k.lower(): v for k, v in (response.headers or {}).items()}
            raw = headers.get("x-oauth-scopes")
            scopes = frozenset(s.strip() for s in (raw if isinstance(raw, str) else ",".join(raw or [])).split(",")
                               if s.strip()) if raw is not None else None
            return Identity(team_id=response.get("team_id") or "", bot_user_id=response.get("user_id") or "",
                            bot_id=response.get("bot_id"), enterprise_id=response.get("enterprise_id"),
                            scopes=scopes)
        if attempt < attempts:
            time.sleep(pause * attempt)
    raise CheckFailed(f"Slack could not be reached for auth.test after {attempts} tries ({last}); this is on "
                      "Slack's side or the network's, not your token: try again in a minute.")


def scope_problem(identity: Identity, wanted: frozenset[str]) -> str | None:
    if identity.scopes is None or not wanted:
        return None
    missing = sorted(wanted - identity.scopes)
    if not missing:
        return None
    return (f"the token lacks the {plural('scope', len(missing))} {', '.join(missing)} that manifest.json asks for: "
            "add them under OAuth & Permissions (or paste manifest.json again) and reinstall the app to the workspace.")


def check_database(url: str, *, require_migrated: bool) -> tuple[Any, list[str]]:
    """(engine or None, problems). The driver, the connection, the schema, a write."""
    from sqlalchemy.exc import NoSuchModuleError

    from storage.engine import create_db_engine
    from storage.health import DatabaseHealth, describe_failure

    try:
        engine = create_db_engine(url)
    except (ModuleNotFoundError, NoSuchModuleError) as error:
        name = getattr(error, "name", None) or str(error)
        return None, [f"the PostgreSQL driver is not installed ({name}): run pip install -e '.[postgres]'"
                      if url.startswith("postgres") else f"a database driver is missing ({name})"]
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except ModuleNotFoundError as error:
        return None, [f"the PostgreSQL driver is not installed ({error.name}): run pip install -e '.[postgres]'"]
    except Exception as error:  # noqa: BLE001 - any failure here is "can't use the database"; say why
        engine.dispose()
        return None, [f"database: {describe_failure(error)}"]
    if not require_migrated:
        return engine, []
    from storage.migrate import current_revision, head_revision

    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        return engine, [f"database: the schema is at {current or 'nothing'}, the code needs {head}: run "
                        "referral-bot db upgrade (serve does it on start)"]
    health = DatabaseHealth(engine).check()
    return engine, [] if health.ok else [f"database: {health.reason}"]


def run_doctor(*, http_mode: bool) -> int:
    """Every check, one line per problem; 0 when all is well, 1 otherwise."""
    from bot.config import ConfigError, load_settings

    problems: list[str] = []
    try:
        settings = load_settings(http_mode=http_mode)
    except ConfigError as error:
        problems.extend(f"setting: {p}" for p in error.problems)
        settings = None
    if settings is not None:
        from bot.slack_client import create_web_client

        try:
            identity = fetch_identity(create_web_client(settings))
            print(f"ok: token for workspace {identity.team_id} (bot user {identity.bot_user_id})")
            scopes = scope_problem(identity, manifest_bot_scopes())
            if scopes:
                problems.append(f"token: {scopes}")
        except CheckFailed as failed:
            problems.append(f"token: {failed.line}")
        engine, database = check_database(settings.database_url, require_migrated=True)
        problems.extend(database)
        if engine is not None:
            if not database:
                print("ok: database reachable, migrated and writable")
            engine.dispose()
    for line in problems:
        print(f"problem: {line}")
    if not problems:
        print("all checks passed")
    return 1 if problems else 0
