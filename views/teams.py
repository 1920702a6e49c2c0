"""Replies about teams and time off."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.schedule import WeeklySlot
from domain.team_commands import ChannelAccess
from domain.words import count_of
from views.text import channel_link, context, escape, mention, message, section

Message = dict[str, Any]


def _slot(slot: WeeklySlot | None) -> str:
    return str(slot) if slot else "off"


def _people(user_ids: Sequence[str]) -> str:
    return " ".join(mention(u) for u in user_ids) or "nobody yet"


def team_card(summary: Any) -> str:
    zone = escape(summary.timezone) if summary.timezone else "the default zone"
    default = " (default team: everyone who logs before being added to a team)" if summary.is_default else ""
    return (f"*{escape(summary.name)}*{default}\n"
            f"Reps: {_people(summary.reps)}\nManagers: {_people(summary.managers)}\n"
            f"Minimum {count_of(summary.minimum, 'ask')} a week · reminder {_slot(summary.reminder)} (each rep's time) · "
            f"digest {_slot(summary.digest)} (each manager's time) · leaderboard {_slot(summary.leaderboard)} "
            f"({zone})" + (f" in {channel_link(summary.channel_id)}" if summary.channel_id else ", no channel set"))


_ESCAPED_CHANNEL = re.compile(r"&lt;#([CG][A-Z0-9]+)&gt;")


def team_changed(*, summary: Any | None, what: str, checking_channel: bool = False) -> Message:
    """``checking_channel``: a new leaderboard channel is being checked after this reply (see channel_checked)."""
    cards = [section(team_card(summary))] if summary is not None else []
    # Escaped like any text, except channel mentions, which Slack renders as a link (they ping nobody).
    text = _ESCAPED_CHANNEL.sub(r"<#\1>", escape(what))
    note = [context("I'm making sure I can post there; if I have to join it or can't get in, I'll say so here.")] \
        if checking_channel else []
    return message(what, [section(f":white_check_mark: {text}"), *note, *cards])


def channel_checked(checked: Any) -> Message | None:
    """What the check of a new leaderboard channel found (services/teams.py ``settle_channel``), for the admin
    who set it; None when there is nothing to say (the bot was already in the channel)."""
    change = checked.change
    channel, team = channel_link(change.channel_id), escape(change.team_name)
    invite = "someone in it has to type `/invite @Referral Nudge` there"
    match checked.access:
        case ChannelAccess.MEMBER:
            return None
        case ChannelAccess.JOINED:
            text = f":white_check_mark: I joined {channel} to post the {team} leaderboard there."
        case ChannelAccess.PRIVATE:
            text = (f":lock: I can't post in {channel} yet: it is private, so {invite}. "
                    "The setting is saved and works once I'm in.")
        case ChannelAccess.NOT_FOUND:
            text = (f":mag: I can't find {channel}: either it is private and I'm not in it ({invite}), or it no "
                    "longer exists. The setting is saved and works once I'm in.")
        case ChannelAccess.ARCHIVED:
            where = f"stays in {channel_link(change.previous)}" if checked.restored and change.previous else \
                "has no channel again" if checked.restored else f"is set to {channel}, which can't take posts"
            text = (f":warning: {channel} is archived, so the {team} leaderboard {where}. Pick a live channel: "
                    f"`/referral team channel {team} #channel`.")
        case ChannelAccess.JOIN_FAILED:
            text = (f":warning: I couldn't join {channel} ({escape(checked.error or 'error')}); "
                    "type `/invite @Referral Nudge` there.")
        case _:
            text = (f":warning: I couldn't check that I can post in {channel} ({escape(checked.error or 'error')}); "
                    "invite me there if the leaderboard is missing.")
    return message(text, [section(text)])


def team_list(summaries: Sequence[Any]) -> Message:
    if not summaries:
        text = ("No teams to show. An admin sets one up with `/referral team create <name>`, then "
                "`/referral team add <name> @rep …` and `/referral team manager <name> @manager`.")
        return message(text, [section(text)])
    blocks = [section(team_card(s)) for s in summaries[:45]]
    if len(summaries) > 45:
        blocks.append(context(f"…and {len(summaries) - 45} more teams; name one: `/referral team show <name>`."))
    return message(count_of(len(summaries), "team"), blocks)


def paused(until: date) -> Message:
    text = (f":palm_tree: Nudges paused through {until:%a %b} {until.day}. Those weeks show as paused, not missed, "
            "and your streak waits for you. Back early? `/referral resume`.")
    return message(text, [section(text)])


def resumed(count: int) -> Message:
    text = ":wave: Welcome back; nudges are on again." if count else "You weren't paused; nudges are on."
    return message(text, [section(text)])
