"""People in commands: a Slack mention, an unresolved ``@handle``, or a plain name."""
from __future__ import annotations

import re
from dataclasses import dataclass

from domain.grammar.text import MAX_NAME, CommandError, echo, limit_length, plain_text, strip_controls


@dataclass(frozen=True)
class Person:
    """Someone the rep asked, or who introduced them.

    ``user_id`` is set only for a real Slack mention. ``name`` is plain text; it
    is "" for a bare mention ``<@U123>``, because Slack didn't tell us a name and
    a renderer should show the live mention (``<@U123>``) rather than a stale or
    made-up name. Callers that need some label use ``name or user_id``.
    """

    user_id: str | None
    name: str


PERSON_USAGE = "Jane Doe, or @jane"

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>", re.ASCII)


def parse_person(text: str, *, usage: str = PERSON_USAGE) -> Person:
    """A person reference: a Slack mention, an unresolved ``@handle``, or a plain name.

    ``<@U123|jane>`` -> Person("U123", "jane"); ``<@U123>`` -> Person("U123", "")
    (see Person); ``@jane`` -> Person(None, "jane"), since Slack left it
    unresolved and we must not guess whose handle it is; anything else ->
    Person(None, plain_text(text)). ``usage`` is what errors show as the right form.
    """
    raw = strip_controls(text).strip()
    mention = MENTION.fullmatch(raw)
    if mention:
        name = plain_text(mention.group(2) or "").lstrip("@")
        return Person(mention.group(1), limit_length(name, MAX_NAME, "That name", usage))
    name = plain_text(raw[1:] if raw.startswith("@") else raw)
    if not name:
        raise CommandError("Who? Give a name or an @mention.", usage=usage)
    return Person(None, limit_length(name, MAX_NAME, "That name", usage))



def parse_mentions(text: str, usage: str) -> tuple[str, ...]:
    tokens = text.split()
    if not tokens:
        raise CommandError("Mention at least one person with @.", usage=usage)
    ids = []
    for token in tokens:
        mention = MENTION.fullmatch(token)
        if not mention:
            raise CommandError(f"{echo(plain_text(token), 30)} isn't an @mention; pick people with @.",
                               usage=usage)
        ids.append(mention.group(1))
    return tuple(dict.fromkeys(ids))
