"""The processes that stand outside the server a bench measures: a fake Slack, and a client probing acks.

    .venv/bin/python -m bench.outside fake-slack USER_ID      # prints its base URL, serves until SIGTERM
    .venv/bin/python -m bench.outside probe SERVER SLACK      # /asked back to back until SIGTERM

The acks measured during a tick (bench/scale.py) are those of one process serving Slack and running the
tick, as a single ``serve`` does. In one process with the bench, the probing client's and the fake Slack's
Python took that process's interpreter lock too, and only while the tick sent (the fake Slack answers every
DM): so the busy figure also measured the bench. These run as processes of their own instead.
"""
from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from bench.fanout import ack_latencies
from tests.fake_slack import FakeSlack


class OutsideProcess:
    """``python -m bench.outside <mode> [args]`` as a child process: it prints one line (its answer) once
    ready, runs until SIGTERM, then prints what it has to report as its last line."""

    def __init__(self, *args: str) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "bench.outside", *args], stdout=subprocess.PIPE,
                                         text=True, cwd=Path(__file__).resolve().parents[1])
        self.answer = (self._process.stdout.readline() if self._process.stdout else "").strip()
        if not self.answer:
            raise SystemExit(f"bench.outside {' '.join(args)} did not start")

    def finish(self) -> str:
        """SIGTERM, then its last line."""
        self._process.send_signal(signal.SIGTERM)
        out, _ = self._process.communicate(timeout=60)
        return out.strip().splitlines()[-1] if out.strip() else ""

    def __enter__(self) -> OutsideProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process.poll() is None:
            self.finish()


class ResponseUrls:
    """What ``ack_latencies`` needs of a fake Slack in another process: response_urls on it."""

    def __init__(self, slack_base: str) -> None:
        self._base = slack_base
        self._count = itertools.count()

    def response_url(self) -> str:
        return f"{self._base}/response/probe-{next(self._count)}"


def _until_sigterm() -> threading.Event:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    return stopping


def _serve_fake_slack(user_id: str) -> None:
    stopping = _until_sigterm()
    with FakeSlack() as fake:
        fake.add_user(user_id, tz="America/New_York")
        print(fake.base_url, flush=True)
        stopping.wait()
    print("stopped", flush=True)


def _probe_until_stopped(server_base: str, slack_base: str) -> None:
    stopping = _until_sigterm()
    slack = ResponseUrls(slack_base)
    print("probing", flush=True)
    latencies: list[float] = []
    failed = 0
    while not stopping.is_set():
        try:
            latencies.extend(ack_latencies(server_base, slack, 1))  # type: ignore[arg-type]
        except OSError:  # a command the app failed on is counted, not fatal: the run goes on
            failed += 1
    print(json.dumps({"latencies": latencies, "failed": failed}), flush=True)


def main() -> None:
    match sys.argv[1:]:
        case ["fake-slack", user_id]:
            _serve_fake_slack(user_id)
        case ["probe", server_base, slack_base]:
            _probe_until_stopped(server_base, slack_base)
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
