"""Replies for ``/referral forget``: the confirmation with its buttons, and the outcome."""
from __future__ import annotations

from typing import Any

from domain.words import count_of
from views import ids
from views.text import button, context, message, section

Message = dict[str, Any]


def confirm_forget(*, user_id: str, asks: int, referrals: int) -> Message:
    text = (f":warning: Forget <@{user_id}>? Their name, ID and everything typed in their {count_of(asks, 'ask')} and "
            f"{count_of(referrals, 'referral')} are deleted, with their plans, time off and settings. Their numbers stay "
            "in the team's totals as an anonymous \"former member\" line. This cannot be undone.")
    return message("Forget this person? This cannot be undone.", [
        section(text),
        {"type": "actions", "elements": [button("Forget them", ids.FORGET_CONFIRM, user_id, style="danger"),
                                         button("Cancel", ids.FORGET_CANCEL, user_id)]},
    ])


def forgotten(*, label: str, asks: int, referrals: int) -> Message:
    text = (f":white_check_mark: Done. {count_of(asks, 'ask')} and {count_of(referrals, 'referral')} now count for *{label}*, "
            "with nothing that names the person. The audit log records who did this and when.")
    return message(f"Done: their numbers now belong to {label}.", [section(text)])


def forget_cancelled() -> Message:
    return message("Cancelled: nothing was deleted.", [context("Cancelled: nothing was deleted.")])
