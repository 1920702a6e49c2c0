"""A 429 on posting pauses every fan-out thread sending to that workspace for its Retry-After, so the message
retried finds room under the workspace's cap; a 429 on any other method does not hold the fan-out back, nor
does one workspace's 429 hold back another's."""
from __future__ import annotations

import pytest

from bot.config import Settings
from bot.slack_client import RETRY_JITTER_SECONDS, create_web_client
from services import delivery
from services.delivery import Pace, SlowDown
from tests.conftest import BOT_TOKEN


class FrozenClock:
    """Time moves only when someone sleeps: what a fan-out thread would wait is exactly what is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def paused(monkeypatch):  # noqa: ANN001, ANN201
    clock = FrozenClock()
    monkeypatch.setattr(delivery, "SLOW_DOWN", SlowDown(clock=clock))
    return clock


def test_a_429_on_posting_pauses_the_fan_out_for_its_retry_after(fake_slack, paused):
    client = create_web_client(Settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.api_url))
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
    assert client.chat_postMessage(channel="U0001", text="hello")["ok"]  # retried after the Retry-After
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    pace = Pace(10, clock=paused, sleep=paused.sleep)
    pace.wait(BOT_TOKEN)  # the next send of any fan-out thread: after the Retry-After and the retry's jitter
    assert paused.slept == [2.0 + RETRY_JITTER_SECONDS]
    pace.wait(BOT_TOKEN)  # the pause is over: the next send keeps the pace, one interval later
    assert paused.slept == [2.0 + RETRY_JITTER_SECONDS, pytest.approx(0.1)]


def test_a_429_on_another_method_does_not_hold_the_fan_out(fake_slack, paused):
    client = create_web_client(Settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.api_url))
    fake_slack.fail_next("views.publish", status=429, retry_after=2)
    assert client.views_publish(user_id="U0001", view={"type": "home", "blocks": []})["ok"]
    Pace(10, clock=paused, sleep=paused.sleep).wait(BOT_TOKEN)
    assert paused.slept == []


def test_a_429_in_one_workspace_does_not_pause_another(fake_slack, paused):
    """Multi-workspace installs send each workspace's messages with its own token: Slack limits each
    workspace apart, so a pause for one leaves the other's fan-out at its pace."""
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.api_url)
    busy, other = create_web_client(settings), create_web_client(settings)
    busy.token, other.token = "xoxb-busy-workspace", "xoxb-other-workspace"
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3)
    assert busy.chat_postMessage(channel="U0001", text="hello")["ok"]
    Pace(10, clock=paused, sleep=paused.sleep).wait(other.token)
    assert paused.slept == []  # the other workspace sends at once
    Pace(10, clock=paused, sleep=paused.sleep).wait(busy.token)
    assert paused.slept == [3.0 + RETRY_JITTER_SECONDS]  # the one Slack slowed down waits it out
