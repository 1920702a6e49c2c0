"""manifest.json declares what the code uses, and only that: an app created from it works without hand edits,
and an admin approving the install is asked for no scope that no feature needs."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
SOURCE_PACKAGES = ("bot", "handlers", "services", "storage", "views", "domain")

# Each bot scope, and the Web API calls (slack-sdk method names) that need it. A scope in the manifest must
# be here and be used by at least one of its calls; a call made in the code must have its scope granted.
SCOPE_USES = {
    "chat:write": ("chat_postMessage", "chat_postEphemeral", "chat_update"),
    "im:write": ("conversations_open",),
    "users:read": ("users_info", "users_list"),
    "users:read.email": ("users_lookupByEmail",),
    "files:write": ("files_upload_v2",),
    # The leaderboard channel check: public channels (channels:read) and private ones the bot is in (groups:read).
    "channels:read": ("conversations_info",),
    "groups:read": ("conversations_info",),
    "channels:join": ("conversations_join",),
    # After a process died mid-send: is the part it was posting in the DM (im:history) or the leaderboard's
    # public or private channel (channels:history, groups:history)? services/delivery.py reached_slack.
    "im:history": ("conversations_history",),
    "channels:history": ("conversations_history",),
    "groups:history": ("conversations_history",),
}


def called_methods() -> set[str]:
    calls: set[str] = set()
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            calls |= set(re.findall(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text()))
    return calls


def test_the_manifest_declares_the_commands_events_and_surfaces_the_bot_uses():
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert commands == {"/asked", "/referral"}
    assert all(c["should_escape"] for c in MANIFEST["features"]["slash_commands"])
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked", "user_change"} <= events
    # Nothing answers DMs: the Messages tab shows the bot's messages and takes none.
    assert MANIFEST["features"]["app_home"]["messages_tab_read_only_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def test_every_scope_is_used_by_some_feature_and_every_call_has_its_scope():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    calls = called_methods()
    assert "commands" in scopes and MANIFEST["features"]["slash_commands"]
    unused = {s for s in scopes - {"commands"} if not set(SCOPE_USES.get(s, ())) & calls}
    assert not unused, f"scopes no code uses (drop them, or add the call to SCOPE_USES): {sorted(unused)}"
    missing = {scope for scope, methods in SCOPE_USES.items() if set(methods) & calls} - scopes
    assert not missing, f"calls whose scope the manifest lacks: {sorted(missing)}"


def test_the_scope_check_can_fail():
    """The scan finds real calls: without it, the test above would pass on an empty code base."""
    calls = called_methods()
    assert {"chat_postMessage", "conversations_info", "conversations_join", "users_info"} <= calls
    assert "channels_history" not in calls
