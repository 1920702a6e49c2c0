"""Safe text for Block Kit: user input is escaped so that it can never become a live
mention (``<!channel>``) or a link, and every text fits Slack's limits."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.forgetting import former_label, is_former

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
FALLBACK_TEXT_LIMIT = 3000


def escape(text: str) -> str:
    """Slack's three control characters, as Slack documents: & < > become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def person(user_id: str | None, name: str) -> str:
    """A Slack user renders as a mention (which notifies nobody in an ephemeral reply); a name as text."""
    return f"<@{user_id}>" if user_id else f"*{escape(name)}*"


def member(user_id: str) -> str:
    """A team member on a line of numbers: a mention, or the anonymous name a forgotten person's numbers keep."""
    return f"_{former_label(user_id)}_" if is_former(user_id) else f"<@{user_id}>"


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
    return {"text": clip(text, FALLBACK_TEXT_LIMIT), "blocks": blocks}
