"""Counting words: "1 ask", "2 asks", never "ask(s)". The one place plurals are made."""
from __future__ import annotations

_IRREGULAR = {"person": "people", "is": "are", "was": "were", "this": "these", "match": "matches"}


def plural(word: str, count: int | float) -> str:
    """``word`` in the form that goes with ``count`` (``plural("ask", 2)`` -> ``asks``)."""
    if count == 1:
        return word
    return _IRREGULAR.get(word, word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s")


def count_of(count: int, word: str) -> str:
    """``count_of(1, "ask")`` -> ``1 ask``; ``count_of(3, "referral")`` -> ``3 referrals``; thousands separated."""
    return f"{count:,} {plural(word, count)}"
