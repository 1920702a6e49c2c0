"""The grammar of the referral-habit verbs: the right command, a CommandError with the form, or None
(not one of these verbs, so the rest of /referral parses it)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.habit_commands import (
    AddClient,
    AddNudgeNote,
    HabitVerb,
    SetHabitSetting,
    ShowModeLeaderboard,
    ShowPreview,
    SkipNudge,
    parse_habit_command,
)
from domain.parsing import CommandError
from tests.test_parsing import assert_no_live_markup, fragment_text

TODAY = date(2026, 11, 20)
HABIT_VERBS = ["client", "connectors", "preview", "preview note", "preview skip", "leaderboard", "board",
               "team set east", "team set", "team"]


@pytest.mark.parametrize(("text", "expected"), [
    ("client Acme Corp", AddClient("Acme Corp", TODAY)),
    ("client  Acme   2026-11-01", AddClient("Acme", date(2026, 11, 1))),
    ("preview", ShowPreview(None)),
    ("preview east", ShowPreview("east")),
    ("preview note <@U0B|ben> Call Maria today", AddNudgeNote("U0B", "Call Maria today")),
    ("preview skip <@U0B> on leave", SkipNudge("U0B", "on leave")),
    ("leaderboard", ShowModeLeaderboard("week", None)),
    ("board quarter improvers", ShowModeLeaderboard("quarter", "improvers")),
    ("team set east leaderboard-mode TEAM", SetHabitSetting("east", "leaderboard_mode", "team")),
    ("team set east connector-threshold 5", SetHabitSetting("east", "connector_threshold", 5)),
    ("team set east client-followup 21", SetHabitSetting("east", "client_followup_days", 21)),
    ("team set east minimum 2", None),  # the team grammar's
    ("got Acme from Jane", None),
])
def test_habit_verbs_parse(text, expected):
    assert parse_habit_command(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["client", "client Acme 2026-12-01", "connectors now", "preview note Ben hi",
                                  "preview skip <@U0B>", "leaderboard loudest", "team set east client-followup 0",
                                  "team set east connector-threshold ²", "team set east leaderboard-mode"])
def test_habit_verbs_refuse_bad_input_with_the_form(text):
    with pytest.raises(CommandError) as error:
        parse_habit_command(text, today=TODAY)
    assert error.value.usage.startswith("/referral")


@settings(max_examples=300, deadline=None)
@given(st.tuples(st.sampled_from(HABIT_VERBS), fragment_text).map(lambda pair: f"{pair[0]} {pair[1]}"))
def test_arbitrary_text_parses_or_raises_command_error(text):
    try:
        result = parse_habit_command(text, today=TODAY)
    except CommandError as error:
        assert error.message and isinstance(error.usage, str)
        return
    assert result is None or isinstance(result, HabitVerb)
    assert_no_live_markup(result)


def test_referral_help_lists_the_habit_verbs(slack):
    text = str(slack.referral("help"))
    for usage in ("/referral client &lt;name&gt;", "/referral connectors", "/referral preview", "leaderboard-mode"):
        assert usage in text
