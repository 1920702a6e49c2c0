"""The channel of a person's DM with the bot, for the Web API methods that want a channel ID.

``chat.postMessage`` takes a user ID and posts to that person's DM, but ``files_upload_v2`` and
``conversations.history`` want the IM channel's own ID (``D…``). ``conversations.open`` returns it; for a DM
that already exists it returns the same channel, so calling it again is safe."""
from __future__ import annotations

from typing import Any


def dm_channel(client: Any, user_id: str) -> str:
    """The ID of ``user_id``'s DM with the bot (opened if it was not yet). Raises what the client raises."""
    return client.conversations_open(users=user_id)["channel"]["id"]
