"""An action touches only what it needs: the SQL one action runs does not grow with the workspace.

Each action is counted statement by statement (sqlalchemy's ``before_cursor_execute``) in a small
workspace, then again after the workspace has grown tenfold with other people's teams, reps, asks and
referrals. The counts must be identical. And reads never take SQLite's write lock.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.app import create_app
from domain.funnel import Workspace
from handlers.follow_ups import publish_home
from storage.engine import session_scope
from storage.queries import add_ask, add_referral, save_profile
from storage.team_queries import add_member, add_team
from tests.conftest import SIGNING_SECRET
from tests.driver import TEAM_ID, SlackDriver
from tests.support.events import listening
from tests.support.outbox import HeldOutbox

WORKSPACE = Workspace(TEAM_ID)
REP, MANAGER = "U0REP1", "U0ADMIN"  # the admin manages the rep's team


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database, and (as "rows: N") the rows each session query returned."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001
        statements.append(statement)

    def rows_of(state):  # noqa: ANN001, ANN202
        frozen = state.invoke_statement().freeze()
        if frozen.metadata is not None:  # a query that returns rows
            rows_read.append(len(frozen().all()))
        return frozen()

    rows_read: list[int] = []
    try:
        with listening((engine, "before_cursor_execute", count), (Session, "do_orm_execute", rows_of)):
            yield statements
    finally:
        statements.append(f"rows: {sum(rows_read)}")


def grow(engine: sa.Engine, *, first_team: int, teams: int, now: datetime) -> None:
    """Other people's work: teams of five reps and a manager, each rep with 20 asks and 4 referrals."""
    with session_scope(engine) as session:
        for t in range(first_team, first_team + teams):
            team = add_team(session=session, workspace=WORKSPACE, name=f"other{t}", now=now)
            add_member(session=session, team=team, user_id=f"U0M{t:04d}", role="manager")
            for r in range(5):
                uid = f"U0O{t:04d}{r}"
                add_member(session=session, team=team, user_id=uid, role="rep")
                save_profile(session=session, workspace=WORKSPACE, user_id=uid, timezone="Europe/Paris",
                             is_admin=False, real_name=None, fetched_at=now)
                for a in range(20):
                    add_ask(session=session, workspace=WORKSPACE, rep_user_id=uid, asked_user_id=None,
                            asked_name=f"Contact {a}", for_whom=None, asked_on=now.date() - timedelta(days=a * 3),
                            now=now)
                for n in range(4):
                    add_referral(session=session, workspace=WORKSPACE, rep_user_id=uid, prospect_name=f"Prospect {n}",
                                 referrer_user_id=None, referrer_name=f"Contact {n}", ask_id=None,
                                 introduced_on=now.date() - timedelta(days=n * 7), now=now)


@pytest.fixture
def counting(settings, engine, clock, fake_slack):  # noqa: ANN001, ANN201
    """The real app with an outbox that holds its jobs, so the request path is counted alone."""
    outbox = HeldOutbox()
    app, ctx = create_app(settings, engine=engine, clock=clock, outbox=outbox)
    return SlackDriver(app, fake_slack, SIGNING_SECRET, ctx), outbox, ctx


def one_round(slack: SlackDriver, outbox: HeldOutbox, ctx, engine: sa.Engine, n: int) -> dict[str, tuple[int, str]]:  # noqa: ANN001
    """Every action once, each counted on its own; ``n`` keeps the round's names apart from the others'."""
    rep = ctx.people.cached_person(workspace=WORKSPACE, user_id=REP)
    manager = ctx.people.cached_person(workspace=WORKSPACE, user_id=MANAGER)
    actions: dict[str, Callable[[], object]] = {
        "/asked": lambda: slack.asked(f"Contact {n}"),
        "/referral got": lambda: slack.referral(f"got Prospect {n} from Contact {n}"),
        "/referral meeting": lambda: slack.referral(f"meeting {n + 1} 2026-11-27"),
        "/referral stats": lambda: slack.referral("stats"),
        "/referral list": lambda: slack.referral("list"),
        "Home refresh (rep)": lambda: publish_home(ctx, slack.app.client, workspace=WORKSPACE, user=rep,
                                                   now=ctx.clock()),
        "Home refresh (manager)": lambda: publish_home(ctx, slack.app.client, workspace=WORKSPACE, user=manager,
                                                       now=ctx.clock()),
    }
    counts = {}
    for name, action in actions.items():
        with counted(engine) as statements:
            action()
        counts[name] = (len(statements) - 1, statements[-1])
        outbox.jobs.clear()  # the follow-ups are counted as the Home refreshes above
    slack.referral(f"won {n + 1}")  # so that every round starts with the rep's same open referrals
    outbox.jobs.clear()
    return counts


