"""Forgetting a person who left: what of their data goes, and the anonymous name their history keeps.

Their asks, referrals and wins stay in the team's numbers, under a pseudonym that is not their
Slack ID ("former member 3"), so that a team's totals still equal the sum of its lines. Whatever
identifies them or was typed about them (names, IDs, prospects, reasons, prep notes, plans) goes.
"""
from __future__ import annotations

import re

FORMER_PREFIX = "former-"
FORGOTTEN = "(forgotten)"  # stands in for any typed text of the forgotten person's history
FORMER_MEMBER = "(former member)"  # stands in for the person where someone else's record named them
FORMER_ROLE = "former"  # their team membership, kept so the team's numbers keep their line
_FORMER = re.compile(r"former-([0-9]+)")


def former_id(number: int) -> str:
    """The pseudonym of the workspace's ``number``-th forgotten person. Never a Slack ID, so never messaged."""
    return f"{FORMER_PREFIX}{number}"


def is_former(user_id: str) -> bool:
    return _FORMER.fullmatch(user_id or "") is not None


def former_label(user_id: str) -> str:
    """"former member 3" for a pseudonym, for lines in digests, exports and the Home tab."""
    match = _FORMER.fullmatch(user_id)
    return f"former member {match.group(1)}" if match else user_id
