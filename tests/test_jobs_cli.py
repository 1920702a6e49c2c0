"""run-job and team from the command line, and exactly-once across two processes on one database."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.app import create_app
from bot.cli import main
from bot.jobs import run_job
from domain.funnel import Workspace
from storage.engine import create_db_engine, session_scope
from storage.models import Delivery
from storage.team_queries import add_member, add_team

THURSDAY_EVENING = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)


def test_team_setup_and_run_job_from_the_cli(cli_env, fake_slack, capsys):
    for user in ("U0AAA", "U0BBB"):
        fake_slack.add_user(user, tz="America/New_York")
    assert main(["team", "create", "east", "--workspace", "T0001"]) == 0
    assert main(["team", "add", "east", "U0AAA", "U0BBB", "--workspace", "T0001"]) == 0
    assert main(["team", "set", "east", "minimum", "2", "--workspace", "T0001"]) == 0
    assert main(["team", "add", "nowhere", "U0AAA", "--workspace", "T0001"]) == 2
    out = capsys.readouterr()
    assert "east: reps U0AAA U0BBB" in out.out and "no team called nowhere" in out.err

    at = ["--at", THURSDAY_EVENING.isoformat()]
    assert main(["run-job", "reminders", *at, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "reminder -> U0AAA" in dry and "reminder -> U0BBB" in dry and "2 due, 0 sent" in dry
    assert fake_slack.calls_to("chat.postMessage") == []

    assert main(["run-job", "reminders", *at]) == 0
    assert "2 due, 2 sent" in capsys.readouterr().out
    assert main(["run-job", "reminders", *at]) == 0
    # What the ledger already has is not even due: the due query leaves it out.
    assert "0 due, 0 sent" in capsys.readouterr().out
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_run_job_wants_an_aware_time(cli_env, capsys):
    with pytest.raises(SystemExit):
        main(["run-job", "digests", "--at", "2026-11-09T08:00"])
    assert "UTC offset" in capsys.readouterr().err


def test_two_processes_on_one_database_send_each_message_once(database_url, engine, settings, fake_slack):
    workspace = Workspace("T0001")
    with session_scope(engine) as session:
        team = add_team(session=session, workspace=workspace, name="big", now=THURSDAY_EVENING)
        for n in range(40):
            fake_slack.add_user(f"U0R{n:03d}", tz="America/New_York")
            add_member(session=session, team=team, user_id=f"U0R{n:03d}", role="rep")
    # Two bot processes: separate apps, engines and connection pools, one database.
    bots = []
    for _ in range(2):
        own_engine = create_db_engine(database_url)
        bots.append((create_app(settings, engine=own_engine, clock=lambda: THURSDAY_EVENING), own_engine))
    start = threading.Barrier(2)
    reports = []

    def tick(bot) -> None:  # noqa: ANN001
        (app, ctx), _ = bot
        start.wait()
        reports.append(run_job("reminder", ctx=ctx, client=app.client, now=THURSDAY_EVENING))

    threads = [threading.Thread(target=tick, args=(bot,)) for bot in bots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _, own_engine in bots:
        own_engine.dispose()
    assert sum(r.sent for r in reports) == 40
    channels = [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")]
    assert sorted(channels) == sorted(f"U0R{n:03d}" for n in range(40))
    with Session(engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 40
