"""manifest.json declares what the code uses: an app created from it works without hand edits."""
from __future__ import annotations

import json
from pathlib import Path

MANIFEST = json.loads((Path(__file__).parents[1] / "manifest.json").read_text())


def test_the_manifest_declares_the_commands_events_and_scopes_the_bot_uses():
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert commands == {"/asked", "/referral"}
    assert all(c["should_escape"] for c in MANIFEST["features"]["slash_commands"])
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened", "user_change"]
    # chat.postMessage, conversations.open for DMs with files, files_upload_v2, users.info, users.lookupByEmail.
    assert {"commands", "chat:write", "im:write", "files:write", "users:read", "users:read.email"} <= \
        set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
