"""``serve --processes 2``: two web processes on one port and one database (bot/web_processes.py).

A real ``referral-bot serve`` against the fake Slack. Which process takes a connection is the kernel's
choice, so each test makes the choice for it: a process stopped with SIGSTOP accepts nothing, and the
other one must answer alone.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import ConfigError, load_settings
from storage.models import Ask
from tests.conftest import SIGNING_SECRET
from tests.driver import command_body, signed_headers
from tests.test_graceful_stop import Serve


def children_of(pid: int) -> list[int]:
    """Every thread's children: the web processes are started from a watcher thread."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return children


def state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def running(pid: int) -> bool:
    return state(pid) not in (None, "Z", "X")


def pause(pid: int, serve: Serve) -> None:
    """SIGSTOP, and wait until the process is stopped: the signal is delivered asynchronously."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: state(pid) in ("T", "t"), f"pid {pid} stopping", serve)


def wait_until(condition, what: str, serve: Serve, timeout: float = 60):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # polling for a process to start or end, not dodging a race
    raise AssertionError(f"{what} did not happen:\n{serve.output()}")


@pytest.fixture
def two_processes(database_url, engine, fake_slack, tmp_path):  # noqa: ANN001, ANN201
    serve = Serve(database_url=database_url, api_url=fake_slack.api_url, tmp_path=tmp_path, drain=10,
                  extra=["--processes", "2"], env_extra={"WEB_THREADS": "3"})
    serve.child = wait_until(lambda: children_of(serve.process.pid), "the second web process", serve)[0]
    wait_until(lambda: "answering on the shared port" in serve.output(), "the second web process answering", serve)
    yield serve
    for pid in (serve.child, serve.process.pid):
        if running(pid):
            os.kill(pid, signal.SIGCONT)
    serve.close()


def asked(serve: Serve, fake_slack, text: str) -> int:  # noqa: ANN001
    return serve.post(command_body("/asked", text, user_id="U0REP1", response_url=fake_slack.response_url(text)))


def stored_asks(engine) -> list[str]:  # noqa: ANN001
    with Session(engine) as session:
        return sorted(a.asked_name for a in session.exec(select(Ask)))


def test_each_process_answers_alone_on_the_shared_port_and_a_replay_counts_once(two_processes, fake_slack, engine):
    serve = two_processes
    assert "2 web processes share the port" in serve.output()
    assert "cannot start" not in serve.output()
    # WEB_THREADS reaches both processes' servers.
    assert "/slack/events, 3 requests at once" in serve.output()
    assert "answering on the shared port" in serve.output() and f"{serve.port}, 3 requests at once" in serve.output()

    pause(serve.process.pid, serve)  # only the second process accepts now
    assert asked(serve, fake_slack, "Ann") == 200
    body = command_body("/asked", "Bea", user_id="U0REP1", response_url=fake_slack.response_url("Bea"))
    headers = signed_headers(SIGNING_SECRET, body)
    first = serve.post(body, headers=headers)
    os.kill(serve.process.pid, signal.SIGCONT)

    pause(serve.child, serve)  # and now only the first
    assert asked(serve, fake_slack, "Cy") == 200
    replay = serve.post_for_text(body, headers=headers)  # the same signed request, to the other process
    os.kill(serve.child, signal.SIGCONT)

    assert first == 200
    assert "Already received" in replay
    assert stored_asks(engine) == ["Ann", "Bea", "Cy"]
    assert serve.stop() == 0
    assert not running(serve.child)
    assert "Traceback" not in serve.output()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_web_process_that_dies_is_started_again(two_processes, fake_slack, engine):
    serve = two_processes
    os.kill(serve.child, signal.SIGKILL)
    replacement = wait_until(lambda: [c for c in children_of(serve.process.pid) if c != serve.child and running(c)],
                             "a new second web process", serve)[0]
    wait_until(lambda: serve.output().count("answering on the shared port") >= 2, "the new one answering", serve)
    pause(serve.process.pid, serve)  # the new one answers alone
    try:
        assert asked(serve, fake_slack, "Dee") == 200
    finally:
        os.kill(serve.process.pid, signal.SIGCONT)
    assert "exited with -9; starting another" in serve.output()
    assert stored_asks(engine) == ["Dee"]
    assert serve.stop() == 0
    assert not running(replacement)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_other_web_processes_stop_when_the_first_is_killed(two_processes):
    serve = two_processes
    serve.process.kill()  # no SIGTERM to pass on: the pipe's end tells the second process
    serve.process.wait()
    # The second is now an orphan: the pipe's end tells it to stop, and it exits after its drain.
    wait_until(lambda: not running(serve.child), "the second web process stopping", serve)
    assert "the first web process is gone; stopping" in serve.output()


@pytest.mark.parametrize(("name", "field", "default"), [("WEB_PROCESSES", "web_processes", 1),
                                                      ("WEB_THREADS", "web_threads", 1)])
def test_web_process_and_thread_counts_are_checked(name: str, field: str, default: int):
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert getattr(load_settings(base), field) == default
    assert getattr(load_settings({**base, name: "8"}), field) == 8
    for wrong in ("0", "-1", "two", "65"):
        with pytest.raises(ConfigError, match=f"{name} must be a whole number from 1 to 64"):
            load_settings({**base, name: wrong})


def test_request_threads_default_by_database():
    """One on SQLite (its work is CPU under one write lock), four on PostgreSQL (statements wait on the network)."""
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings({**base, "DATABASE_URL": "sqlite:///data/referral.db"}).web_threads == 1
    assert load_settings({**base, "DATABASE_URL": "postgresql+psycopg://bot@db/referral"}).web_threads == 4
    assert load_settings({**base, "DATABASE_URL": "postgresql+psycopg://bot@db/referral",
                          "WEB_THREADS": "2"}).web_threads == 2


def test_the_shared_socket_binds_ipv4_and_ipv6_hosts():
    import socket

    from bot.server import listening_socket

    for host, family in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        with listening_socket(host, 0) as sock:
            assert sock.family == family
            assert sock.get_inheritable()  # so that serve --processes can hand it on
