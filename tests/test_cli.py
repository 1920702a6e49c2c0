"""The CLI as an admin runs it: configuration errors, migrations, and a real serve process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import ConfigError, load_settings
from storage.engine import create_db_engine
from storage.migrate import current_revision, head_revision
from storage.models import Ask, Referral
from tests.driver import command_body, signed_headers

ROOT = Path(__file__).resolve().parents[1]
SECRET = "cli-test-signing-secret-xyz"


def test_every_problem_is_listed_at_once_without_secrets():
    with pytest.raises(ConfigError) as caught:
        load_settings({"SLACK_BOT_TOKEN": "xoxp-user-token-secret", "SLACK_APP_TOKEN": "bad",
                       "DATABASE_URL": "mysql://root:hunter2@db/x", "DEFAULT_TIMEZONE": "Mars/Olympus",
                       "ADMIN_USER_IDS": "U123ABC, nobody", "LOG_LEVEL": "loud", "PORT": "99999"})
    message = str(caught.value)
    assert len(caught.value.problems) == 7
    for fragment in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL",
                     "DEFAULT_TIMEZONE", "ADMIN_USER_IDS", "LOG_LEVEL", "PORT"):
        assert fragment in message
    assert "hunter2" not in message and "xoxp-user-token-secret" not in message


def test_socket_mode_needs_no_signing_secret_and_http_mode_does():
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    assert load_settings(env).socket_mode_available
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings(env, http_mode=True)
    settings = load_settings({**env, "SLACK_SIGNING_SECRET": "s3cr3t-value", "DATABASE_URL": "postgresql://u:p@h/db"})
    assert settings.database_url == "postgresql+psycopg://u:p@h/db"
    assert "s3cr3t" not in repr(settings) and "xoxb" not in repr(settings)


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_db_upgrade_brings_the_schema_to_head(database_url, tmp_path):
    result = run_cli("db", "upgrade", env=base_env(DATABASE_URL=database_url), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    engine = create_db_engine(database_url)
    assert current_revision(engine) == head_revision(engine) is not None
    engine.dispose()


def test_missing_configuration_exits_2_with_the_fix(tmp_path):
    result = run_cli("serve", "--http", env=base_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is missing" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr


class ServeProcess:
    """``referral-bot serve --http`` as a child process; ready once it logs that it listens."""

    def __init__(self, env: dict[str, str], cwd: Path, port: int):
        self.port = port
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port),
                                         "--host", "127.0.0.1"], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        for line in self.process.stderr:  # blocks until the server reports it is listening
            self.log.append(line)
            if "listening for Slack" in line:
                return
        raise AssertionError("serve exited early:\n" + "".join(self.log))

    def post(self, body: str) -> int:
        """POST a signed request; the status, with the ack's reply kept in ``last_reply``."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(),
                                         headers=signed_headers(SECRET, body), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            self.last_reply = json.loads(raw) if raw.startswith(b"{") else {}
            return response.status

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        rest = self.process.stderr.read()
        assert self.process.wait(timeout=30) == 0
        return "".join(self.log) + rest


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_restart_keeps_every_ask_and_referral(database_url, fake_slack, tmp_path):
    fake_slack.add_user("U0REP1", tz="America/New_York")
    env = base_env(SLACK_BOT_TOKEN="xoxb-cli-secret-token", SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=fake_slack.api_url, DATABASE_URL=database_url, LOG_LEVEL="DEBUG")
    first = ServeProcess(env, tmp_path, free_port())
    for n, (command, text) in enumerate([("/asked", "Jane for Bob"), ("/referral", "got Bob from Jane"),
                                         ("/asked", "Raj")]):
        url = fake_slack.response_url(f"r{n}")
        assert first.post(command_body(command, text, user_id="U0REP1", response_url=url)) == 200
        assert first.last_reply["response_type"] == "ephemeral"  # the confirmation, in the ack
    log_text = first.stop()
    assert "xoxb-cli-secret-token" not in log_text and SECRET not in log_text

    second = ServeProcess(env, tmp_path, free_port())
    url = fake_slack.response_url("after")
    assert second.post(command_body("/referral", "stats quarter", user_id="U0REP1", response_url=url)) == 200
    second.stop()
    text = json.dumps(second.last_reply)
    assert "People asked: *2*" in text and "Referrals received: *1*" in text
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        assert len(session.exec(select(Ask)).all()) == 2 and len(session.exec(select(Referral)).all()) == 1
    engine.dispose()
