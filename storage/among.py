"""Narrowing a grouped read to a set of people: their user IDs, or a subquery that selects them.

A tick's page binds a few hundred team IDs in such a subquery rather than thousands of user IDs, which
SQLAlchemy expands one by one and PostgreSQL parses and plans on every statement.
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
    return col(column).in_(list(people))


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
