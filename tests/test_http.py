"""HTTP mode through the real server: aiohttp, Bolt's WSGI adapter, signing, /healthz, concurrency."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_bolt import BoltRequest
from sqlmodel import Session, select

from bot.app import create_app
from bot.server import create_http_server, create_wsgi_app, stop_http_server
from storage.engine import create_db_engine
from storage.models import Ask
from tests.conftest import SIGNING_SECRET
from tests.driver import command_body, signed_headers

# Slack's documented request-signing example (Verifying requests from Slack).
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


class RunningServer:
    def __init__(self, app, engine):  # noqa: ANN001
        self.server = create_http_server(app, engine, host="127.0.0.1", port=0, threads=16)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def post(self, path: str, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> None:
        stop_http_server(self.server)
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def server(settings, engine, clock) -> Iterator[RunningServer]:  # noqa: ANN001
    # The production setting: ack first, finish the work after the HTTP response.
    app, ctx = create_app(settings, engine=engine, clock=clock, process_before_response=False)
    running = RunningServer(app, engine)
    yield running
    running.stop()
    ctx.outbox.shutdown(timeout=10)  # the Home refreshes still queued, while the fake Slack is up


def test_signed_command_over_http_is_acked_and_answered(server, fake_slack, engine):
    url = fake_slack.response_url("http-1")
    body = command_body("/asked", "Jane Doe", user_id="U0REP1", response_url=url)
    status, acked = server.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
    assert status == 200
    assert json.loads(acked)["response_type"] == "ephemeral"  # the confirmation is in the ack
    with Session(engine) as session:
        assert [a.asked_name for a in session.exec(select(Ask)).all()] == ["Jane Doe"]


def test_bad_or_stale_signatures_get_401_and_store_nothing(server, fake_slack, engine):
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url=fake_slack.response_url())
    wrong = signed_headers("not-the-secret-at-all", body)
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 3600)
    tampered = signed_headers(SIGNING_SECRET, body)
    for headers, sent in ((wrong, body), (stale, body), (tampered, body.replace("Jane", "Evil"))):
        status, _ = server.post("/slack/events", sent, headers)
        assert status == 401
    assert server.post("/slack/events", body, {"content-type": "application/x-www-form-urlencoded"})[0] == 401
    with Session(engine) as session:
        assert session.exec(select(Ask)).all() == []
    assert fake_slack.calls_to("response_url") == []


def test_slacks_documented_signing_example_with_a_pinned_clock(settings, engine, clock, monkeypatch):
    monkeypatch.setattr("slack_sdk.signature.time", lambda: float(DOC_TIMESTAMP) + 30)
    from dataclasses import replace

    app, _ = create_app(replace(settings, slack_signing_secret=DOC_SECRET), engine=engine, clock=clock,
                        process_before_response=True)
    headers = {"content-type": "application/x-www-form-urlencoded",
               "x-slack-request-timestamp": str(DOC_TIMESTAMP), "x-slack-signature": DOC_SIGNATURE}
    accepted = app.dispatch(BoltRequest(body=DOC_BODY, headers=headers))
    # Verified, then unhandled: /webhook-collect is not one of our commands.
    assert accepted.status == 404
    tampered = app.dispatch(BoltRequest(body=DOC_BODY.replace("foobar", "foobaz"), headers=headers))
    assert tampered.status == 401
    # Six minutes later the same request is a replay.
    monkeypatch.setattr("slack_sdk.signature.time", lambda: float(DOC_TIMESTAMP) + 360)
    assert app.dispatch(BoltRequest(body=DOC_BODY, headers=headers)).status == 401


def test_healthz_reports_the_database(server, settings, clock):
    status, body = server.get("/healthz")
    assert (status, body["status"]) == (200, "ok")
    broken = create_db_engine("sqlite:////nonexistent-dir/sub/referral.db")
    app, _ = create_app(settings, engine=broken, clock=clock)
    wsgi = create_wsgi_app(app, broken)
    seen = {}
    chunks = wsgi({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda s, h: seen.update(status=s))
    assert seen["status"].startswith("503") and json.loads(b"".join(chunks))["database"] == "unavailable"


def test_fifty_concurrent_asks_from_ten_users_are_all_stored_and_counted(server, fake_slack, engine):
    users = [f"U0CONC{i:02d}" for i in range(10)]
    for user in users:
        fake_slack.add_user(user, tz="America/New_York")
    latencies: list[float] = []

    def send(n: int) -> int:
        user = users[n % 10]
        body = command_body("/asked", f"Prospect {n}", user_id=user, response_url=fake_slack.response_url(f"c{n}"))
        started = time.perf_counter()
        status, acked = server.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
        latencies.append(time.perf_counter() - started)
        return status if "this week" in json.loads(acked)["text"] else -status

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(send, range(50)))
    assert statuses == [200] * 50  # every ack carries its confirmation
    with Session(engine) as session:
        stored = session.exec(select(Ask)).all()
    assert sorted(a.asked_name for a in stored) == sorted(f"Prospect {n}" for n in range(50))
    assert {u: sum(a.rep_user_id == u for a in stored) for u in users} == {u: 5 for u in users}

    # Each user's stats count exactly their five.
    for user in users:
        body = command_body("/referral", "stats", user_id=user, response_url=fake_slack.response_url(f"s{user}"))
        status, acked = server.post("/slack/events", body, signed_headers(SIGNING_SECRET, body))
        assert status == 200 and "People asked: *5*" in acked.decode()
    ordered = sorted(latencies)
    print(f"\nconcurrency: 50 acks, p50 {statistics.median(ordered) * 1000:.0f} ms, "
          f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


# --------------------------------------------------------------------------- hostile requests

def _raw(server: RunningServer, body: bytes, headers: dict[str, str], path: str = "/slack/events") -> tuple[int, bytes]:
    """A request with exactly these bytes and headers (urllib would add a Content-Length itself)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", int(server.base.rsplit(":", 1)[1]), timeout=10)
    try:
        connection.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body:
            try:
                connection.send(body)
            except (BrokenPipeError, ConnectionResetError):  # refused mid-upload: the answer is already there
                pass
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _signed_bytes(body: bytes, *, content_type: str = "application/x-www-form-urlencoded",
                  timestamp: str | None = None) -> dict[str, str]:
    import hashlib
    import hmac

    ts = timestamp or str(int(time.time()))
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Length": str(len(body))}


