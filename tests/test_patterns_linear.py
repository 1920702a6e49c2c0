"""No pattern and no parser backtracks on long input: cost grows about 10× from 100 KB to 1 MB, not 100×.

Every regular expression in the code base is collected twice over (compiled patterns found on the
imported modules, and every literal pattern passed to ``re.*`` in the source, inline ones included)
and run over adversarial strings, as are the parsers themselves, called directly, not behind the
length cap the commands put in front of them. Each cost is the min of three runs (time.perf_counter),
and the two sizes are compared in the same test: linear growth is about 10×, quadratic about 100×.
A 1 KB → 10 KB round goes first, so a quadratic pattern fails in seconds instead of running for hours.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "domain", "handlers", "services", "storage", "views")
MAX_RATIO = 30
# Repeated units aimed at the usual ways to backtrack: runs of a character class with no terminator,
# openers with no closer, separators with nothing between them.
UNITS = ["a", "A", "1", " ", "\t\n", "<", "<!", "<@", "<@U", "<@A|", "<#", "<a:", "&lt;", "&amp;", "@", "a@", "a.",
         "1,", "9,99", "*a", "to ", "from ", "for ", "U", "x:", "-", ";", '"', "a://", "xoxb-", "a:b@", "<<!h>", "#1"]
PREFIXES = ["<http://", "a@", "a@b", "<@U0|", "<!", "xoxb-1", "a://b:", "$1", "Jane on "]


def adversarial(size: int) -> list[str]:
    strings = [unit * (size // len(unit)) for unit in UNITS]
    strings += [prefix + "a" * (size - len(prefix)) for prefix in PREFIXES]
    strings += [prefix + "1" * (size - len(prefix)) for prefix in PREFIXES]
    return strings


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if ".migrations" not in info.name:
                names.append(info.name)
    return names


def _literal_patterns() -> set[tuple[str, int]]:
    """Every ``re.<fn>(<literal>, …)`` in the source, with literal flags when given."""
    found = set()
    functions = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in functions
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    flags = 0
                    for extra in list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "flags"]:
                        if isinstance(extra, ast.Attribute) and isinstance(extra.value, ast.Name) and extra.value.id == "re":
                            flags |= int(getattr(re, extra.attr))
                    found.add((node.args[0].value, flags))
    return found


def all_patterns() -> list[re.Pattern[str]]:
    patterns: dict[tuple[str, int], re.Pattern[str]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                patterns[(value.pattern, value.flags)] = value
    for source, flags in _literal_patterns():
        compiled = re.compile(source, flags)
        patterns.setdefault((compiled.pattern, compiled.flags), compiled)
    return list(patterns.values())


def _cost(work: Callable[[str], object], strings: list[str], repeat: int = 1) -> float:
    """Seconds per round over ``strings``: the min of three samples of ``repeat`` rounds each. The small
    size is repeated ten times so that both samples last about as long, and a busy machine slows both."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            for text in strings:
                work(text)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def _scan(pattern: re.Pattern[str]) -> Callable[[str], object]:
    def work(text: str) -> None:
        pattern.findall(text)  # every match, as sub() and finditer() would find them
        pattern.match(text)

    return work


def _worst(work: Callable[[str], object], size: int, keep: int = 1) -> list[int]:
    """The indexes of the adversarial strings that cost ``work`` the most at a small size: the ones
    worth timing at 100 KB and 1 MB (a quadratic case is already the most expensive at 10 KB)."""
    costs = []
    for index, text in enumerate(adversarial(size)):
        started = time.perf_counter()
        work(text)
        costs.append((time.perf_counter() - started, index))
    return [index for _, index in sorted(costs, reverse=True)[:keep]]


