"""Fixtures: a fake Slack on loopback, a real database (SQLite and PostgreSQL), a pinned clock,
and the real Bolt app built by the production factory."""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from bot.app import create_app
from bot.config import Settings
from storage.engine import create_db_engine
from storage.migrate import upgrade_schema

if TYPE_CHECKING:
    from tests.driver import SlackDriver
    from tests.fake_slack import FakeSlack
    from tests.support.postgres import ThrowawayPostgres

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-0000-secret-token"
_db_names = itertools.count()


class PinnedClock:
    """The app's clock, set by the test: "this week" never depends on when the suite runs."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    from tests.support.postgres import ThrowawayPostgres

    server = ThrowawayPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'referral.db'}"
        return
    server: ThrowawayPostgres = request.getfixturevalue("postgres")
    name = f"t{os.getpid()}_{next(_db_names)}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    db = create_db_engine(database_url)
    upgrade_schema(db)
    yield db
    db.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    from tests.fake_slack import FakeSlack

    with FakeSlack() as fake:
        fake.add_user("U0REP1", tz="America/New_York")
        fake.add_user("U0REP2", tz="Europe/Berlin")
        fake.add_user("U0ADMIN", tz="America/Los_Angeles", is_admin=True)
        yield fake


@pytest.fixture
def clock() -> PinnedClock:
    # Friday 2026-11-20, 15:00 in New York.
    return PinnedClock(datetime(2026, 11, 20, 20, 0, tzinfo=UTC))


@pytest.fixture
def settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.api_url,
                    database_url=database_url, default_timezone="America/Chicago")


@pytest.fixture
def app_and_ctx(settings: Settings, engine: sa.Engine, clock: PinnedClock):  # noqa: ANN201
    # The listener finishes before dispatch returns; the driver drains the outbox after each request,
    # so a test can look at the database and the recorded Slack calls without waiting.
    app, ctx = create_app(settings, engine=engine, clock=clock)
    yield app, ctx
    ctx.outbox.shutdown(timeout=10)


@pytest.fixture
def slack(app_and_ctx, fake_slack: FakeSlack) -> SlackDriver:  # noqa: ANN001
    from tests.driver import SlackDriver

    app, ctx = app_and_ctx
    return SlackDriver(app, fake_slack, SIGNING_SECRET, ctx)


@pytest.fixture
def team(slack, fake_slack, clock) -> str:  # noqa: ANN001
    """Team "east": reps in New York, Berlin and Sydney, a manager in Chicago, clock at Mon 2026-11-02."""
    from tests.support.teams import make_team

    return make_team(slack, fake_slack, clock)


@pytest.fixture
def cli_env(monkeypatch, database_url, engine, fake_slack, tmp_path) -> None:  # noqa: ANN001
    """The environment a deployed ``referral-bot`` command sees, pointed at the fake Slack and the test database
    (which exists: every command but serve and db upgrade refuses to create one)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                        "SLACK_API_URL": fake_slack.api_url, "DATABASE_URL": database_url,
                        "DEFAULT_TIMEZONE": "America/New_York"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
