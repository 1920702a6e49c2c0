"""Replies for ``/referral forget``: the confirmation with its buttons, and the outcome."""
from __future__ import annotations

from typing import Any

from views import ids
from views.text import button, context, message, section

Message = dict[str, Any]


def confirm_forget(*, user_id: str, asks: int, referrals: int) -> Message:
    text = (f":warning: Forget <@{user_id}>? Their name, ID and everything typed in their {asks} ask(s) and "
            f"{referrals} referral(s) are deleted, with their plans, time off and settings. Their numbers stay "
            "in the team's totals as an anonymous \"former member\" line. This cannot be undone.")
    return message("Forget this person? This cannot be undone.", [
        section(text),
        {"type": "actions", "elements": [button("Forget them", ids.FORGET_CONFIRM, user_id, style="danger"),
                                         button("Cancel", ids.FORGET_CANCEL, user_id)]},
    ])


def forgotten(*, label: str, asks: int, referrals: int) -> Message:
    text = (f":white_check_mark: Done. {asks} ask(s) and {referrals} referral(s) now count for *{label}*, "
            "with nothing that names the person. The audit log records who did this and when.")
    return message(f"Done: their numbers now belong to {label}.", [section(text)])


def forget_cancelled() -> Message:
    return message("Cancelled: nothing was deleted.", [context("Cancelled: nothing was deleted.")])
