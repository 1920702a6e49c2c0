"""The numbers oracle: random histories through the real commands, every KPI recounted in plain Python.

Each example builds a team of six reps in six different time zones (the manager in a
seventh, sometimes), starting just before a daylight-saving change, a year end or the
ISO week 53 of 2026, with a random minimum, fiscal year, date order, number format and
currency. Reps then log asks and every funnel step through the real slash commands
(signed requests, the pinned clock), typing dates the many ways people do. A model
below, written from the README's "How the numbers are counted" and nothing else,
keeps each event's counting day in the rep's own calendar and recounts every KPI.

Then every surface is read back and compared, number by number: the /asked replies,
stats (six periods, and a manager's stats @rep), the review, the leaderboard, the Home
tab, the export's CSV files and the manager's digest sent by the real job to the fake
Slack. The test passes with zero mismatches. CI runs a few examples on SQLite;
REFERRAL_ORACLE_EXAMPLES=200 runs more.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.config import Settings
from bot.jobs import run_job
from domain.nudges import DIGEST
from storage.engine import create_db_engine
from storage.migrate import upgrade_schema
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, PinnedClock
from tests.driver import SlackDriver

EXAMPLES = int(os.environ.get("REFERRAL_ORACLE_EXAMPLES", "4"))
ZONES = ("America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata",
         "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu", "America/Sao_Paulo")
# Just before: Europe leaves summer time (Oct 25), the US does (Nov 1), the year ends inside ISO week 53
# (Mon 28 Dec 2026 - Sun 3 Jan 2027), the US springs forward (Mar 14), Europe does (Mar 28), Sydney and
# Auckland fall back (Apr 4), and a quarter ends (Jun 30).
ANCHORS = (datetime(2026, 10, 21, 9, tzinfo=UTC), datetime(2026, 10, 28, 18, tzinfo=UTC),
           datetime(2026, 12, 23, 3, tzinfo=UTC), datetime(2027, 3, 10, 12, tzinfo=UTC),
           datetime(2027, 3, 24, 22, tzinfo=UTC), datetime(2027, 4, 1, 6, tzinfo=UTC),
           datetime(2027, 6, 24, 15, tzinfo=UTC))
REPS = tuple(f"U0REP{i}" for i in range(1, 7))
MANAGER, ADMIN = "U0MGR", "U0ADMIN"
KPIS = ("asks", "referrals", "meetings_scheduled", "meetings_held", "won", "lost", "no_decision")
LABELS = {"asks": "People asked", "referrals": "Referrals received", "meetings_scheduled": "Meetings scheduled",
          "meetings_held": "Meetings held", "won": "Deals won", "lost": "Deals lost", "no_decision": "No decision"}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_db_names = itertools.count()


# --------------------------------------------------------------------------- the model (from the README)

@dataclass
class Referral:
    number: int
    introduced: date
    status: str = "introduced"
    scheduled: date | None = None  # the day the meeting was booked
    held: date | None = None
    closed: date | None = None
    amount: Decimal | None = None
    currency: str | None = None


@dataclass
class Rep:
    user_id: str
    zone: ZoneInfo
    asks: list[date] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def count(self, kpi: str, start: date, end: date) -> int:
        def within(day: date | None) -> bool:
            return day is not None and start <= day <= end

        if kpi == "asks":
            return sum(within(d) for d in self.asks)
        if kpi == "referrals":
            return sum(within(r.introduced) for r in self.referrals)
        if kpi == "meetings_scheduled":
            return sum(within(r.scheduled) for r in self.referrals)
        if kpi == "meetings_held":
            return sum(within(r.held) for r in self.referrals)
        return sum(within(r.closed) and r.status == kpi for r in self.referrals)

    def counts(self, start: date, end: date) -> dict[str, int]:
        return {kpi: self.count(kpi, start, end) for kpi in KPIS}

    def won_value(self, start: date, end: date) -> dict[str | None, Decimal]:
        totals: dict[str | None, Decimal] = {}
        for r in self.referrals:
            if r.status == "won" and r.amount is not None and start <= r.closed <= end:
                totals[r.currency] = totals.get(r.currency, Decimal(0)) + r.amount
        return totals


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1
    return _month_start(index), _month_start(index + 1) - timedelta(days=1)


def quarter_of(day: date, fiscal_start: int) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1
    index -= (day.month - fiscal_start) % 12 % 3
    return _month_start(index), _month_start(index + 3) - timedelta(days=1)


def quarter_name(day: date, fiscal_start: int) -> str:
    """``2026-Q3``: the quarter's number in its fiscal year, which is named by the calendar year it ends in."""
    number = (day.month - fiscal_start) % 12 // 3 + 1
    year = day.year + (1 if fiscal_start != 1 and day.month >= fiscal_start else 0)
    return f"{year}-Q{number}"


