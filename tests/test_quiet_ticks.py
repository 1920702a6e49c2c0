"""A quiet reminder tick skips a workspace on its proof, and every change able to make someone due ends it.

Each case starts from team "east" (reps in New York, Berlin and Sydney, minimum 1, Thursday 14:00) where
nobody is due, runs a tick that records the proof, checks that the next tick really skips the workspace
(no membership read at all: without the change, the nudge would not be found), then makes one change,
by a write or by time alone, and checks that the next tick sends exactly the nudges now owed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from domain.funnel import Workspace
from services.profiles import ProfileFacts, ensure_profiles
from storage.engine import session_scope
from storage.models import Ask, Delivery, SalesTeam, UserProfile
from storage.profile_queries import save_profiles
from storage.queries import add_ask, delete_ask
from storage.team_queries import add_member, add_pause, add_team, end_pauses
from tests.support.teams import BERLIN, NY, SYDNEY, dms
from tests.test_ticks_scale import FAST, counting

WORKSPACE = Workspace("T0001")
MONDAY = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
THURSDAY_EVENING = datetime(2026, 11, 5, 20, 0, tzinfo=UTC)  # Thursday 14:00 has passed in all three zones
WEEK = "2026-11-02"


def _asks(engine, reps=(NY, BERLIN, SYDNEY)) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        for rep in reps:
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=rep, asked_user_id=None, asked_name="Friend",
                    for_whom=None, asked_on=date(2026, 11, 3), now=MONDAY)


def _write(engine, work: Callable) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        work(session)


def _zone(user_id: str, zone: str, deleted: bool = False) -> Callable:
    return lambda session: save_profiles(session=session, workspace=WORKSPACE,
                                         facts=[ProfileFacts(user_id, zone, False, None, deleted)], now=MONDAY)


def _drop_ask(rep: str) -> Callable:
    def drop(session) -> None:  # noqa: ANN001
        delete_ask(session=session, ask=session.exec(select(Ask).where(Ask.rep_user_id == rep)).one())
    return drop


def _team(session):  # noqa: ANN001, ANN202
    return session.exec(select(SalesTeam).where(SalesTeam.name == "east")).one()


def _ledger(status: str, retry_at: datetime | None = None, lease_until: datetime | None = None) -> Callable:
    return lambda session: session.add(Delivery(
        team_id=WORKSPACE.team_id, kind="reminder", recipient=NY, period_key=WEEK, status=status, attempts=1,
        claimed_at=MONDAY, next_attempt_at=retry_at, lease_until=lease_until))


def _new_member(session) -> None:  # noqa: ANN001
    add_member(session=session, team=_team(session), user_id="U0NEW", role="rep")
    save_profiles(session=session, workspace=WORKSPACE, facts=[ProfileFacts("U0NEW", "Europe/Berlin", False, None,
                                                                            False)], now=MONDAY)


def _new_team(session) -> None:  # noqa: ANN001
    team = add_team(session=session, workspace=WORKSPACE, name="west", now=MONDAY)
    add_member(session=session, team=team, user_id="U0WEST", role="rep")
    save_profiles(session=session, workspace=WORKSPACE, facts=[ProfileFacts("U0WEST", "Europe/Berlin", False, None,
                                                                            False)], now=MONDAY)


def _raise_minimum(session) -> None:  # noqa: ANN001
    team = _team(session)
    team.minimum = 2
    session.add(team)


def _move_slot(session) -> None:  # noqa: ANN001
    team = _team(session)
    team.reminder_weekday, team.reminder_time = 2, time(9, 0)  # Wednesday 09:00
    session.add(team)


@dataclass
class Case:
    """Before the change nobody is due at ``quiet_at``; after it, ``owed`` are due at ``due_at``."""

    asks: tuple[str, ...] = (NY, BERLIN, SYDNEY)
    setup: Callable | None = None  # a write before the first tick
    change: Callable | None = None  # the write under test (None: time alone)
    quiet_at: datetime = THURSDAY_EVENING
    due_at: datetime = THURSDAY_EVENING + timedelta(minutes=5)
    owed: set[str] = field(default_factory=lambda: {NY})


CASES = {
    "a member added": Case(change=_new_member, owed={"U0NEW"}),
    "a new team": Case(change=_new_team, owed={"U0WEST"}),
    "a zone change": Case(asks=(BERLIN, SYDNEY), setup=_zone(NY, "Pacific/Honolulu"),  # 10:00 there
                          change=_zone(NY, "America/New_York")),
    "a deactivation undone": Case(asks=(BERLIN, SYDNEY), setup=_zone(NY, "America/New_York", deleted=True),
                                  change=_zone(NY, "America/New_York")),
    "a pause lifted": Case(asks=(BERLIN, SYDNEY),
                           setup=lambda s: add_pause(session=s, workspace=WORKSPACE, user_id=NY,
                                                     starts_on=date(2026, 11, 1), until_on=date(2026, 11, 20),
                                                     now=MONDAY),
                           change=lambda s: end_pauses(session=s, workspace=WORKSPACE, user_id=NY,
                                                       today=date(2026, 11, 5))),
    # Thursday was the last paused day: free from midnight in New York (05:00 UTC), with no write at all.
    "a pause ended by time": Case(asks=(BERLIN, SYDNEY),
                                  setup=lambda s: add_pause(session=s, workspace=WORKSPACE, user_id=NY,
                                                            starts_on=date(2026, 11, 1), until_on=date(2026, 11, 5),
                                                            now=MONDAY),
                                  due_at=datetime(2026, 11, 6, 5, 1, tzinfo=UTC)),
    "an ask undone": Case(change=_drop_ask(NY)),
    "a raised minimum": Case(change=_raise_minimum, owed={NY, BERLIN, SYDNEY}),
    "a retry coming due": Case(asks=(BERLIN, SYDNEY),
                               setup=_ledger("failed", retry_at=THURSDAY_EVENING + timedelta(minutes=10)),
                               due_at=THURSDAY_EVENING + timedelta(minutes=11)),
    # Another process held New York's claim until tomorrow, and hands it back at shutdown (release_claims).
    "a claim released": Case(asks=(BERLIN, SYDNEY),
                             setup=_ledger("claimed", lease_until=THURSDAY_EVENING + timedelta(days=1)),
                             change=lambda s: s.execute(sa.update(Delivery).values(
                                 status="failed", next_attempt_at=THURSDAY_EVENING, lease_until=None))),
    "a skip withdrawn": Case(asks=(BERLIN, SYDNEY), setup=_ledger("skipped"),
                             change=lambda s: s.execute(sa.delete(Delivery))),
    # New York's 14:00 comes at 19:00 UTC, with no write.
    "the slot coming": Case(asks=(BERLIN, SYDNEY), quiet_at=datetime(2026, 11, 5, 18, 0, tzinfo=UTC),
                            due_at=datetime(2026, 11, 5, 19, 0, tzinfo=UTC)),
    "the slot moved earlier": Case(asks=(BERLIN, SYDNEY), quiet_at=datetime(2026, 11, 4, 20, 0, tzinfo=UTC),
                                   change=_move_slot, due_at=datetime(2026, 11, 4, 20, 5, tzinfo=UTC)),
    # Asks of last week count for nothing in the next: everyone is owed next Thursday.
    "a new week": Case(quiet_at=datetime(2026, 11, 8, 20, 0, tzinfo=UTC),
                       due_at=datetime(2026, 11, 12, 20, 0, tzinfo=UTC), owed={NY, BERLIN, SYDNEY}),
}


def _synced(app_and_ctx) -> None:  # noqa: ANN001
    """The team's profiles from Slack first, as a tick would (a write, which would void the first proof)."""
    app, ctx = app_and_ctx
    ensure_profiles(engine=ctx.engine, client=app.client, workspace=WORKSPACE, now=MONDAY)


