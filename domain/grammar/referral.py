"""The ``/referral`` verb table: the first word picks a row, whose parser reads the rest.

Each verb's grammar lives in its own module (funnel, reports, planning, teams); this
module only joins them into one table, the help, the closest-verb suggestion and
``usage_for``. A new verb is a parser in its own module plus one row here.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from domain.conventions import NO_CONVENTIONS, Conventions
from domain.grammar.asked import ASKED_USAGE, AskedHelp, AskEntry, LogAsks, OpenAskModal, UndoLastAsk
from domain.grammar.forget import FORGET_USAGE, ForgetPerson, parse_forget
from domain.grammar.funnel import (
    CloseLost,
    CloseNoDecision,
    CloseWon,
    GotReferral,
    ListReferrals,
    MeetingHeld,
    NobodyToIntroduce,
    ScheduleMeeting,
    Thanked,
    parse_got,
    parse_list,
    parse_lost,
    parse_meeting,
    parse_met,
    parse_nobody,
    parse_nodecision,
    parse_thanked,
    parse_won,
)
from domain.grammar.planning import CommitToAsk, PlanClients, parse_commit, parse_pause, parse_plan, parse_resume
from domain.grammar.reports import (
    ExportData,
    ReferralHelp,
    ShowReview,
    ShowStats,
    parse_export,
    parse_help,
    parse_review,
    parse_stats,
)
from domain.grammar.settings import SETTINGS_USAGE, ChangeConvention, ShowSettings, parse_settings
from domain.grammar.teams import parse_team
from domain.grammar.text import CommandError, check_length, echo, strip_controls
from domain.periods import PERIOD_FORMS
from domain.team_commands import (
    AddManagers,
    AddReps,
    CreateTeam,
    PauseNudges,
    RemoveMember,
    ResumeNudges,
    SetChannel,
    SetFiscalYear,
    SetMinimum,
    SetSlot,
    SetTimezone,
    ShowTeams,
    TeamCommand,
)

ReferralCommand: TypeAlias = (
    GotReferral | NobodyToIntroduce | ScheduleMeeting | MeetingHeld | CloseWon | CloseLost | CloseNoDecision
    | Thanked | ListReferrals | ShowStats | ReferralHelp | TeamCommand | PauseNudges | ResumeNudges
    | PlanClients | CommitToAsk | ShowReview | ExportData | ShowSettings | ChangeConvention
)


# Each parser gets the text after the verb, the rep's today, and its own usage line (from the
# table below), so that every error carries the form of the verb the rep was typing.
VerbParser: TypeAlias = Callable[..., ReferralCommand]




@dataclass(frozen=True)
class Verb:
    """One row of the /referral verb table: how to parse it and how to explain it.

    ``produces`` maps a parsed command back to its usage (see ``usage_for``), so
    that errors raised later, by the services, still show the right form.
    """

    parse: VerbParser
    usage: str
    description: str
    produces: tuple[type, ...] = ()
    aliases: tuple[str, ...] = ()
    # True when the parser reads dates or amounts, whose reading depends on the workspace's conventions.
    uses_conventions: bool = False


# The one place that defines /referral. Add a verb by adding a row (and its parser); the help,
# the closest-verb suggestion and usage_for follow. Row order is the order of the help.
REFERRAL_VERBS: dict[str, Verb] = {
    "got": Verb(parse_got, "/referral got <prospect> from <referrer> [date]",
                "An introduction you received (the date it came, if not today)", (GotReferral,),
                uses_conventions=True),
    "nobody": Verb(parse_nobody, "/referral nobody <referrer> [date]",
                   "They wanted to help but couldn't think of anyone; the ask still counts",
                   (NobodyToIntroduce,), uses_conventions=True),
    "meeting": Verb(parse_meeting, "/referral meeting <ref> [date] [booked <date>]",
                    "A meeting booked with the prospect (booked: the day you booked it, if not today); "
                    "<ref> is its #number or part of the name", (ScheduleMeeting,), uses_conventions=True),
    "met": Verb(parse_met, "/referral met <ref> [date]", "The meeting took place", (MeetingHeld,),
                uses_conventions=True),
    "won": Verb(parse_won, "/referral won <ref> [amount] [date]", "Closed as won, e.g. won #3 €12,000 yesterday",
                (CloseWon,), uses_conventions=True),
    "lost": Verb(parse_lost, "/referral lost <ref> [reason] [date]",
                 "Closed as lost, e.g. lost \"Bob Smith\" went elsewhere", (CloseLost,), uses_conventions=True),
    "nodecision": Verb(parse_nodecision, "/referral nodecision <ref> [reason] [date]", "Closed without a decision",
                       (CloseNoDecision,), aliases=("no-decision", "no_decision", "nd"), uses_conventions=True),
    "thanked": Verb(parse_thanked, "/referral thanked <ref>", "You thanked the referrer and told them how it went",
                    (Thanked,)),
    "list": Verb(parse_list, "/referral list", "Your open referrals and their next steps", (ListReferrals,)),
    "stats": Verb(parse_stats, f"/referral stats [{PERIOD_FORMS}] [@rep]",
                  "Your numbers, compared with the period before", (ShowStats,)),
    "pause": Verb(parse_pause, "/referral pause until <date> | pause 2w",
                  "Time off: no nudges, and the weeks show as paused, not missed", (PauseNudges,),
                  uses_conventions=True),
    "commit": Verb(parse_commit, "/referral commit <name>; @person; …",
                   "The people you will ask this week; each is kept when you log the ask", (CommitToAsk,)),
    "plan": Verb(parse_plan, "/referral plan <clients> [by <YYYY-MM-DD>]",
                 "Work back from the clients you need to the asks a week it takes", (PlanClients,)),
    "review": Verb(parse_review, f"/referral review [{PERIOD_FORMS}]",
                   "Managers: won, lost and no-decision with the reasons, for your teams", (ShowReview,)),
    "export": Verb(parse_export, "/referral export",
                   "Your data as CSV files in a DM (managers: their teams'; admins: everyone's)", (ExportData,)),
    "resume": Verb(parse_resume, "/referral resume", "Back from time off", (ResumeNudges,)),
    "team": Verb(parse_team, "/referral team create|add|remove|manager|channel|set|show|fiscal-year …",
                 "Set up teams (admins); see your teams", (CreateTeam, AddReps, RemoveMember, AddManagers, SetChannel,
                                                           SetMinimum, SetSlot, SetTimezone, SetFiscalYear, ShowTeams)),
    "settings": Verb(parse_settings, SETTINGS_USAGE,
                     "How the workspace writes money and dates (admins change them)", (ShowSettings, ChangeConvention)),
    "forget": Verb(parse_forget, FORGET_USAGE, "Admins: delete a person who left; their numbers stay, anonymous",
                   (ForgetPerson,)),
    "help": Verb(parse_help, "/referral help", "This list", (ReferralHelp,), aliases=("?", "-h", "--help")),
}

REFERRAL_VERBS_HELP: list[tuple[str, str]] = [
    (verb.usage, verb.description) for verb in REFERRAL_VERBS.values()
]
REFERRAL_USAGE = "\n".join(verb.usage for verb in REFERRAL_VERBS.values())

_VERB_NAMES: dict[str, str] = {
    **{alias: name for name, verb in REFERRAL_VERBS.items() for alias in verb.aliases},
    **{name: name for name in REFERRAL_VERBS},
}


def parse_referral(text: str, *, today: date, conventions: Conventions = NO_CONVENTIONS) -> ReferralCommand:
    """``/referral <verb> …``: the first word picks a row of REFERRAL_VERBS, which parses the rest."""
    check_length(text, REFERRAL_USAGE)
    cleaned = strip_controls(text).strip()
    if not cleaned:
        return ReferralHelp()
    word, rest = (cleaned.split(None, 1) + [""])[:2]
    name = _VERB_NAMES.get(word.lower())
    if name is None:
        raise _unknown_verb(word)
    verb = REFERRAL_VERBS[name]
    if verb.uses_conventions:
        return verb.parse(rest, today=today, usage=verb.usage, conventions=conventions)
    return verb.parse(rest, today=today, usage=verb.usage)


# The habit verbs are parsed before this table (domain/habit_commands.py, which builds on this module);
# they are named here so that a mistyped one is suggested too.
HABIT_VERB_NAMES = ("client", "connectors", "preview", "leaderboard")


def _unknown_verb(word: str) -> CommandError:
    close = difflib.get_close_matches(word.lower(), [*_VERB_NAMES, *HABIT_VERB_NAMES], n=1, cutoff=0.6)
    shown = echo(word, 20)
    if close:
        suggestion = _VERB_NAMES.get(close[0], close[0])
        return CommandError(f"I don't know `{shown}`. Did you mean `{suggestion}`?", usage=REFERRAL_USAGE,
                            suggestion=suggestion)
    return CommandError(f"I don't know `{shown}`. Try one of: {', '.join([*REFERRAL_VERBS, *HABIT_VERB_NAMES])}.",
                        usage=REFERRAL_USAGE)


def usage_for(command: object) -> str:
    """The usage line for a parsed command (or its class), so later errors about it show the right form."""
    kind = command if isinstance(command, type) else type(command)
    for verb in REFERRAL_VERBS.values():
        if kind in verb.produces:
            return verb.usage
    if kind in (OpenAskModal, AskedHelp, UndoLastAsk, LogAsks, AskEntry):
        return ASKED_USAGE
    return REFERRAL_USAGE
