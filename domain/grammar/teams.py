"""The ``/referral team …`` grammar: every team subcommand names its team as one word first."""
from __future__ import annotations

import re
from datetime import date

from domain.grammar.people import parse_mentions
from domain.grammar.text import CommandError, echo, strip_controls
from domain.schedule import parse_slot
from domain.team_commands import (
    AddManagers,
    AddReps,
    CreateTeam,
    RemoveMember,
    SetChannel,
    SetFiscalYear,
    SetMinimum,
    SetSlot,
    SetTimezone,
    ShowTeams,
    TeamCommand,
)

_TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^<>]*)?>", re.ASCII)
TEAM_USAGES = {
    "create": "/referral team create <name>",
    "add": "/referral team add <name> @rep …",
    "remove": "/referral team remove <name> @person …",
    "manager": "/referral team manager <name> @manager …",
    "channel": "/referral team channel <name> #channel",
    "set": "/referral team set <name> minimum <n> | reminder <weekday> <HH:MM> | digest <weekday> <HH:MM> | "
           "leaderboard <weekday> <HH:MM>|off | timezone <IANA zone>",
    "show": "/referral team show [<name>]",
    "fiscal-year": "/referral team fiscal-year <month>  (workspace-wide; january means calendar quarters)",
}
TEAM_USAGE = "\n".join(TEAM_USAGES.values())


def _team_name(word: str, usage: str) -> str:
    if not _TEAM_NAME.fullmatch(word or ""):
        raise CommandError("Team names are one word of letters, digits, - or _ (up to 40), e.g. east-coast.",
                           usage=usage)
    return word


def parse_team(rest: str, *, today: date, usage: str) -> TeamCommand:
    """``team <sub> <name> …``: every team subcommand names its team as one word first."""
    text = strip_controls(rest)
    first = text.split(maxsplit=1)  # an unknown subcommand is refused before the rest is split into words
    if not first or first[0].lower() not in TEAM_USAGES:
        raise CommandError("Which team command? " + ", ".join(TEAM_USAGES) + ".", usage=TEAM_USAGE)
    words = text.split()
    sub, args = words[0].lower(), words[1:]
    usage = TEAM_USAGES[sub]
    if sub == "show":
        return ShowTeams(_team_name(args[0], usage) if args else None)
    if sub == "fiscal-year":
        return SetFiscalYear(_month(args, usage))
    if not args:
        raise CommandError("Name the team.", usage=usage)
    name, more = _team_name(args[0], usage), args[1:]
    if sub == "create":
        if more:
            raise CommandError("Team names are one word.", usage=usage)
        return CreateTeam(name)
    if sub in ("add", "remove", "manager"):
        ids = parse_mentions(" ".join(more), usage)
        return {"add": AddReps, "remove": RemoveMember, "manager": AddManagers}[sub](name, ids)
    if sub == "channel":
        channel = _CHANNEL.fullmatch(more[0]) if len(more) == 1 else None
        if channel is None:
            raise CommandError("Pick the channel with #.", usage=usage)
        return SetChannel(name, channel.group(1))
    # set
    if not more:
        raise CommandError("Which setting? minimum, reminder, digest, leaderboard or timezone.", usage=usage)
    setting, values = more[0].lower(), more[1:]
    if setting == "minimum":
        if len(values) != 1 or not values[0].isascii() or not values[0].isdigit() or not 1 <= int(values[0]) <= 50:
            raise CommandError("The minimum is a whole number of asks a week, from 1 to 50.", usage=usage)
        return SetMinimum(name, int(values[0]))
    if setting == "timezone":
        if len(values) != 1:
            raise CommandError("Give one IANA time zone, e.g. Europe/Berlin.", usage=usage)
        return SetTimezone(name, values[0])
    if setting in ("reminder", "digest", "leaderboard"):
        if setting == "leaderboard" and [v.lower() for v in values] == ["off"]:
            return SetSlot(name, setting, None)
        if len(values) != 2:
            raise CommandError(f"Give a weekday and a 24-hour time, e.g. {setting} thursday 14:00.", usage=usage)
        try:
            return SetSlot(name, setting, parse_slot(values[0], values[1]))
        except ValueError as error:
            raise CommandError(str(error), usage=usage) from None
    raise CommandError(f"I can't set {echo(setting, 20)}; use minimum, reminder, digest, leaderboard or timezone.",
                       usage=usage)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _month(words: list[str], usage: str) -> int:
    """A month by name (``april``, ``apr``) or number (``4``)."""
    word = words[0].lower() if len(words) == 1 else ""
    if word.isascii() and word.isdigit() and 1 <= int(word) <= 12:
        return int(word)
    matches = [i for i, name in enumerate(_MONTHS, 1) if len(word) >= 3 and name.startswith(word)]
    if len(matches) != 1:
        raise CommandError("Name the month the fiscal year starts in, e.g. april (or 4).", usage=usage)
    return matches[0]
