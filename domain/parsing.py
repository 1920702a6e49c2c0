"""The grammar of ``/asked`` and ``/referral``: slash-command text in, a frozen command out.

Pure standard library, no Slack or SQL. Each grammar lives in its own module under
``domain.grammar`` (text, people, dates, amounts, asked, funnel, reports, planning,
teams, and the verb table in referral); this module keeps the public names in one
place for callers. Any exception other than CommandError from a parser is a bug:
every ``str`` input, however hostile, parses or raises CommandError.
"""
from __future__ import annotations

from domain.grammar.amounts import MAX_AMOUNT, parse_amount
from domain.grammar.asked import (
    ASKED_HELP,
    ASKED_USAGE,
    AskedCommand,
    AskedHelp,
    AskEntry,
    LogAsks,
    OpenAskModal,
    UndoLastAsk,
    parse_asked,
)
from domain.grammar.dates import MEETING_DAYS_AHEAD, MEETING_DAYS_BACK
from domain.grammar.funnel import (
    CloseLost,
    CloseNoDecision,
    CloseWon,
    GotReferral,
    ListReferrals,
    MeetingHeld,
    NobodyToIntroduce,
    RefQuery,
    ScheduleMeeting,
    Thanked,
    parse_ref,
)
from domain.grammar.people import PERSON_USAGE, Person, parse_person
from domain.grammar.planning import CommitToAsk, PlanClients
from domain.grammar.referral import (
    REFERRAL_USAGE,
    REFERRAL_VERBS,
    REFERRAL_VERBS_HELP,
    ReferralCommand,
    Verb,
    parse_referral,
    usage_for,
)
from domain.grammar.reports import ExportData, ReferralHelp, ShowReview, ShowStats
from domain.grammar.teams import TEAM_USAGE, TEAM_USAGES
from domain.grammar.text import (
    MAX_ASK_ENTRIES,
    MAX_FOR_WHOM,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    CommandError,
    plain_text,
)

__all__ = [
    "ASKED_HELP",
    "ASKED_USAGE",
    "MAX_AMOUNT",
    "MAX_ASK_ENTRIES",
    "MAX_FOR_WHOM",
    "MAX_NAME",
    "MAX_REASON",
    "MAX_TEXT",
    "MEETING_DAYS_AHEAD",
    "MEETING_DAYS_BACK",
    "PERSON_USAGE",
    "REFERRAL_USAGE",
    "REFERRAL_VERBS",
    "REFERRAL_VERBS_HELP",
    "TEAM_USAGE",
    "TEAM_USAGES",
    "AskEntry",
    "AskedCommand",
    "AskedHelp",
    "CloseLost",
    "CloseNoDecision",
    "CloseWon",
    "CommandError",
    "CommitToAsk",
    "ExportData",
    "GotReferral",
    "ListReferrals",
    "LogAsks",
    "MeetingHeld",
    "NobodyToIntroduce",
    "OpenAskModal",
    "Person",
    "PlanClients",
    "RefQuery",
    "ReferralCommand",
    "ReferralHelp",
    "ScheduleMeeting",
    "ShowReview",
    "ShowStats",
    "Thanked",
    "UndoLastAsk",
    "Verb",
    "parse_amount",
    "parse_asked",
    "parse_person",
    "parse_ref",
    "parse_referral",
    "plain_text",
    "usage_for",
]
