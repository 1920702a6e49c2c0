"""Idle memory: ``referral-bot serve`` against a bare Bolt app, on the same machine in the same run.

Both are started as their own processes in HTTP mode, on loopback; serve talks to the fake Slack of the
tests (it checks its token with ``auth.test`` before it listens, and its first tick lists the users), run
in this process so that it weighs nothing in serve's figure. Each run of serve starts on a new SQLite
database. Once each answers on its port (serve: ``/healthz`` 200, i.e. ready), and after ``--settle``
seconds (long enough for the scheduler's first tick, which comes 20 seconds after start), its resident set
size (VmRSS, Linux) is read, then it is stopped. The ratio is serve's RSS over the bare app's. A third
process, the bare app with the bot's storage layer imported, shows how much of that SQLAlchemy and SQLModel
alone account for.

    .venv/bin/python -m bench.memory [--settle 25] [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]

# The smallest Bolt app that answers a slash command over HTTP, with Bolt's own server.
BARE_BOLT_APP = """
import os
from slack_bolt import App

app = App(token="xoxb-bench-token", signing_secret="bench-signing-secret", token_verification_enabled=False)

@app.command("/hello")
def hello(ack):
    ack("hello")

app.start(port=int(os.environ["PORT"]), path="/slack/events")
"""

# The same app with the bot's storage layer loaded and nothing else: SQLAlchemy, SQLModel (which brings
# pydantic) and the bot's table models. What serve can't go below without another way to reach the database.
STORAGE_FLOOR_APP = "import storage.models  # noqa: F401\n" + BARE_BOLT_APP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS (Linux only)")


def wait_until_answering(port: int, process: subprocess.Popen, *, ready_only: bool, timeout: float = 60) -> float:
    """Seconds from ``started`` until ``GET /healthz`` on ``port`` answers, polled every 50 ms: with
    ``ready_only``, a 200 (serve is ready: its database takes a write); otherwise any HTTP answer (the bare
    app has no /healthz, so its 404 says it is up)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return time.monotonic() - started
        except urllib.error.HTTPError:
            if not ready_only:
                return time.monotonic() - started
            time.sleep(0.05)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("not answering")


def measure(command: list[str], env: dict[str, str], settle: float, cwd: str, *,
            ready_only: bool = False) -> tuple[float, float]:
    port = free_port()
    process = subprocess.Popen(command, env={**env, "PORT": str(port)}, cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = wait_until_answering(port, process, ready_only=ready_only)
        time.sleep(settle)
        return rss_mb(process.pid), ready
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=25.0, help="Seconds idle before reading RSS (default 25).")
    parser.add_argument("--runs", type=int, default=3, help="Measurements of each, median reported (default 3).")
    args = parser.parse_args()

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    base_env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as workdir, FakeSlack() as fake:
        bare_script = Path(workdir) / "bare_bolt_app.py"
        bare_script.write_text(BARE_BOLT_APP)
        floor_script = Path(workdir) / "storage_floor_app.py"
        floor_script.write_text(STORAGE_FLOOR_APP)
        serve_env = {**base_env, "SLACK_BOT_TOKEN": "xoxb-bench-token", "SLACK_SIGNING_SECRET": "bench-signing-secret",
                     "SLACK_API_URL": fake.api_url}
        bare, floor, serve = [], [], []
        for run in range(args.runs):
            bare.append(measure([sys.executable, str(bare_script)], base_env, args.settle, workdir))
            floor.append(measure([sys.executable, str(floor_script)], base_env, args.settle, workdir))
            serve.append(measure([sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1"],
                                 {**serve_env, "DATABASE_URL": f"sqlite:///{workdir}/bench-{run}.db"}, args.settle,
                                 workdir, ready_only=True))
    bare_rss = statistics.median(r for r, _ in bare)
    floor_rss = statistics.median(r for r, _ in floor)
    serve_rss = statistics.median(r for r, _ in serve)
    serve_ready = statistics.median(t for _, t in serve)
    print(f"bare Bolt app idle RSS: {bare_rss:.1f} MB (runs: {', '.join(f'{r:.1f}' for r, _ in bare)})")
    print(f"bare Bolt app + the bot's storage layer (SQLAlchemy, SQLModel, tables) idle RSS: {floor_rss:.1f} MB "
          f"(runs: {', '.join(f'{r:.1f}' for r, _ in floor)}; ratio {floor_rss / bare_rss:.2f})")
    print(f"referral-bot serve idle RSS: {serve_rss:.1f} MB (runs: {', '.join(f'{r:.1f}' for r, _ in serve)})")
    print(f"ratio: {serve_rss / bare_rss:.2f} (target at most 2.00)")
    print(f"serve: start on a new database to /healthz 200, median {serve_ready:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for _, t in serve)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
