"""Ticks at scale: due work found set-based, numbers from grouped queries, sends streamed as pages are read.

The properties are proven by counting SQL statements, never by timing: a tick costs the same number of
statements whatever the number of reps and teams, and the first DM leaves before the last page is read.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import col, select

from bot.jobs import run_job
from domain.funnel import Workspace
from services.delivery import Pace
from services.profiles import ProfileFacts
from storage.engine import session_scope
from storage.models import SalesTeam
from storage.profile_queries import save_profiles
from storage.queries import add_ask
from storage.team_queries import add_member, add_team
from tests.support.teams import BERLIN, MANAGER, NY, SYDNEY, dms, tick

WORKSPACE = Workspace("T0001")
REP_ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney")
MONDAY_MORNING = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # nothing is due for reminders
THURSDAY_EVENING = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)  # every rep's Thursday 14:00 has passed
NEXT_MONDAY = datetime(2026, 11, 9, 16, 0, tzinfo=UTC)  # digests (Chicago 08:00) and leaderboards due
FAST = Pace(10_000)


def seed(engine: sa.Engine, *, first: int, teams: int, reps_per_team: int = 4) -> None:
    """Teams with one manager (Chicago) and reps spread over three zones, each with a stored profile."""
    facts = []
    with session_scope(engine) as session:
        for t in range(first, first + teams):
            team = add_team(session=session, workspace=WORKSPACE, name=f"team{t:04d}", now=MONDAY_MORNING)
            team.channel_id = f"C{t:06d}"
            session.add(team)
            add_member(session=session, team=team, user_id=f"U0M{t:04d}", role="manager")
            facts.append(ProfileFacts(f"U0M{t:04d}", "America/Chicago", False, None, False))
            for r in range(reps_per_team):
                uid = f"U0R{t:04d}{r:02d}"
                add_member(session=session, team=team, user_id=uid, role="rep")
                facts.append(ProfileFacts(uid, REP_ZONES[r % len(REP_ZONES)], False, None, False))
                add_ask(session=session, workspace=WORKSPACE, rep_user_id=uid, asked_user_id=None,
                        asked_name=f"Friend {r}", for_whom=None, asked_on=date(2026, 11, 3), now=MONDAY_MORNING)
        save_profiles(session=session, workspace=WORKSPACE, facts=facts, now=MONDAY_MORNING)


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(kind: str, app_and_ctx, at: datetime, **kwargs) -> tuple[int, int]:  # noqa: ANN001
    app, ctx = app_and_ctx
    with counting(ctx.engine) as statements:
        report = run_job(kind, ctx=ctx, client=app.client, now=at, pace=FAST, **kwargs)
    return len(statements), report.due


def test_a_quiet_tick_costs_the_same_statements_at_any_size(engine, app_and_ctx, fake_slack):
    seed(engine, first=0, teams=3)
    small = statements_for("reminder", app_and_ctx, MONDAY_MORNING)
    seed(engine, first=3, teams=27)
    large = statements_for("reminder", app_and_ctx, MONDAY_MORNING)
    assert small[1] == large[1] == 0
    assert small[0] == large[0]
    assert fake_slack.calls_to("users.info") == []  # zones come from the stored profiles


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the write lock is SQLite's
def test_a_quiet_tick_and_a_dry_run_digest_never_take_the_write_lock(engine, app_and_ctx, fake_slack):
    """Reads never queue for SQLite's one write lock, so an ack's write never waits behind a tick's reads.
    The one exception is the first quiet tick after a change, which records its proof (a one-row write)."""
    seed(engine, first=0, teams=3)
    app, ctx = app_and_ctx
    run_job("reminder", ctx=ctx, client=app.client, now=MONDAY_MORNING, pace=FAST)
    with counting(ctx.engine) as statements:
        quiet = run_job("reminder", ctx=ctx, client=app.client, now=MONDAY_MORNING, pace=FAST)
        digests = run_job("digest", ctx=ctx, client=app.client, now=NEXT_MONDAY, pace=FAST, dry_run=True)
    assert quiet.due == 0 and digests.due == 3
    assert statements and not [s for s in statements if s.startswith("BEGIN IMMEDIATE")]


def test_a_proven_quiet_tick_reads_one_row_per_workspace_at_any_size(engine, app_and_ctx, fake_slack):
    """After one full quiet tick, the next reads the workspace's generation and proof by primary key and
    nothing of the people: the same statements at 12 and at 120 reps."""
    seed(engine, first=0, teams=3)
    statements_for("reminder", app_and_ctx, MONDAY_MORNING)
    app, ctx = app_and_ctx
    with counting(ctx.engine) as small:
        assert run_job("reminder", ctx=ctx, client=app.client, now=MONDAY_MORNING, pace=FAST).due == 0
    seed(engine, first=3, teams=27)
    statements_for("reminder", app_and_ctx, MONDAY_MORNING)
    with counting(ctx.engine) as large:
        assert run_job("reminder", ctx=ctx, client=app.client, now=MONDAY_MORNING, pace=FAST).due == 0
    assert small == large
    read = [s for s in large if s.lstrip().upper().startswith("SELECT")]
    assert len(read) == 2  # the workspaces, then the one workspace's generation and proof
    assert not [s for s in large if "team_member" in s or "user_profile" in s or "ask" in s]


def test_due_reminders_digests_and_leaderboards_cost_constant_statements(engine, app_and_ctx, fake_slack):
    seed(engine, first=0, teams=3)
    small = {kind: statements_for(kind, app_and_ctx, at, dry_run=True)
             for kind, at in (("reminder", THURSDAY_EVENING), ("digest", NEXT_MONDAY), ("leaderboard", NEXT_MONDAY))}
    seed(engine, first=3, teams=27)
    large = {kind: statements_for(kind, app_and_ctx, at, dry_run=True)
             for kind, at in (("reminder", THURSDAY_EVENING), ("digest", NEXT_MONDAY), ("leaderboard", NEXT_MONDAY))}
    # Every rep is below the minimum of 1 this week except none; 4 reps a team, a digest and a board per team.
    assert {k: v[1] for k, v in small.items()} == {"reminder": 0, "digest": 3, "leaderboard": 3}
    assert {k: v[1] for k, v in large.items()} == {"reminder": 0, "digest": 30, "leaderboard": 30}
    assert {k: v[0] for k, v in small.items()} == {k: v[0] for k, v in large.items()}
    assert fake_slack.calls_to("users.info") == []


def test_reminders_for_many_reps_cost_constant_statements(engine, app_and_ctx):
    seed(engine, first=0, teams=3)
    with session_scope(engine) as session:  # minimum 2: everyone (one ask this week) is below it
        session.execute(sa.update(SalesTeam).values(minimum=2))
    small = statements_for("reminder", app_and_ctx, THURSDAY_EVENING, dry_run=True)
    seed(engine, first=3, teams=27)
    with session_scope(engine) as session:
        session.execute(sa.update(SalesTeam).values(minimum=2))
    large = statements_for("reminder", app_and_ctx, THURSDAY_EVENING, dry_run=True)
    assert (small[1], large[1]) == (12, 120)
    assert small[0] == large[0]


def test_the_first_dm_leaves_before_the_last_page_of_recipients_is_read(engine, app_and_ctx, fake_slack):
    seed(engine, first=0, teams=10)
    with session_scope(engine) as session:
        session.execute(sa.update(SalesTeam).values(minimum=2))
    app, ctx = app_and_ctx
    posts_when_a_page_was_read: list[int] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "HAVING" in statement and "team_member" in statement:  # the due-reminders page query
            posts_when_a_page_was_read.append(len(fake_slack.calls_to("chat.postMessage")))

    event.listen(engine, "before_cursor_execute", record)
    try:
        report = run_job("reminder", ctx=ctx, client=app.client, now=THURSDAY_EVENING, pace=FAST, page=10)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.sent == 40
    # 40 reps in three zone groups, pages of 10: several page reads, and Slack had DMs before the last one.
    assert len(posts_when_a_page_was_read) >= 4
    assert posts_when_a_page_was_read[0] == 0 and posts_when_a_page_was_read[-1] > 0
    channels = [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")]
    assert len(channels) == len(set(channels)) == 40


def test_the_digest_covers_the_managers_last_week_in_every_reps_line(team, slack, fake_slack, app_and_ctx, engine):
    # The digest goes out Sunday 20:00 in Chicago: the manager's last complete week is Oct 26 - Nov 1,
    # although in Sydney it is already Monday Nov 9 and that rep's own last week is Nov 2 - 8.
    with session_scope(engine) as session:
        session.execute(sa.update(SalesTeam).values(digest_weekday=6, digest_time=time(20, 0)))
        for rep, day in ((SYDNEY, date(2026, 10, 30)), (SYDNEY, date(2026, 11, 1)), (SYDNEY, date(2026, 11, 3)),
                         (NY, date(2026, 11, 2))):
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=rep, asked_user_id=None,
                    asked_name=f"Friend {day}", for_whom=None, asked_on=day, now=MONDAY_MORNING)
    report = tick("digest", app_and_ctx, datetime(2026, 11, 9, 2, 0, tzinfo=UTC))  # Sunday Nov 8, 20:00 Chicago
    assert report.sent == 1
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    assert "Week of Mon 26 Oct – Sun 1 Nov" in digest
    lines = {uid: digest[digest.index(f"<@{uid}>"):][:200] for uid in (NY, BERLIN, SYDNEY)}
    assert "Asked 2 ·" in lines[SYDNEY] and "Asked 0 ·" in lines[NY] and "Asked 0 ·" in lines[BERLIN]
    assert "Lost 0 · No decision 0" in digest
    assert "People asked: *2*" in digest  # the team's last week is the sum of the lines


def test_no_new_week_prompt_on_an_install_day_with_less_than_a_day_left(team, fake_slack, app_and_ctx):
    # Sunday Nov 8, 12:00 in New York: the rep's week ends in 12 hours.
    assert tick("commitment", app_and_ctx, datetime(2026, 11, 8, 17, 0, tzinfo=UTC)).sent == 0
    assert dms(fake_slack, NY) == []
    # Monday 09:00 in New York: the new week's prompt goes out.
    tick("commitment", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    assert len(dms(fake_slack, NY)) == 1


def test_a_workspace_with_no_profiles_is_synced_in_bulk_once(team, fake_slack, app_and_ctx, engine):
    before = len(fake_slack.calls_to("users.info"))
    tick("reminder", app_and_ctx, THURSDAY_EVENING)
    tick("reminder", app_and_ctx, THURSDAY_EVENING)
    assert len(fake_slack.calls_to("users.info")) == before
    assert len(fake_slack.calls_to("users.list")) == 1  # the second tick found every member's profile stored
    with session_scope(engine) as session:
        from storage.models import UserProfile

        zones = dict(session.exec(select(UserProfile.user_id, UserProfile.timezone)).all())
    assert zones[SYDNEY] == "Australia/Sydney" and zones[MANAGER] == "America/Chicago"


@pytest.mark.parametrize(("weeks", "shown"), [(20, 20), (30, 30), (60, 52)],
                         ids=["one older block", "two older blocks", "past the year looked back on"])
def test_a_streak_longer_than_a_quarter_is_counted_in_full(team, fake_slack, app_and_ctx, engine, weeks, shown):
    # New York asked every week for ``weeks`` weeks up to the manager's last week (Nov 2 - 8); Berlin for 3.
    # Older weeks are read a quarter at a time, for the reps still unbroken: each block must line up.
    with session_scope(engine) as session:
        for back in range(weeks):
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=NY, asked_user_id=None,
                    asked_name=f"Friend {back}", for_whom=None, asked_on=date(2026, 11, 4) - timedelta(weeks=back),
                    now=MONDAY_MORNING)
        for back in range(3):
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=BERLIN, asked_user_id=None,
                    asked_name=f"Friend {back}", for_whom=None, asked_on=date(2026, 11, 4) - timedelta(weeks=back),
                    now=MONDAY_MORNING)
    tick("digest", app_and_ctx, datetime(2026, 11, 9, 14, 0, tzinfo=UTC))
    digest = json.dumps([c.params for c in dms(fake_slack, MANAGER)], ensure_ascii=False)
    assert f"{shown}-week streak" in digest[digest.index(f"<@{NY}>"):][:300]
    assert "3-week streak" in digest[digest.index(f"<@{BERLIN}>"):][:300]


def test_a_page_of_digests_reads_its_reps_through_the_rep_index_on_both_databases():
    """The page's reps come as a subquery of its teams: a plain IN on SQLite (not compared with 1, which kept
    SQLite off the (workspace, rep, date) index) and = ANY(ARRAY(...)) on PostgreSQL (a hashed IN (subquery)
    let the planner scan the whole ask table for every page)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.among import among
    from storage.due_queries import page_reps
    from storage.models import Ask

    query = select(Ask.id).where(among(Ask.rep_user_id, page_reps([1, 2])), Ask.team_id == "T0001")
    # Two pages differ only in their bound team IDs: one cached statement serves both.
    other_page = select(Ask.id).where(among(Ask.rep_user_id, page_reps([3, 4, 5])), Ask.team_id == "T0001")
    assert query._generate_cache_key().key == other_page._generate_cache_key().key
    on_sqlite = " ".join(str(query.compile(dialect=sqlite.dialect())).split())
    on_postgresql = " ".join(str(query.compile(dialect=postgresql.dialect())).split())
    assert "WHERE ask.rep_user_id IN (SELECT team_member.user_id FROM team_member" in on_sqlite
    assert ") AND ask.team_id" in on_sqlite and "= 1" not in on_sqlite
    assert "WHERE ask.rep_user_id = ANY(ARRAY(SELECT team_member.user_id FROM team_member" in on_postgresql


