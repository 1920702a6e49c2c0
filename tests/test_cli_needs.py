"""The CLI needs only what it uses: only serve needs the signing secret, and a command pointed at a
missing SQLite database says so and creates nothing (serve and db upgrade create it)."""
from __future__ import annotations

import pytest

from tests.conftest import BOT_TOKEN
from tests.test_cli import base_env, run_cli

NO_DATABASE_COMMANDS = [
    ("db", "current"),
    ("export", "--workspace", "T0001"),
    ("team", "show", "--workspace", "T0001"),
    ("run-job", "reminders", "--dry-run"),
    ("import", "asks.csv", "--workspace", "T0001"),
]


@pytest.mark.parametrize("args", NO_DATABASE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_command_pointed_at_a_missing_database_says_so_and_creates_nothing(args, tmp_path):
    (tmp_path / "asks.csv").write_text("rep,date,asked,for_whom,outcome\nU0AAA,2026-09-01,Jane,,pending\n")
    missing = tmp_path / "typo" / "referral.db"
    (tmp_path / "typo").mkdir()
    env = base_env(DATABASE_URL=f"sqlite:///{missing}", SLACK_BOT_TOKEN=BOT_TOKEN)
    result = run_cli(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"There is no database at {missing}" in result.stderr
    assert list((tmp_path / "typo").iterdir()) == []


def test_db_upgrade_creates_the_missing_database_and_then_the_other_commands_work(tmp_path):
    database = tmp_path / "referral.db"
    env = base_env(DATABASE_URL=f"sqlite:///{database}")
    assert run_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert database.exists()
    current = run_cli("db", "current", env=env, cwd=tmp_path)
    assert current.returncode == 0 and "schema at" in current.stdout


def test_run_job_and_an_email_import_work_without_the_signing_secret(cli_env, fake_slack, monkeypatch, tmp_path):
    from bot.cli import main

    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    fake_slack.add_user("U0BEA", tz="America/New_York", email="bea@acme.com")
    sheet = tmp_path / "asks.csv"
    sheet.write_text("rep,date,asked,for_whom,outcome\nbea@acme.com,2026-09-02,Raj Patel,,nobody\n")
    assert main(["import", str(sheet), "--workspace", "T0001"]) == 0
    assert fake_slack.calls_to("users.lookupByEmail")
    assert main(["run-job", "reminders", "--at", "2026-11-05T20:00:00+00:00", "--dry-run"]) == 0


def test_serve_still_demands_the_signing_secret_in_http_mode(tmp_path):
    result = run_cli("serve", "--http", env=base_env(SLACK_BOT_TOKEN=BOT_TOKEN), cwd=tmp_path)
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET" in result.stderr
