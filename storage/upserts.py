"""The dialect's own INSERT, for ON CONFLICT (SQLite and PostgreSQL both have it, SQLAlchemy's core insert not).

Imported for the dialect in use only: loading the PostgreSQL dialect's modules into a SQLite process would
cost about 2 MB of idle memory for nothing (tests/test_idle_imports.py).
"""
from __future__ import annotations

import importlib
from typing import Any


def dialect_insert(dialect: str, table: Any) -> Any:
    """``insert(table)`` from ``sqlalchemy.dialects.<dialect>``, with ``on_conflict_do_*``."""
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(table)
