"""``referral-bot demo``: the product in ten seconds, without a Slack app.

It builds a throwaway SQLite database with a sample team (six reps in five time
zones and their manager) and twelve weeks of activity, logged through the same
services the Slack listeners use, then prints what the rep reminder, the
manager digest, the leaderboard and the plan say, and writes the trend chart.
The sample is seeded, so a run on the same day always tells the same story.
"""
from __future__ import annotations

import random
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.funnel import Workspace
from domain.parsing import (
    AskEntry,
    CloseLost,
    CloseNoDecision,
    CloseWon,
    GotReferral,
    MeetingHeld,
    PlanClients,
    RefQuery,
    ScheduleMeeting,
    Thanked,
)
from domain.parsing import Person as Named
from domain.periods import local_today, period_containing, previous_period
from domain.team_commands import AddManagers, AddReps, CreateTeam
from services import asks as ask_service
from services import plans as plan_service
from services import referrals as referral_service
from services.charts import weekly_trend
from services.nudges import digest_content, leaderboard_content, load_teams, reminder_content
from services.people import Person
from services.teams import manage_team
from storage.engine import create_db_engine, session_scope
from storage.migrate import upgrade_schema
from views import chart, replies
from views import nudges as nudge_views
from views.terminal import as_text

WORKSPACE = Workspace("TDEMO")
REPS = {  # user ID: (name, zone, asks a week on average)
    "UANA": ("Ana", "America/New_York", 2.2), "UBEN": ("Ben", "Europe/London", 0.6),
    "UCHLOE": ("Chloe", "America/Chicago", 1.6), "UDEV": ("Dev", "Asia/Kolkata", 1.2),
    "UEMMA": ("Emma", "Europe/Berlin", 1.8), "UFEMI": ("Femi", "America/New_York", 1.0),
}
MANAGER = ("UMAYA", "Maya", "America/New_York")
CONTACTS = ["Priya Shah", "Tom Becker", "Lena Vogel", "Omar Haddad", "Grace Kim", "Luis Ortega", "Nina Petrova",
            "Sam O'Neil", "Yuki Tanaka", "Carlos Mendes", "Ruth Adler", "Ivan Novak"]
PROSPECTS = ["CFO at Northwind", "VP Sales at Globex", "COO at Initech", "Head of IT at Umbrella", "CEO at Hooli",
             "CTO at Stark Labs", "Finance lead at Wayne Corp", "Ops director at Acme"]
WEEKS = 12


def run_demo(*, chart_path: str | None = None, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="referral-demo-"))
    engine = create_db_engine(f"sqlite:///{workdir / 'demo.db'}")
    upgrade_schema(engine)
    names = {uid: name for uid, (name, _, _) in REPS.items()} | {MANAGER[0]: MANAGER[1]}
    people = {uid: Person(uid, ZoneInfo(zone), False) for uid, (_, zone, _) in REPS.items()}
    manager = Person(MANAGER[0], ZoneInfo(MANAGER[2]), False)
    admin = Person("UADMIN", ZoneInfo("UTC"), True)
    for command in (CreateTeam("sales"), AddReps("sales", tuple(REPS)), AddManagers("sales", (MANAGER[0],))):
        manage_team(engine=engine, workspace=WORKSPACE, actor=admin, command=command, now=now)
    _fill(engine, people, now, random.Random(7))

    print(f"Referral Nudge demo: a sample team of {len(REPS)} reps and their manager, {WEEKS} weeks of activity.")
    print(f"(A throwaway database in {workdir}; nothing here touches Slack.)\n")
    ben = people["UBEN"]
    reminder = reminder_content(engine=engine, workspace=WORKSPACE, rep=ben, minimum=1, now=now)
    _show("The reminder Ben gets when his week runs out and he has asked nobody yet",
          as_text(nudge_views.reminder_message(reminder, local_today(now, ben.timezone)), names) if reminder
          else "(Ben already asked this week, so no reminder.)")
    team = next(t for t in load_teams(engine=engine, workspace=WORKSPACE) if t.name == "sales")
    digest = digest_content(engine=engine, workspace=WORKSPACE, team=team, manager=manager, reps=people, now=now)
    _show("Maya's Monday digest", "\n\n".join(as_text(m, names) for m in nudge_views.digest_messages(digest)))
    last_week = previous_period(period_containing("week", local_today(now, manager.timezone)))
    board = leaderboard_content(engine=engine, workspace=WORKSPACE, team=team, reps=people, period=last_week, now=now)
    _show("The leaderboard posted in #sales", as_text(nudge_views.leaderboard_message(board), names))
    plan, minimum = plan_service.plan_clients(engine=engine, workspace=WORKSPACE, rep=people["UANA"],
                                              command=PlanClients(10, None), now=now)
    _show("Ana asks: /referral plan 10", as_text(replies.plan_reply(plan, minimum), names))
    points = weekly_trend(engine=engine, workspace=WORKSPACE, rep_user_ids=list(REPS), last_week_start=last_week.start)
    path = Path(chart_path) if chart_path else workdir / "referral-trend.png"
    path.write_bytes(chart.trend_chart_png(points))
    print(f"The 12-week trend chart from the digest is at {path}")
    engine.dispose()
    return 0


