"""Installing in many workspaces: the OAuth flow against the fake Slack, tokens sealed at rest and rotated,
uninstall and revoke, and two workspaces that never see each other's data."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.app import create_app
from bot.config import ConfigError, load_settings
from bot.jobs import run_job
from bot.oauth import BOT_SCOPES, workspace_clients
from domain.funnel import Workspace
from storage.delivery_queries import EXPIRED, FAILED
from storage.engine import session_scope
from storage.models import Delivery
from tests.conftest import SIGNING_SECRET
from tests.driver import SlackDriver
from tests.support.installs import KEY, Browser, oauth_settings

ACME, GLOBEX = "T0ACME", "T0GLOBEX"
REP, ADMIN = "U0REP1", "U0ADMIN"


@pytest.fixture
def multi(fake_slack, engine, database_url, clock) -> Iterator[tuple]:  # noqa: ANN001
    app, ctx = create_app(oauth_settings(fake_slack.api_url, database_url), engine=engine, clock=clock,
                          process_before_response=True)
    browser = Browser(app, engine)
    yield app, ctx, browser
    browser.stop()


def token_of(call) -> str:  # noqa: ANN001
    return call.headers.get("authorization", "").removeprefix("Bearer ")


def workspaces_called(fake_slack, method: str) -> list[str | None]:  # noqa: ANN001
    return [fake_slack.workspace_of_token(token_of(c)) for c in fake_slack.calls_to(method)]


def install_both(fake_slack, browser, **kwargs) -> None:  # noqa: ANN001
    fake_slack.add_install("code-acme", team_id=ACME, team_name="Acme", **kwargs)
    fake_slack.add_install("code-globex", team_id=GLOBEX, team_name="Globex", **kwargs)
    for code in ("code-acme", "code-globex"):
        status, page = browser.install(code)
        assert status == 200, page


def stored_rows(engine, table: str) -> list[dict]:  # noqa: ANN001
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()]


def test_the_oauth_flow_stores_each_workspace_with_its_token_sealed(multi, fake_slack, engine):
    app, _ctx, browser = multi
    install_both(fake_slack, browser)
    [first, second] = fake_slack.calls_to("oauth.v2.access")
    assert (first.params["code"], second.params["code"]) == ("code-acme", "code-globex")
    bots = stored_rows(engine, "slack_bots")
    assert sorted(b["team_id"] for b in bots) == [ACME, GLOBEX]
    for bot in bots:  # ciphertext at rest, the real token through the store
        assert "xox" not in bot["bot_token"] and bot["bot_token"].startswith("gAAAAA")
        found = app.installation_store.find_bot(enterprise_id=None, team_id=bot["team_id"])
        assert fake_slack.workspace_of_token(found.bot_token) == bot["team_id"]
    # A state the app never signed is refused before any token is asked for.
    status, _, _ = browser.get("/slack/oauth_redirect?code=x&state=forged.0000", cookie="slack-app-oauth-state=forged.0000")
    assert status == 401 and len(fake_slack.calls_to("oauth.v2.access")) == 2
    assert stored_rows(engine, "slack_oauth_states") == []  # each state is used once


def test_two_workspaces_never_see_each_other(multi, fake_slack, engine, clock):
    app, ctx, browser = multi
    install_both(fake_slack, browser)
    slack = SlackDriver(app, fake_slack, SIGNING_SECRET, ctx)
    clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=UTC))  # Monday
    for team in (ACME, GLOBEX):  # the same person ID in both: only the workspace tells them apart
        slack.referral("team create east", user=ADMIN, team=team)
        slack.referral(f"team add east <@{REP}|rep>", user=ADMIN, team=team)
    slack.referral("team set east minimum 3", user=ADMIN, team=ACME)
    fake_slack.clear()
    slack.asked("Jane at Acme; Joe at Acme", user=REP, team=ACME)
    slack.asked("Bob at Globex", user=REP, team=GLOBEX)

    acme_stats = json.dumps(slack.referral("stats", user=REP, team=ACME))
    globex_stats = json.dumps(slack.referral("stats", user=REP, team=GLOBEX))
    assert "People asked: *2*" in acme_stats and "People asked: *1*" in globex_stats
    acme_home = json.dumps(slack.open_home(user=REP, team=ACME))
    globex_home = json.dumps(slack.open_home(user=REP, team=GLOBEX))
    assert "2 of 3" in acme_home or "2/3" in acme_home, acme_home
    assert "1 of 1" in globex_home or "1/1" in globex_home, globex_home

    slack.referral("export", user=REP, team=ACME)
    slack.referral("export", user=REP, team=GLOBEX)
    exports = {}
    for upload in fake_slack.calls_to("files.completeUploadExternal"):
        asks_file = next(f["id"] for f in upload.params["files"] if f["title"] == "Asks")
        exports[fake_slack.workspace_of_token(token_of(upload))] = fake_slack.uploaded(asks_file).decode()
    assert "Jane at Acme" in exports[ACME] and "Bob" not in exports[ACME]
    assert "Bob at Globex" in exports[GLOBEX] and "Acme" not in exports[GLOBEX]
    # Every Web API call made for a request used that request's workspace token.
    for method in ("views.publish", "files.completeUploadExternal", "users.info"):
        assert set(workspaces_called(fake_slack, method)) == {ACME, GLOBEX}, method

    # A tick: each workspace's reminder goes out with its own token and its own numbers.
    fake_slack.clear()
    report = run_job("reminder", ctx=ctx, client=workspace_clients(app), now=datetime(2026, 11, 19, 19, 5, tzinfo=UTC))
    assert report.sent == 1  # Acme's rep is at 2 of 3; Globex's met the minimum of 1
    [reminder] = fake_slack.calls_to("chat.postMessage")
    assert fake_slack.workspace_of_token(token_of(reminder)) == ACME and reminder.params["channel"] == REP


def test_uninstall_deletes_the_tokens_and_stops_every_delivery(multi, fake_slack, engine, clock):
    app, ctx, browser = multi
    install_both(fake_slack, browser)
    slack = SlackDriver(app, fake_slack, SIGNING_SECRET, ctx)
    clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=UTC))
    for team in (ACME, GLOBEX):
        slack.referral("team create east", user=ADMIN, team=team)
        slack.referral(f"team add east <@{REP}|rep>", user=ADMIN, team=team)
    fake_slack.fail_next("chat.postMessage", status=200, error="fatal_error", times=2)  # both wait for a retry
    thursday = datetime(2026, 11, 19, 19, 5, tzinfo=UTC)
    assert run_job("reminder", ctx=ctx, client=workspace_clients(app), now=thursday).failed == 2

    assert browser.event(ACME, {"type": "app_uninstalled"}) == 200
    assert [b["team_id"] for b in stored_rows(engine, "slack_bots")] == [GLOBEX]
    assert [i["team_id"] for i in stored_rows(engine, "slack_installations")] == [GLOBEX]
    with session_scope(engine) as session:
        status = {d.team_id: d.status for d in session.exec(sa.select(Delivery)).scalars()}
    assert status == {ACME: EXPIRED, GLOBEX: FAILED}

    fake_slack.clear()
    later = datetime(2026, 11, 19, 21, 0, tzinfo=UTC)  # past the retry time
    report = run_job("reminder", ctx=ctx, client=workspace_clients(app), now=later)
    assert report.sent == 1
    assert workspaces_called(fake_slack, "chat.postMessage") == [GLOBEX]
    # Acme's requests are no longer authorized; nothing is stored for them.
    assert workspace_clients(app).client_for(Workspace(ACME)) is None


def test_a_revoked_bot_token_ends_the_installation_and_a_user_token_only_itself(multi, fake_slack, engine):
    app, _ctx, browser = multi
    install_both(fake_slack, browser)
    assert browser.event(ACME, {"type": "tokens_revoked", "tokens": {"oauth": [ADMIN]}}) == 200
    assert sorted(b["team_id"] for b in stored_rows(engine, "slack_bots")) == [ACME, GLOBEX]
    assert [i["team_id"] for i in stored_rows(engine, "slack_installations")] == [GLOBEX]
    assert browser.event(GLOBEX, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}) == 200
    assert [b["team_id"] for b in stored_rows(engine, "slack_bots")] == [ACME]
    assert workspace_clients(app).client_for(Workspace(GLOBEX)) is None


def test_rotating_tokens_are_refreshed_for_requests_and_for_jobs(multi, fake_slack, engine, clock):
    app, ctx, browser = multi
    # Tokens that expire within Bolt's refresh window: every use refreshes first.
    install_both(fake_slack, browser, rotating=True, expires_in=600)
    first_token = app.installation_store.find_bot(enterprise_id=None, team_id=ACME).bot_token
    # No profile sync by the driver: the one refresh counted below is the request's own.
    slack = SlackDriver(app, fake_slack, SIGNING_SECRET, ctx, sync_profiles=False)
    reply = json.dumps(slack.asked("Jane", user=REP, team=ACME))
    assert "Jane" in reply
    refreshes = [c for c in fake_slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    rotated = app.installation_store.find_bot(enterprise_id=None, team_id=ACME)
    assert rotated.bot_token != first_token and fake_slack.workspace_of_token(rotated.bot_token) == ACME
    assert token_of(fake_slack.calls_to("users.info")[-1]) == rotated.bot_token
    # The old refresh token was used up; the job refreshes with the new one and sends with the newest token.
    client = workspace_clients(app).client_for(Workspace(ACME))
    newest = app.installation_store.find_bot(enterprise_id=None, team_id=ACME)
    assert client.token == newest.bot_token != rotated.bot_token
    assert "xox" not in json.dumps(stored_rows(engine, "slack_bots"), default=str)


def test_a_new_encryption_key_reads_old_tokens_and_reseals_them(multi, fake_slack, engine, database_url):
    app, _ctx, browser = multi
    install_both(fake_slack, browser)
    before = {b["team_id"]: b["bot_token"] for b in stored_rows(engine, "slack_bots")}
    new_key = Fernet.generate_key().decode()
    rotated_app, _ = create_app(oauth_settings(fake_slack.api_url, database_url, keys=(new_key, KEY)), engine=engine)
    store = rotated_app.installation_store
    assert fake_slack.workspace_of_token(store.find_bot(enterprise_id=None, team_id=ACME).bot_token) == ACME
    assert store.reseal_all() >= 2
    after = {b["team_id"]: b["bot_token"] for b in stored_rows(engine, "slack_bots")}
    assert all(after[t] != before[t] for t in before)
    only_new, _ = create_app(oauth_settings(fake_slack.api_url, database_url, keys=(new_key,)), engine=engine)
    assert fake_slack.workspace_of_token(only_new.installation_store.find_bot(enterprise_id=None, team_id=GLOBEX)
                                         .bot_token) == GLOBEX


def test_oauth_settings_come_as_a_set_and_need_http_mode():
    base = {"SLACK_SIGNING_SECRET": SIGNING_SECRET}
    with pytest.raises(ConfigError) as missing:
        load_settings({**base, "SLACK_CLIENT_ID": "1.2"})
    assert "missing: SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, TOKEN_ENCRYPTION_KEYS" in str(missing.value)
    full = {**base, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s" * 20, "SLACK_STATE_SECRET": "t" * 20,
            "TOKEN_ENCRYPTION_KEYS": f"{KEY}, {Fernet.generate_key().decode()}"}
    settings = load_settings(full)  # no SLACK_BOT_TOKEN needed: each workspace brings its own
    assert settings.multi_workspace and len(settings.token_encryption_keys) == 2
    assert KEY not in repr(settings) and "t" * 20 not in repr(settings)
    with pytest.raises(ConfigError) as socket_mode:
        load_settings({**full, "SLACK_APP_TOKEN": "xapp-1-abc"})
    assert "need HTTP mode" in str(socket_mode.value)
    with pytest.raises(ConfigError) as bad_key:
        load_settings({**full, "TOKEN_ENCRYPTION_KEYS": "not-a-key"})
    assert "Fernet keys" in str(bad_key.value) and "not-a-key" not in str(bad_key.value)


def test_the_install_button_asks_for_the_manifest_scopes():
    from pathlib import Path

    manifest = json.loads((Path(__file__).parents[1] / "manifest.json").read_text())
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_keygen_prints_settings_that_load(capsys):
    from bot.cli import main

    assert main(["keygen"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings = load_settings({"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_CLIENT_ID": "1.2",
                              "SLACK_CLIENT_SECRET": "s" * 20, **printed})
    assert settings.token_encryption_keys == (printed["TOKEN_ENCRYPTION_KEYS"],)


def test_rotating_and_refresh_tokens_are_masked_in_logs():
    from bot.logs import RedactSecrets

    text = RedactSecrets().redact("refresh failed for xoxe-1-My0xLTIy and xoxe.xoxb-1-MS0yLTIy")
    assert "My0xLTIy" not in text and "MS0yLTIy" not in text


def test_single_workspace_mode_answers_an_uninstall_and_stops_retries(slack, fake_slack, engine, app_and_ctx, clock):
    _app, ctx = app_and_ctx
    clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=UTC))
    slack.referral("team create east", user=ADMIN)
    slack.referral(f"team add east <@{REP}|rep>", user=ADMIN)
    fake_slack.fail_next("chat.postMessage", status=200, error="fatal_error")
    assert run_job("reminder", ctx=ctx, client=_app.client, now=datetime(2026, 11, 19, 19, 5, tzinfo=UTC)).failed == 1
    body = json.dumps({"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                       "event_id": "Ev1", "event_time": 1, "event": {"type": "app_uninstalled"}})
    assert slack.dispatch(body, content_type="application/json").status == 200
    with session_scope(engine) as session:
        assert [d.status for d in session.exec(sa.select(Delivery)).scalars()] == [EXPIRED]


def test_cli_import_looks_up_emails_with_the_workspaces_own_token(multi, fake_slack, cli_env, monkeypatch, tmp_path):
    from bot.cli import main
    from tests.support.installs import CLIENT_ID, CLIENT_SECRET, STATE_SECRET

    _app, _ctx, browser = multi
    install_both(fake_slack, browser)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    for name, value in {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                        "SLACK_STATE_SECRET": STATE_SECRET, "TOKEN_ENCRYPTION_KEYS": KEY}.items():
        monkeypatch.setenv(name, value)
    fake_slack.add_user("U0BEA", email="bea@acme.test")
    sheet = tmp_path / "asks.csv"
    sheet.write_text("rep,date,asked,for_whom,outcome\nbea@acme.test,2026-09-01,Jane,,\n")
    assert main(["import", str(sheet), "--workspace", GLOBEX]) == 0
    [lookup] = fake_slack.calls_to("users.lookupByEmail")
    assert fake_slack.workspace_of_token(token_of(lookup)) == GLOBEX
    assert main(["import", str(sheet), "--workspace", "T0NEVER"]) == 2


def test_a_refresh_slack_refuses_for_one_workspace_does_not_stop_the_others(multi, fake_slack, clock):
    app, ctx, browser = multi
    install_both(fake_slack, browser, rotating=True, expires_in=600)
    slack = SlackDriver(app, fake_slack, SIGNING_SECRET, ctx)
    clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=UTC))
    for team in (ACME, GLOBEX):
        slack.referral("team create east", user=ADMIN, team=team)
        slack.referral(f"team add east <@{REP}|rep>", user=ADMIN, team=team)
    fake_slack.clear()
    fake_slack.fail_next("oauth.v2.access", status=200, error="invalid_refresh_token")  # the first refresh of the tick
    report = run_job("reminder", ctx=ctx, client=workspace_clients(app), now=datetime(2026, 11, 19, 19, 5, tzinfo=UTC))
    [refused, refreshed] = fake_slack.calls_to("oauth.v2.access")
    assert refused.params["refresh_token"] != refreshed.params["refresh_token"]  # one per workspace
    assert report.sent == 1 and len(fake_slack.calls_to("chat.postMessage")) == 1
