"""SIGTERM in the middle of a fan-out, to a real process, then a restart: every rep gets exactly one DM.

A reminder run to many reps is under way (Slack slowed on chat.postMessage) when the process gets SIGTERM.
It must stop claiming new deliveries, let the ones in flight finish within its drain, leave nothing claimed,
and exit 0. A restart of the same command on the same database sends the rest: each rep has exactly one
DM in the fake Slack (0 duplicates, 0 losses) and one "sent" row in the delivery ledger. For ``serve`` in
HTTP mode and in Socket Mode (the fake Slack's apps.connections.open points at a local websocket), and for
``worker``.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SIGNING_SECRET
from tests.test_replicas import free_port, ledger, process_env, seed_due_reps

ROOT = Path(__file__).resolve().parents[1]
REPS = 80
DRAIN_SECONDS = 10


def start(mode: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The production entry point, told to tick at once (the first tick otherwise waits 20 s)."""
    if mode == "worker":
        command = ["worker", "--host", "127.0.0.1", "--port", str(free_port()), "--first-tick-seconds", "0",
                   "--tick-seconds", "3600", "--drain-seconds", str(DRAIN_SECONDS)]
    elif mode == "http":
        command = ["serve", "--http", "--host", "127.0.0.1", "--port", str(free_port()), "--first-tick-seconds", "0"]
    else:
        command = ["serve", "--host", "127.0.0.1", "--first-tick-seconds", "0"]
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *command], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)


def sent_dms(fake_slack) -> list[str]:  # noqa: ANN001
    return [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage") if c.status == 200]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["http", "socket", "worker"])
def test_sigterm_mid_fanout_then_a_restart_sends_every_rep_exactly_one_dm(mode, database_url, engine, fake_slack,
                                                                           tmp_path):
    reps = seed_due_reps(engine, REPS)
    fake_slack.set_latency(0.4, method="chat.postMessage")  # four senders: ten DMs a second at most
    env = process_env(database_url, fake_slack, DELIVERY_MESSAGES_PER_SECOND="200",
                      SHUTDOWN_DRAIN_SECONDS=str(DRAIN_SECONDS), METRICS_PORT=str(free_port()))
    socket_server = None
    if mode == "http":
        env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    elif mode == "socket":
        from tests.support.socket_mode import SocketModeServer

        socket_server = SocketModeServer()
        fake_slack.socket_mode_url = socket_server.url
        env["SLACK_APP_TOKEN"] = "xapp-1-test"
    logs = [tmp_path / "first.log", tmp_path / "restart.log"]
    processes: list[subprocess.Popen] = []
    try:
        # The first run: SIGTERM once the fan-out is well under way.
        processes.append(start(mode, env, logs[0]))
        fake_slack.wait_for_calls("chat.postMessage", 8, timeout=90)
        processes[0].send_signal(signal.SIGTERM)
        assert processes[0].wait(timeout=DRAIN_SECONDS + 30) == 0, logs[0].read_text()
        first_log = logs[0].read_text()
        # Within the drain: nothing was abandoned, no claim was handed back for want of time.
        assert "abandoned" not in first_log and "ran out of time" not in first_log, first_log
        assert "Traceback" not in first_log, first_log
        after_stop = sent_dms(fake_slack)
        rows = ledger(engine)
        assert not [r for r in rows if r.status == "claimed"]  # nothing left claimed
        assert sorted(r.recipient for r in rows if r.status == "sent") == sorted(after_stop)  # in flight: finished
        assert 8 <= len(after_stop) < REPS  # stopped mid-way: no new deliveries were taken after the signal

        # The restart sends the rest, and nobody twice.
        processes.append(start(mode, env, logs[1]))
        deadline = time.monotonic() + 120
        while sum(r.status == "sent" for r in ledger(engine)) < REPS:
            assert time.monotonic() < deadline, logs[1].read_text()
            assert processes[1].poll() is None, logs[1].read_text()
            time.sleep(0.5)  # polling the ledger for the run to finish, not dodging a race
        processes[1].send_signal(signal.SIGTERM)
        assert processes[1].wait(timeout=DRAIN_SECONDS + 30) == 0, logs[1].read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        if socket_server is not None:
            socket_server.close()
    posted = sent_dms(fake_slack)
    assert sorted(posted) == sorted(reps)  # every rep exactly once: 0 duplicates, 0 losses
    rows = ledger(engine)
    assert len(rows) == REPS and {r.status for r in rows} == {"sent"} and {r.recipient for r in rows} == set(reps)
