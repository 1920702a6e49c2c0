"""Block Kit as terminal text, for ``referral-bot demo``: what a message says, without Slack."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMOJI = {":white_check_mark:": "✅", ":hourglass:": "⏳", ":palm_tree:": "🌴", ":bar_chart:": "📊", ":trophy:": "🏆",
          ":warning:": "⚠️", ":pray:": "🙏", ":memo:": "📝", ":clipboard:": "📋", ":fire:": "🔥", ":wave:": "👋",
          ":information_source:": "ℹ️", ":busts_in_silhouette:": "👥", ":dart:": "🎯", ":x:": "❌",
          ":alarm_clock:": "⏰", ":first_place_medal:": "🥇", ":second_place_medal:": "🥈",
          ":third_place_medal:": "🥉", ":inbox_tray:": "📥", ":calendar:": "📅"}
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")  # [^<>]: a label never spans into the next "<"
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^<>]*))?>")


def as_text(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    lines = []
    for block in message.get("blocks") or [{"type": "section", "text": {"text": message.get("text", "")}}]:
        kind = block.get("type")
        if kind == "divider":
            lines.append("─" * 60)
        elif kind == "header":
            lines.append(block["text"]["text"].upper())
        elif kind == "section":
            text = (block.get("text") or {}).get("text", "")
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                text += f"   [ {accessory['text']['text']} ]"
            lines.append(text)
        elif kind == "context":
            lines.append("  " + " ".join(e.get("text", "") for e in block.get("elements", [])))
        elif kind == "actions":
            lines.append("  " + "  ".join(f"[ {e['text']['text']} ]" for e in block.get("elements", [])
                                          if e.get("type") == "button"))
        elif kind == "image":
            lines.append(f"  (chart: {block.get('alt_text', '')})")
    return _plain("\n".join(lines), names or {})


def _plain(text: str, names: Mapping[str, str]) -> str:
    for code, symbol in _EMOJI.items():
        text = text.replace(code, symbol)
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _BOLD.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