def test_a_body_over_the_cap_is_refused_from_its_content_length_alone(server, fake_slack, engine):
    # 20 MB declared, nothing sent: the answer must come from the header, without waiting for the body.
    status, body = _raw(server, b"", {"Content-Type": "application/x-www-form-urlencoded",
                                      "Content-Length": str(20 * 1024 * 1024)})
    assert status == 413, body
    assert b"Traceback" not in body
    # A signed body just over the cap is refused too; one just under it is read (and then refused as unsigned).
    big = b"text=" + b"x" * (1024 * 1024)
    assert _raw(server, big, _signed_bytes(big))[0] == 413
    assert fake_slack.calls_to("response_url") == []


@pytest.mark.parametrize("case", [
    "no-signature", "no-timestamp", "non-numeric-timestamp", "huge-timestamp", "non-ascii-signature",
    "non-utf8-unsigned", "no-content-length",
])
def test_unsigned_or_malformed_headers_get_a_4xx_without_a_traceback(server, engine, case):
    body = command_body("/asked", "Jane", user_id="U0REP1", response_url="http://127.0.0.1:9/x").encode()
    headers = _signed_bytes(body)
    if case == "no-signature":
        del headers["X-Slack-Signature"]
    elif case == "no-timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif case == "non-numeric-timestamp":
        headers["X-Slack-Request-Timestamp"] = "soon"
    elif case == "huge-timestamp":
        headers["X-Slack-Request-Timestamp"] = "9" * 400
    elif case == "non-ascii-signature":
        headers["X-Slack-Signature"] = "v0=é"
    elif case == "non-utf8-unsigned":
        body = b"\xff\xfe\xfa" * 10
        headers["Content-Length"] = str(len(body))
    elif case == "no-content-length":
        del headers["Content-Length"]
        body = b""
    status, answer = _raw(server, body, headers)
    assert 400 <= status < 500, (case, status, answer)
    assert b"Traceback" not in answer and b"File \"" not in answer
    with Session(engine) as session:
        assert session.exec(select(Ask)).all() == []


@pytest.mark.parametrize("body", [
    b"\xff\xfe not utf-8 \xc3\x28",
    b"payload=%7Bnot json",
    b"payload=%5B1%2C2%5D",  # JSON, but not an object
    b"payload=" + b"%5B" * 5000 + b"%5D" * 5000,  # deep nesting
    b"payload=a&payload=b",
    b"%%%=&&==",
    b"just some words",
])
def test_signed_but_broken_bodies_get_a_400_not_a_500(server, engine, body):
    status, answer = _raw(server, body, _signed_bytes(body))
    assert status == 400, (status, answer)
    assert b"Traceback" not in answer


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"\xff\xfe"])
def test_signed_but_broken_json_events_get_a_400(server, body):
    status, answer = _raw(server, body, _signed_bytes(body, content_type="application/json"))
    assert status == 400, (status, answer)


def test_the_signature_is_checked_before_the_body_is_parsed(server, monkeypatch):
    """An unsigned body never reaches a parser: neither ours nor Bolt's."""
    import bot.request_guard as guard

    parsed = []
    monkeypatch.setattr(guard, "parse_qs", lambda *a, **k: parsed.append(a) or {})
    monkeypatch.setattr(guard.json, "loads", lambda *a, **k: parsed.append(a) or {})
    body = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
    headers = _signed_bytes(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    assert _raw(server, body, headers)[0] == 401
    assert parsed == []


def test_other_paths_and_methods_are_answered_plainly(server):
    assert server.get("/livez") == (200, {"status": "alive"})
    assert _raw(server, b"", {"Content-Length": "0"}, path="/nope")[0] == 404
    request = urllib.request.Request(server.base + "/slack/events", method="GET")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405


def test_the_server_stops_even_when_its_wake_up_is_lost(settings, engine, clock, monkeypatch):
    """A rare branch (mocked): waking the server's loop from another thread does nothing (its wake-up pipe
    gone, say); the loop still sees that it was closed within its poll, and its thread ends."""
    app, ctx = create_app(settings, engine=engine, clock=clock)
    running = RunningServer(app, engine)
    try:
        assert running.get("/livez")[0] == 200
        loop = running.server._loop  # noqa: SLF001 - the branch under test is the loss of this loop's wake-up
        monkeypatch.setattr(loop, "call_soon_threadsafe", lambda *_args, **_kwargs: None)
        running.stop()  # joins the loop thread and asserts it ended
    finally:
        ctx.outbox.shutdown(timeout=10)