def test_each_action_costs_the_same_in_a_workspace_grown_tenfold(counting, engine, clock):
    slack, outbox, ctx = counting
    now = clock()
    slack.referral("team create east", user=MANAGER)
    slack.referral(f"team add east <@{REP}> <@U0REP2>", user=MANAGER)
    slack.referral(f"team manager east <@{MANAGER}>", user=MANAGER)
    grow(engine, first_team=0, teams=2, now=now)
    slack.asked("Contact 0 last week", user="U0REP2")
    one_round(slack, outbox, ctx, engine, 0)  # warm-up: first-time rows (memberships, the chart upload)
    before = one_round(slack, outbox, ctx, engine, 1)
    small = one_round(slack, outbox, ctx, engine, 2)
    grow(engine, first_team=2, teams=18, now=now)  # ten times the other teams, reps, asks and referrals
    grown = one_round(slack, outbox, ctx, engine, 3)
    assert all(statements for statements, _rows in small.values())
    # As many statements; and the rows read grow only with the person's own work (each round adds one ask and
    # one referral of theirs, which their Home's connectors read), by as much as between two small rounds.
    assert {name: n for name, (n, _) in grown.items()} == {name: n for name, (n, _) in small.items()}

    def rows(counts: dict[str, tuple[int, str]]) -> dict[str, int]:
        return {name: int(read.removeprefix("rows: ")) for name, (_, read) in counts.items()}

    assert {k: rows(grown)[k] - rows(small)[k] for k in grown} == {k: rows(small)[k] - rows(before)[k] for k in small}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reads_take_no_write_lock(slack, engine, database_url, clock):
    """With another connection holding SQLite's write lock, reads still answer at once: they begin a
    deferred transaction on WAL's snapshot. (Under BEGIN IMMEDIATE they would queue for the lock and
    fail after the busy timeout.)"""
    slack.asked("Jane")
    slack.referral("got Bob from Jane")
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert "People asked: *1*" in str(slack.referral("stats"))
        assert "Bob" in str(slack.referral("list"))
        assert "This week: 1 of 1" in str(slack.open_home())
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@contextmanager
def sqlite_steps(engine: sa.Engine) -> Iterator[dict[str, int]]:
    """The virtual-machine instructions SQLite ran for each statement (its progress handler, called at every
    one): the work a statement did, rows read included, where its count of statements stays the same."""
    steps: dict[str, int] = {}
    current: list[str] = [""]

    def step() -> int:
        steps[current[0]] = steps.get(current[0], 0) + 1
        return 0  # go on

    def on_checkout(dbapi_connection, _record, _proxy) -> None:  # noqa: ANN001
        dbapi_connection.set_progress_handler(step, 1)

    def on_statement(_conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001
        current[0] = statement  # a SELECT's rows are read after execute: they count for it until the next

    with listening((engine, "checkout", on_checkout), (engine, "before_cursor_execute", on_statement)):
        yield steps


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_second_ask_of_the_day_is_found_by_the_person_not_by_the_reps_whole_day(slack, engine, clock):
    """/asked looks for the same person asked earlier that day (the "already logged today" reply). It reads
    that person's asks of the day, not every ask the rep logged that day: on a rep's 300th ask of the day the
    lookup does the work it did on their 3rd. (With no statistics, SQLite chose the rep's index and read
    their whole day; the statement's count stayed one, which is why this counts SQLite's own steps.)"""
    now = clock()

    def lookup_steps(name: str, *, again: bool = False) -> int:
        clock.advance(minutes=1)  # past the double-submit window: each is an ask of its own
        with sqlite_steps(engine) as steps:
            reply = str(slack.asked(name, user=REP))
        assert "Logged" in reply and ("already logged an ask of" in reply) == again, reply
        [same_person] = [n for statement, n in steps.items() if "UNION ALL" in statement and "dedupe_key" in statement]
        return same_person

    slack.asked("Early Bird", user=REP)
    few, few_again = lookup_steps("Contact A"), lookup_steps("contact a", again=True)
    with session_scope(engine) as session:
        for n in range(300):
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=REP, asked_user_id=None,
                    asked_name=f"Someone {n}", for_whom=None, asked_on=now.date(), now=now)
    many, many_again = lookup_steps("Contact B"), lookup_steps("contact b", again=True)
    assert many <= few * 1.2, (few, many)
    assert many_again <= few_again * 1.2, (few_again, many_again)
