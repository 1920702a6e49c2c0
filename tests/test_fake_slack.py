"""The fake Slack's fault modes behave as the bad-day tests rely on."""
from __future__ import annotations

import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import FakeSlack


def test_users_list_pages_through_every_member() -> None:
    with FakeSlack() as fake:
        for n in range(5):
            fake.add_user(f"U{n:04d}")
        client = WebClient(token="xoxb-x", base_url=fake.api_url)
        seen, cursor = [], None
        while True:
            page = client.users_list(limit=2, cursor=cursor)
            seen += [m["id"] for m in page["members"]]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                break
        assert seen == [f"U{n:04d}" for n in range(5)]
        assert len(fake.calls_to("users.list")) == 3


def test_workspace_rate_limit_refuses_posts_over_the_cap() -> None:
    with FakeSlack() as fake:
        fake.set_workspace_rate_limit(3)
        client = WebClient(token="xoxb-x", base_url=fake.api_url)
        outcomes = []
        for n in range(5):
            try:
                client.chat_postMessage(channel=f"D{n}", text="hi")
                outcomes.append("ok")
            except SlackApiError as error:
                outcomes.append(error.response.status_code)
        assert outcomes == ["ok", "ok", "ok", 429, 429]


def test_a_hanging_response_url_is_recorded_and_answers_once_released() -> None:
    with FakeSlack() as fake:
        fake.hang_response_url()
        answered = threading.Event()

        def post() -> None:
            WebhookClient(fake.response_url("k"), timeout=30).send(text="hello")
            answered.set()

        worker = threading.Thread(target=post, daemon=True)
        worker.start()
        fake.wait_for_calls("response_url")
        assert not answered.is_set()
        fake.hang_response_url(False)
        assert answered.wait(5)


def test_latency_can_be_set_for_one_method_only() -> None:
    with FakeSlack() as fake:
        fake.set_latency(30, method="users.info")
        client = WebClient(token="xoxb-x", base_url=fake.api_url, timeout=5)
        assert client.auth_test()["ok"]  # not delayed: answered well within the 5 s client timeout
