"""Deal amounts as reps type them."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.grammar.text import CommandError, echo

MAX_AMOUNT = Decimal(10) ** 12

# Money: an optional currency symbol before or after, digits with optional thousands commas,
# optional decimals, optional k (thousand) or m (million). ASCII only, case-sensitive by design.
_MONEY = re.compile(
    r"(?P<sign>[-−]?)[$€£¥]?(?P<sign2>[-−]?)"
    r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<scale>[kKmM]?)[$€£¥]?"
)
_SCALES = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_amount(token: str, *, usage: str) -> Decimal | None:
    """A deal amount (``12000``, ``12,000``, ``$12,000.50``, ``€9.5k``, ``1.2m``), or None if it isn't one.

    The currency symbol is ignored: reps sell in one currency, and a conversion
    would be guesswork. Negative or absurd amounts (over 10^12) raise
    CommandError, because they are typos that would wreck every total.
    """
    money = _MONEY.fullmatch(token)
    if not money:
        return None
    if money.group("sign") or money.group("sign2"):
        raise CommandError(f"{echo(token, 20)} is negative; give the deal's value, e.g. 12,000.",
                           usage=usage)
    digits = money.group("number").replace(",", "")
    if len(digits) > 13:
        raise CommandError(f"{echo(token, 20)} is more than we can believe; check the amount.", usage=usage)
    try:
        amount = Decimal(f"{digits}.{money.group('fraction') or '0'}") * _SCALES[money.group("scale").lower()]
        if amount > MAX_AMOUNT:
            raise CommandError(f"{echo(token, 20)} is more than we can believe; check the amount.",
                               usage=usage)
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CommandError(f"{echo(token, 20)} isn't an amount I can read.", usage=usage) from None
