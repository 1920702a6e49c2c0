"""Words around an export: the reply to /referral export and the comment on the uploaded files."""
from __future__ import annotations

from typing import Any

from domain.words import count_of
from views.text import message, section


def export_on_its_way(scope: str, *, asks: int, referrals: int) -> dict[str, Any]:
    text = (f":inbox_tray: Sending {scope} data as a DM: {count_of(asks, 'ask')} and "
            f"{count_of(referrals, 'referral')}, as two CSV files that open in any spreadsheet.")
    return message(text, [section(text)])


def export_comment(scope: str, *, asks: int, referrals: int) -> str:
    return (f"Here is {scope} referral data: {count_of(asks, 'ask')} in referral-asks.csv (the format `referral-bot import` "
            f"reads) and {count_of(referrals, 'referral')} in referral-referrals.csv.")
