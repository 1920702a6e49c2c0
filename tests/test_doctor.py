"""Start-up that explains itself: `referral-bot doctor`, and `serve` refusing to start with one clear line."""
from __future__ import annotations

import json
import socket
import sys

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def _restore_logging():  # noqa: ANN202
    """serve configures logging onto the (captured) stderr of the test; put the handlers back after it."""
    import logging

    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_doctor_passes_on_a_good_setup(cli_env, engine, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out and "problem" not in out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_doctor_names_each_problem_with_its_fix(cli_env, fake_slack, monkeypatch, tmp_path, capsys):
    fake_slack.fail_next("auth.test", status=200, error="token_revoked")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "DEFAULT_TIMEZONE 'Mars/Olympus' is not an IANA time zone" in out
    # With settings broken, the rest can't be checked; fixed, the token and the database are.
    monkeypatch.setenv("DEFAULT_TIMEZONE", "UTC")
    assert main(["doctor"]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 2, problems
    assert "Slack refused SLACK_BOT_TOKEN (token_revoked)" in problems[0] and "reinstall" in problems[0]
    assert "referral-bot db upgrade" in problems[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_doctor_compares_the_granted_scopes_with_the_manifest(cli_env, engine, fake_slack, capsys):
    fake_slack.granted_scopes = [s for s in fake_slack.granted_scopes if s not in ("users:read.email", "files:write")]
    assert main(["doctor"]) == 1
    [problem] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem:")]
    assert "files:write, users:read.email" in problem and "reinstall" in problem


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_transient_5xx_from_auth_test_is_retried_not_called_a_reinstall(cli_env, engine, fake_slack, capsys):
    fake_slack.fail_next("auth.test", status=503, times=3)
    assert main(["doctor"]) == 0
    assert "reinstall" not in capsys.readouterr().out
    assert [c.status for c in fake_slack.calls_to("auth.test")][-1] == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_request_path_never_calls_auth_test(slack, fake_slack):
    """Slack's auth.test failing can't turn a rep's command into "please reinstall"."""
    fake_slack.fail_next("auth.test", status=500, times=50)
    reply = json.dumps(slack.asked("Jane"))
    assert "Logged 1 ask" in reply and "reinstall" not in reply.lower()
    reply = json.dumps(slack.referral("stats"))
    assert "People asked" in reply


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_stops_with_one_line_for_a_revoked_token(cli_env, engine, fake_slack, capsys):
    fake_slack.fail_next("auth.test", status=200, error="invalid_auth")
    assert main(["serve", "--http", "--no-scheduler", "--port", str(_closed_port())]) == 2
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if "cannot start" in line]  # log lines aside, one line
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line
    assert "Traceback" not in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_stops_with_one_line_for_a_port_in_use(cli_env, engine, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--http", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port}" in err and "--port" in err and "Traceback" not in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_stops_with_one_line_for_an_unreachable_database(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:s3cret-pw@127.0.0.1:{_closed_port()}/referral")
    assert main(["serve", "--http", "--no-scheduler"]) == 2
    err = capsys.readouterr().err
    assert "unreachable" in err and "s3cret-pw" not in err and "Traceback" not in err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_names_the_extra_when_the_driver_is_missing(cli_env, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:pw@127.0.0.1:5432/referral")
    assert main(["serve", "--http", "--no-scheduler"]) == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[postgres]'" in err and "Traceback" not in err
