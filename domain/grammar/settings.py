"""``/referral settings``: how the workspace writes money and dates (admins change them, anyone may look)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.grammar.text import CommandError, echo, plain_text

SETTINGS_USAGE = ("/referral settings [currency <EUR|USD|…> | numbers 1,234.56|1.234,56 | "
                  "dates month-first|day-first]")
_NUMBERS = {"1,234.56": ".", "1.234,56": ","}
_DATES = {"month-first": "MDY", "mdy": "MDY", "day-first": "DMY", "dmy": "DMY"}


@dataclass(frozen=True)
class ShowSettings:
    pass


@dataclass(frozen=True)
class ChangeConvention:
    field: str  # "currency", "decimal_mark" or "date_order"
    value: str


def parse_settings(rest: str, *, today: date, usage: str) -> ShowSettings | ChangeConvention:
    words = plain_text(rest).split()
    if not words:
        return ShowSettings()
    if len(words) != 2:
        raise CommandError("Change one setting at a time, e.g. settings currency EUR.", usage=usage)
    setting, value = words[0].lower(), words[1]
    if setting == "currency":
        code = value.upper()
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise CommandError(f"{echo(value, 10)} isn't a currency code; use three letters, e.g. EUR.", usage=usage)
        from babel.numbers import list_currencies  # lazily: babel loads locale data

        if code not in list_currencies():
            raise CommandError(f"{code} isn't a currency I know; use an ISO code, e.g. EUR or USD.", usage=usage)
        return ChangeConvention("currency", code)
    if setting == "numbers" and value in _NUMBERS:
        return ChangeConvention("decimal_mark", _NUMBERS[value])
    if setting == "dates" and value.lower() in _DATES:
        return ChangeConvention("date_order", _DATES[value.lower()])
    raise CommandError("Settings are currency <code>, numbers 1,234.56 or 1.234,56, dates month-first or day-first.",
                       usage=usage)