def test_a_page_of_team_ids_is_one_parameter_on_postgresql_and_each_page_reads_its_own(engine):
    """The team IDs of a page go as one array on PostgreSQL (an expanding IN on SQLite), so every page runs
    the same cached statement: run again with another page's IDs, it reads that page's teams, never the first's."""
    from sqlalchemy.dialects import postgresql

    from storage.due_queries import list_team_reps, page_reps
    from storage.engine import read_scope
    from storage.models import TeamMember

    seed(engine, first=0, teams=5, reps_per_team=2)
    with read_scope(engine) as session:
        ids = sorted(session.exec(select(SalesTeam.id)).all())
        for page in (ids[:2], ids[2:], ids[1:2], []):
            reps = sorted(session.exec(select(TeamMember.user_id).where(
                col(TeamMember.user_id).in_(page_reps(page)))).all())
            listed = list_team_reps(session=session, team_ids=page)
            assert reps == sorted(uid for _team, uid, _gone in listed)
            assert {team for team, _uid, _gone in listed} == set(page)
            assert len(reps) == 2 * len(page)
    on_postgresql = " ".join(str(page_reps([1, 2, 3]).compile(dialect=postgresql.dialect())).split())
    assert "team_member.sales_team_id = ANY(%(param_1)s::INTEGER[])" in on_postgresql


