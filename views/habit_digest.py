"""The digest's referral-habit section, added after the rest of the digest."""
from __future__ import annotations

from typing import Any

from domain.habit_records import DigestHabits
from views.text import escape, packed_sections

Message = dict[str, Any]
BLOCKS_PER_MESSAGE = 48


def with_habit_lines(messages: list[Message], habits: DigestHabits) -> list[Message]:
    lines = [f"Asks of new clients: *{habits.asks_of_new_clients}* · New clients won: {habits.new_clients}"]
    for touch in habits.touches:
        did = "skipped the nudge of" if touch.what == "skip" else "added a note to the nudge of"
        lines.append(f"<@{touch.manager_user_id}> {did} <@{touch.rep_user_id}>: “{escape(touch.text)}”")
    blocks = packed_sections(lines, "*The referral habit, last week*")
    last = messages[-1] if messages else None
    if last is not None and len(last.get("blocks", [])) + len(blocks) <= BLOCKS_PER_MESSAGE:
        return [*messages[:-1], {**last, "blocks": [*last["blocks"], *blocks]}]
    return [*messages, {"text": "The referral habit, last week", "blocks": blocks}]
