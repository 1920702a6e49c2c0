"""``/referral forget @person``: an admin deletes a departed rep's personal data (after a confirmation)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.grammar.people import MENTION
from domain.grammar.text import CommandError, echo, plain_text

FORGET_USAGE = "/referral forget @person"
MENTION_ID = re.compile(r"[UW][A-Z0-9]{2,}", re.ASCII)  # a bare user ID, as the CLI and the button carry it


@dataclass(frozen=True)
class ForgetPerson:
    user_id: str


def parse_forget(rest: str, *, today: date, usage: str) -> ForgetPerson:
    words = rest.split()
    if len(words) != 1 or not MENTION.fullmatch(words[0]):
        shown = echo(plain_text(rest), 30) if rest.strip() else "nothing"
        raise CommandError(f"Name exactly one person with @ (got {shown}).", usage=usage)
    return ForgetPerson(MENTION.fullmatch(words[0]).group(1))