def _assert_linear(work: Callable[[str], object], what: str) -> None:
    worst = _worst(work, 10_000)

    def pick(size: int) -> list[str]:
        strings = adversarial(size)
        return [strings[index] for index in worst]

    def ratio(small: int, large: int) -> float:
        """Cost growth from ``small`` to ``large``; measured again once when over the limit, because a busy
        machine can push one measurement over, while a quadratic is ~100x every time."""
        ratios = []
        for _ in range(2):
            ratios.append(_cost(work, pick(large)) / max(_cost(work, pick(small), repeat=10), 1e-7))
            if ratios[-1] < MAX_RATIO:
                break
        return min(ratios)

    # A cheap round first, so that a quadratic case fails in seconds rather than running for hours
    # (its limit is looser: it only guards the expensive round).
    early = ratio(1_000, 10_000)
    assert early < 2 * MAX_RATIO, f"{what}: 1 KB -> 10 KB cost grew {early:.0f}x"
    grown = ratio(100_000, 1_000_000)
    print(f"\n{what}: 100 KB -> 1 MB cost x{grown:.1f}")  # the figures in the README: pytest -s -k linear
    assert grown < MAX_RATIO, f"{what}: 100 KB -> 1 MB cost grew {grown:.1f}x (linear is about 10x)"


PATTERNS = all_patterns()


def test_the_collection_finds_the_patterns_that_matter():
    sources = {p.pattern for p in PATTERNS}
    from domain.spreadsheet import EMAIL

    assert EMAIL.pattern in sources
    assert r"\bfrom\b" in sources  # an inline one, from the source
    assert len(PATTERNS) >= 25


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:40])
def test_each_pattern_is_linear(pattern):
    _assert_linear(_scan(pattern), f"pattern {pattern.pattern!r}")


def _parsers() -> dict[str, Callable[[str], object]]:
    from bot.logs import RedactSecrets
    from domain import dates, forms, intros, parsing, spreadsheet
    from domain.conventions import Conventions
    from domain.grammar import amounts as grammar_amounts
    from domain.grammar import asked as grammar_asked
    from domain.grammar import funnel as grammar_funnel
    from domain.grammar import text as grammar_text
    from views.text import defuse, escape

    today = date(2026, 11, 20)
    redact = RedactSecrets(["xoxb-secret"]).redact
    parsers: dict[str, Callable[[str], object]] = {
        "plain_text": parsing.plain_text,
        "parse_person": parsing.parse_person,
        "mask": grammar_text.mask_markup,
        "split_outside_markup": lambda text: grammar_text.split_outside_markup(text, ";"),
        "ask_entry": lambda text: grammar_asked._ask_entry(text, today=today, conventions=Conventions()),
        "parse_ref": lambda text: grammar_funnel.parse_ref(text, usage=""),
        "parse_amount": lambda text: grammar_amounts.parse_amount(text, usage=""),
        "first_token": grammar_text.first_token,
        "split_trailing_date": lambda text: dates.split_trailing_date(text, today=today),
        "parse_date_phrase": lambda text: dates.parse_date_phrase(text, today=today),
        "read_asks_sheet": lambda text: spreadsheet.read_asks_sheet(
            "rep,date,asked,for_whom,outcome\n" + text, today=today),
        "read_asks_sheet_cells": lambda text: spreadsheet.read_asks_sheet(
            "rep,date,asked,for_whom,outcome\nU0A,2026-01-01," + text + ",,\n" + text + "\n", today=today),
        "ask_from_form": lambda text: forms.ask_from_form(selected_user=text, typed_name=text, for_whom=text,
                                                          occurred_on=text, today=today),
        "read_intro": lambda text: intros.read_intro(text, author_user_id="U0AUTHOR", rep_user_id="U0REP"),
        "escape": escape,
        "defuse": defuse,
        "redact": redact,
    }
    for name, verb in parsing.REFERRAL_VERBS.items():
        parsers[f"referral {name}"] = lambda text, verb=verb: verb.parse(text, today=today, usage=verb.usage)
    return parsers


def _tolerant(parser: Callable[[str], object]) -> Callable[[str], object]:
    def work(text: str) -> None:
        try:
            parser(text)
        except ValueError:  # CommandError, DateError, FormErrors: a refusal is an answer too
            pass

    return work


PARSERS = _parsers()


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_each_parser_is_linear(name):
    _assert_linear(_tolerant(PARSERS[name]), f"parser {name}")
