"""Block Kit for the connectors: the private heads-up, the managers' report and the Home tab lines."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.connectors import HeadsUp, Source
from domain.habit_records import ConnectorReport
from domain.words import count_of
from views.text import context, day, escape, message, packed_sections, person, section

Message = dict[str, Any]
EARLIER_SHOWN = 5
HOME_BLOCK_LIMIT = 100


def _who(user_id: str, me: str) -> str:
    return "you" if user_id == me else f"<@{user_id}>"


def heads_up_blocks(warnings: Sequence[HeadsUp], *, me: str, today: date) -> list[dict[str, Any]]:
    blocks = []
    for warning in warnings:
        asked = ", ".join(f"{_who(e.rep_user_id, me)} ({day(e.asked_on, today)})"
                          for e in warning.earlier[:EARLIER_SHOWN])
        more = len(warning.earlier) - EARLIER_SHOWN
        blocks.append(section(
            f":handshake: Heads-up: {person(warning.person_user_id, warning.person_name)} has been asked "
            f"{count_of(len(warning.earlier), 'time')} by your team in the last 90 days: {asked}"
            + (f" and {more} more" if more > 0 else "")
            + ". Your ask counts as usual; maybe check with them first, and make sure they hear a thank-you."))
    return blocks


def with_heads_up(reply: Message, warnings: Sequence[HeadsUp], *, me: str, today: date) -> Message:
    """The ask's confirmation with the heads-up under it, in the same private message."""
    if not warnings:
        return reply
    return {**reply, "blocks": [*reply.get("blocks", []), *heads_up_blocks(warnings, me=me, today=today)]}


def _source_line(source: Source, threshold: int, today: date) -> str:
    thanked = f"thanked {day(source.last_thanked, today)}" if source.last_thanked else "never thanked"
    updated = f" · last update {day(source.last_update, today)}" if source.last_update else ""
    flag = " :warning: *asked often, no thank-you logged*" if source.flagged(threshold) else ""
    return (f"{person(source.user_id, source.name)}: {count_of(source.introductions, 'intro')} · "
            f"{count_of(source.meetings, 'meeting')} · "
            f"{count_of(source.wins, 'win')} · asked {source.asked_recently}× in 90 days · {thanked}{updated}{flag}")


def connector_report(report: ConnectorReport, today: date) -> Message:
    teams = ", ".join(escape(name) for name in report.team_names)
    blocks = [section(f":busts_in_silhouette: *Top referral sources*, {teams}")]
    if not report.sources:
        blocks.append(section("No introductions logged yet for your teams."))
    else:
        blocks.extend(packed_sections([_source_line(s, report.threshold, today) for s in report.sources]))
    blocks.append(context(f"Flagged: asked {report.threshold}+ times in 90 days with no thank-you logged. "
                          "`/referral thanked <ref>` records one."))
    return message(f"Top referral sources for {', '.join(report.team_names)}", blocks)


def with_home_connectors(view: dict[str, Any], sources: Sequence[Source]) -> dict[str, Any]:
    """The rep's own top connectors, after their own numbers, when the tab has room."""
    if not sources:
        return view
    blocks = list(view.get("blocks", []))
    if len(blocks) >= HOME_BLOCK_LIMIT:
        return view
    lines = ", ".join(f"{person(s.user_id, s.name)} ({count_of(s.introductions, 'intro')}, {count_of(s.wins, 'win')})"
                      for s in sources)
    first_divider = next((i for i, b in enumerate(blocks) if b.get("type") == "divider"), len(blocks))
    blocks.insert(first_divider, section(f":handshake: *Your top connectors:* {lines}"))
    return {**view, "blocks": blocks}


HEADS_UP_BLOCK = "connector_heads_up"
_VIEW_FIELDS = ("type", "callback_id", "private_metadata", "title", "submit", "close", "blocks")


def ask_form_with_heads_up(view: dict[str, Any], warnings: Sequence[HeadsUp], *, me: str, today: date) -> dict[str, Any]:
    """The open ask form, with the heads-up about the person just picked (or without an earlier one)."""
    kept = {key: view[key] for key in _VIEW_FIELDS if key in view}
    blocks = [b for b in view.get("blocks", []) if b.get("block_id") != HEADS_UP_BLOCK]
    if warnings:
        note = {**context(heads_up_blocks(warnings, me=me, today=today)[0]["text"]["text"]), "block_id": HEADS_UP_BLOCK}
        blocks.insert(1, note)
    return {**kept, "blocks": blocks}