def span(kind: str, today: date, fiscal_start: int) -> tuple[date, date]:
    """The README's periods: weeks Monday to Sunday, calendar months, (fiscal) quarters; "last X" the one before;
    a named quarter (2026-Q3) or month (2026-10)."""
    named = re.fullmatch(r"(\d{4})-(Q\d|\d\d)", kind)
    if named and named.group(2).startswith("Q"):
        day = today
        while quarter_name(day, fiscal_start) != kind:  # walk back to it, a quarter at a time
            day = quarter_of(day, fiscal_start)[0] - timedelta(days=1)
        return quarter_of(day, fiscal_start)
    if named:
        return month_of(date(int(named.group(1)), int(named.group(2)), 1))
    last = kind.startswith("last ")
    kind = kind.removeprefix("last ")
    pick = {"week": week_of, "month": month_of, "quarter": lambda d: quarter_of(d, fiscal_start)}[kind]
    start, end = pick(today)
    return pick(start - timedelta(days=1)) if last else (start, end)


def before(kind: str, today: date, fiscal_start: int) -> tuple[date, date]:
    start, _ = span(kind, today, fiscal_start)
    if re.fullmatch(r"\d{4}-Q\d", kind):
        return quarter_of(start - timedelta(days=1), fiscal_start)
    if re.fullmatch(r"\d{4}-\d\d", kind):
        return month_of(start - timedelta(days=1))
    return span(kind.removeprefix("last "), start - timedelta(days=1), fiscal_start)


# --------------------------------------------------------------------------- typing dates and amounts

def typed_date(draw, day: date, today: date, date_order: str) -> str:  # noqa: ANN001
    """One way a rep might type ``day`` (at most six days back), read back by the model as exactly ``day``."""
    back = (today - day).days
    forms = ["iso", "weekday", "month day", "day month", "slash"]
    if back == 0:
        forms += ["none", "today"]
    if back == 1:
        forms.append("yesterday")
    if back >= 1:
        forms.append("last weekday")
    form = draw(st.sampled_from(forms))
    text = {
        "none": "", "today": "today", "yesterday": "yesterday", "iso": day.isoformat(),
        "weekday": f"{day:%A}".lower(), "last weekday": f"last {day:%a}",
        "month day": f"{day:%b} {day.day}", "day month": f"{day.day} {day:%B}",
        "slash": f"{day.month}/{day.day}" if date_order == "MDY" else f"{day.day}/{day.month}",
    }[form]
    return f"on {text}" if text and draw(st.booleans()) else text


# What a rep types after "won <n>": (text, amount, currency or None for the workspace's default)
AMOUNTS = (("", None, None), ("12000", Decimal("12000"), None), ("$1,200.50", Decimal("1200.50"), "USD"),
           ("€3.500,25", Decimal("3500.25"), "EUR"), ("EUR 2k", Decimal("2000"), "EUR"),
           ("GBP 1.5M", Decimal("1500000"), "GBP"), ("¥90000", Decimal("90000"), "JPY"), ("7.5k", Decimal("7500"), None))


# --------------------------------------------------------------------------- reading the surfaces

