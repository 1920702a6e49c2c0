"""Deal amounts as reps type them, stored exactly and with their currency.

``12000``, ``12,000``, ``$12,000.50``, ``€12.000``, ``EUR 12.000,50``, ``12k``, ``1.2M``:
price-parser finds the currency and reads the digits once the decimal mark is known,
and babel knows which three-letter codes are currencies. Which mark is the decimal
one is this module's rule:

- both ``,`` and ``.`` appear: the last one is the decimal mark (``1.234,56``, ``1,234.56``);
- one mark, followed by one or two digits: decimals (``12,50``, ``9.5k``);
- one mark repeated, or followed by three digits: thousands, read by the workspace's
  convention when it is set. With no convention, ``12,000`` is twelve thousand (the
  form the help has always shown), but ``12.000`` could be twelve thousand or twelve,
  so it is put back to the rep as a question (AmbiguousAmount) and nothing is stored.

An amount must fit in cents exactly (``12.345`` is refused, not rounded). A ``$``
means the workspace currency when that is a dollar currency, else USD.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.conventions import Conventions
from domain.grammar.text import CommandError, echo

MAX_AMOUNT = Decimal(10) ** 12
CENT = Decimal("0.01")

_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS",
            "R$": "BRL", "US$": "USD", "A$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD",
            "S$": "SGD", "CHF": "CHF", "FR.": "CHF", "ZŁ": "PLN", "KČ": "CZK"}
# The whole token: optional sign, currency before or after, digits with marks, optional k or m.
_AMOUNT = re.compile(
    r"(?P<sign>[-−]?)(?P<before>[^\d\s.,'\-−]{0,4}?)(?P<sign2>[-−]?)"
    r"(?P<number>[0-9][0-9.,']*)(?P<scale>[kKmM]?)(?P<after>[^\d\s.,']{0,4})"
)
_SCALES = {"": 1, "k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # ISO 4217; None when neither the rep nor the workspace named one


class AmbiguousAmount(CommandError):
    """``€12.000`` with no workspace convention: both readings are offered, nothing is stored."""

    def __init__(self, token: str, readings: tuple[Money, Money], *, usage: str):
        shown = " or ".join(format_money(m) for m in readings)
        super().__init__(f"Is {echo(token, 20)} {shown}? Pick one (an admin can set the workspace's number "
                         "format with `/referral settings numbers 1,234.56|1.234,56`).", usage=usage)
        self.token, self.readings = token, readings


def format_money(money: Money) -> str:
    number = f"{money.amount:,.2f}"
    return f"{number} {money.currency}" if money.currency else number


def parse_amount(token: str, *, usage: str, conventions: Conventions | None = None) -> Money | None:
    """A deal amount with its currency, or None if ``token`` isn't one.

    Negative or absurd amounts (over 10^12) raise CommandError, because they are
    typos that would wreck every total; so does one that needs more than cents.
    """
    conventions = conventions or Conventions()
    token = token.strip()
    found = _AMOUNT.fullmatch(token)
    if not found or not token.isprintable():
        return None
    currency = _currency(found.group("before"), found.group("after"), conventions)
    if currency is False:
        return None
    if found.group("sign") or found.group("sign2"):
        raise CommandError(f"{echo(token, 20)} is negative; give the deal's value, e.g. 12,000.", usage=usage)
    number = found.group("number").replace("'", "")
    if len(re.sub(r"[^0-9]", "", number)) > 13:
        raise CommandError(f"{echo(token, 20)} is more than we can believe; check the amount.", usage=usage)
    marks = _decimal_marks(number, conventions)
    if marks is None:
        return None
    scale = _SCALES[found.group("scale").lower()]
    readings, refusals = [], []
    for mark in marks:
        try:
            readings.append(_read(number, mark, scale, token, usage))
        except CommandError as error:
            refusals.append(error)
    if not readings:  # both readings refused: the first reason is the one to show
        raise refusals[0]
    moneys = tuple(dict.fromkeys(Money(amount, currency) for amount in readings))
    if len(moneys) > 1:
        raise AmbiguousAmount(token, (moneys[0], moneys[1]), usage=usage)
    return moneys[0]


def _currency(before: str, after: str, conventions: Conventions) -> str | None | bool:
    """The ISO code named around the number; None if none; False if the text there is no currency."""
    if before and after:
        return False
    raw = (before or after).upper()
    if not raw:
        return conventions.currency
    if raw == "$":
        default = conventions.currency
        return default if default and default in ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN") else "USD"
    if raw in _SYMBOLS:
        return _SYMBOLS[raw]
    from price_parser import Price  # lazily: only amounts with a currency need it

    named = (Price.fromstring(raw).currency or "").upper()
    if named in _SYMBOLS:
        return _SYMBOLS[named]
    if len(raw) == 3 and raw.isalpha() and _is_currency_code(raw):
        return raw
    return False


def _is_currency_code(code: str) -> bool:
    from babel.numbers import list_currencies  # lazily: babel loads its locale data on first use

    return code in list_currencies()


def _decimal_marks(number: str, conventions: Conventions) -> tuple[str, ...] | None:
    """The decimal mark(s) ``number`` may be read with: one, two when ambiguous, None when it's no number."""
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        return ("," if number.rfind(",") > number.rfind(".") else ".",)
    if not commas and not dots:
        return (".",)
    mark = "," if commas else "."
    groups = number.split(mark)
    if len(groups) > 2:  # 1,234,567 or 1.234.567: thousands
        return ("." if mark == "," else ",",)
    if len(groups[1]) != 3:
        return (mark,)  # 12,50 or 9.5: decimals
    if conventions.decimal_mark is not None:
        return (conventions.decimal_mark,)
    return (".",) if mark == "," else (",", ".")  # 12,000 is twelve thousand; 12.000 is a question


def _read(number: str, mark: str, scale: int, token: str, usage: str) -> Decimal:
    from price_parser import Price  # lazily, as above

    thousands = "," if mark == "." else "."
    whole, _, fraction = number.partition(mark)
    groups = whole.split(thousands)
    if not groups[0] or any(len(g) != 3 for g in groups[1:]) or (mark in fraction) or (thousands in fraction):
        raise CommandError(f"{echo(token, 20)} isn't an amount I can read; write it like 12,000 or 12000.50.",
                           usage=usage)
    try:
        parsed = Price.fromstring(number, decimal_separator=mark).amount
        if parsed is None:
            raise InvalidOperation
        amount = parsed * scale
    except InvalidOperation:
        raise CommandError(f"{echo(token, 20)} isn't an amount I can read.", usage=usage) from None
    if amount > MAX_AMOUNT:
        raise CommandError(f"{echo(token, 20)} is more than we can believe; check the amount.", usage=usage)
    if amount != amount.quantize(CENT):
        raise CommandError(f"{echo(token, 20)} has more than cents; give the amount to the cent.", usage=usage)
    return amount.quantize(CENT)
