"""Plurals: "1 ask", "2 asks", never "ask(s)" or "1 asks"."""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

from domain.words import count_of, plural

ROOT = pathlib.Path(__file__).parent.parent


@pytest.mark.parametrize(("count", "word", "expected"), [
    (0, "ask", "0 asks"), (1, "ask", "1 ask"), (2, "ask", "2 asks"), (1, "referral", "1 referral"),
    (7, "week", "7 weeks"), (1, "week", "1 week"), (2, "person", "2 people"), (1, "day", "1 day"),
    (3, "entry", "3 entries"), (2, "day", "2 days"), (1200, "row", "1,200 rows"), (1, "more team", "1 more team"),
])
def test_count_of(count, word, expected):
    assert count_of(count, word) == expected


def test_plural_follows_the_count():
    assert [plural("ask", n) for n in (0, 1, 2)] == ["asks", "ask", "asks"]


def test_no_text_anywhere_hedges_with_s_in_brackets():
    """Every count in every reply goes through count_of or plural; "(s)" is what they replace."""
    offenders = []
    for folder in ("views", "services", "handlers", "bot", "domain"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text())
            docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                          if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
                          and isinstance(node.body[0], ast.Expr)}
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                          if isinstance(node, ast.Constant) and isinstance(node.value, str)
                          and id(node) not in docstrings and re.search(r"[a-z]\(s\)", node.value)
                          and "http(s)" not in node.value]
    assert offenders == []
