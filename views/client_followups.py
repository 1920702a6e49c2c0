"""Block Kit for "who do they know?": the follow-up DM after a win, its pre-filled ask form, the replies."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.habit_records import ClientWinRecord
from views import ids, modals
from views.text import button, context, day, escape, message, section

Message = dict[str, Any]


def followup_message(win: ClientWinRecord) -> Message:
    name = escape(win.client_name)
    text = f"{name} has been a client for a month. Who do they know?" if (win.follow_up_on - win.won_on).days in \
        range(28, 32) else f"{name} has been a client since {day(win.won_on)}. Who do they know?"
    blocks = [section(f":handshake: *{text}*\nHappy clients refer willingly; ask while the win is fresh."),
              {"type": "actions", "elements": [
                  button(f"Ask {win.client_name}"[:75], ids.OPEN_CLIENT_ASK, str(win.id), style="primary"),
                  button("Snooze 2 weeks", ids.SNOOZE_CLIENT_FOLLOWUP, str(win.id))]}]
    return message(text, blocks)


def prefilled_ask_modal(*, today: date, person_name: str) -> dict[str, Any]:
    """The /asked form, with the client already in "…or their name"."""
    view = modals.ask_modal(today=today, private_metadata='{"channel_id": null}')
    for block in view["blocks"]:
        if block.get("block_id") == ids.ASK_NAME_BLOCK:
            block["element"]["initial_value"] = person_name[:150]
    return view


def snoozed(win: ClientWinRecord, today: date) -> Message:
    text = f"Snoozed: I'll ask you about {escape(win.client_name)} again on {day(win.follow_up_on, today)}."
    return message(text, [section(f":zzz: {text}")])


def client_added(win: ClientWinRecord, today: date) -> Message:
    text = (f"{escape(win.client_name)} is a client since {day(win.won_on, today)}. "
            f"On {day(win.follow_up_on, today)} I'll ask you who they know.")
    return message(text, [section(f":white_check_mark: {text}"),
                          context("Happy clients refer willingly; the team sets how long to wait.")])


def gone() -> Message:
    return message("That follow-up is no longer there.", [section("That follow-up is no longer there.")])
