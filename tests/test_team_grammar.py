"""The /referral team, pause and resume grammar (the leaderboard's is in test_habit_grammar.py)."""
from __future__ import annotations

from datetime import date, time

import pytest

from domain.parsing import CommandError, parse_referral
from domain.schedule import WeeklySlot
from domain.team_commands import (
    AddManagers,
    AddReps,
    CreateTeam,
    PauseNudges,
    RemoveMember,
    ResumeNudges,
    SetChannel,
    SetMinimum,
    SetSlot,
    SetTimezone,
    ShowTeams,
)

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("text, expected", [
    ("team create east", CreateTeam("east")),
    ("team add east <@U1|ann> <@U2>", AddReps("east", ("U1", "U2"))),
    ("team remove east <@U1|ann>", RemoveMember("east", ("U1",))),
    ("team manager east <@U3|max> <@U4|lee>", AddManagers("east", ("U3", "U4"))),
    ("team channel east <#C123|sales>", SetChannel("east", "C123")),
    ("team set east minimum 3", SetMinimum("east", 3)),
    ("team set east reminder thursday 14:30", SetSlot("east", "reminder", WeeklySlot(3, time(14, 30)))),
    ("team set east digest mon 08:00", SetSlot("east", "digest", WeeklySlot(0, time(8, 0)))),
    ("team set east leaderboard off", SetSlot("east", "leaderboard", None)),
    ("team set east timezone Europe/Berlin", SetTimezone("east", "Europe/Berlin")),
    ("team show", ShowTeams(None)),
    ("team show east", ShowTeams("east")),
    ("pause 2w", PauseNudges(date(2026, 12, 3))),
    ("pause 1d", PauseNudges(TODAY)),
    ("pause until 2026-12-05", PauseNudges(date(2026, 12, 5))),
    ("resume", ResumeNudges()),
])
def test_forms(text, expected):
    assert parse_referral(text, today=TODAY) == expected


@pytest.mark.parametrize("text, fragment", [
    ("team", "Which team command"),
    ("team create two words", "one word"),
    ("team add east bob", "isn't an @mention"),
    ("team add east", "Mention at least one"),
    ("team channel east general", "channel with #"),
    ("team set east minimum 0", "from 1 to 50"),
    ("team set east reminder someday 14:00", "not a weekday"),
    ("team set east digest monday 8pm", "not a time"),
    ("team set east color blue", "can't set"),
    ("team create <!channel>", "one word"),
    ("pause", "how long"),
    ("pause until 2026-11-01", "has passed"),
    ("pause until 2028-01-01", "up to a year"),
    ("pause 400d", "up to a year"),
])
def test_errors_say_what_is_wrong(text, fragment):
    with pytest.raises(CommandError) as caught:
        parse_referral(text, today=TODAY)
    assert fragment in caught.value.message
    assert caught.value.usage.startswith("/referral")