def _text(payload: dict) -> str:
    """Every string a person can read in a reply, view or message."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload.get("blocks", []))
    return "\n".join(found)


def _row_numbers(text: str, label: str) -> list[int]:
    match = re.search(rf"^{re.escape(label)}: (.*)$", text, re.MULTILINE)
    assert match, (label, text)
    return [int(n) for n in re.findall(r"\*(\d+)\*", match.group(1))]


def _stats_row(text: str, label: str) -> list[int]:
    """``People asked: *3*  (before: 1, ▲ 2)`` -> [3, 1]."""
    match = re.search(rf"^{re.escape(label)}: \*(\d+)\*  \(before: (\d+)", text, re.MULTILINE)
    assert match, (label, text)
    return [int(match.group(1)), int(match.group(2))]


def _money(totals: dict[str | None, Decimal]) -> str:
    ordered = sorted(((c, a) for c, a in totals.items() if a is not None), key=lambda i: (i[0] is None, i[0] or ""))
    return " + ".join(f"{a:,.2f} {c}" if c else f"{a:,.2f}" for c, a in ordered)


class Oracle:
    def __init__(self, data, fake_slack, tmp_path):  # noqa: ANN001
        self.draw = data.draw
        self.fake = fake_slack
        self.mismatches: list[str] = []
        url = f"sqlite:///{tmp_path}/oracle{next(_db_names)}.db"
        self.engine = create_db_engine(url)
        upgrade_schema(self.engine)
        start = self.draw(st.sampled_from(ANCHORS)) + timedelta(hours=self.draw(st.integers(0, 47)))
        self.clock = PinnedClock(start)
        app_settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                slack_api_url=fake_slack.api_url, database_url=url, default_timezone="UTC")
        self.app, self.ctx = create_app(app_settings, engine=self.engine, clock=self.clock,
                                        process_before_response=True)
        self.slack = SlackDriver(self.app, fake_slack, SIGNING_SECRET, self.ctx)
        zones = self.draw(st.permutations(ZONES))
        self.reps = {uid: Rep(uid, ZoneInfo(zone)) for uid, zone in zip(REPS, zones, strict=False)}
        self.manager_zone = ZoneInfo(self.draw(st.sampled_from(ZONES + ("America/Chicago",))))
        for rep in self.reps.values():
            fake_slack.add_user(rep.user_id, tz=rep.zone.key)
        fake_slack.add_user(MANAGER, tz=self.manager_zone.key)
        fake_slack.add_user(ADMIN, tz="UTC", is_admin=True)
        self.minimum = self.draw(st.integers(1, 3))
        self.fiscal_start = self.draw(st.sampled_from((1, 1, 2, 4, 7, 10)))
        self.date_order = self.draw(st.sampled_from(("MDY", "DMY")))
        self.currency = self.draw(st.sampled_from((None, "USD", "EUR")))
        mentions = " ".join(f"<@{uid}|{uid.lower()}>" for uid in self.reps)
        setup = ["team create east", f"team add east {mentions}", f"team manager east <@{MANAGER}|mgr>",
                 f"team set east minimum {self.minimum}", f"team fiscal-year {MONTHS[self.fiscal_start - 1]}",
                 f"settings dates {'month-first' if self.date_order == 'MDY' else 'day-first'}",
                 f"settings numbers {self.draw(st.sampled_from(('1,234.56', '1.234,56')))}"]
        if self.currency:
            setup.append(f"settings currency {self.currency}")
        for text in setup:
            reply = _text(self.slack.referral(text, user=ADMIN))
            assert ":warning:" not in reply, (text, reply)
        self.serial = itertools.count(1)

    def mismatch(self, where: str, expected: object, found: object) -> None:
        if expected != found:
            self.mismatches.append(f"{where}: expected {expected!r}, found {found!r}")

    # ---- the history

    def step(self) -> None:
        self.clock.advance(hours=self.draw(st.integers(0, 40)), minutes=self.draw(st.integers(0, 59)))
        rep = self.reps[self.draw(st.sampled_from(REPS))]
        today = rep.today(self.clock.now)
        eligible = {
            "meeting": [r for r in rep.referrals if r.status in ("introduced", "meeting_scheduled")],
            "met": [r for r in rep.referrals if r.status in ("introduced", "meeting_scheduled")],
            "close": [r for r in rep.referrals if r.status not in ("won", "lost", "no_decision")],
        }
        kinds = ["ask", "ask", "ask", "got", "got"] + [k for k, rs in eligible.items() if rs for _ in (0, 1)]
        kind = self.draw(st.sampled_from(kinds))
        day = today - timedelta(days=self.draw(st.integers(0, 3)))
        when = typed_date(self.draw, day, today, self.date_order)
        n = next(self.serial)
        if kind == "ask":
            typed = f"Person{n} {when}".strip()
            reply = self.slack.asked(typed, user=rep.user_id)
            rep.asks.append(day)
            week = week_of(today)
            asks = rep.count("asks", *week)
            found = re.search(r"\d+ asks? this week \(minimum \d+\)", _text(reply))
            self.mismatch(f"/asked {typed!r} reply of {rep.user_id} at {self.clock.now}",
                          f"{asks} ask{'s' if asks != 1 else ''} this week (minimum {self.minimum})",
                          found.group() if found else _text(reply)[:200])
            self.mismatch("/asked echoes the date", True, f"{day:%a} {day.day} {day:%b}" in reply.get("text", ""))
        elif kind == "got":
            typed = f"got Prospect{n} from Referrer{n} {when}".strip()
            reply = _text(self.slack.referral(typed, user=rep.user_id))
            rep.referrals.append(Referral(len(rep.referrals) + 1, day))
            self.mismatch(f"{typed!r} echoes the date {day} ({reply[:150]!r})", True, f"{day:%a} {day.day} {day:%b}" in reply)
        else:
            referral = self.draw(st.sampled_from(eligible[kind]))
            self._advance(rep, referral, kind, day, when, today)

    def _advance(self, rep: Rep, referral: Referral, kind: str, day: date, when: str, today: date) -> None:
        number = referral.number
        if kind == "meeting":
            booked = self.draw(st.booleans())
            text = f"meeting {number} {self.draw(st.sampled_from(['', 'friday', 'next tuesday', 'tomorrow']))}"
            if booked:
                text += f" booked {when or 'today'}"
            refused = booked and day < referral.introduced
            self.last_text = " ".join(text.split())
            reply = _text(self.slack.referral(self.last_text, user=rep.user_id))
            if not refused:
                referral.scheduled = day if booked else (referral.scheduled or today)
                referral.status = "meeting_scheduled"
        elif kind == "met":
            refused = day < referral.introduced
            self.last_text = f"met {number} {when}".strip()
            reply = _text(self.slack.referral(self.last_text, user=rep.user_id))
            if not refused:
                referral.scheduled = referral.scheduled or day
                referral.held, referral.status = day, "meeting_held"
        else:
            outcome = self.draw(st.sampled_from(("won", "lost", "nodecision")))
            typed, amount, currency = self.draw(st.sampled_from(AMOUNTS)) if outcome == "won" else ("", None, None)
            reason = self.draw(st.sampled_from(("", "price", "went elsewhere"))) if outcome != "won" else ""
            refused = day < referral.introduced
            self.last_text = " ".join(f"{outcome} {number} {typed} {reason} {when}".split())
            reply = _text(self.slack.referral(self.last_text, user=rep.user_id))
            if not refused:
                referral.status = "no_decision" if outcome == "nodecision" else outcome
                referral.closed = day
                if outcome == "won":
                    referral.amount = amount
                    referral.currency = (currency or self.currency) if amount is not None else None
        self.mismatch(f"{kind} #{number} of {rep.user_id} refused ({self.last_text!r} -> {reply[:160]!r})", refused,
                      ":warning:" in reply)

    # ---- the surfaces

    def check_stats(self) -> None:
        for rep in self.reps.values():
            today = rep.today(self.clock.now)
            earlier = today - timedelta(days=self.draw(st.integers(0, 120)))
            for period in ("week", "month", "quarter", "last week", "last month", "last quarter",
                           quarter_name(earlier, self.fiscal_start), f"{earlier:%Y-%m}"):
                text = _text(self.slack.referral(f"stats {period}", user=rep.user_id))
                now, then = span(period, today, self.fiscal_start), before(period, today, self.fiscal_start)
                for kpi in KPIS:
                    self.mismatch(f"stats {period} {kpi} of {rep.user_id}",
                                  [rep.count(kpi, *now), rep.count(kpi, *then)], _stats_row(text, LABELS[kpi]))
                value = _money(rep.won_value(*now))
                self.mismatch(f"stats {period} won value of {rep.user_id}", value,
                              (re.search(r"Won value: \*(.*)\*", text) or [None, ""])[1])
            managers_view = _text(self.slack.referral(f"stats week <@{rep.user_id}|x>", user=MANAGER))
            self.mismatch(f"stats @{rep.user_id} says whose", True, f"<@{rep.user_id}>'s numbers" in managers_view)
            for kpi in KPIS:
                self.mismatch(f"manager's stats week {kpi} of {rep.user_id} (the rep's calendar)",
                              [rep.count(kpi, *span("week", today, self.fiscal_start)),
                               rep.count(kpi, *before("week", today, self.fiscal_start))],
                              _stats_row(managers_view, LABELS[kpi]))

    def check_review(self) -> None:
        text = _text(self.slack.referral("review", user=MANAGER))
        today = self.clock.now.astimezone(self.manager_zone).date()
        spans = {"This month": month_of(today), "This quarter": quarter_of(today, self.fiscal_start),
                 "All time": (date(2000, 1, 1), date(9999, 12, 31))}
        for label, (start, end) in spans.items():
            expected = [sum(r.count(kpi, start, end) for r in self.reps.values()) for kpi in ("won", "lost", "no_decision")]
            self.mismatch(f"review {label}", expected, _row_numbers(text, label)[:3])

    def check_leaderboard(self) -> None:
        for rep in self.reps.values():
            start, end = week_of(rep.today(self.clock.now))
            text = _text(self.slack.referral("leaderboard week", user=rep.user_id))
            found = {(uid, int(a), int(r)) for uid, a, r in
                     re.findall(r"<@(\w+)>: (\d+) asks? · (\d+) referrals?", text)}
            expected = {(o.user_id, o.count("asks", start, end), o.count("referrals", start, end))
                        for o in self.reps.values()} - {(uid, 0, 0) for uid in self.reps}
            self.mismatch(f"leaderboard week seen by {rep.user_id}", expected, found)

    def check_home(self) -> None:
        for rep in self.reps.values():
            today = rep.today(self.clock.now)
            text = _text(self.slack.open_home(user=rep.user_id))
            spans = [span(kind, today, self.fiscal_start) for kind in ("week", "month", "quarter")]
            for kpi in KPIS:
                self.mismatch(f"Home {kpi} of {rep.user_id}", [rep.count(kpi, *s) for s in spans],
                              _row_numbers(text, LABELS[kpi]))

    def check_export(self) -> None:
        self.fake.clear()
        self.slack.referral("export", user=ADMIN)
        [upload] = self.fake.calls_to("files.completeUploadExternal")
        files = {f["title"]: self.fake.uploaded(f["id"]).decode() for f in upload.params["files"]}
        asks = sorted((row["rep"], row["date"]) for row in csv.DictReader(io.StringIO(files["Asks"])))
        self.mismatch("export asks", sorted((r.user_id, d.isoformat()) for r in self.reps.values() for d in r.asks),
                      asks)
        found = sorted((row["rep"], int(row["number"]), row["status"], row["introduced_on"], row["meeting_held_on"],
                        row["closed_on"], row["amount"], row["currency"])
                       for row in csv.DictReader(io.StringIO(files["Referrals"])))
        expected = sorted((r.user_id, f.number, f.status, f.introduced.isoformat(),
                           f.held.isoformat() if f.held else "", f.closed.isoformat() if f.closed else "",
                           str(f.amount.quantize(Decimal("0.01"))) if f.amount is not None else "", f.currency or "")
                          for r in self.reps.values() for f in r.referrals)
        self.mismatch("export referrals", expected, found)

    def check_digest(self) -> None:
        """The digest goes out on Monday 08:00 in the manager's zone: move the clock to the next one and run the job."""
        local = self.clock.now.astimezone(self.manager_zone)
        monday = local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7)
        at = datetime(monday.year, monday.month, monday.day, 8, 10, tzinfo=self.manager_zone)
        self.clock.set(at.astimezone(UTC))
        self.fake.clear()
        run_job(DIGEST, ctx=self.ctx, client=self.app.client, now=self.clock.now)
        posts = [c for c in self.fake.calls_to("chat.postMessage") if c.params.get("channel") == MANAGER]
        blocks = [b for post in posts for b in (json.loads(post.params["blocks"])
                                                 if isinstance(post.params["blocks"], str) else post.params["blocks"])]
        text = _text({"blocks": blocks})
        start, end = monday - timedelta(days=7), monday - timedelta(days=1)
        self.mismatch("digest header names the week", True,
                      f"Week of Mon {start.day} {start:%b} – Sun {end.day} {end:%b}" in text)
        lines = {}
        for match in re.finditer(r"<@(\w+)>[^\n]*\nAsked (\d+) · Referrals (\d+) · Meetings (\d+)/(\d+) · "
                                 r"Won (\d+) · Lost (\d+) · No decision (\d+)", text):
            lines[match.group(1)] = [int(n) for n in match.groups()[1:]]
        expected_lines = {uid: [r.count(k, start, end) for k in KPIS] for uid, r in self.reps.items()}
        self.mismatch("digest rep lines", expected_lines, lines)
        totals = re.search(r"\*Team, last week\*\n(.*)", text)
        found = [int(n) for n in re.findall(r": \*(\d+)\*", totals.group(1))] if totals else None
        self.mismatch("digest last-week totals = the sum of the lines",
                      [sum(line[i] for line in expected_lines.values()) for i in range(len(KPIS))], found)


# No shrinking: an example is a whole history, and the mismatch list already says what differs.
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_every_surface_agrees_with_an_independent_recount(data, fake_slack, tmp_path):
    oracle = Oracle(data, fake_slack, tmp_path)
    try:
        for _ in range(data.draw(st.integers(8, 30), label="steps")):
            oracle.step()
        oracle.check_stats()
        oracle.check_review()
        oracle.check_leaderboard()
        oracle.check_home()
        oracle.check_export()
        oracle.check_digest()
    finally:
        oracle.engine.dispose()
    assert not oracle.mismatches, f"{len(oracle.mismatches)} mismatches:\n" + "\n".join(oracle.mismatches[:25])
