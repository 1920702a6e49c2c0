"""The grammar of the referral-habit verbs of ``/referral``: client, connectors, preview, leaderboard modes,
and the team settings they add.

``parse_habit_command`` is tried before the main verb table: it returns None for any text that
is not one of these verbs, so the rest of ``/referral`` is untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.dates import parse_iso_date
from domain.leaderboard_modes import LEADERBOARD_MODES
from domain.parsing import CommandError, Person, parse_person, plain_text
from domain.periods import PERIOD_FORMS, period_name

CLIENT_USAGE = "/referral client <name> [YYYY-MM-DD]"
CONNECTORS_USAGE = "/referral connectors"
PREVIEW_USAGE = ("/referral preview [<team>]\n/referral preview note @rep <one line for their nudge>\n"
                 "/referral preview skip @rep <reason>")
LEADERBOARD_USAGE = f"/referral leaderboard [{PERIOD_FORMS}] [{'|'.join(LEADERBOARD_MODES)}]"
HABIT_SET_USAGE = (f"/referral team set <name> leaderboard-mode {'|'.join(LEADERBOARD_MODES)} | "
                   "connector-threshold <n> | client-followup <days>")
NOTE_LIMIT = 150
MAX_FOLLOWUP_DAYS = 365
MAX_THRESHOLD = 50

# (usage, description) rows added to /referral help.
HABIT_VERBS_HELP: tuple[tuple[str, str], ...] = (
    (CLIENT_USAGE, "A client won outside the referral funnel: in a month, ask them who they know"),
    (CONNECTORS_USAGE, "Managers: your teams' top referral sources, and who is asked too often"),
    ("/referral preview [<team>]", "Managers: who this week's reminder will nudge, and why"),
    ("/referral preview note|skip @rep …", "Managers: add a line to a rep's nudge, or skip it this week"),
    (LEADERBOARD_USAGE, "Your team's board, in its mode or the one you name"),
    (HABIT_SET_USAGE, "Admins: the team's leaderboard mode, connector heads-up and client follow-up"),
)


class HabitVerb:
    """What every command below is, so that a listener can route them all with one pattern."""


@dataclass(frozen=True)
class AddClient(HabitVerb):
    name: str
    won_on: date


@dataclass(frozen=True)
class ShowConnectors(HabitVerb):
    pass


@dataclass(frozen=True)
class ShowPreview(HabitVerb):
    team: str | None


@dataclass(frozen=True)
class AddNudgeNote(HabitVerb):
    rep_user_id: str
    note: str


@dataclass(frozen=True)
class SkipNudge(HabitVerb):
    rep_user_id: str
    reason: str


@dataclass(frozen=True)
class ShowModeLeaderboard(HabitVerb):
    period: str
    mode: str | None  # None: the team's own mode


@dataclass(frozen=True)
class SetHabitSetting(HabitVerb):
    team: str
    setting: str  # "leaderboard_mode", "connector_threshold" or "client_followup_days"
    value: str | int


HabitCommand = AddClient | ShowConnectors | ShowPreview | AddNudgeNote | SkipNudge | ShowModeLeaderboard \
    | SetHabitSetting
HABIT_SETTINGS = {"leaderboard-mode": "leaderboard_mode", "connector-threshold": "connector_threshold",
                  "client-followup": "client_followup_days"}


def parse_habit_command(text: str, *, today: date) -> HabitCommand | None:
    """One of the habit verbs, or None when the text is some other /referral command."""
    words = text.strip().split(None, 1)
    if not words:
        return None
    verb, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if verb == "client":
        return _client(rest, today=today)
    if verb == "connectors":
        if rest.strip():
            raise CommandError("`connectors` takes nothing after it.", usage=CONNECTORS_USAGE)
        return ShowConnectors()
    if verb == "preview":
        return _preview(rest)
    if verb in ("leaderboard", "board"):
        return _leaderboard(rest)
    if verb == "team":
        return _team_set(rest)
    return None


def _client(rest: str, *, today: date) -> AddClient:
    words = plain_text(rest).split()
    won_on = today
    if words and parse_iso_date(words[-1]) is not None:
        won_on = parse_iso_date(words.pop()) or today
        if won_on > today or (today - won_on).days > MAX_FOLLOWUP_DAYS:
            raise CommandError("Give the day it was won: today or within the last year, as YYYY-MM-DD.",
                               usage=CLIENT_USAGE)
    name = " ".join(words)
    if not name:
        raise CommandError("Which client? Give its name, e.g. client Acme Corp.", usage=CLIENT_USAGE)
    if len(name) > 200:
        raise CommandError("That client name is too long (200 characters at most).", usage=CLIENT_USAGE)
    return AddClient(name, won_on)


def _preview(rest: str) -> ShowPreview | AddNudgeNote | SkipNudge:
    words = rest.strip().split(None, 2)
    if not words:
        return ShowPreview(None)
    action = words[0].lower()
    if action not in ("note", "skip"):
        if len(words) > 1:
            raise CommandError("Say preview, preview <team>, preview note @rep …, or preview skip @rep ….",
                               usage=PREVIEW_USAGE)
        return ShowPreview(plain_text(words[0]))
    rep: Person | None = parse_person(words[1], usage=PREVIEW_USAGE) if len(words) > 1 else None
    if rep is None or rep.user_id is None:
        raise CommandError("Pick the rep with an @mention.", usage=PREVIEW_USAGE)
    line = " ".join(plain_text(words[2]).split()) if len(words) > 2 else ""
    if not line:
        what = "the note for their nudge" if action == "note" else "why you skip them this week"
        raise CommandError(f"Add {what} after the @mention.", usage=PREVIEW_USAGE)
    if len(line) > NOTE_LIMIT:
        raise CommandError(f"Keep it to one line of {NOTE_LIMIT} characters.", usage=PREVIEW_USAGE)
    return AddNudgeNote(rep.user_id, line) if action == "note" else SkipNudge(rep.user_id, line)


def _leaderboard(rest: str) -> ShowModeLeaderboard:
    """``leaderboard [period] [mode]``: the period is any one ``stats`` takes (``last month``, ``2026-Q3``)."""
    words = plain_text(rest).lower().split()
    modes = [w for w in words if w in LEADERBOARD_MODES]
    phrase = " ".join(w for w in words if w not in LEADERBOARD_MODES)
    period = period_name(phrase) if phrase else "week"
    if len(modes) > 1 or period is None:
        raise CommandError(f"Choose a period ({PERIOD_FORMS.replace('|', ', ')}) and/or a mode "
                           f"({', '.join(LEADERBOARD_MODES)}).", usage=LEADERBOARD_USAGE)
    return ShowModeLeaderboard(period, modes[0] if modes else None)


def _team_set(rest: str) -> SetHabitSetting | None:
    """Only ``team set <name> <habit setting> …``; every other team command belongs to the team grammar."""
    words = plain_text(rest).split()
    if len(words) < 3 or words[0].lower() != "set" or words[2].lower() not in HABIT_SETTINGS:
        return None
    team, setting, values = words[1], HABIT_SETTINGS[words[2].lower()], [w.lower() for w in words[3:]]
    if setting == "leaderboard_mode":
        if len(values) != 1 or values[0] not in LEADERBOARD_MODES:
            raise CommandError(f"Choose one mode: {', '.join(LEADERBOARD_MODES)}.", usage=HABIT_SET_USAGE)
        return SetHabitSetting(team, setting, values[0])
    limit = MAX_THRESHOLD if setting == "connector_threshold" else MAX_FOLLOWUP_DAYS
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit() or not 1 <= int(values[0][:4]) <= limit:
        what = "asks in 90 days" if setting == "connector_threshold" else "days after the win"
        raise CommandError(f"Give a whole number of {what}, from 1 to {limit}.", usage=HABIT_SET_USAGE)
    return SetHabitSetting(team, setting, int(values[0]))
