"""The request path's hottest statements, run below SQLAlchemy's execution layer.

A statement here is compiled once per dialect and then executed straight on the transaction's DBAPI
cursor, with the bind and result conversions SQLAlchemy itself would apply (its compiled processors:
dates and datetimes as SQLite stores them, ``UTCDateTime``, enums). Why: on SQLite, SQLAlchemy's
per-statement work (its execution context, parameter construction, result metadata) costs about 25 µs
where SQLite's own lookup costs 1 to 2 µs, and ``/asked`` runs ten statements; in a profile of ``serve``
under ten concurrent clients, SQLAlchemy's Python was half the time a request thread held the interpreter
lock (README "Benchmarks").

What it keeps from SQLAlchemy, so that nothing else notices the difference:
- The statement runs in the session's own transaction, on its connection (``session.connection()``).
- ``before_cursor_execute`` and ``after_cursor_execute`` listeners fire as for any statement (tests count
  statements with them), with no execution context.
- A DBAPI error is wrapped by the connection as SQLAlchemy wraps it (``OperationalError``,
  ``IntegrityError``: ``run_in_transaction`` retries on them, a lost connection is invalidated).

A statement whose SQL SQLAlchemy can only finish at run time (a bound list expanded into ``IN (…)`` other
than on SQLite, literal binds, escaped names), one that leaves a column to a default computed in Python
(an insert without every column bound), or a dialect with execution hooks of its own runs through SQLAlchemy, as
before; so does every statement outside the few built with ``Statement``.

It reads three of SQLAlchemy's internals (a compiled statement's bind processors and result columns, and
the connection's DBAPI error handler). The lock file pins SQLAlchemy, and tests/test_statements.py runs
statements both ways on both databases, so an upgrade that changes them fails there first.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session


class Rows:
    """A statement's rows, fetched: the part of SQLAlchemy's result the callers use."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any | None:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any | None:
        return self._rows[0][0] if self._rows else None

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class _Prepared:
    """One statement compiled for one dialect: its SQL, how to turn keyword values into the driver's
    parameters, and how to turn the driver's rows into named rows.

    A bound list (``bindparam(…, expanding=True)``, ``IN`` a list given at run time) is expanded here into one
    placeholder per item, for drivers that take ``?`` placeholders (SQLite); its SQL is kept per length."""

    def __init__(self, compiled: Any) -> None:
        self._sql: str = compiled.string
        defaults = compiled.construct_params(_check=False)  # the values bound at build time (literals)
        processors = compiled._bind_processors  # noqa: SLF001 - SQLAlchemy's own conversions
        self._positional = compiled.positiontup is not None
        names = list(compiled.positiontup) if self._positional else list(dict.fromkeys(defaults))
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        self._binds = [(name, binds[name].required, binds[name].expanding, defaults.get(name), processors.get(name))
                       for name in names]
        self._expanded: dict[tuple[int, ...], str] = {}  # the SQL for each set of list lengths
        columns = compiled._result_columns or []  # noqa: SLF001 - the rows' names and types, as SQLAlchemy reads them
        dialect = compiled.dialect
        self._converters = [column.type._cached_result_processor(dialect, None) for column in columns]  # noqa: SLF001
        self._convert = any(self._converters)
        self.returns_rows = bool(columns)
        self._row = namedtuple("Row", [column.keyname for column in columns], rename=True) if columns else None

    def bind(self, values: dict[str, Any]) -> tuple[str, Any] | None:
        """The SQL and the driver's parameters for these keyword values, converted as SQLAlchemy converts them;
        None for an empty bound list (SQLAlchemy writes an always-false test for it)."""
        converted: list[tuple[str, Any]] = []
        lengths: list[int] = []
        for name, required, expanding, default, process in self._binds:
            if name in values:
                value = values[name]
            elif required:
                raise sa.exc.ArgumentError(f"A value is required for bind parameter {name!r}")
            else:
                value = default
            if expanding:
                if not value:
                    return None
                lengths.append(len(value))
                converted.extend((name, process(item) if process else item) for item in value)
            else:
                converted.append((name, process(value) if process else value))
        parameters = tuple(value for _name, value in converted) if self._positional else dict(converted)
        return (self._sql_for(tuple(lengths)) if lengths else self._sql), parameters

    def _sql_for(self, lengths: tuple[int, ...]) -> str:
        sql = self._expanded.get(lengths)
        if sql is None:
            sql = self._sql
            expanding = [name for name, _required, expands, _default, _process in self._binds if expands]
            for name, length in zip(expanding, lengths, strict=True):
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * length), 1)
            self._expanded[lengths] = sql
        return sql

    def rows(self, fetched: list[tuple[Any, ...]]) -> list[Any]:
        make = self._row._make  # type: ignore[union-attr]
        if not self._convert:
            return [make(row) for row in fetched]
        converters = self._converters
        return [make([convert(value) if convert else value for convert, value in zip(converters, row, strict=True)])
                for row in fetched]


