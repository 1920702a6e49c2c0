"""Metrics scraped over HTTP after real commands and job runs, JSON logs with request and job ids and no token,
and quiet logs: one line for a job run that sent something, none for a tick with nothing new."""
from __future__ import annotations

import io
import json
import logging
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.logs import configure_logging
from bot.metrics import start_ops_server
from bot.scheduler import _tick
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.driver import command_body, signed_headers
from tests.test_http import RunningServer


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def web(app_and_ctx, engine) -> Iterator[str]:  # noqa: ANN001
    app, _ = app_and_ctx
    running = RunningServer(app, engine)
    yield running.base
    running.stop()


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The production log set-up, writing into a buffer; the test run's own logging is put back afterwards."""
    root, quieted = logging.getLogger(), [logging.getLogger("apscheduler")]
    saved = (root.handlers[:], root.level, [logger.level for logger in quieted])
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for logger, level in zip(quieted, saved[2], strict=True):
        logger.setLevel(level)


def use_stream(stream: io.StringIO, log_format: str) -> None:
    configure_logging("INFO", [BOT_TOKEN], log_format)
    logging.getLogger().handlers[0].setStream(stream)


def test_commands_are_counted_by_kind_and_outcome_and_their_acks_timed(slack, fake_slack, web):
    before = scrape(web)
    slack.asked("Jane for Bob")
    slack.referral("got Bob from Jane")
    slack.referral("frobnicate everything")  # not a command: rejected, with a label from the fixed set
    after = scrape(web)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("referral_commands_total", command="/asked", kind="log", outcome="ok") == 1
    assert delta("referral_commands_total", command="/referral", kind="got", outcome="ok") == 1
    assert delta("referral_commands_total", command="/referral", kind="other", outcome="rejected") == 1
    assert delta("referral_ack_seconds_count", surface="command") == 3
    assert delta("referral_ack_seconds_bucket", surface="command", le="3.0") == 3
    assert ("referral_delivery_pending", ()) in after


def test_a_command_that_fails_on_our_side_counts_as_an_error_and_its_log_line_has_the_request_id(
        slack, fake_slack, engine, web, captured_logs):
    use_stream(captured_logs, "json")
    before = scrape(web)
    with engine.begin() as connection:  # the asks table goes missing: storing the ask fails
        connection.exec_driver_sql("ALTER TABLE ask RENAME TO ask_gone")
    slack.dispatch(command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url()))
    after = scrape(web)
    assert value(after, "referral_commands_total", command="/asked", kind="log", outcome="error") - \
        value(before, "referral_commands_total", command="/asked", kind="log", outcome="error") == 1
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    [failure] = [line for line in lines if line["level"] == "ERROR" and "failed" in line["message"]]
    assert failure["level"] == "ERROR" and failure["request_id"] and failure["job_id"] is None
    assert BOT_TOKEN not in captured_logs.getvalue()


def test_a_job_run_is_timed_counted_and_logged_once_and_an_idle_tick_stays_silent(team, app_and_ctx, clock, web,
                                                                                   captured_logs):
    use_stream(captured_logs, "text")
    app, ctx = app_and_ctx
    before = scrape(web)
    clock.set(datetime(2026, 11, 5, 19, 5, tzinfo=UTC))  # Thursday: every rep's 14:00 reminder is due
    _tick("reminder", ctx, app.client)
    _tick("reminder", ctx, app.client)  # all sent already: nothing to say
    after = scrape(web)
    assert value(after, "referral_deliveries_total", kind="reminder", result="sent") - \
        value(before, "referral_deliveries_total", kind="reminder", result="sent") == 3
    assert value(after, "referral_job_duration_seconds_count", job="reminder") - \
        value(before, "referral_job_duration_seconds_count", job="reminder") == 2
    assert value(after, "referral_delivery_ledger", status="sent") == 3
    lines = captured_logs.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "reminder tick: 3 due, 3 sent" in lines[0] and "[job=reminder-" in lines[0]


def test_apschedulers_per_tick_lines_and_bolts_client_warning_are_gone(captured_logs, settings, engine):
    from bot.app import create_app

    use_stream(captured_logs, "text")
    logging.getLogger("apscheduler.executors.default").info('Running job "reminder tick"')
    create_app(settings, engine=engine, clock=lambda: datetime.now(UTC))
    logging.getLogger("slack_bolt.App").warning("As you gave `client` as well, `token` will be unused.")
    logging.getLogger("referral").warning("still here")
    assert captured_logs.getvalue().count("\n") == 1 and "still here" in captured_logs.getvalue()


