"""Narrowing a grouped read to a set of people: their user IDs, or a subquery that selects them.

A tick's page binds a few hundred team IDs in such a subquery rather than thousands of user IDs, which
SQLAlchemy expands one by one and PostgreSQL parses and plans on every statement. On PostgreSQL even the
team IDs go as one array parameter (``among_ids``).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import col

People = Iterable[str] | sa.Select


def among(column, people: People) -> sa.ColumnElement[bool]:  # noqa: ANN001
    if isinstance(people, sa.Select):
        return _AmongSubquery(col(column), people.scalar_subquery())
    return among_ids(column, people)


class _AmongSubquery(sa.ColumnElement[bool]):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``, which runs the subquery once
    and then walks the (workspace, rep, ...) index for each ID, as an IN list does. Given the subquery as is,
    the planner may instead hash it and scan the whole table, in parallel, for every page of a tick."""

    inherit_cache = True
    type = sa.types.NullType()  # rendered as is: a Boolean would be compared with 1 on SQLite, off the index
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("query", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement[Any], query: sa.ScalarSelect) -> None:
        self.column, self.query = column, query


@compiles(_AmongSubquery)
def _among_subquery(element: _AmongSubquery, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.query), **kw)


@compiles(_AmongSubquery, "postgresql")
def _among_array(element: _AmongSubquery, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{compiler.process(element.query, **kw)})"


def among_ids(column, ids: Iterable[int] | Iterable[str]) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """``column IN (ids)``; on PostgreSQL ``column = ANY(:ids)``, the whole list one array parameter.

    A page's few hundred team IDs are in most of its statements, and a streak's older weeks bind the user IDs
    of a page's unbroken reps (over a thousand): expanded, each is one more parameter for
    SQLAlchemy to render, psycopg to convert and PostgreSQL to parse and plan, and the statement's text
    differs with the page's length. As one array the text is the same for every page (psycopg prepares it
    after a few runs). SQLite has no arrays: there it is the plain expanding IN, as before."""
    column = col(column)
    return _AmongIds(column, sa.bindparam(None, list(ids), type_=column.type, expanding=True))


class _AmongIds(sa.ColumnElement[bool]):
    inherit_cache = True
    type = sa.types.NullType()  # rendered as is, as _AmongSubquery
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement[Any], ids: sa.BindParameter[Any]) -> None:
        self.column, self.ids = column, ids


@compiles(_AmongIds)
def _among_ids(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(_AmongIds, "postgresql")
def _among_ids_array(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    # Imported here: a SQLite process never loads SQLAlchemy's PostgreSQL dialect (tests/test_idle_imports.py).
    from sqlalchemy.dialects.postgresql import ARRAY

    # The same parameter (a clone keeps its key, so a cached statement takes each page's own IDs), whole.
    whole = element.ids._clone(maintain_key=True)
    whole.expanding = False
    whole.type = ARRAY(element.ids.type)
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(whole, **kw)})"
