"""Safe text for Block Kit: the one escaping rule of the app, and the only places where markup is made.

Slack reads ``<…>`` in mrkdwn (and in a message's ``text`` fallback) as a link,
a mention or a broadcast. So every builder composes mrkdwn from three things
only: its own literal text, ``escape(value)`` for anything that came from a
person (names, reasons, prospects, answers: however nested, ``&lt;&lt;!h&gt;…``
included, it comes out as text), and ``mention``/``channel_link``/``person`` for
the markup the bot means, which accept only well-formed Slack IDs. ``message``
applies the same rule once more to the fallback ``text``: any ``<`` there that
does not open one of those ID mentions is escaped, so a fallback can't go live
even when a builder forgot. Every text is also clipped to Slack's limits.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.forgetting import former_label, is_former

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
FALLBACK_TEXT_LIMIT = 3000
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}", re.ASCII)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}", re.ASCII)
# The markup the bot makes itself: a user or channel mention with a well-formed ID, nothing else.
_OWN_MARKUP = re.compile(r"(<@[UW][A-Z0-9]{2,20}>|<#[CG][A-Z0-9]{2,20}>)", re.ASCII)


def escape(text: str) -> str:
    """Slack's three control characters, as Slack documents: & < > become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """``<@U…>`` for a well-formed user ID; anything else is shown as escaped text, never as markup."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id or "") else escape(user_id or "")


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id or "") else escape(channel_id or "")


def person(user_id: str | None, name: str) -> str:
    """A Slack user renders as a mention (which notifies nobody in an ephemeral reply); a name as text."""
    return mention(user_id) if user_id and _USER_ID.fullmatch(user_id) else f"*{escape(name)}*"


def defuse(text: str) -> str:
    """Mrkdwn with every ``<`` and ``>`` escaped except around the bot's own ID mentions (entities stay)."""
    parts = _OWN_MARKUP.split(text)
    return "".join(part if n % 2 else part.replace("<", "&lt;").replace(">", "&gt;") for n, part in enumerate(parts))


def member(user_id: str) -> str:
    """A team member on a line of numbers: a mention, or the anonymous name a forgotten person's numbers keep."""
    return f"_{former_label(user_id)}_" if is_former(user_id) else mention(user_id)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": clip(text, 75)},
                               "action_id": action_id, "value": value[:2000]}
    if style:
        element["style"] = style
    return element


def day(d: date, today: date | None = None) -> str:
    if today is not None:
        if d == today:
            return "today"
        if (today - d).days == 1:
            return "yesterday"
        if (d - today).days == 1:
            return "tomorrow"
    return f"{d:%a} {d:%b} {d.day}"


def trend(now: int, before: int) -> str:
    """Change against the period before, as an arrow and the difference."""
    if now > before:
        return f"▲ {now - before}"
    if now < before:
        return f"▼ {before - now}"
    return "="


def packed_sections(lines: list[str], title: str = "") -> list[dict[str, Any]]:
    """Lines (after an optional title) in as few sections as Slack's 3,000-character limit allows."""
    blocks, current = [], title
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A reply within Slack's limits: at most 50 blocks, plain-text fallback for notifications."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = blocks[: MESSAGE_BLOCK_LIMIT - 1] + [context("…and more; narrow it down to see the rest.")]
    return {"text": clip(defuse(text), FALLBACK_TEXT_LIMIT), "blocks": blocks}