def test_a_burst_of_commands_waiting_for_the_request_thread_logs_no_warning_per_request(captured_logs, fake_slack,
                                                                                        web):
    """With one request at a time (SQLite's default), every request of a burst waits for the ones before it.
    Nothing is logged for that (the HTTP server once warned "Task queue depth is N" for each request); the ack
    histogram shows the wait instead."""
    use_stream(captured_logs, "text")
    users = [f"U0BURST{n}" for n in range(10)]
    for user in users:
        fake_slack.add_user(user, tz="America/New_York")

    def send(n: int) -> int:
        body = command_body("/asked", f"Prospect {n}", user_id=users[n % 10], response_url=fake_slack.response_url())
        request = urllib.request.Request(web + "/slack/events", data=body.encode(),
                                         headers=signed_headers(SIGNING_SECRET, body), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(send, range(40))) == [200] * 40
    assert "WARNING" not in captured_logs.getvalue() and "queue" not in captured_logs.getvalue()


def test_database_errors_are_counted(engine, web):
    def errors() -> float:
        return sum(v for (name, _), v in scrape(web).items() if name == "referral_database_errors_total")

    before = errors()
    with pytest.raises(sa.exc.DBAPIError), engine.connect() as connection:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert errors() - before == 1


def test_the_ops_port_serves_metrics_and_health_for_socket_mode_and_the_worker(engine):
    from bot.metrics import metrics_route

    status, content_type, body = metrics_route()  # for a tiny server of (status, type, body) routes: the worker's
    assert status == 200 and content_type.startswith("text/plain") and b"referral_ack_seconds" in body
    server = start_ops_server(engine, host="127.0.0.1", port=0)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert "referral_commands" in urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert response.status == 200 and json.loads(response.read())["database"] == "reachable"
    finally:
        server.shutdown()
        server.server_close()


def test_a_command_answered_in_its_ack_takes_its_outcome_from_the_ack(fake_slack, web):
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.metrics import instrument_app
    from tests.conftest import SIGNING_SECRET
    from tests.driver import SlackDriver

    app = App(client=WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url), signing_secret=SIGNING_SECRET,
              token_verification_enabled=False, process_before_response=True)
    instrument_app(app)

    @app.command("/referral")
    def answer_in_the_ack(ack, body):  # noqa: ANN001, ANN202
        text = ":warning: That isn't a command." if body["text"] == "nonsense" else ":white_check_mark: Done."
        ack(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])

    driver = SlackDriver(app, fake_slack, SIGNING_SECRET)
    before = scrape(web)
    for text in ("nonsense", "stats", "stats"):
        assert driver.dispatch(command_body("/referral", text, user_id="U0REP1",
                                            response_url=fake_slack.response_url())).status == 200
    after = scrape(web)
    for kind, outcome, count in (("other", "rejected", 1), ("stats", "ok", 2)):
        labels = dict(command="/referral", kind=kind, outcome=outcome)
        assert value(after, "referral_commands_total", **labels) - value(before, "referral_commands_total", **labels) \
            == count


def test_log_format_and_metrics_port_are_checked_at_start():
    from bot.config import ConfigError, load_settings

    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cr3t-value"}
    assert (load_settings(base).log_format, load_settings(base).metrics_port) == ("text", 9464)
    assert load_settings({**base, "LOG_FORMAT": "JSON", "METRICS_PORT": "9100"}).log_format == "json"
    with pytest.raises(ConfigError) as caught:
        load_settings({**base, "LOG_FORMAT": "xml", "METRICS_PORT": "0"})
    assert any("LOG_FORMAT" in p for p in caught.value.problems) and any("METRICS_PORT" in p for p in caught.value.problems)


def test_log_lines_follow_stderr_when_it_is_swapped(monkeypatch):
    """The root handler writes to the stderr of the moment, so a stream closed since it was configured (a
    captured stream of an earlier test) never turns a log line into a "Logging error" traceback."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    first, second = io.StringIO(), io.StringIO()
    try:
        monkeypatch.setattr(sys, "stderr", first)
        configure_logging("INFO", secrets=[])
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("referral.test").warning("still heard")
        assert "still heard" in second.getvalue() and "Logging error" not in second.getvalue()
    finally:
        root.handlers[:], root.level = saved
