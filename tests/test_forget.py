"""Forgetting a departed rep, end to end: the confirmation, what goes, what stays, the audit log, the digest,
the exports and the CLI."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.cli import main
from services.nudges import digest_content, load_teams
from services.people import Person
from storage.engine import session_scope
from storage.forget_queries import list_audit_entries
from tests.support.teams import ADMIN, BERLIN, MANAGER, NY, SYDNEY, dms, tick
from tests.test_spreadsheets import rows_of
from views import ids

TYPED = ("Jane Doe", "CFO at Initech", "Bob Smith", "went elsewhere")


def everything_stored(engine) -> str:  # noqa: ANN001
    """Every row of every table of ours, as text: what a database dump would show."""
    dump = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            if table.startswith("slack_") or table == "alembic_version":
                continue
            dump += [dict(r) for r in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()]
    return json.dumps(dump, default=str)


def history_of_ny(slack, fake_slack) -> None:  # noqa: ANN001
    slack.asked("Jane Doe for CFO at Initech", user=NY)
    slack.asked("Pat Lee", user=NY)
    slack.referral("got Bob Smith from Jane Doe", user=NY)
    slack.referral("got Carol King from Pat Lee", user=NY)
    slack.referral("won #2 $12,000", user=NY)
    slack.referral("lost #1 went elsewhere", user=NY)
    slack.referral("commit Sam Roe", user=NY)
    slack.asked(f"<@{NY}|ny>", user=BERLIN)  # someone else's record names NY
    slack.asked("Kim Ode", user=SYDNEY)


def export_rows(slack, fake_slack, user: str, title: str = "Asks") -> list[list[str]]:  # noqa: ANN001
    slack.referral("export", user=user)
    upload = fake_slack.calls_to("files.completeUploadExternal")[-1]
    file_id = next(f["id"] for f in upload.params["files"] if f["title"] == title)
    return rows_of(fake_slack.uploaded(file_id).decode())


def test_forget_end_to_end(team, slack, fake_slack, engine, app_and_ctx, clock):
    history_of_ny(slack, fake_slack)
    before_asks = export_rows(slack, fake_slack, ADMIN)
    before_referrals = export_rows(slack, fake_slack, ADMIN, "Referrals")

    refused = json.dumps(slack.referral(f"forget <@{NY}|ny>", user=BERLIN))
    assert "Only workspace admins" in refused
    assert "Name exactly one person" in json.dumps(slack.referral("forget everyone", user=ADMIN))

    confirm = slack.referral(f"forget <@{NY}|ny>", user=ADMIN)
    text = json.dumps(confirm)
    assert "cannot be undone" in text and "2 asks" in text and "2 referrals" in text
    buttons = [e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(ids.FORGET_CONFIRM, NY), (ids.FORGET_CANCEL, NY)]
    assert "Cancelled" in json.dumps(slack.click(ids.FORGET_CANCEL, NY, user=ADMIN))
    assert NY in everything_stored(engine)  # nothing happens before the confirmation
    assert "Only workspace admins" in json.dumps(slack.click(ids.FORGET_CONFIRM, NY, user=BERLIN))  # a forged click

    done = json.dumps(slack.click(ids.FORGET_CONFIRM, NY, user=ADMIN))
    assert "former member 1" in done

    stored = everything_stored(engine)
    assert NY not in stored
    for typed in TYPED:
        assert typed not in stored, typed
    with session_scope(engine) as session:
        [entry] = list_audit_entries(session=session, workspace=team_workspace())
    assert (entry.action, entry.actor_user_id, entry.subject) == ("forget", ADMIN, "former-1")
    assert json.loads(entry.detail)["asks"] == 2

    # The export still has every row, in the same numbers; NY's rows are the former member's, with nothing typed.
    after_asks = export_rows(slack, fake_slack, ADMIN)
    assert len(after_asks) == len(before_asks)
    assert sorted(r[0] for r in after_asks[1:]) == sorted("former-1" if r[0] == NY else r[0] for r in before_asks[1:])
    after_referrals = export_rows(slack, fake_slack, ADMIN, "Referrals")
    assert len(after_referrals) == len(before_referrals)
    assert "12000" in json.dumps(after_referrals)  # the won amount still counts for the team
    review = json.dumps(slack.referral("review", user=ADMIN))
    assert "former member 1" in review and NY not in review and "went elsewhere" not in review
    manager_rows = export_rows(slack, fake_slack, MANAGER)
    assert {r[0] for r in manager_rows[1:]} == {"former-1", BERLIN, SYDNEY}

    # Next Monday's digest: the former member is one line, and the totals are the sum of the lines.
    _app, ctx = app_and_ctx
    digest_at = datetime(2026, 11, 9, 14, 5, tzinfo=UTC)  # Monday 08:05 in Chicago
    tick("digest", app_and_ctx, digest_at)
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    assert "former member 1" in digest and NY not in digest
    [east] = load_teams(engine=engine, workspace=team_workspace())
    assert east.reps == (BERLIN, SYDNEY) and east.former == ("former-1",)
    manager = Person(MANAGER, ctx.people.default_zone, False)
    reps = {uid: ctx.people.cached_person(workspace=team_workspace(), user_id=uid) for uid in east.reps + east.former}
    content = digest_content(engine=engine, workspace=team_workspace(), team=east, manager=manager, reps=reps,
                             now=digest_at)
    assert {line.user_id for line in content.reps} == {"former-1", BERLIN, SYDNEY}
    assert content.totals[0].current.asks == sum(line.kpis.asks for line in content.reps) == 4
    assert content.totals[0].current.won == sum(line.kpis.won for line in content.reps) == 1

    # Nothing is ever sent to the former member.
    fake_slack.clear()
    tick("reminder", app_and_ctx, datetime(2026, 11, 12, 19, 5, tzinfo=UTC))
    assert all(c.params.get("channel") != "former-1" for c in fake_slack.calls)


def test_the_cli_forgets_with_a_confirmation_and_audits_it(team, slack, fake_slack, engine, cli_env, capsys,
                                                            monkeypatch):
    history_of_ny(slack, fake_slack)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["forget", NY, "--workspace", "T0001"]) == 1
    assert NY in everything_stored(engine)
    assert main(["forget", NY, "--workspace", "T0001", "--yes"]) == 0
    assert "now count for former member 1" in capsys.readouterr().out
    assert main(["forget", SYDNEY, "--workspace", "T0001", "--yes"]) == 0
    assert "former member 2" in capsys.readouterr().out
    stored = everything_stored(engine)
    assert NY not in stored and SYDNEY not in stored
    assert main(["forget", NY, "--workspace", "T0001", "--yes"]) == 2
    assert "nothing about U0NY" in capsys.readouterr().err
    with session_scope(engine) as session:
        entries = list_audit_entries(session=session, workspace=team_workspace())
    assert [(e.actor_user_id, e.subject) for e in entries] == [("CLI", "former-1"), ("CLI", "former-2")]


def team_workspace():  # noqa: ANN201
    from domain.funnel import Workspace

    return Workspace("T0001")


def test_forgetting_costs_the_same_statements_for_a_short_or_a_long_history(engine):
    from datetime import date, timedelta
    from zoneinfo import ZoneInfo

    from domain.funnel import Workspace
    from services.forget import forget_person
    from storage.queries import add_ask, add_referral

    workspace, admin = Workspace("T0SCALE"), Person("U0ADMIN", ZoneInfo("UTC"), True)
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        for rep, count in (("U0SHORT", 1), ("U0LONG", 60)):
            for i in range(count):
                ask = add_ask(session=session, workspace=workspace, rep_user_id=rep, asked_user_id=None,
                              asked_name=f"Person {i}", for_whom="a CFO", asked_on=date(2026, 1, 1) + timedelta(i),
                              now=now).ask
                add_referral(session=session, workspace=workspace, rep_user_id=rep, prospect_name=f"Prospect {i}",
                             referrer_user_id=None, referrer_name=f"Person {i}", ask_id=ask.id,
                             introduced_on=date(2026, 1, 1) + timedelta(i), now=now)

    def statements_to_forget(user_id: str) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            done = forget_person(engine=engine, workspace=workspace, actor=admin, user_id=user_id, now=now)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert done.asks in (1, 60)
        return len(seen)

    long, short = statements_to_forget("U0LONG"), statements_to_forget("U0SHORT")
    print(f"forgetting 60 vs 1 ask(s) and referral(s): {long} vs {short} SQL statements")
    assert long == short
