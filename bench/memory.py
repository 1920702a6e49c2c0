"""Idle memory: ``referral-bot serve`` against a bare Bolt app, on the same machine in the same run.

Both are started as their own processes in HTTP mode, on loopback, with no Slack to talk to; once each
answers on its port, and after ``--settle`` seconds (long enough for the scheduler's first tick, which comes
20 seconds after start), its resident set size (VmRSS, Linux) is read, then it is stopped. The ratio is
serve's RSS over the bare app's.

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS (Linux only)")


def wait_until_answering(port: int, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until any HTTP answer comes back on ``port`` (a 404 or 405 counts: the server is up)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return time.monotonic() - started
        except urllib.error.HTTPError:
            return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("not answering")


def measure(command: list[str], env: dict[str, str], settle: float, cwd: str) -> tuple[float, float]:
    port = free_port()
    process = subprocess.Popen(command, env={**env, "PORT": str(port)}, cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = wait_until_answering(port, process)
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
    with tempfile.TemporaryDirectory() as workdir:
        bare_script = Path(workdir) / "bare_bolt_app.py"
        bare_script.write_text(BARE_BOLT_APP)
        serve_env = {**base_env, "SLACK_BOT_TOKEN": "xoxb-bench-token", "SLACK_SIGNING_SECRET": "bench-signing-secret",
                     # No Slack here: any call goes to a closed loopback port and fails at once.
                     "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
                     "DATABASE_URL": f"sqlite:///{workdir}/bench.db"}
        bare, serve = [], []
        for _ in range(args.runs):
            bare.append(measure([sys.executable, str(bare_script)], base_env, args.settle, workdir))
            serve.append(measure([sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1"],
                                 serve_env, args.settle, workdir))
    bare_rss = statistics.median(r for r, _ in bare)
    serve_rss = statistics.median(r for r, _ in serve)
    serve_ready = statistics.median(t for _, t in serve)
    print(f"bare Bolt app idle RSS: {bare_rss:.1f} MB (runs: {', '.join(f'{r:.1f}' for r, _ in bare)})")
    print(f"referral-bot serve idle RSS: {serve_rss:.1f} MB (runs: {', '.join(f'{r:.1f}' for r, _ in serve)})")
    print(f"ratio: {serve_rss / bare_rss:.2f} (target at most 2.00)")
    print(f"serve: start to answering HTTP, median {serve_ready:.2f} s (first run migrates a new database)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