def _run(app_and_ctx, at: datetime) -> tuple[int, list[str]]:  # noqa: ANN001
    from bot.jobs import run_job

    app, ctx = app_and_ctx
    with counting(ctx.engine) as statements:
        report = run_job("reminder", ctx=ctx, client=app.client, now=at, pace=FAST)
    return report.sent, statements


def _skipped(statements: list[str]) -> bool:
    """The tick read no membership, profile, ask or ledger row: the proof decided."""
    return not [s for s in statements if any(t in s for t in ("team_member", "user_profile", "ask", "delivery"))]


@pytest.mark.parametrize("name", list(CASES))
def test_the_next_tick_sends_what_a_change_makes_owed(name, team, engine, app_and_ctx, fake_slack):
    case = CASES[name]
    _synced(app_and_ctx)
    _asks(engine, case.asks)
    if case.setup:
        _write(engine, case.setup)
    sent, statements = _run(app_and_ctx, case.quiet_at)
    assert sent == 0 and not _skipped(statements)  # the first tick reads everyone and proves nobody due
    sent, statements = _run(app_and_ctx, case.quiet_at + timedelta(minutes=1))
    assert sent == 0 and _skipped(statements)  # the proof holds: without the change, the nudge would wait
    if case.change:
        _write(engine, case.change)
    sent, _ = _run(app_and_ctx, case.due_at)
    assert {c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")} == case.owed
    assert sent == len(case.owed)
    for rep in case.owed:
        assert len(dms(fake_slack, rep)) == 1


def test_a_profile_write_that_changes_nothing_due_keeps_the_proof(team, engine, app_and_ctx):
    """The 6-hourly sync rewrites every profile's fetched_at: only a zone or a deactivation counts."""
    _synced(app_and_ctx)
    _asks(engine)
    _run(app_and_ctx, THURSDAY_EVENING)
    with session_scope(engine) as session:
        session.execute(sa.update(UserProfile).values(fetched_at=THURSDAY_EVENING, real_name="Renamed"))
    sent, statements = _run(app_and_ctx, THURSDAY_EVENING + timedelta(minutes=5))
    assert sent == 0 and _skipped(statements)


def test_an_ask_logged_keeps_the_proof_and_the_ask_path_writes_no_generation(team, slack, engine, app_and_ctx):
    """An ask only ever lowers what a rep still owes, so logging one through /asked (the hot path) fires no
    trigger and leaves the proof standing."""
    _synced(app_and_ctx)
    _asks(engine)
    _run(app_and_ctx, THURSDAY_EVENING)
    slack.asked("Jane Doe", user=NY)
    with session_scope(engine) as session:
        assert session.exec(select(sa.func.count()).select_from(Ask).where(Ask.rep_user_id == NY)).one() == 2
    sent, statements = _run(app_and_ctx, THURSDAY_EVENING + timedelta(minutes=5))
    assert sent == 0 and _skipped(statements)


def test_a_tick_run_at_an_earlier_instant_does_not_trust_a_later_proof(team, engine, app_and_ctx, fake_slack):
    with session_scope(engine) as session:  # everyone asked in the week of Nov 9, nobody in the week before
        for rep in (NY, BERLIN, SYDNEY):
            add_ask(session=session, workspace=WORKSPACE, rep_user_id=rep, asked_user_id=None, asked_name="Friend",
                    for_whom=None, asked_on=date(2026, 11, 10), now=MONDAY)
    _synced(app_and_ctx)
    assert _run(app_and_ctx, THURSDAY_EVENING + timedelta(days=7))[0] == 0
    # A week earlier, by hand (run-job --at), with no write between: read in full, and everyone is owed.
    assert _run(app_and_ctx, THURSDAY_EVENING)[0] == 3


def test_a_member_without_a_profile_is_synced_by_the_next_tick(team, engine, app_and_ctx, fake_slack):
    """The profile check rides on the generation too: a member added bumps it, so the next tick counts the
    members without a profile again, syncs, and nudges the newcomer in their own zone."""
    _synced(app_and_ctx)
    _asks(engine)
    _run(app_and_ctx, THURSDAY_EVENING)
    syncs = len(fake_slack.calls_to("users.list"))
    _run(app_and_ctx, THURSDAY_EVENING + timedelta(minutes=1))
    assert len(fake_slack.calls_to("users.list")) == syncs
    fake_slack.add_user("U0NEW", tz="Europe/Berlin")
    _write(engine, lambda s: add_member(session=s, team=_team(s), user_id="U0NEW", role="rep"))
    assert _run(app_and_ctx, THURSDAY_EVENING + timedelta(minutes=5))[0] == 1
    assert len(fake_slack.calls_to("users.list")) == syncs + 1
    with session_scope(engine) as session:
        assert session.exec(select(UserProfile.timezone).where(UserProfile.user_id == "U0NEW")).one() == \
            "Europe/Berlin"


def test_the_generation_migration_goes_down_and_up_again(engine):
    """0008a's triggers (a function too, on PostgreSQL) are dropped with their tables and come back."""
    from alembic import command

    from storage.migrate import alembic_config, upgrade_schema

    command.downgrade(alembic_config(engine), "0007a")
    with session_scope(engine) as session:  # a watched write with no counter table: no trigger left behind
        add_team(session=session, workspace=WORKSPACE, name="down", now=MONDAY)
    upgrade_schema(engine)
    with session_scope(engine) as session:
        add_team(session=session, workspace=WORKSPACE, name="up", now=MONDAY)
    with session_scope(engine) as session:
        assert session.exec(select(sa.text("generation")).select_from(sa.text("workspace_generation"))).one() == 1
