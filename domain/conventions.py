"""How a workspace writes dates and money, set by an admin and read by every grammar.

Unset fields are not guesses: a date or amount that only a convention could settle
(``05/06``, ``€12.000``) is put back to the rep as a question while it is unset.
"""
from __future__ import annotations

from dataclasses import dataclass

DECIMAL_MARKS = (".", ",")  # "1,234.56" or "1.234,56"


@dataclass(frozen=True)
class Conventions:
    date_order: str | None = None  # "MDY" (05/06 is May 6) or "DMY" (5 June); see domain.dates
    decimal_mark: str | None = None  # "." or ","
    currency: str | None = None  # ISO 4217 code for amounts typed without one


NO_CONVENTIONS = Conventions()