def _show(title: str, body: str) -> None:
    print(f"=== {title} ===\n{body}\n")


def _fill(engine, people: dict[str, Person], now: datetime, rng: random.Random) -> None:  # noqa: ANN001
    """Twelve weeks of asks, each with a chance of an introduction, a meeting and a close."""
    for uid, person in people.items():
        rate = REPS[uid][2]
        today = local_today(now, person.timezone)
        this_week = period_containing("week", today).start
        for back in range(WEEKS, -1, -1):
            week = this_week - timedelta(weeks=back)
            count = sum(rng.random() < rate / 3 for _ in range(3)) if uid != "UBEN" or back else 0
            for _ in range(count):
                day = week + timedelta(days=rng.randrange(5))
                if day > today:
                    continue
                _one_ask(engine, person, day, today, rng)


def _at(person: Person, day: date) -> datetime:
    return datetime.combine(day, time(11, 0), tzinfo=person.timezone).astimezone(UTC)


def _one_ask(engine, person: Person, day: date, today: date, rng: random.Random) -> None:  # noqa: ANN001
    contact = rng.choice(CONTACTS)
    prospect = rng.choice(PROSPECTS)
    with session_scope(engine) as session:  # one story, one transaction
        _one_story(session, person, contact, prospect, day, today, rng)


def _one_story(session, person: Person, contact: str, prospect: str, day: date, today: date,  # noqa: ANN001
               rng: random.Random) -> None:
    services = dict(session=session, workspace=WORKSPACE, rep=person)
    ask_service.log_asks(**services, entries=(AskEntry(Named(None, contact), prospect, day),), now=_at(person, day))
    introduced = day + timedelta(days=rng.randrange(1, 5))
    if rng.random() > 0.5 or introduced > today:
        return
    logged = referral_service.log_referral(**services, command=GotReferral(f"{prospect.split(' at ')[0]} "
                                                                          f"({prospect.split(' at ')[1]})",
                                                                          Named(None, contact), introduced),
                                           now=_at(person, introduced))
    ref = RefQuery(logged.referral.number, None)
    if rng.random() < 0.6:  # most reps thank the referrer within a few days
        referral_service.advance_referral(**services, command=Thanked(ref), now=_at(person, introduced))
    meeting = introduced + timedelta(days=rng.randrange(2, 9))
    if rng.random() < 0.7:
        referral_service.advance_referral(**services, command=ScheduleMeeting(ref, meeting), now=_at(person, introduced))
    if rng.random() < 0.7 and meeting <= today:
        referral_service.advance_referral(**services, command=MeetingHeld(ref, meeting), now=_at(person, meeting))
        if rng.random() < 0.75:
            referral_service.advance_referral(**services, command=Thanked(ref), now=_at(person, meeting))
        closed = meeting + timedelta(days=rng.randrange(3, 20))
        if closed <= today:
            pick = rng.random()
            command = CloseWon(ref, Decimal(rng.randrange(8, 60) * 1000)) if pick < 0.45 else \
                CloseLost(ref, rng.choice(["went with a competitor", "price", "bad timing"])) if pick < 0.75 else \
                CloseNoDecision(ref, "budget frozen")
            referral_service.advance_referral(**services, command=command, now=_at(person, closed))
