"""Block Kit for the leaderboard in each team mode; the ranking mode keeps its own builder."""
from __future__ import annotations

from typing import Any

from domain.leaderboard_modes import EVERYONE, IMPROVERS, ModeBoard
from domain.nudges import LeaderboardContent
from views import nudges as nudge_views
from views.text import context, escape, message, packed_sections, section, trend

Message = dict[str, Any]
NAMES_SHOWN = 40


def board_message(board: LeaderboardContent | ModeBoard) -> Message:
    if isinstance(board, LeaderboardContent):
        return nudge_views.leaderboard_message(board)
    title = f":trophy: *{escape(board.team_name)}*, {board.period_label}"
    team_line = (f"Team: *{board.team_asks}* asks of a {board.target} target "
                 f"({trend(board.team_asks, board.previous_asks)} on the period before, {board.previous_asks})")
    if board.mode == IMPROVERS:
        blocks = [section(f"{title}: biggest rise against their own 4-week average")]
        if board.improvers:
            lines = [f"<@{i.user_id}>: {i.weekly:g} a week, up from {i.average:.1f}" for i in board.improvers[:NAMES_SHOWN]]
            blocks.extend(packed_sections(lines, ""))
        else:
            blocks.append(section("Nobody has risen above their own average yet; one more ask could do it."))
        blocks.append(section(team_line))
        return message(f"{board.team_name} improvers, {board.period_label}", blocks)
    if board.mode == EVERYONE:
        count = f"*{len(board.at_minimum)} of {board.rep_count}* reps at or above the minimum"
        blocks = [section(f"{title}: {count}")]
        if board.at_minimum:
            names = [f"<@{uid}>" for uid in board.at_minimum[:NAMES_SHOWN]]
            more = len(board.at_minimum) - len(names)
            blocks.append(section(" · ".join(names) + (f" …and {more} more" if more > 0 else "")))
        blocks.append(section(team_line))
        return message(f"{board.team_name}: {len(board.at_minimum)} of {board.rep_count} reps at the minimum", blocks)
    status = "✅ target met" if board.team_asks >= board.target else f"{board.target - board.team_asks} to go"
    blocks = [section(title), section(f"{team_line} · {status}"),
              context("Team mode: the team's total only, no names.")]
    return message(f"{board.team_name}: {board.team_asks} asks of a {board.target} target", blocks)
