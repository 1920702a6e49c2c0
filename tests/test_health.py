"""Honest health: /healthz proves a write, notices a deleted, replaced or read-only SQLite file, a held
write lock and an unreachable PostgreSQL; while the database is sick commands say nothing was saved."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import create_app
from storage.engine import create_db_engine
from storage.health import DatabaseHealth
from storage.migrate import upgrade_schema
from storage.models import Ask
from tests.test_http import RunningServer


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def running(settings, clock, sqlite_url) -> Iterator[tuple[RunningServer, Path]]:  # noqa: ANN001
    engine = create_db_engine(sqlite_url)
    upgrade_schema(engine)
    # The production setting: ack first, then the work (a failure can't turn into a 500 for Slack).
    app, _ = create_app(settings, engine=engine, clock=clock, process_before_response=False)
    server = RunningServer(app, engine)
    yield server, Path(engine.url.database)
    server.stop()
    engine.dispose()


def _ask(server: RunningServer, fake_slack, text: str, key: str, *, refused: bool = False) -> dict:  # noqa: ANN001
    from tests.conftest import SIGNING_SECRET
    from tests.driver import command_body, signed_headers

    body = command_body("/asked", text, user_id="U0REP1", response_url=fake_slack.response_url(key))
    status, acked = server.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
    # The answer, stored or refused, comes back in the ack itself (handlers/): always a 200.
    assert status == 200
    return json.loads(acked)


def _names(path: Path) -> list[str]:
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            return [a.asked_name for a in session.exec(select(Ask))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deleted_database_file_is_noticed_and_nothing_is_confirmed_into_it(running, fake_slack):
    server, path = running
    assert server.get("/healthz")[0] == 200
    assert "Logged 1 ask" in json.dumps(_ask(server, fake_slack, "Jane", "before"))
    backup = path.with_name("backup.db")
    shutil.copy(path, backup)
    os.remove(path)

    status, health = server.get("/healthz")
    assert status == 503 and "deleted" in health["reason"]
    assert server.get("/livez")[0] == 200  # alive, just not ready
    reply = json.dumps(_ask(server, fake_slack, "Raj", "after", refused=True))
    assert "nothing from your last command was saved" in reply and "Logged" not in reply
    assert not path.exists()  # the probe must not have created an empty file in its place

    # Restored, the file has Jane only: nothing was confirmed and then lost.
    shutil.copy(backup, path)
    assert _names(path) == ["Jane"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replaced_database_file_is_noticed(running, fake_slack):
    server, path = running
    _ask(server, fake_slack, "Jane", "before")
    replacement = path.with_name("other.db")
    shutil.copy(path, replacement)
    os.replace(replacement, path)
    status, health = server.get("/healthz")
    assert status == 503 and "replaced" in health["reason"]
    assert "nothing from your last command was saved" in json.dumps(_ask(server, fake_slack, "Raj", "after", refused=True))
    assert _names(path) == ["Jane"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_only_database_file_is_noticed(running, fake_slack):
    server, path = running
    _ask(server, fake_slack, "Jane", "before")
    os.chmod(path, 0o444)
    try:
        status, health = server.get("/healthz")
        assert status == 503 and "read-only" in health["reason"]
        assert "nothing from your last command was saved" in json.dumps(_ask(server, fake_slack, "Raj", "after", refused=True))
    finally:
        os.chmod(path, 0o644)
    assert _names(path) == ["Jane"]
    assert server.get("/healthz")[0] == 200  # writable again: ready again
    assert "Logged 1 ask" in json.dumps(_ask(server, fake_slack, "Maria", "later"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_held_write_lock_makes_healthz_answer_503_not_hang(running):
    server, path = running
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status, health = server.get("/healthz")  # the client gives up after 10 s; the probe after 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 503 and "did not take a write" in health["reason"]
    assert server.get("/healthz")[0] == 200


def test_healthz_writes_the_heartbeat(engine):
    from storage.models import Heartbeat

    assert DatabaseHealth(engine).check().ok
    with Session(engine) as session:
        assert [beat.id for beat in session.exec(select(Heartbeat))] == [1]


def test_an_unmigrated_database_is_reported(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE unrelated (id INTEGER)")
    health = DatabaseHealth(engine).check()
    assert not health.ok and "db upgrade" in health.reason
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_unreachable_postgresql_is_reported_and_commands_refuse(database_url, settings, clock, slack):
    import socket
    from dataclasses import replace

    from tests.driver import SlackDriver, command_body

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = create_db_engine(database_url).url.set(host="127.0.0.1", port=port)
    unreachable = create_db_engine(url.render_as_string(hide_password=False))
    health = DatabaseHealth(unreachable).check()
    assert not health.ok and "unreachable" in health.reason
    assert "password" not in health.reason.lower() and str(port) not in health.reason

    app, _ = create_app(replace(settings, database_url=str(url)), engine=unreachable, clock=clock,
                        process_before_response=True)
    driver = SlackDriver(app, slack.fake, slack.signing_secret)
    url = slack.fake.response_url("down")
    response = driver.dispatch(command_body("/asked", "Jane", user_id="U0REP1", response_url=url))
    assert response.status == 200 and "nothing from your last command was saved" in response.body
    unreachable.dispose()


def test_the_probe_runs_beside_a_busy_server(engine):
    """Readiness and commands at once: the probe takes its own connection and never deadlocks the pool."""
    health = DatabaseHealth(engine)
    results = []
    threads = [threading.Thread(target=lambda: results.append(health.check().ok)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [True] * 8