def test_digests_read_ahead_over_many_pages_yield_each_manager_once_in_order(engine, fake_slack):
    """Pages are read ahead on worker threads; each read learns its start from the read before it. Over
    pages of two, all 11 managers come out once, in key order, as with one reader."""
    from zoneinfo import ZoneInfo

    from services.ticks import due_digests

    seed(engine, first=0, teams=11, reps_per_team=1)
    read = due_digests(engine=engine, workspace=WORKSPACE, kind="digest", default=ZoneInfo("UTC"), now=NEXT_MONDAY,
                       page=2)
    due = [d.content.manager_user_id for d in read]
    assert due == [f"U0M{t:04d}" for t in range(11)]


def test_stopping_digests_early_leaves_no_read_running_and_a_failed_read_raises(engine, fake_slack, monkeypatch):
    import threading
    from zoneinfo import ZoneInfo

    import services.ticks as ticks

    seed(engine, first=0, teams=9, reps_per_team=1)
    digests = ticks.due_digests(engine=engine, workspace=WORKSPACE, kind="digest", default=ZoneInfo("UTC"),
                                now=NEXT_MONDAY, page=2)
    next(digests)
    digests.close()  # a drain: the generator's finally waits for or cancels every read ahead
    assert not [t for t in threading.enumerate() if t.name.startswith("digest-read-ahead")]

    real = ticks.read_digest_figures

    def fail_on_the_third_page(**kwargs):  # noqa: ANN003, ANN202
        # Pages are read in parallel, so the failure is keyed by the page's content, not by call order.
        if "U0M0004" in {due.manager_user_id for due in kwargs["dues"]}:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(ticks, "read_digest_figures", fail_on_the_third_page)
    seen = []
    with pytest.raises(RuntimeError, match="went away"):
        for digest in ticks.due_digests(engine=engine, workspace=WORKSPACE, kind="digest",
                                        default=ZoneInfo("UTC"), now=NEXT_MONDAY, page=2):
            seen.append(digest)
    assert len(seen) == 4  # the two pages before the failed one, and nothing after it
    assert not [t for t in threading.enumerate() if t.name.startswith("digest-read-ahead")]
