"""SIGTERM to a real ``referral-bot serve`` process in HTTP mode: no new work, the work in flight finishes
within the bounded drain, exit 0. The process runs the production entry point against the fake Slack and
the test database."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.models import Ask
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.driver import command_body, signed_headers

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Serve:
    def __init__(self, *, database_url: str, api_url: str, tmp_path: Path, drain: float, extra: list[str] = (),
                 env_extra: dict[str, str] | None = None):
        self.port = _free_port()
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": api_url, "DATABASE_URL": database_url, "SHUTDOWN_DRAIN_SECONDS": str(drain),
               "DEFAULT_TIMEZONE": "America/New_York", "PYTHONPATH": str(ROOT), **(env_extra or {})}
        env.pop("SLACK_APP_TOKEN", None)
        self.log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-scheduler", *extra], cwd=tmp_path, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_alive()

    def _wait_alive(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(self.base + "/livez", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)  # polling for start-up, not dodging a race
        raise AssertionError("serve never came up:\n" + self.output())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def post(self, body: str, headers: dict[str, str] | None = None) -> int:
        return self._post(body, headers)[0]

    def post_for_text(self, body: str, headers: dict[str, str] | None = None) -> str:
        return self._post(body, headers)[1]

    def _post(self, body: str, headers: dict[str, str] | None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + "/slack/events", data=body.encode(),
                                         headers=headers or signed_headers(SIGNING_SECRET, body), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def serve_factory(engine, database_url, fake_slack, tmp_path):  # noqa: ANN001, ANN201
    started: list[Serve] = []

    def start(**kwargs) -> Serve:  # noqa: ANN003
        started.append(Serve(database_url=database_url, api_url=fake_slack.api_url, tmp_path=tmp_path, **kwargs))
        return started[-1]

    yield start
    for serve in started:
        serve.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_finishes_the_work_in_flight_and_exits_0(serve_factory, fake_slack, engine):
    serve = serve_factory(drain=20)
    fake_slack.set_latency(1.5)  # every Web API call takes 1.5 s: the outbox is busy well after the ack
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url("inflight"))
    assert serve.post(body) == 200  # acknowledged with the confirmation; the Home refresh goes on after it
    assert serve.stop() == 0, serve.output()
    # The Home refresh the rep was owed went out before the process ended, and the ask is stored.
    assert [c for c in fake_slack.calls_to("views.publish") if c.params.get("user_id") == "U0REP1"], serve.output()
    with Session(engine) as session:
        assert [a.asked_name for a in session.exec(select(Ask))] == ["Jane"]
    assert "Traceback" not in serve.output()
    # On SQLite, serve took the WAL checkpoints off the acks' commits (storage/checkpoints.py).
    assert "WAL checkpoints every 1 s on their own thread" in serve.output()
    # And froze start-up's objects out of the collector's full passes (bot/gc_pauses.py).
    assert "start-up objects frozen" in serve.output()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_drain_is_bounded_when_work_never_finishes(serve_factory, fake_slack):
    serve = serve_factory(drain=2)
    # The follow-up after the ack (looking up the newcomer's profile) never gets an answer in time.
    fake_slack.set_latency(25, method="users.info")
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url("stuck"))
    assert serve.post(body) == 200
    fake_slack.wait_for_arrival("users.info", timeout=15)  # in flight on the outbox, stuck in Slack
    # Bounded: exits 0 within its 2 s drain (and the margin to start and stop), long before the stuck call's 25 s.
    started = time.monotonic()
    assert serve.stop(timeout=20) == 0, serve.output()
    assert time.monotonic() - started < 12, serve.output()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_requests_are_refused_while_draining(serve_factory, fake_slack):
    serve = serve_factory(drain=10)
    fake_slack.set_latency(25, method="views.publish")  # the Home refresh holds the drain open
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url("busy"))
    assert serve.post(body) == 200
    fake_slack.wait_for_calls("users.info")
    serve.process.send_signal(signal.SIGTERM)
    # Draining (the stuck refresh holds it open): readiness says so and new commands are refused.
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(serve.base + "/healthz", timeout=2) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            break
        time.sleep(0.05)  # until the signal has been handled
    assert status == 503
    again = command_body("/asked", "Raj", user_id="U0REP1", response_url=fake_slack.response_url("late"))
    assert serve.post(again) == 503
    assert serve.process.wait(timeout=30) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_socket_mode_sigterm_finishes_the_envelope_in_flight_and_exits_0(engine, database_url, fake_slack, tmp_path):
    from urllib.parse import parse_qsl

    from tests.support.socket_mode import SocketModeServer

    socket_server = SocketModeServer()
    fake_slack.socket_mode_url = socket_server.url
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": fake_slack.api_url,
           "DATABASE_URL": database_url, "SHUTDOWN_DRAIN_SECONDS": "20", "DEFAULT_TIMEZONE": "America/New_York",
           "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_SIGNING_SECRET", None)
    log_path = tmp_path / "socket.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--no-scheduler"], cwd=tmp_path, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        socket_server.wait_connected()
        fake_slack.set_latency(1.5)  # the outbox is still busy after the ack
        payload = dict(parse_qsl(command_body("/asked", "Jane", user_id="U0REP1",
                                              response_url=fake_slack.response_url("socket"))))
        socket_server.send({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                            "payload": payload})
        socket_server.wait_for_ack("env-1")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log_path.read_text()
        assert [c for c in fake_slack.calls_to("views.publish") if c.params.get("user_id") == "U0REP1"], \
            log_path.read_text()
        with Session(engine) as session:
            assert [a.asked_name for a in session.exec(select(Ask))] == ["Jane"]
        assert socket_server.closed_by_client.is_set()  # it hung up instead of taking more envelopes
        assert "Traceback" not in log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        socket_server.close()
