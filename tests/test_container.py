"""The container set-up, checked without a container runtime: compose.yaml parsed (services, health checks,
volumes, migrations first), the Dockerfile's user, health check and volume, and the image's own command run
directly, as the image would run it, until its health check passes."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from bot.cli import build_parser
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.test_cli import base_env, free_port

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def instruction(name: str) -> list[str]:
    return [args for kind, args in dockerfile() if kind == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instruction("ENV"):
        env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    return env


def healthcheck_command() -> list[str]:
    [args] = instruction("HEALTHCHECK")
    return json.loads(args[args.index("CMD") + 3:].strip())


def test_compose_runs_web_worker_and_postgres_16_with_a_volume():
    assert {"db", "migrate", "web", "worker"} <= set(SERVICES)
    assert SERVICES["db"]["image"] == "postgres:16"
    assert any(v.endswith(":/var/lib/postgresql/data") and v.split(":")[0] in COMPOSE["volumes"]
               for v in SERVICES["db"]["volumes"])
    assert SERVICES["web"]["command"] == ["referral-bot", "serve", "--http", "--no-scheduler"]
    assert SERVICES["worker"]["command"] == ["referral-bot", "worker"]
    for name in ("migrate", "web", "worker"):
        url = SERVICES[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql://") and "@db:5432/" in url
        assert "${POSTGRES_PASSWORD" in url, "the password comes from .env, never from the repository"


def test_migrations_run_first_and_once():
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["referral-bot", "db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


def test_every_long_running_service_has_a_health_check_on_a_readiness_endpoint():
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    assert SERVICES["migrate"]["healthcheck"] == {"disable": True}  # a one-shot is never "healthy"
    assert "healthcheck" not in SERVICES["web"], "web keeps the image's HEALTHCHECK"
    assert "/healthz" in " ".join(healthcheck_command())
    worker_check = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert "127.0.0.1:8081/healthz" in worker_check  # the worker's health port (WORKER_PORT, default 8081)


def test_the_commands_compose_and_the_image_run_are_real_cli_commands():
    parser = build_parser()
    [cmd] = instruction("CMD")
    for command in (json.loads(cmd), SERVICES["migrate"]["command"], SERVICES["web"]["command"]):
        assert command[0] == "referral-bot"
        parser.parse_args(command[1:])


def test_the_dockerfile_runs_as_a_user_keeps_sqlite_on_a_volume_and_installs_from_the_lock_file():
    [user] = instruction("USER")
    assert user not in ("root", "0")
    kinds = [kind for kind, _ in dockerfile()]
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN"), "nothing runs as root after USER"
    [volume] = instruction("VOLUME")
    assert json.loads(volume) == ["/data"]
    assert image_env()["DATABASE_URL"] == "sqlite:////data/referral_nudge.db"
    runs = " ".join(instruction("RUN"))
    assert "-r requirements.lock" in runs and "--no-deps" in runs
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored, "no secrets or local installs in the build context"


def test_the_images_command_serves_and_its_health_check_passes(tmp_path, fake_slack):
    """CMD run directly with the image's environment (its /data volume a temporary directory here)."""
    [cmd] = instruction("CMD")
    port = free_port()
    env = base_env(**{k: v.replace("/data/", f"{tmp_path}/") for k, v in image_env().items()})
    # serve checks the token with auth.test before it listens: against the fake Slack here.
    env.update(PORT=str(port), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake_slack.api_url)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = json.loads(cmd)
    assert command[0] == "referral-bot"
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", *command[1:]], env=env, cwd=tmp_path,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    check = [sys.executable if part == "python" else part for part in healthcheck_command()]
    try:
        for line in server.stderr:  # the server says when it listens
            if "listening for Slack" in line:
                break
        else:
            raise AssertionError("serve exited before listening")
        assert subprocess.run(check, env=env, timeout=30).returncode == 0
        assert (tmp_path / "referral_nudge.db").exists(), "the SQLite file lives on the volume"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert subprocess.run(check, env=env, timeout=30, capture_output=True).returncode != 0, "down is unhealthy"