def _prepare(statement: Any, dialect: sa.Dialect) -> _Prepared | None:
    """None when SQLAlchemy must finish the SQL at run time (see the module docstring)."""
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.escaped_bind_names:
        return None
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        return None  # a column default computed in Python at execution: SQLAlchemy's execution context fills it
    expanding = [bind for bind in compiled.binds.values() if bind.expanding]
    if expanding and (dialect.paramstyle != "qmark" or len({bind.key for bind in expanding}) != len(expanding)
                      or len(compiled.post_compile_params) != len(expanding)):
        return None
    return _Prepared(compiled)


class Statement:
    """A Core statement built once, run on the session's transaction below SQLAlchemy's execution layer."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._prepared: dict[str, _Prepared | None] = {}

    def run(self, session: Session, values: dict[str, Any]) -> Rows:
        connection = session.connection()
        dialect = connection.dialect
        try:
            prepared = self._prepared[dialect.name]
        except KeyError:
            prepared = self._prepared[dialect.name] = _prepare(self.statement, dialect)
        bound = prepared.bind(values) if prepared is not None else None
        if bound is None or (dialect._has_events and dialect.dispatch.do_execute):  # noqa: SLF001
            # (a dialect-level execute hook, none of ours, must see every statement)
            result = connection.execute(self.statement, values)
            return Rows(result.all() if result.returns_rows else [])
        sql, parameters = bound
        fetched = execute_on_cursor(connection, sql, parameters, fetch=prepared.returns_rows)
        return Rows(prepared.rows(fetched) if prepared.returns_rows else [])


def insert_every_column(table: sa.Table, *, returning: sa.ColumnElement[Any]) -> Statement:
    """``INSERT`` with every column but the key bound by its own name: run with a value for each, it leaves
    nothing to a default computed in Python, so it runs on the cursor (see ``_prepare``)."""
    return Statement(sa.insert(table).values(
        {column.name: sa.bindparam(column.name, type_=column.type) for column in table.c if not column.primary_key},
    ).returning(returning))


def execute_on_cursor(connection: sa.Connection, sql: str, parameters: Any = (), *, fetch: bool = False) -> list[Any]:
    """Run finished SQL on the connection's DBAPI cursor, as ``Connection.exec_driver_sql`` would but without its
    execution context: the cursor listeners fire, a DBAPI error is wrapped. Returns the fetched rows, raw."""
    cursor = connection.connection.cursor()
    try:
        listen = connection.dispatch.before_cursor_execute
        for listener in listen:  # as Connection._execute_context runs them: each may rewrite both
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        after: Callable[..., Any] = connection.dispatch.after_cursor_execute
        if after:
            after(connection, cursor, sql, parameters, None, False)
        fetched = cursor.fetchall() if fetch else []
    except BaseException as error:
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)  # noqa: SLF001 - raises, wrapped
    cursor.close()
    return fetched


class not_by_index(FunctionElement):  # noqa: N801 - used like the SQL functions it sits among
    """A column compared as is, which SQLite's planner must not pick an index for: SQLite writes it with a
    unary ``+``, its documented way to take a term away from the index choice; other databases plan by
    their statistics and get the column itself. Where SQLite, with no statistics, chooses the index that
    matches the most columns, this steers it to a narrower one (see storage/queries.py ``_same_ask``)."""

    inherit_cache = True
    name = "not_by_index"
    type = sa.String()


@compiles(not_by_index)
def _column_itself(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(not_by_index, "sqlite")
def _column_with_unary_plus(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)
